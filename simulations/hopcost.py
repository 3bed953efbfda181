"""What one hop from the event loop to a thread and back costs, and what a store write costs.

Not a benchmark of the product: a probe behind the numbers in docs/performance.md. Each case
runs N calls with C in flight on one asyncio loop and prints process CPU (all threads) and
wall time per call. Cases: a bare loop step, ``run_in_executor`` on an 8-thread pool,
``asyncio.to_thread``, one dedicated thread fed by a queue (``call_soon_threadsafe`` back), and
the ledger's write through ``Database`` (SQLAlchemy) inline and in a thread, beside the same
INSERT through the raw driver. ``--grpc`` starts a grpc.aio server on the loop first, as the
broker has one.

    python -m simulations.hopcost [--grpc] [--n 3000] [--c 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


class OneThread:
    """One worker thread fed by a queue; results come back by ``call_soon_threadsafe``."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, call = job
            try:
                result = call()
            except Exception as exc:
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

    async def run(self, call: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, call))
        return await future

    def close(self) -> None:
        self._jobs.put(None)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if not future.done():
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)


async def _measure(name: str, step: Callable[[], Awaitable[Any]], n: int,
                   c: int) -> dict[str, Any]:
    for _ in range(200):  # warm up
        await step()
    gate = asyncio.Semaphore(c)

    async def one() -> None:
        async with gate:
            await step()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"case": name, "cpu_us": round(1e6 * cpu / n, 1), "wall_us": round(1e6 * wall / n, 1)}


def _ledger_db(folder: Path) -> tuple[Any, Any]:
    from cloud_broker.fleet.database import sqlite_database
    from cloud_broker.fleet.schema import migrate
    from cloud_broker.routing.ledger import SqlUsageLedger, UsageRecord

    db = sqlite_database(folder / "fleet.sqlite")
    migrate(db)
    ledger = SqlUsageLedger(db)
    record = UsageRecord("k", "dev", "site", "cloud", "m", 10, 20, 0.001, 1.0, "ok")
    return db, (lambda: ledger.record(record))


def _raw_insert(folder: Path) -> Callable[[], None]:
    conn = sqlite3.connect(str(folder / "raw.sqlite"), check_same_thread=False,
                           isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE calls (ts REAL, key TEXT, cost REAL)")
    lock = threading.Lock()

    def insert() -> None:
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO calls VALUES (?, ?, ?)", (time.time(), "k", 0.001))
            conn.execute("COMMIT")
    return insert


async def main(n: int, c: int, with_grpc: bool) -> list[dict[str, Any]]:
    server = None
    if with_grpc:
        import grpc

        server = grpc.aio.server()
        server.add_insecure_port("127.0.0.1:0")
        await server.start()
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(8)
    one = OneThread()

    def noop() -> None:
        return None

    results = [
        await _measure("loop step (sleep 0)", lambda: asyncio.sleep(0), n, c),
        await _measure("run_in_executor, 8 threads", lambda: loop.run_in_executor(pool, noop),
                       n, c),
        await _measure("asyncio.to_thread", lambda: asyncio.to_thread(noop), n, c),
        await _measure("one thread + queue", lambda: one.run(noop), n, c),
    ]
    with tempfile.TemporaryDirectory() as folder:
        db, write = _ledger_db(Path(folder))
        raw = _raw_insert(Path(folder))

        async def inline_write() -> None:
            write()

        async def inline_raw() -> None:
            raw()
        results += [
            await _measure("ledger write inline (SQLAlchemy)", inline_write, n, c),
            await _measure("ledger write, run_in_executor", lambda: loop.run_in_executor(
                pool, write), n, c),
            await _measure("ledger write, one thread", lambda: one.run(write), n, c),
            await _measure("raw sqlite3 INSERT inline", inline_raw, n, c),
        ]
        db.close()
    one.close()
    pool.shutdown()
    if server is not None:
        await server.stop(None)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--c", type=int, default=4)
    parser.add_argument("--grpc", action="store_true")
    args = parser.parse_args()
    out = asyncio.run(main(args.n, args.c, args.grpc))
    sys.stdout.write("\n".join(json.dumps(r) for r in out) + "\n")
