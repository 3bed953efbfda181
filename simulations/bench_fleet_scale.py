"""The fleet bench at fleet scale: up to 10,000 gateways at their real heartbeat interval.

``python -m simulations.bench fleet --gateways 10000 [--store sqlite|postgres]`` runs this
instead of the small stages of ``simulations.bench_fleet``. The gateways live in a few
``simulations.swarm`` child processes, multiplexed over a pool of gRPC channels (each
gateway still sends its own credential); they enrol through the real ``Enrol`` call, then
heartbeat every 15 s (the edge agent's ``[cloud] heartbeat_s`` default), each from a random
phase, so the offered load is a real fleet's: ``gateways / 15`` heartbeats a second. After a
warm-up the bench measures a window of heartbeats, then sends one command to every gateway by
tag and times until the last has acked it. The broker is ``cloud-broker serve`` (plaintext
gRPC on loopback) on SQLite or on a fresh schema of the PostgreSQL at 127.0.0.1:5432; the
baseline, in the same run, is the same swarm against the raw grpc.aio echo server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulations.bench_fleet import pair
from simulations.simgateway import percentile
from simulations.stack import ENROL_TOKEN, Broker, EchoServer, FakeCloud

HEARTBEAT_S = 15.0  # edge_agent.config CloudSection.heartbeat_s
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
_REPLY_LIMIT = 1 << 26  # a report carries every latency of the window on one line


@dataclass(frozen=True)
class ScalePlan:
    """How big one fleet-scale run is."""

    gateways: int = 10_000
    store: str = "sqlite"
    workers: int = 2  # swarm processes: one per core
    # gRPC channels (each its own HTTP/2 connection) per worker; 0: one per gateway, as in
    # a real fleet, so the broker holds 10,000 connections at 10,000 gateways.
    connections: int = 0
    interval_s: float = HEARTBEAT_S
    warmup_s: float = HEARTBEAT_S  # every gateway has beaten once before the window
    window_s: float = 2 * HEARTBEAT_S
    fanout_timeout_s: float = 120.0
    enrol_concurrency: int = 32


class Worker:
    """One ``simulations.swarm`` child process and its control pipe."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, address: str, first: int, count: int, connections: int) -> Worker:
        """Start a swarm child for gateways ``first`` .. ``first + count - 1``."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulations.swarm", address, str(first), str(count),
            str(connections), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=_REPLY_LIMIT)
        return cls(proc)

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one control message and wait for its reply."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps({"op": op, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"swarm worker exited during {op!r} ({self.proc.returncode})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def close(self) -> None:
        """Stop it and wait for it to exit."""
        if self.proc.returncode is None:
            with contextlib.suppress(RuntimeError, BrokenPipeError, ConnectionResetError):
                await self.call("stop")
            await self.proc.wait()


async def _all(workers: list[Worker], op: str, **args: Any) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(w.call(op, **args) for w in workers)))


async def _window(target: Any, workers: list[Worker], plan: ScalePlan) -> dict[str, Any]:
    """Heartbeat latency and the server's CPU per heartbeat over one window."""
    meter = target.meter
    before = await _all(workers, "window")
    cpu0, wall0 = meter.cpu_s(), time.monotonic()
    await asyncio.sleep(plan.window_s)
    cpu, wall = meter.cpu_s() - cpu0, time.monotonic() - wall0
    reports = await _all(workers, "report")
    beats = [x for r in reports for x in r["latencies"]]
    client = sum(r["cpu_s"] - b["cpu_s"] for r, b in zip(reports, before, strict=True))
    return {"heartbeats_per_s": round(len(beats) / wall, 1),
            "p50_ms": percentile(beats, 0.5), "p99_ms": percentile(beats, 0.99),
            "server_cpu_percent": round(100 * cpu / wall, 1),
            "server_cpu_ms_per_heartbeat": round(1000 * cpu / max(1, len(beats)), 3),
            "client_cpu_percent": round(100 * client / wall, 1),
            "failed_calls": dict(sum((Counter(r["failures"]) for r in reports), Counter()))}


async def _fanout(target: Any, workers: list[Worker], plan: ScalePlan) -> dict[str, Any]:
    """One command to every gateway by tag; seconds until the last one acked it."""
    await _all(workers, "arm")
    started = time.monotonic()
    sent = await target.send_command("sim")
    queued = time.monotonic() - started
    replies = await _all(workers, "acks", timeout_s=plan.fanout_timeout_s)
    acks = sorted(t - started for r in replies for t in r["acked_at"])
    return {"gateways": sent, "acked": len(acks), "queue_s": round(queued, 2),
            "all_acked_s": round(acks[-1], 2) if len(acks) == plan.gateways else None,
            "median_ack_s": round(acks[len(acks) // 2], 2) if acks else None}


async def measure(target: Any, address: str, plan: ScalePlan) -> dict[str, Any]:
    """Every figure for one server: enrolment, heartbeats at the real interval, fan-out."""
    share = -(-plan.gateways // plan.workers)
    workers = [await Worker.start(address, i * share, min(share, plan.gateways - i * share),
                                  plan.connections or share) for i in range(plan.workers)]
    try:
        rss0 = target.meter.rss_mb()
        enrolled = await _all(workers, "enrol", token=ENROL_TOKEN,
                              concurrency=plan.enrol_concurrency)
        await _all(workers, "beat", interval_s=plan.interval_s)
        await asyncio.sleep(plan.warmup_s)
        heartbeat = await _window(target, workers, plan)
        rss1 = target.meter.rss_mb()
        fanout = await _fanout(target, workers, plan)
    finally:
        await asyncio.gather(*(w.close() for w in workers))
    enrol_s = max(r["enrol_s"] for r in enrolled)
    return {"enrol_per_s": round(plan.gateways / enrol_s, 1),
            "enrol_retries": sum(r["retries"] for r in enrolled),
            "rss_idle_mb": round(rss0, 1), "rss_fleet_mb": round(rss1, 1),
            "rss_per_gateway_kb": round((rss1 - rss0) * 1024 / plan.gateways, 2),
            "heartbeat": heartbeat, "command_fanout": fanout}


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema on the local PostgreSQL, dropped after."""
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def store_toml(store: str) -> Iterator[str]:
    """The ``[store]`` section for the broker: SQLite (the default) or a fresh schema."""
    if store == "sqlite":
        yield ""
        return
    with postgres_schema() as dsn:
        yield f'\n[store]\nkind = "postgres"\ndsn = "{dsn}"\n'


Measure = Callable[[Any, str], Coroutine[Any, Any, dict[str, Any]]]


def broker_then_echo(store: str, measure_one: Measure) -> tuple[dict[str, Any], dict[str, Any]]:
    """``measure_one(target, address)`` against the broker on ``store``, then against the raw
    gRPC echo, in one run: (broker's figures, echo's)."""
    with tempfile.TemporaryDirectory(prefix="nanogate-fleet-") as folder, \
            store_toml(store) as extra:
        cloud = FakeCloud(latency_ms=0).start()
        broker = Broker(Path(folder), cloud.url, extra_toml=extra)
        try:
            broker.start()
            ours = asyncio.run(measure_one(broker, f"127.0.0.1:{broker.grpc_port}"))
        finally:
            broker.stop()
            cloud.stop()
    echo = EchoServer().start()
    try:
        base = asyncio.run(measure_one(echo, f"127.0.0.1:{echo.port}"))
    finally:
        echo.stop()
    return ours, base


def run(plan: ScalePlan) -> dict[str, Any]:
    """Measure the broker under the fleet, then the raw gRPC echo, in one run."""
    ours, base = broker_then_echo(plan.store, lambda target, address: measure(target, address,
                                                                                plan))
    return {"gateways": plan.gateways, "store": plan.store,
            "heartbeat_interval_s": plan.interval_s, "window_s": plan.window_s,
            "client_workers": plan.workers,
            "grpc_connections": min(plan.gateways, plan.workers * plan.connections)
            if plan.connections else plan.gateways,
            "figures": pair(ours, base)}
