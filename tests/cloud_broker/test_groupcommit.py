"""Writes from the event loop committed together: each still succeeds or fails on its own."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import pytest

from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.database import Database
from cloud_broker.fleet.groupcommit import GroupCommit
from cloud_broker.fleet.loopwrites import WouldWait

T = TypeVar("T")


class _Trips:
    """The store's database, counting the trips to its threads; it never writes on the event
    loop, so every write takes the trip (as on PostgreSQL, or with SQLite's lock held)."""

    def __init__(self, db: Database) -> None:
        self.db, self.trips = db, 0

    def write_now(self, call: Callable[[], T]) -> T:
        raise WouldWait("this test's writes go to the thread")

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        self.trips += 1
        return await self.db.run(call, *args)

    def transaction(self) -> AbstractContextManager[Any]:
        return self.db.transaction()

    def savepoint(self) -> AbstractContextManager[None]:
        return self.db.savepoint()


@pytest.fixture
def trips(store: SqlFleetStore) -> Iterator[_Trips]:
    """A scratch table in the store's database, and its database counting trips."""
    store.db.execute("CREATE TABLE scratch (k TEXT PRIMARY KEY, v INTEGER)")
    yield _Trips(store.db)


def _insert(db: Database, k: str, v: int, fail: bool = False) -> int:
    db.execute("INSERT INTO scratch (k, v) VALUES (:k, :v)", {"k": k, "v": v})
    if fail:
        raise ValueError(f"{k} refused")
    return v * 10


def _keys(db: Database) -> list[str]:
    return [r["k"] for r in db.all("SELECT k FROM scratch ORDER BY k")]


def test_writes_at_once_share_a_trip_and_each_hears_its_own_result(trips: _Trips) -> None:
    """Thirty writes queued together: fewer trips than writes, every row stored, and each
    caller gets what its own call returned."""
    writes = GroupCommit(trips)  # type: ignore[arg-type]

    async def run() -> list[int]:
        insert = functools.partial(_insert, trips.db)
        return await asyncio.gather(*(writes.write(functools.partial(insert, f"k{i:02d}", i))
                                      for i in range(30)))

    assert asyncio.run(run()) == [i * 10 for i in range(30)]
    assert trips.trips < 30
    assert _keys(trips.db) == [f"k{i:02d}" for i in range(30)]


def test_a_failing_write_fails_alone_and_the_others_commit(trips: _Trips) -> None:
    """In a shared transaction, the write that raises is rolled back and its caller hears its
    error; the others' rows are stored, and only theirs get their ``after``."""
    writes, after = GroupCommit(trips), list[str]()  # type: ignore[arg-type]

    async def one(k: str, fail: bool) -> int:
        return await writes.write(lambda: _insert(trips.db, k, 1, fail), lambda: after.append(k))

    async def run() -> list[int | BaseException]:
        return list(await asyncio.gather(one("a", False), one("b", True), one("c", False),
                                         return_exceptions=True))

    outcomes = asyncio.run(run())
    assert outcomes[0] == outcomes[2] == 10
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "b refused"
    assert trips.trips == 1
    assert _keys(trips.db) == ["a", "c"] and sorted(after) == ["a", "c"]


def test_a_lone_failing_write_commits_nothing(trips: _Trips) -> None:
    """Alone, a write that raises rolls its transaction back and its caller hears why; the
    next write goes on."""
    writes = GroupCommit(trips)  # type: ignore[arg-type]

    async def run() -> int:
        with pytest.raises(ValueError, match="x refused"):
            await writes.write(lambda: _insert(trips.db, "x", 1, fail=True))
        return await writes.write(lambda: _insert(trips.db, "y", 2))

    assert asyncio.run(run()) == 20
    assert _keys(trips.db) == ["y"]


def test_a_savepoint_needs_a_transaction(store: SqlFleetStore) -> None:
    """Outside a transaction there is nothing to roll back to: a programming error."""
    with pytest.raises(RuntimeError, match="needs a transaction"), store.db.savepoint():
        pass


def test_a_write_whose_caller_is_cancelled_is_still_committed(trips: _Trips) -> None:
    """A caller that hangs up while its write waits hears CancelledError; the write is
    committed all the same, with its ``after``, and the next write goes on as usual."""
    writes, after = GroupCommit(trips), list[str]()  # type: ignore[arg-type]

    async def run() -> int:
        caller = asyncio.create_task(writes.write(lambda: _insert(trips.db, "a", 1),
                                                  lambda: after.append("a")))
        await asyncio.sleep(0)  # the write is queued
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        return await writes.write(lambda: _insert(trips.db, "b", 2))

    assert asyncio.run(run()) == 20
    assert _keys(trips.db) == ["a", "b"] and after == ["a"]
