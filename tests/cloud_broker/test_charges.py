"""An escalation's ledger rows commit with the claim's finish, in one trip; none is lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.fleet.claims import Replica
from cloud_broker.journal import Journal, JournalingAnswerer
from cloud_broker.link.core import LinkCore
from cloud_broker.routing.charges import Charges
from cloud_broker.routing.ledger import SqlUsageLedger, UsageRecord
from cloud_broker.routing.policy import RoutingPolicy
from cloud_broker.routing.router import Router
from nanogate.v1 import edge_pb2 as pb
from tests.support.fake_openai import FakeOpenAI

ROW = UsageRecord("k", "gw-1", "s", "cloud", "m", 1, 2, 0.0, 1.0, "ok")


class _BrokenFinishStore(SqliteFleetStore):
    """The SQLite fleet store whose first finish of a claim fails (a database error)."""

    failed = False

    def finish_escalation(self, key: str, response: bytes, outcome: str) -> None:
        if not self.failed:
            self.failed = True
            raise OSError("disk I/O error")
        super().finish_escalation(key, response, outcome)


class _Rows:
    """A ledger that keeps its rows in a list."""

    def __init__(self) -> None:
        self.rows: list[UsageRecord] = []

    def record(self, record: UsageRecord) -> None:
        self.rows.append(record)


def _escalate(core: LinkCore, store: SqliteFleetStore, key: str) -> pb.EscalateResponse:
    gateway = store.gateway("gw-1")
    assert gateway is not None
    return asyncio.run(core.escalate(gateway, pb.EscalateRequest(idempotency_key=key, text="q?"),
                                     deadline=time.monotonic() + 10))


class _FullJournal(Journal):
    """A journal whose disk is full."""

    def record_escalation(self, *args: object, **kwargs: object) -> None:
        raise OSError("database or disk is full")


def _core(store: SqliteFleetStore, model: FakeOpenAI,
          journal: Journal | None = None) -> tuple[LinkCore, SqlUsageLedger]:
    store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "s")
    ledger = SqlUsageLedger(store.db)
    router = Router([model.backend("cloud", price_in=1.0)], ledger, RoutingPolicy(retries=0))
    answerer = JournalingAnswerer(router, journal) if journal is not None else router
    return LinkCore(store, answerer, replica=Replica("node", "1")), ledger


def test_an_escalation_is_charged_once_with_its_stored_answer(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """The answered escalation is in the ledger and stored done; its replay costs nothing."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    core, ledger = _core(store, endpoints[0])
    first = _escalate(core, store, "k1")
    record = store.escalation("gw-1/k1")
    assert record is not None and record.state == "done"
    assert ledger.spend(since=0.0).tokens == 51 == first.usage.input_tokens + 9
    assert _escalate(core, store, "k1").replayed
    assert ledger.spend(since=0.0).tokens == 51 and len(endpoints[0].requests) == 1
    store.close()


def test_a_charge_survives_an_answer_that_could_not_be_stored(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """The claim's finish fails: the call fails, but the model was paid, so its charge stays."""
    store = _BrokenFinishStore(tmp_path / "fleet.db")
    core, ledger = _core(store, endpoints[0])
    with pytest.raises(OSError, match="disk I/O"):
        _escalate(core, store, "k1")
    assert ledger.spend(since=0.0).tokens == 51
    store.close()


def test_the_journal_entry_is_written_with_the_final_writes(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """The operator's journal holds the escalation once the link has answered it (written
    after the answer's commit, on the database's thread, which the answer does not wait for)."""
    store, journal = SqliteFleetStore(tmp_path / "fleet.db"), Journal(tmp_path / "j.sqlite")
    core, _ = _core(store, endpoints[0], journal)
    assert _escalate(core, store, "k1").answer
    asyncio.run(store.db.run(int))  # the database's thread has run what was handed to it
    (entry,) = journal.escalations()
    assert (entry.key, entry.backend, entry.outcome) == ("k1", "cloud", "ok")
    store.close()
    journal.close()


def test_a_journal_that_cannot_write_leaves_the_answer_stored_and_charged_once(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """A full journal is logged, not raised: the answer stands, its replay costs nothing."""
    store, journal = SqliteFleetStore(tmp_path / "fleet.db"), _FullJournal(":memory:")
    core, ledger = _core(store, endpoints[0], journal)
    assert _escalate(core, store, "k1").answer
    assert _escalate(core, store, "k1").replayed
    assert ledger.spend(since=0.0).tokens == 51 and len(endpoints[0].requests) == 1
    store.close()


def test_a_row_after_the_owner_took_them_is_not_held() -> None:
    """Rows go to the open ``Charges`` until its owner closes it; later ones are refused (the
    router then writes them itself), and a task without one holds nothing."""
    ledger = _Rows()

    async def work() -> tuple[Charges, list[bool]]:
        charges = Charges.open()
        held = [Charges.defer(ledger, ROW)]
        held.append(await asyncio.create_task(_defer_in_a_task(ledger)))  # inherits it
        charges.close()
        held.append(Charges.defer(ledger, ROW))
        return charges, held

    charges, held = asyncio.run(work())
    assert held == [True, True, False]
    assert not Charges.defer(ledger, ROW)  # outside the work: nothing open
    charges.commit()
    assert ledger.rows == [ROW, ROW]


async def _defer_in_a_task(ledger: _Rows) -> bool:
    return Charges.defer(ledger, ROW)
