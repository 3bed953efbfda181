"""SQLite writes on the event loop only when they cannot wait: with the database's lock held by
another process, or a checkpoint's aftermath due, the write goes to the database's thread and
the loop stays free; an escalation is answered and charged once either way."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.fleet.claims import Replica
from cloud_broker.fleet.loopwrites import CHECKPOINT_FRAMES, WouldWait
from cloud_broker.journal import Journal, JournalingAnswerer
from cloud_broker.link.core import LinkCore
from cloud_broker.routing.ledger import SqlUsageLedger
from cloud_broker.routing.policy import RoutingPolicy
from cloud_broker.routing.router import Router
from nanogate.v1 import edge_pb2 as pb
from tests.support.fake_openai import FakeOpenAI

# The lock's holder gives up after this: a write that waited for the lock would then go
# through instead of being refused. Below the store's own busy timeout (10 s), so a write
# waiting as the database's thread does is caught too.
HOLD_LIMIT_S = 5.0


def _scratch(tmp_path: Path) -> SqliteFleetStore:
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.db.execute("CREATE TABLE scratch (k TEXT PRIMARY KEY, v TEXT)")
    return store


def _insert(store: SqliteFleetStore, k: str, v: str = "") -> int:
    return store.db.execute("INSERT INTO scratch (k, v) VALUES (:k, :v)", {"k": k, "v": v})


def _keys(store: SqliteFleetStore) -> list[str]:
    return [r["k"] for r in store.db.all("SELECT k FROM scratch ORDER BY k")]


def _core(store: SqliteFleetStore, model: FakeOpenAI, journal: Journal | None = None) -> LinkCore:
    store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "s")
    router = Router([model.backend("cloud", price_in=1.0)], SqlUsageLedger(store.db),
                    RoutingPolicy(retries=0))
    answerer = JournalingAnswerer(router, journal) if journal is not None else router
    return LinkCore(store, answerer, replica=Replica("node", "1"))


def _escalate(core: LinkCore, store: SqliteFleetStore, key: str) -> pb.EscalateResponse:
    gateway = store.gateway("gw-1")
    assert gateway is not None
    return asyncio.run(core.escalate(gateway, pb.EscalateRequest(idempotency_key=key, text="q?"),
                                     deadline=time.monotonic() + 30))


def test_a_write_with_the_lock_held_elsewhere_runs_nothing_here(tmp_path: Path) -> None:
    """Another process (here another connection, as the sqlite3 CLI) holds the write lock: the
    write is refused at once, having run nothing, rather than waiting for the lock (a wait
    would outlast the holder, and the write would then go through); once free, it runs here."""
    store = _scratch(tmp_path)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        other = sqlite3.connect(tmp_path / "fleet.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(HOLD_LIMIT_S)
        other.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    ran: list[str] = []

    def write() -> int:
        ran.append("a")
        return _insert(store, "a")

    try:
        assert held.wait(HOLD_LIMIT_S)
        with pytest.raises(WouldWait):
            store.db.write_now(write)
    finally:
        release.set()
        holder.join()
    assert ran == [] and _keys(store) == []
    assert store.db.write_now(write) == 1
    assert ran == ["a"] and _keys(store) == ["a"]
    store.close()


def test_a_write_that_raises_here_is_rolled_back(tmp_path: Path) -> None:
    """A write run on the loop that raises leaves nothing behind; its caller hears why."""
    store = _scratch(tmp_path)

    def write() -> None:
        _insert(store, "a")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        store.db.write_now(write)
    assert store.db.write_now(lambda: _insert(store, "b")) == 1
    assert _keys(store) == ["b"]
    store.close()


def test_the_write_after_a_checkpoint_and_past_a_long_wal_go_to_the_thread(
        tmp_path: Path) -> None:
    """The commit that would start the WAL again (and sync its header), and any once the WAL
    is due a checkpoint, are refused here; a write on the database's thread then clears the
    way, and every row is stored."""
    store = _scratch(tmp_path)
    assert store.db.write_now(lambda: _insert(store, "a")) == 1
    other = sqlite3.connect(tmp_path / "fleet.db", isolation_level=None)
    other.execute("PRAGMA wal_checkpoint(PASSIVE)")  # complete: the next commit restarts it
    with pytest.raises(WouldWait):
        store.db.write_now(lambda: _insert(store, "b"))
    asyncio.run(store.db.run(_insert, store, "b"))
    assert store.db.write_now(lambda: _insert(store, "c")) == 1
    page = "x" * 4000  # about a page a row: the WAL grows past a checkpoint's length
    written, refused = 0, 0
    while refused == 0 and written < 2 * CHECKPOINT_FRAMES:
        try:
            store.db.write_now(functools.partial(_insert, store, f"d{written:05d}", page))
            written += 1
        except WouldWait:
            refused += 1
    assert refused == 1 and written < 2 * CHECKPOINT_FRAMES
    asyncio.run(store.db.run(_insert, store, "e"))  # checkpoints after its commit
    asyncio.run(store.db.run(_insert, store, "f"))  # starts the WAL again
    assert store.db.write_now(lambda: _insert(store, "g")) == 1
    assert len(_keys(store)) == 6 + written
    other.close()
    store.close()


def test_an_escalation_while_another_process_holds_the_lock_is_answered_and_charged_once(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """The claim cannot be written while another process holds the database's lock: it waits
    on the database's thread, the loop runs on meanwhile, and once the lock is free the
    escalation is answered, stored and charged once; its replay costs nothing."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    core = _core(store, endpoints[0])
    ledger = SqlUsageLedger(store.db)
    gateway = store.gateway("gw-1")
    assert gateway is not None
    other = sqlite3.connect(tmp_path / "fleet.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    def ask() -> pb.EscalateRequest:
        return pb.EscalateRequest(idempotency_key="k1", text="q?")

    async def scenario() -> tuple[bool, pb.EscalateResponse]:
        call = asyncio.create_task(core.escalate(gateway, ask(),
                                                 deadline=time.monotonic() + 30))
        await asyncio.sleep(0)  # one turn of the loop: the escalation starts
        running_beside = not call.done()  # the loop came back here while the claim waits
        other.execute("ROLLBACK")
        return running_beside, await call

    try:
        running_beside, answered = asyncio.run(scenario())
    finally:
        other.close()
    assert running_beside and answered.answer == "The kitchen is at 21 degrees."
    record = store.escalation("gw-1/k1")
    assert record is not None and record.state == "done"
    replayed = asyncio.run(core.escalate(gateway, ask(), deadline=time.monotonic() + 30))
    assert replayed.replayed and replayed.answer == answered.answer
    assert ledger.spend(since=0.0).tokens == 51 and len(endpoints[0].requests) == 1
    store.close()


def test_an_escalation_is_answered_while_the_journal_is_locked_and_journaled_after(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """Another process holds the operator journal's lock: the answer does not wait for it, and
    the journal entry is written once the lock is free (on the database's thread)."""
    store, journal = SqliteFleetStore(tmp_path / "fleet.db"), Journal(tmp_path / "j.sqlite")
    core = _core(store, endpoints[0], journal)
    other = sqlite3.connect(tmp_path / "j.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        answered = _escalate(core, store, "k1")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert answered.answer == "The kitchen is at 21 degrees."
    asyncio.run(store.db.run(int))  # the database's thread has run what was handed to it
    (entry,) = journal.escalations()
    assert (entry.key, entry.outcome) == ("k1", "ok")
    store.close()
    journal.close()
