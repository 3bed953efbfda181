"""Router figures: overhead per escalation, failover cost, throughput.

The backend is a fast OpenAI-compatible fake (starlette + uvicorn on loopback, in its own
thread), because a real model's seconds would drown the router's microseconds. Baseline in
the same run: direct httpx calls to the same fake, sequential and concurrent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cloud_broker.backends import DEFAULT_SAMPLING, Completion, Message, Sampling, Tool
from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec
from cloud_broker.escalation import ContextReading, Escalation
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.router import Router, RoutingPolicy

N_SEQUENTIAL = 400
N_CONCURRENT = 2000
CONCURRENCY = 32
REPLY = {
    "id": "x",
    "object": "chat.completion",
    "model": "fake",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "It is 21 °C."}}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 8},
}
ESC = Escalation(
    key="k",
    text="Is the kitchen warm?",
    device_id="gw-1",
    site="s1",
    context=(ContextReading("t1", "temperature", "kitchen", "21", "°C", 0.0),),
)


async def _chat(request: Request) -> JSONResponse:
    await request.body()
    if request.path_params["mode"] == "fail":
        return JSONResponse({"error": {"message": "boom"}}, status_code=500)
    return JSONResponse(REPLY)


def _serve_fd(fd: int) -> None:
    """Child process: serve the fake model on an inherited, already listening socket."""
    app = Starlette(routes=[Route("/{mode}/v1/chat/completions", _chat, methods=["POST"])])
    uvicorn.run(app, fd=fd, log_level="warning", access_log=False, lifespan="off")


def _serve() -> tuple[str, subprocess.Popen[bytes]]:
    """Start the fake in its own process, as a remote backend would be (a server thread in
    this process would share the GIL with the router and distort every figure)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # accepted sockets inherit this; without it Nagle + delayed ACK add 40 ms a reply
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(256)
    command = [sys.executable, "-m", "simulations.bench_router", "--serve-fd", str(sock.fileno())]
    child = subprocess.Popen(command, pass_fds=[sock.fileno()])
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # the child holds its own copy; connections queue in its backlog meanwhile
    return url, child


class TimedBackend:
    """Wraps a backend and keeps the time spent inside it, to subtract from the router's."""

    def __init__(self, inner: OpenAIBackend) -> None:
        self.inner, self.spent = inner, 0.0
        self.name, self.model, self.tier = inner.name, inner.model, inner.tier
        self.price_in_per_1k, self.price_out_per_1k = inner.price_in_per_1k, inner.price_out_per_1k
        self.timeout_s, self.supports_tools = inner.timeout_s, inner.supports_tools

    async def complete(
        self, messages: list[Message], *, max_tokens: int, timeout: float,
        tools: list[Tool] | None, sampling: Sampling = DEFAULT_SAMPLING,
    ) -> Completion:
        started = time.perf_counter()
        try:
            return await self.inner.complete(
                messages, max_tokens=max_tokens, timeout=timeout, tools=tools, sampling=sampling
            )
        finally:
            self.spent += time.perf_counter() - started

    def stream(
        self, messages: list[Message], *, max_tokens: int, timeout: float,
        tools: list[Tool] | None, sampling: Sampling = DEFAULT_SAMPLING,
    ) -> AsyncIterator[str | Completion]:
        return self.inner.stream(messages, max_tokens=max_tokens, timeout=timeout, tools=tools,
                                 sampling=sampling)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _backend(url: str, name: str, mode: str, price: float = 0.0) -> TimedBackend:
    spec = OpenAISpec(
        name=name,
        base_url=f"{url}/{mode}/v1",
        model=name,
        tier=0,
        price_in_per_1k=price,
        max_connections=64,
    )
    return TimedBackend(OpenAIBackend(spec))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


async def _direct(url: str, n: int) -> list[float]:
    body = {"model": "fake", "messages": [{"role": "user", "content": ESC.text}], "max_tokens": 64}
    async with httpx.AsyncClient(base_url=f"{url}/ok/v1/") as client:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            (await client.post("chat/completions", json=body)).json()
            times.append(time.perf_counter() - started)
    return times


async def _overhead(url: str, folder: Path, n: int) -> dict[str, Any]:
    backend = _backend(url, "fast", "ok")
    router = Router([backend], SqliteUsageLedger(folder / "a.sqlite"), RoutingPolicy())
    total, overhead = [], []
    for _ in range(n):
        before, started = backend.spent, time.perf_counter()
        await router.answer(ESC)
        elapsed = time.perf_counter() - started
        total.append(elapsed)
        overhead.append(elapsed - (backend.spent - before))
    await router.aclose()
    return {
        "router_ms_p50": _pct(total, 0.5),
        "router_ms_p99": _pct(total, 0.99),
        "overhead_ms_p50": _pct(overhead, 0.5),
        "overhead_ms_p99": _pct(overhead, 0.99),
    }


async def _failover(url: str, folder: Path, n: int) -> list[float]:
    backends = [_backend(url, "broken", "fail"), _backend(url, "fast", "ok", price=1.0)]
    policy = RoutingPolicy(retries=0, failure_threshold=10**9)  # keep trying the broken one
    router = Router(backends, SqliteUsageLedger(folder / "f.sqlite"), policy)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await router.answer(ESC)
        times.append(time.perf_counter() - started)
    await router.aclose()
    return times


async def _throughput(url: str, folder: Path, via_router: bool) -> float:
    router = Router(
        [_backend(url, "fast", "ok")], SqliteUsageLedger(folder / "t.sqlite"), RoutingPolicy()
    )
    client = httpx.AsyncClient(base_url=f"{url}/ok/v1/", limits=httpx.Limits(max_connections=64))
    body = {"model": "fake", "messages": [{"role": "user", "content": ESC.text}], "max_tokens": 64}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(N_CONCURRENT):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            if via_router:
                await router.answer(ESC)
            else:
                (await client.post("chat/completions", json=body)).json()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for i in range(CONCURRENCY):
            tg.create_task(worker(), name=f"bench.worker.{i}")
    elapsed = time.perf_counter() - started
    await router.aclose()
    await client.aclose()
    return round(N_CONCURRENT / elapsed, 1)


async def _measure(url: str, folder: Path) -> dict[str, Any]:
    await _direct(url, 50)  # warm both sides up
    direct = await _direct(url, N_SEQUENTIAL)
    overhead = await _overhead(url, folder, N_SEQUENTIAL)
    failover = await _failover(url, folder, N_SEQUENTIAL // 2)
    return {
        "escalations": N_SEQUENTIAL,
        "direct_httpx_ms_p50": _pct(direct, 0.5),
        "direct_httpx_ms_p99": _pct(direct, 0.99),
        **overhead,
        "failover_ms_p50": _pct(failover, 0.5),
        "failover_added_ms_p50": round(_pct(failover, 0.5) - overhead["router_ms_p50"], 3),
        "throughput_concurrency": CONCURRENCY,
        "throughput_router_per_s": await _throughput(url, folder, via_router=True),
        "throughput_direct_httpx_per_s": await _throughput(url, folder, via_router=False),
    }


def run() -> dict[str, Any]:
    """Measure router overhead, failover cost and throughput beside direct httpx calls."""
    url, child = _serve()
    try:
        with tempfile.TemporaryDirectory() as folder:
            return asyncio.run(_measure(url, Path(folder)))
    finally:
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-fd"]:
        _serve_fd(int(sys.argv[2]))
    else:
        print(json.dumps(run(), indent=2))
