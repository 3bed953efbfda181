"""OpenAI-compatible API figures: what the broker adds over calling the backend directly.

The backend is an OpenAI-compatible fake in its own process (``simulations.stack.FakeCloud``,
no latency), because a real model's seconds would drown the broker's milliseconds. The broker
is ``cloud-broker serve`` in its own process, at its default log level, with an ``openai``
backend pointing at the fake and a daily global budget (so every request reads the spend).
One httpx client (keep-alive, sequential) alternates a direct call to the fake and the same
call through ``/v1/chat/completions`` with an API key, after a warm-up, so both see the same
machine at the same moment. Baseline, in the same run: the direct calls.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from simulations.harness import Daemon, free_port, wait_for_port, write_toml
from simulations.stack import ADMIN_TOKEN, FakeCloud, ProcessMeter

N_REQUESTS = 3000
N_WARMUP = 300
BODY = {"model": "auto", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Why could zone 3 be warmer than zone 5?"}]}
TARGET = {"added_p50_ms": 1.0, "added_p99_ms": 3.0}

BROKER_TOML = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "{admin}"

[[backends]]
kind = "openai"
name = "fake-cloud"
base_url = "{cloud_url}"
model = "fake-large"
tier = 0
timeout_s = 15
price_in_per_1k = 0.0005
price_out_per_1k = 0.0015

[routing]
retries = 0

[[routing.budgets]]
scope = "global"
period = "day"
max_cost = 1000000.0
"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


def _start_broker(folder: Path, cloud_url: str) -> tuple[Daemon, int]:
    http_port, grpc_port = free_port(), free_port()
    config = write_toml(folder / "broker.toml", BROKER_TOML.format(
        grpc_port=grpc_port, http_port=http_port, data=folder / "data", admin=ADMIN_TOKEN,
        cloud_url=cloud_url))
    broker = Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                    folder / "broker.log", env={"GRPC_VERBOSITY": "ERROR"}).start()
    wait_for_port(http_port, timeout=60)
    return broker, http_port


def _api_key(client: httpx.Client, base: str) -> str:
    reply = client.post(f"{base}/api/keys", json={"name": "bench"},
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    reply.raise_for_status()
    return str(reply.json()["key"])


def _alternate(client: httpx.Client, direct: str, broker: str, key: str,
               n: int) -> tuple[list[float], list[float]]:
    """n calls each way, interleaved; the latencies in seconds."""
    auth = {"Authorization": f"Bearer {key}"}
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(n):
        for url, headers, out in ((direct, {}, times[0]), (broker, auth, times[1])):
            started = time.perf_counter()
            reply = client.post(url, json=BODY, headers=headers)
            elapsed = time.perf_counter() - started
            if reply.status_code != 200 or not reply.json()["choices"]:
                raise RuntimeError(f"{url} answered {reply.status_code}: {reply.text[:200]}")
            out.append(elapsed)
    return times


def _measure(cloud_url: str, broker_port: int, meter: ProcessMeter) -> dict[str, Any]:
    base = f"http://127.0.0.1:{broker_port}"
    with httpx.Client(timeout=30) as client:
        key = _api_key(client, base)
        direct_url, broker_url = f"{cloud_url}/chat/completions", f"{base}/v1/chat/completions"
        _alternate(client, direct_url, broker_url, key, N_WARMUP)
        cpu0 = meter.cpu_s()
        direct, through = _alternate(client, direct_url, broker_url, key, N_REQUESTS)
        cpu = meter.cpu_s() - cpu0
    p50, p99 = _pct(through, 0.5), _pct(through, 0.99)
    d50, d99 = _pct(direct, 0.5), _pct(direct, 0.99)
    return {
        "requests": N_REQUESTS,
        "direct_ms": {"p50": d50, "p99": d99},
        "through_broker_ms": {"p50": p50, "p99": p99},
        "added_ms": {"p50": round(p50 - d50, 3), "p99": round(p99 - d99, 3)},
        "broker_cpu_ms_per_request": round(1000 * cpu / N_REQUESTS, 3),
        "target": TARGET,
    }


def run() -> dict[str, Any]:
    """Latency through the broker's OpenAI-compatible API beside direct backend calls."""
    cloud = FakeCloud(latency_ms=0).start()
    try:
        with tempfile.TemporaryDirectory(prefix="nanogate-http-") as name:
            broker, port = _start_broker(Path(name), cloud.url)
            try:
                assert broker.proc is not None
                return _measure(cloud.url, port, ProcessMeter(broker.proc.pid))
            finally:
                broker.stop()
    finally:
        cloud.stop()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
