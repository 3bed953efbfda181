"""Escalation claims are leases: held until they run out, then taken over; never forever."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from cloud_broker.errors import RetryLater
from cloud_broker.escalation import Answer, Escalation
from cloud_broker.fleet import SqlFleetStore, SqliteFleetStore
from cloud_broker.fleet.claims import Replica
from cloud_broker.fleet.postgres import PostgresFleetStore
from cloud_broker.link.core import LinkCore
from nanogate.v1 import edge_pb2 as pb
from tests.support.fleet import Clock


def test_live_claim_is_not_taken_over(store: SqlFleetStore) -> None:
    """While its lease runs, a claim stays with its holder; others see it pending."""
    first = store.lease_escalation("gw-1/k", "gw-1", owner="a#1", lease_s=30)
    second = store.lease_escalation("gw-1/k", "gw-1", owner="b#1", lease_s=30)
    assert (first.held, first.attempt) == (True, 1)
    assert not second.held and second.record is not None
    assert (second.record.state, second.record.owner) == ("pending", "a#1")


def test_expired_claim_is_taken_over_and_counted(store: SqlFleetStore, clock: Clock) -> None:
    """Past its lease, the next attempt takes the claim over as attempt 2."""
    store.lease_escalation("gw-1/k", "gw-1", owner="a#1", lease_s=30)
    clock.advance(31)
    taken = store.lease_escalation("gw-1/k", "gw-1", owner="b#1", lease_s=30)
    assert (taken.held, taken.attempt) == (True, 2)
    record = store.escalation("gw-1/k")
    assert record is not None and (record.owner, record.attempts) == ("b#1", 2)


def test_renewal_keeps_a_claim_past_its_first_lease(store: SqlFleetStore, clock: Clock) -> None:
    """A holder that renews keeps its claim; a stranger cannot renew it."""
    store.lease_escalation("gw-1/k", "gw-1", owner="a#1", lease_s=10)
    clock.advance(8)
    assert store.renew_escalation("gw-1/k", "a#1", 10)
    assert not store.renew_escalation("gw-1/k", "b#1", 10)
    clock.advance(8)
    assert not store.lease_escalation("gw-1/k", "gw-1", owner="b#1", lease_s=10).held


def test_finished_claim_is_never_taken_over(store: SqlFleetStore, clock: Clock) -> None:
    """An answered key is replayed from the store, however old."""
    store.lease_escalation("gw-1/k", "gw-1", owner="a#1", lease_s=1)
    store.finish_escalation("gw-1/k", b"answer", "ok")
    clock.advance(3600)
    replay = store.lease_escalation("gw-1/k", "gw-1", owner="b#1", lease_s=1)
    assert not replay.held and replay.record is not None
    assert (replay.record.state, replay.record.response) == ("done", b"answer")


def test_restart_releases_only_its_own_earlier_claims(store: SqlFleetStore) -> None:
    """A new incarnation frees what its name held before; other replicas keep theirs."""
    store.lease_escalation("gw-1/a", "gw-1", owner="node_1#old", lease_s=60)
    store.lease_escalation("gw-1/b", "gw-1", owner="node-2#x", lease_s=60)
    store.lease_escalation("gw-1/c", "gw-1", owner="nodeX1#x", lease_s=60)  # "_" is literal
    assert store.release_claims("node_1", "node_1#new") == 1
    assert store.lease_escalation("gw-1/a", "gw-1", owner="node_1#new", lease_s=60).held
    assert not store.lease_escalation("gw-1/b", "gw-1", owner="node_1#new", lease_s=60).held
    assert not store.lease_escalation("gw-1/c", "gw-1", owner="node_1#new", lease_s=60).held


class _Router:
    """Our Answerer Protocol: answers at once and remembers the keys it was asked."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        self.keys.append(esc.key)
        return Answer(text=f"answer {len(self.keys)}", backend="fake", model="fake")


def _wall_store(kind: str, tmp_path: Path, dsn: str) -> SqlFleetStore:
    return PostgresFleetStore(dsn) if kind == "postgres" else SqliteFleetStore(
        tmp_path / "fleet.db")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_replay_waits_for_a_dead_holder_only_until_its_lease_ends(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A claim held by a dead replica is taken over when its lease ends; the ledger sees a retry."""
    dsn = request.getfixturevalue("pg_dsn") if kind == "postgres" else ""
    dead, alive = _wall_store(kind, tmp_path, dsn), _wall_store(kind, tmp_path, dsn)
    gateway = dead.enrol(dead.create_enrol_token(site="s", tags=[]), "gw-1", "s")[0]
    dead.lease_escalation("gw-1/k", "gw-1", owner="dead#1", lease_s=1.0)
    router = _Router()
    core = LinkCore(alive, router, replica=Replica("alive", "1"))
    request_ = pb.EscalateRequest(idempotency_key="k", text="why?")
    started = time.time()
    reply = asyncio.run(core.escalate(gateway, request_, deadline=time.monotonic() + 20))
    assert reply.answer == "answer 1"
    assert router.keys == ["k#retry-2"]
    assert time.time() - started < 20  # bounded by the lease, not by the request's deadline
    again = asyncio.run(core.escalate(gateway, request_, deadline=time.monotonic() + 5))
    assert again.replayed and router.keys == ["k#retry-2"]
    dead.close()
    alive.close()


def test_replay_gives_up_at_its_own_deadline(tmp_path: Path) -> None:
    """A replay whose deadline comes before the lease ends is told to retry, not held."""
    holder = SqliteFleetStore(tmp_path / "fleet.db")
    gateway = holder.enrol(holder.create_enrol_token(site="s", tags=[]), "gw-1", "s")[0]
    holder.lease_escalation("gw-1/k", "gw-1", owner="busy#1", lease_s=600)
    core = LinkCore(holder, _Router(), replica=Replica("other", "1"))
    with pytest.raises(RetryLater):
        asyncio.run(core.escalate(gateway, pb.EscalateRequest(idempotency_key="k", text="q"),
                                  deadline=time.monotonic() + 0.3))
    holder.close()


class _WatchedStore(SqliteFleetStore):
    """The SQLite fleet store, telling when a claim is renewed (from the store's threads)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.renewed = threading.Event()

    def renew_escalation(self, key: str, owner: str, lease_s: float) -> bool:
        held = super().renew_escalation(key, owner, lease_s)
        if held:
            self.renewed.set()
        return held


class _SlowRouter:
    """Answers only once its claim has been renewed."""

    def __init__(self, store: _WatchedStore) -> None:
        self.store = store

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        assert await asyncio.to_thread(self.store.renewed.wait, 10)  # a renewal that held
        # The lease runs a few seconds past the gateway's deadline (not further, however often
        # it is renewed), and the claim is still this replica's and unanswered.
        now = self.store.escalation("gw-1/k")
        assert now is not None and now.state == "pending" and now.owner == "node#1"
        assert (now.lease_until or 0) > time.time()
        return Answer(text="slow answer", backend="fake", model="fake")


def test_a_slow_answer_keeps_renewing_its_claim(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the model works, the claim is renewed; the answer is then stored once."""
    monkeypatch.setattr("cloud_broker.link.escalations._RENEW_EVERY_S", 0.05)
    store = _WatchedStore(tmp_path / "fleet.db")
    gateway = store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "s")[0]
    core = LinkCore(store, _SlowRouter(store), replica=Replica("node", "1"))
    reply = asyncio.run(core.escalate(gateway, pb.EscalateRequest(idempotency_key="k", text="q"),
                                      deadline=time.monotonic() + 5))
    record = store.escalation("gw-1/k")
    assert reply.answer == "slow answer"
    assert record is not None and record.state == "done"
    store.close()


def test_claims_of_the_previous_incarnation_are_released_at_start(tmp_path: Path) -> None:
    """A restarted replica answers its predecessor's unfinished keys at once."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    gateway = store.enrol(store.create_enrol_token(site="s", tags=[]), "gw-1", "s")[0]
    store.lease_escalation("gw-1/k", "gw-1", owner="node#before", lease_s=600)
    router = _Router()
    core = LinkCore(store, router, replica=Replica("node", "after"))
    reply = asyncio.run(core.escalate(gateway, pb.EscalateRequest(idempotency_key="k", text="q"),
                                      deadline=time.monotonic() + 0.5))
    assert reply.answer == "answer 1" and router.keys == ["k#retry-2"]
    store.close()


def test_restart_frees_the_rollouts_its_earlier_incarnation_was_advancing(
        store: SqlFleetStore, clock: Clock) -> None:
    """A rollout leased by a replica's previous run is free for anyone at once."""
    for rollout_id, owner in (("ro-mine", "node#old"), ("ro-theirs", "other#x")):
        store.db.execute(
            "INSERT INTO rollouts (id, artefact_name, artefact_version, kind, target_json, "
            "state, soak_s, gate_json, created, deadline, updated, current_wave, lease_owner, "
            "lease_until) VALUES (:id, 'm', '1', 'model', '{}', 'running', 0, '{}', :now, "
            ":deadline, :now, 0, :owner, :until)",
            {"id": rollout_id, "now": clock.now, "deadline": clock.now + 600, "owner": owner,
             "until": clock.now + 60})
    store.release_claims("node", "node#new")
    owners = {r["id"]: r["lease_owner"] for r in store.db.all("SELECT * FROM rollouts")}
    assert owners == {"ro-mine": None, "ro-theirs": "other#x"}


@pytest.mark.postgres
def test_finishing_a_key_notifies_replicas_waiting_on_it(pg_dsn: str) -> None:
    """On PostgreSQL a waiter is woken by NOTIFY when another replica stores the answer."""
    holder, waiter = PostgresFleetStore(pg_dsn), PostgresFleetStore(pg_dsn)
    holder.lease_escalation("gw-1/k", "gw-1", owner="a#1", lease_s=60)

    async def wait_for_answer() -> None:
        woken = waiter._listener.watch("gw-1/k")
        assert await asyncio.to_thread(waiter._listener.listening.wait, 30)
        holder.finish_escalation("gw-1/k", b"answer", "ok")
        await asyncio.wait_for(woken.wait(), 30)

    asyncio.run(wait_for_answer())
    record = waiter.escalation("gw-1/k")
    assert record is not None and record.state == "done"
    holder.close()
    waiter.close()
