"""Broker CPU per escalation over gRPC, not counting model time, beside a raw gRPC echo.

The broker is ``cloud-broker serve`` on SQLite in its own process (``simulations.stack``), with
an OpenAI-compatible fake backend in another process that answers at once, so the broker's
CPU is routing, claims, ledger, journal, logging and the two HTTP/gRPC hops, not a model.
A few simulated gateways (the real ``GrpcTransport``) escalate with a fixed number in flight;
CPU comes from /proc for the server process only. Baseline, in the same run: the same
gateways against a raw grpc.aio server whose Escalate handler returns a constant answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simulations.simgateway import CallLog, SimGateway, enrol_all, percentile
from simulations.stack import ENROL_TOKEN, Broker, EchoServer, FakeCloud, ProcessMeter

N_GATEWAYS = 8
N_WARMUP = 100
N_ESCALATIONS = 1500
CONCURRENCY = 4
TEXT = "why could zone 3 be warmer than zone 5 in the afternoon?"
TARGET_CPU_MS = 1.0


async def _burst(gateways: list[SimGateway], n: int) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(gw: SimGateway) -> None:
        async with gate:
            await gw.escalate(TEXT, [])

    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(one(gateways[i % len(gateways)]), name=f"escalate.{i}")


async def measure(address: str, meter: ProcessMeter) -> dict[str, Any]:
    """CPU per escalation and latency for one server."""
    calls = CallLog()
    gateways = [SimGateway(f"bench-{i:02d}", address, calls) for i in range(N_GATEWAYS)]
    await enrol_all(gateways, ENROL_TOKEN)
    await _burst(gateways, N_WARMUP)
    calls.latencies["escalate"] = []
    cpu0, wall0 = meter.cpu_s(), time.monotonic()
    await _burst(gateways, N_ESCALATIONS)
    cpu, wall = meter.cpu_s() - cpu0, time.monotonic() - wall0
    took = calls.latencies["escalate"]
    await asyncio.gather(*(gw.close() for gw in gateways))
    return {"server_cpu_ms_per_escalation": round(1000 * cpu / N_ESCALATIONS, 3),
            "per_s": round(N_ESCALATIONS / wall, 1), "p50_ms": percentile(took, 0.5),
            "p99_ms": percentile(took, 0.99), "failed_calls": calls.failures}


def run() -> dict[str, Any]:
    """Measure the broker, then the raw gRPC echo, in one run."""
    with tempfile.TemporaryDirectory(prefix="nanogate-esc-") as folder:
        cloud = FakeCloud(latency_ms=0).start()
        broker = Broker(Path(folder), cloud.url)
        try:
            broker.start()
            ours = asyncio.run(measure(f"127.0.0.1:{broker.grpc_port}", broker.meter))
        finally:
            broker.stop()
            cloud.stop()
    echo = EchoServer().start()
    try:
        base = asyncio.run(measure(f"127.0.0.1:{echo.port}", echo.meter))
    finally:
        echo.stop()
    return {"escalations": N_ESCALATIONS, "concurrency": CONCURRENCY, "broker": ours,
            "raw_grpc_echo": base, "target_cpu_ms_per_escalation": TARGET_CPU_MS}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
