"""Model worker figures: the cost of running Gemma out of process, restart time, broker memory.

Baseline in the same run: the same model and prompts in-process (`LlamaCppBackend`, as the
broker ran it before workers). Requests alternate between the two, one at a time, with
temperature 0 so both generate the same tokens. Restart time is from SIGKILL to ready
(backoff, which the first restart skips; process start and imports; model load; the health
check, the model run on one token); its baseline is the floor a restart in a fresh process
cannot go below, loading the model and running that probe in this process. RSS is read from
/proc for a real `cloud-broker serve` process, and for this process before and after it loads
the model in-process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from cloud_broker.backends import Backend, Completion
from cloud_broker.backends.llama_cpp import LlamaCppBackend
from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.backends.worker import WorkerBackend
from cloud_broker.escalation import Escalation
from cloud_broker.routing.prompts import PromptTemplates

ROUNDS = 4
RESTARTS = 2
MAX_TOKENS = 16
QUESTIONS = ["What is the capital of France?", "Why does a fridge hum at night?",
             "What does a heat exchanger do?"]


async def _one(backend: Backend, text: str) -> tuple[float, float, int]:
    """Time to first token and total, in ms, and the tokens generated."""
    messages = PromptTemplates.load().messages(Escalation(key="b", text=text), tools=False)
    started = time.perf_counter()
    first = 0.0
    async for item in backend.stream(messages, max_tokens=MAX_TOKENS, timeout=120, tools=None):
        if isinstance(item, Completion):
            return first, (time.perf_counter() - started) * 1000, item.output_tokens
        first = first or (time.perf_counter() - started) * 1000
    raise RuntimeError("no completion")


def _summary(samples: list[tuple[float, float, int]]) -> dict[str, float]:
    return {"ttft_ms_median": round(statistics.median(s[0] for s in samples), 1),
            "total_ms_median": round(statistics.median(s[1] for s in samples), 1),
            "tokens": sum(s[2] for s in samples)}


async def _latency(data_dir: Path) -> dict[str, Any]:
    spec = LlamaCppSpec(temperature=0.0, timeout_s=120)
    worker, inproc = WorkerBackend(spec, data_dir=data_dir), LlamaCppBackend(spec,
                                                                             data_dir=data_dir)
    try:
        before = _rss_mb(os.getpid())
        for backend in (inproc, worker):  # load both (and warm their caches) before measuring
            await _one(backend, QUESTIONS[0])
        loaded = _rss_mb(os.getpid()) - before
        runs: dict[str, list[tuple[float, float, int]]] = {"worker": [], "in_process": []}
        for i in range(ROUNDS):
            text = QUESTIONS[i % len(QUESTIONS)]
            runs["worker"].append(await _one(worker, text))
            runs["in_process"].append(await _one(inproc, text))
        restarts = await _restarts(WorkerBackend(spec, data_dir=data_dir),
                                   spec.restart_backoff_s)
        restarts["in_process_load_and_probe_s"] = await _load_and_probe(spec, data_dir)
    finally:
        await worker.aclose()
        await inproc.aclose()
    figures = {name: _summary(samples) for name, samples in runs.items()}
    for key in ("ttft_ms_median", "total_ms_median"):
        ratio = figures["worker"][key] / figures["in_process"][key]
        figures[f"worker_vs_in_process_{key.split('_ms')[0]}"] = round(ratio, 3)
    return {**figures, "restart": restarts,
            "in_process_model_rss_mb": round(loaded, 1)}


async def _restarts(worker: WorkerBackend, backoff: float) -> dict[str, Any]:
    """SIGKILL the ready worker and time until it is ready again."""
    times = []
    worker.start()
    await worker.wait_for(lambda s: s.state == "ready", 300)
    for n in range(1, RESTARTS + 1):
        status = worker.status()
        assert status.pid is not None
        started = time.perf_counter()
        os.kill(status.pid, signal.SIGKILL)
        await worker.wait_for(lambda s, n=n: s.state == "ready" and s.restarts == n, 120)
        times.append(time.perf_counter() - started)
    await worker.aclose()
    return {"to_ready_s_median": round(statistics.median(times), 2),
            "to_ready_s_max": round(max(times), 2),
            "backoff_s": [0.0] + [backoff * 2 ** i for i in range(RESTARTS - 1)],
            "target_s": 5.0}


async def _load_and_probe(spec: LlamaCppSpec, data_dir: Path) -> float:
    """The model loaded and run on one token in this process, as the worker's health check."""
    backend = LlamaCppBackend(spec, data_dir=data_dir)
    started = time.perf_counter()
    try:
        await backend.probe(120)
    finally:
        await backend.aclose()
    return round(time.perf_counter() - started, 2)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _broker_rss(data_dir: Path) -> dict[str, Any]:
    """RSS of `cloud-broker serve` with a Gemma backend, once its worker process runs."""
    config = data_dir / "broker.toml"
    config.write_text(f'[server]\ngrpc_listen = "127.0.0.1:0"\nhttp_listen = "127.0.0.1:0"\n'
                      f'data_dir = "{data_dir / "broker"}"\nadmin_token = "bench"\n\n'
                      '[[backends]]\nkind = "llama_cpp"\nname = "local"\n')
    env = {**os.environ, "XDG_CACHE_HOME": str(data_dir)}
    broker = subprocess.Popen([sys.executable, "-m", "cloud_broker", "serve", "--config",
                               str(config)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = _http_port(broker)
        _wait_worker(port)
        return {"broker_rss_mb": _rss_mb(broker.pid)}
    finally:
        broker.terminate()
        broker.wait(timeout=30)


def _http_port(broker: subprocess.Popen[str]) -> int:
    import json

    assert broker.stderr is not None
    for line in broker.stderr:
        if "broker.started" in line:
            return int(json.loads(line[line.index("{"):])["http_port"])
    raise RuntimeError("the broker did not start")


def _wait_worker(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        backends = httpx.get(f"http://127.0.0.1:{port}/api/backends",
                             headers={"Authorization": "Bearer bench"}).json()
        if backends[0]["worker"]["pid"]:
            time.sleep(2.0)  # let the broker settle after starting its worker
            return
        time.sleep(0.2)
    raise RuntimeError("the worker process did not start in 60 s")


def run() -> dict[str, Any]:
    """All figures; noisy on a shared machine (say so beside them)."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        figures = asyncio.run(_latency(data_dir))
        figures["memory"] = _broker_rss(data_dir)
    figures["rounds"] = ROUNDS
    figures["max_tokens"] = MAX_TOKENS
    return figures
