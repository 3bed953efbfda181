"""The data layer's statement path: statements on the driver's cursor keep SQLAlchemy's errors
and its handling of a connection the server dropped."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.postgres import postgres_database
from cloud_broker.fleet.store import SqliteFleetStore


def test_a_failed_statement_raises_sqlalchemys_error_and_leaves_the_store_working(
        store: SqlFleetStore) -> None:
    """A duplicate key is ``sqlalchemy.exc.IntegrityError`` (the driver's error inside), on a
    plain call and on the store's own thread; the next statements run as before."""
    db = store.db
    db.execute("CREATE TABLE probe (k TEXT PRIMARY KEY)")
    db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
    with pytest.raises(sa.exc.IntegrityError) as caught:
        db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
    assert caught.value.orig is not None

    async def on_its_thread() -> list[dict[str, object]]:
        with pytest.raises(sa.exc.IntegrityError):
            await db.run(db.execute, "INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
        await db.run(db.execute, "INSERT INTO probe (k) VALUES (:k)", {"k": "b"})
        return await db.run(db.all, "SELECT k FROM probe ORDER BY k")

    assert asyncio.run(on_its_thread()) == [{"k": "a"}, {"k": "b"}]


def test_a_connection_the_server_dropped_is_replaced(pg_dsn: str) -> None:
    """PostgreSQL ends a pooled connection: the statement that finds it fails, the next runs on
    a fresh connection."""
    db, admin = postgres_database(pg_dsn), postgres_database(pg_dsn)
    pid = db.one("SELECT pg_backend_pid() AS pid")
    assert pid is not None
    admin.execute("SELECT pg_terminate_backend(:pid)", {"pid": pid["pid"]})
    with pytest.raises(sa.exc.OperationalError) as caught:
        db.one("SELECT 1 AS one")
    assert caught.value.connection_invalidated
    assert db.one("SELECT 1 AS one") == {"one": 1}
    db.close()
    admin.close()


def test_a_sqlite_store_nobody_closed_gives_back_its_thread_and_files(tmp_path: Path) -> None:
    """A store dropped without ``close`` ends its database thread and closes its files once it
    is garbage (a long process, such as a test run, would otherwise run out of descriptors)."""
    def files_open_here() -> list[str]:
        names = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
                names.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [n for n in names if n.startswith(str(tmp_path))]

    async def use(store: SqliteFleetStore) -> None:
        await store.db.run(store.db.one, "SELECT 1 AS x")

    earlier = set(threading.enumerate())  # other tests' threads are not this test's business
    threads: list[threading.Thread] = []
    for i in range(5):
        store = SqliteFleetStore(tmp_path / f"fleet-{i}.db")
        asyncio.run(use(store))
        threads += [t for t in threading.enumerate()
                    if t.name == "fleet.db" and t not in earlier and t not in threads]
        del store
    assert len(threads) == 5
    gc.collect()
    for thread in threads:
        thread.join(10)
    assert [t for t in threads if t.is_alive()] == []
    # The last store's thread may end after that collection: its connection, dropped with the
    # thread's locals, is garbage only then (in a cycle of SQLAlchemy's, so for the collector).
    gc.collect()
    assert files_open_here() == []


@pytest.mark.parametrize("fails", [False, True], ids=["commits", "rolls-back"])
def test_a_statement_through_sqlalchemy_joins_the_one_threads_transaction(
        tmp_path: Path, fails: bool) -> None:
    """On SQLite's one thread a transaction begins on the driver; a statement SQLAlchemy runs
    inside it (a list parameter) joins it, and everything commits or rolls back together."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    db = store.db
    db.execute("CREATE TABLE probe (k TEXT PRIMARY KEY)")

    def write() -> list[str]:
        with db.transaction():
            db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "a"})
            seen = [r["k"] for r in db.all("SELECT k FROM probe WHERE k IN :ks",
                                             {"ks": ["a", "b"]}, expanding=("ks",))]
            db.execute("INSERT INTO probe (k) VALUES (:k)", {"k": "b"})
            if fails:
                raise ValueError("refused")
            return seen

    async def run() -> list[str]:
        return await db.run(write)

    if fails:
        with pytest.raises(ValueError, match="refused"):
            asyncio.run(run())
    else:
        assert asyncio.run(run()) == ["a"]
    async def after() -> int:  # the one thread's connection is usable after either
        return await db.run(db.execute, "INSERT INTO probe (k) VALUES (:k)", {"k": "c"})

    assert asyncio.run(after()) == 1
    assert [r["k"] for r in db.all("SELECT k FROM probe ORDER BY k")] == (
        ["c"] if fails else ["a", "b", "c"])
    store.close()
