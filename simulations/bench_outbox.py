"""Outbox figures: durable enqueue, drain over gRPC, and time from link-up to first replay.

Baselines in the same run: raw ``sqlite3`` inserts with the same pragmas, and a raw gRPC
unary call loop on the same loopback.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

from cloud_broker.escalation import Answer, Escalation
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from edge_agent.config import CloudSection, GatewaySection
from edge_agent.outbox import _SCHEMA as SCHEMA
from edge_agent.outbox import NewItem, Outbox, OutboxItem
from edge_agent.sync import GrpcTransport, Link
from nanogate.v1 import edge_pb2 as pb
from simulations.harness import free_port

DOC = {"sensor": "t-104", "count": 60, "min": 20.1, "max": 22.3, "mean": 21.2, "last": 21.4}
N_SINGLE = 300
N_BATCHED = 20_000
BATCH = 500
N_DRAIN = 20_000
LINKUP_RUNS = 15


def _raw_sqlite(path: Path, n: int, batch: int) -> float:
    """The same work by hand: same schema and pragmas, JSON documents, unique keys."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    started = time.perf_counter()
    for start in range(0, n, batch):
        now = time.time()
        rows = []
        for _ in range(min(batch, n - start)):
            payload = json.dumps(DOC)
            rows.append((uuid.uuid4().hex, "rollup", "t-104", 3, payload, len(payload), now))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO items (key, kind, stream, priority, payload, size, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


def _prebuilt_floor(path: Path, n: int, batch: int) -> float:
    """Inserting rows that are already built: SQLite's own ceiling with these pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    payload = json.dumps(DOC)
    rows = [(f"{i:016x}", "rollup", "t-104", 3, payload, len(payload), 0.0) for i in range(n)]
    started = time.perf_counter()
    for start in range(0, n, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO items (key, kind, stream, priority, payload, size, created) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows[start:start + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


def _outbox_rate(path: Path, n: int, batch: int) -> float:
    box = Outbox(path, max_items=10**7, max_bytes=10**10)
    doc = DOC
    started = time.perf_counter()
    for start in range(0, n, batch):
        size = min(batch, n - start)
        if batch == 1:
            box.put(NewItem("rollup", "t-104", doc))
        else:
            box.put_many([NewItem("rollup", "t-104", doc) for _ in range(size)])
    elapsed = time.perf_counter() - started
    box.close()
    return n / elapsed


def enqueue(tmp: Path) -> dict[str, Any]:
    """Durable enqueue rates beside raw sqlite3 with the same pragmas."""
    single = _outbox_rate(tmp / "single.db", N_SINGLE, 1)
    raw_single = _raw_sqlite(tmp / "raw-single.db", N_SINGLE, 1)
    batched = _outbox_rate(tmp / "batched.db", N_BATCHED, BATCH)
    raw_batched = _raw_sqlite(tmp / "raw-batched.db", N_BATCHED, BATCH)
    return {
        "single_items_per_s": round(single), "baseline_raw_sqlite_single": round(raw_single),
        "batched_items_per_s": round(batched), "baseline_raw_sqlite_batched": round(raw_batched),
        "batched_ratio_to_raw": round(batched / raw_batched, 3), "target_ratio": 0.8,
        "floor_prebuilt_rows_batched": round(_prebuilt_floor(tmp / "floor.db", N_BATCHED, BATCH)),
    }


class _Instant:
    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        return Answer(text="ok", backend="bench", model="bench")


def _link(tmp: Path, port: int, box: Outbox) -> Link:
    async def on_answer(item: OutboxItem, response: pb.EscalateResponse) -> None:
        return None

    async def on_command(command: pb.Command) -> tuple[bool, dict[str, object]]:
        return True, {}

    return Link(GrpcTransport(f"127.0.0.1:{port}"), box,
                CloudSection(address=f"127.0.0.1:{port}", enrol_token="bench", heartbeat_s=3600),
                GatewaySection(id="gw-bench", site="bench", data_dir=tmp), on_answer=on_answer,
                on_command=on_command, health=lambda: pb.HeartbeatRequest(), batch_size=BATCH)


ENROL_S = 30.0


async def _drain(tmp: Path) -> dict[str, Any]:
    store = SqliteFleetStore(tmp / "fleet.db")
    store.create_enrol_token(site="bench", tags=[], token="bench", reusable=True)
    server, port = await start_grpc(EdgeLinkService(store, _Instant()), "127.0.0.1:0")
    box = Outbox(tmp / "drain.db", max_items=10**7, max_bytes=10**10)
    doc = {"sensor": "t-104", "count": 60, "mean": 21.2}
    box.put_many([NewItem("rollup", f"s{i % 50}", doc) for i in range(N_DRAIN)])
    link = _link(tmp, port, box)
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.enrolled.wait(), ENROL_S)  # a refused enrolment: fail, not hang
    started = time.perf_counter()
    while link.drained < N_DRAIN:
        await link.drain_once()
    drain_rate = N_DRAIN / (time.perf_counter() - started)
    task.cancel()
    raw = await _raw_grpc_loop()
    await server.stop(None)
    return {"drain_items_per_s": round(drain_rate), "batch_size": BATCH,
            "baseline_raw_grpc_calls_per_s": round(raw), "target_items_per_s": 5000}


async def _raw_grpc_loop(n: int = 3000) -> float:
    """Unary echo calls on a bare grpc.aio server: the transport's own ceiling per call."""
    async def echo(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return request

    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary("/bench.Echo/Echo")
        started = time.perf_counter()
        for _ in range(n):
            await call(b"x" * 100)
        rate = n / (time.perf_counter() - started)
    await server.stop(None)
    return rate


async def _linkup(tmp: Path) -> dict[str, Any]:
    """Seconds from the broker accepting connections to the first replayed item."""
    delays = []
    for run in range(LINKUP_RUNS):
        port = free_port()
        store = SqliteFleetStore(tmp / f"fleet-{run}.db")
        store.create_enrol_token(site="bench", tags=[], token="bench", reusable=True)
        server, _ = await start_grpc(EdgeLinkService(store, _Instant()), f"127.0.0.1:{port}")
        box = Outbox(tmp / f"up-{run}.db", max_items=1000, max_bytes=10**8)
        link = _link(tmp / f"gw-{run}", port, box)
        task = asyncio.create_task(link.run())
        await asyncio.wait_for(link.enrolled.wait(), ENROL_S)
        await server.stop(None)  # the link goes down...
        box.put(NewItem("rollup", "s", {"n": run}))
        await asyncio.sleep(1.0 + run % 3)  # ...and stays down a while, probing
        server, _ = await start_grpc(EdgeLinkService(store, _Instant()), f"127.0.0.1:{port}")
        back = time.perf_counter()
        while link.drained == 0:  # noqa: ASYNC110 (a 2 ms poll is the measuring resolution)
            await asyncio.sleep(0.002)
        delays.append(time.perf_counter() - back)
        task.cancel()
        await server.stop(None)
    delays.sort()
    return {"linkup_to_first_replay_s": {
        "p50": round(statistics.median(delays), 3),
        "p99": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 3),
        "max": round(max(delays), 3), "runs": len(delays)}, "target_p99_s": 2.0}


def run() -> dict[str, Any]:
    """All outbox figures."""
    with tempfile.TemporaryDirectory(prefix="nanogate-bench-") as name:
        tmp = Path(name)
        figures = {"enqueue": enqueue(tmp)}
        figures["drain"] = asyncio.run(_drain(tmp))
        figures["reconnect"] = asyncio.run(_linkup(tmp))
    return figures
