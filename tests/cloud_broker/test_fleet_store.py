"""Every FleetStore method, on SQLite and PostgreSQL, and two replicas sharing one database."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

import pytest

from cloud_broker.errors import Unauthenticated
from cloud_broker.fleet import SqlFleetStore, SqliteFleetStore
from cloud_broker.fleet.migrations.versions import v0001_fleet
from cloud_broker.fleet.postgres import PostgresFleetStore
from cloud_broker.fleet.schema import current, head
from cloud_broker.fleet.store import REDELIVER_AFTER_S
from tests.support.concurrency import together
from tests.support.fleet import Clock, OpenStore
from tests.support.processes import wait_until


def enrolled(store: SqlFleetStore, device: str, tags: list[str] | None = None) -> str:
    """Enrol a gateway with a fresh one-time token; returns its credential."""
    token = store.create_enrol_token(site="lab", tags=tags or [])
    return store.enrol(token, device, "")[1]


def state_of(store: SqlFleetStore, command_id: str) -> str:
    """A command's state, or "missing"."""
    command = store.command(command_id)
    return command.state if command else "missing"


# enrolment and identity -------------------------------------------------------------------

def test_one_time_token_enrols_once(store: SqlFleetStore) -> None:
    """A token enrols one gateway; a second use is refused."""
    token = store.create_enrol_token(site="lab", tags=["a", "b"])
    gateway, credential = store.enrol(token, "gw-1", "")
    assert (gateway.id, gateway.site, gateway.tags) == ("gw-1", "lab", ("a", "b"))
    assert credential.startswith("ngc_")
    with pytest.raises(Unauthenticated, match="already used"):
        store.enrol(token, "gw-2", "lab")
    assert [g.id for g in store.gateways()] == ["gw-1"]


def test_reusable_demo_token_enrols_many(store: SqlFleetStore) -> None:
    """A reusable token (demo) enrols any number of gateways."""
    store.create_enrol_token(site="demo", tags=[], reusable=True, token="demo-token")
    for device in ("gw-1", "gw-2", "gw-3"):
        store.enrol("demo-token", device, "")
    assert [g.id for g in store.gateways()] == ["gw-1", "gw-2", "gw-3"]


def test_expired_and_unknown_tokens_are_refused(store: SqlFleetStore, clock: Clock) -> None:
    """A token past its TTL, or one never issued, enrols nobody."""
    token = store.create_enrol_token(site="lab", tags=[], ttl_s=60)
    clock.advance(61)
    with pytest.raises(Unauthenticated, match="expired"):
        store.enrol(token, "gw-1", "lab")
    with pytest.raises(Unauthenticated, match="unknown enrolment token"):
        store.enrol("nge_never-issued", "gw-1", "lab")


def test_gateway_without_requested_id_gets_one(store: SqlFleetStore) -> None:
    """An empty requested id gets a generated gateway id."""
    token = store.create_enrol_token(site="lab", tags=[])
    gateway, _ = store.enrol(token, "", "lab")
    assert gateway.id.startswith("gw-")


def test_authenticate_knows_credentials(store: SqlFleetStore) -> None:
    """A credential maps to its gateway; an unknown one is refused."""
    credential = enrolled(store, "gw-1")
    assert store.authenticate(credential).id == "gw-1"
    with pytest.raises(Unauthenticated, match="unknown credential"):
        store.authenticate("ngc_nope")


def test_revoke_stops_a_credential(store: SqlFleetStore) -> None:
    """A revoked gateway cannot authenticate; revoking an unknown gateway says so."""
    credential = enrolled(store, "gw-1")
    assert store.authenticate(credential).id == "gw-1"  # trusted for a while from now on
    assert store.revoke("gw-1") is True
    with pytest.raises(Unauthenticated, match="revoked"):
        store.authenticate(credential)
    assert getattr(store.gateway("gw-1"), "revoked", False) is True
    assert store.revoke("gw-404") is False


def test_rotate_replaces_the_credential(store: SqlFleetStore) -> None:
    """After rotation the new credential works and the old one does not."""
    old = enrolled(store, "gw-1")
    assert store.authenticate(old).id == "gw-1"
    new = store.rotate("gw-1")
    assert store.authenticate(new).id == "gw-1"
    with pytest.raises(Unauthenticated):
        store.authenticate(old)
    with pytest.raises(KeyError):
        store.rotate("gw-404")


# registry ---------------------------------------------------------------------------------

def test_heartbeat_records_versions_and_health(store: SqlFleetStore, clock: Clock) -> None:
    """A heartbeat sets last seen, versions and health."""
    enrolled(store, "gw-1")
    clock.advance(5)
    store.heartbeat("gw-1", {"agent": "1.2", "model": "m7", "config": "c3"},
                    {"requests": 10, "local_answer_rate": 0.9})
    gateway = store.gateway("gw-1")
    assert gateway is not None
    assert (gateway.last_seen, gateway.agent_version, gateway.model_version,
            gateway.config_version) == (clock.now, "1.2", "m7", "c3")
    assert gateway.health == {"requests": 10, "local_answer_rate": 0.9}
    assert store.gateway("gw-404") is None


# escalations ------------------------------------------------------------------------------

def test_escalation_is_claimed_once_then_replayed(store: SqlFleetStore) -> None:
    """The first claim wins; later claims see it pending, then done with its answer."""
    assert store.claim_escalation("gw-1/k1", "gw-1") is None
    pending = store.claim_escalation("gw-1/k1", "gw-1")
    assert pending is not None and pending.state == "pending"
    store.finish_escalation("gw-1/k1", b"\x00answer\xff", "ok")
    done = store.claim_escalation("gw-1/k1", "gw-1")
    assert done is not None and (done.state, done.response) == ("done", b"\x00answer\xff")
    assert store.escalation("gw-1/k2") is None


def test_released_escalation_can_be_claimed_again(store: SqlFleetStore) -> None:
    """A released claim frees the key; a finished one is never released."""
    store.claim_escalation("k1", "gw-1")
    store.release_escalation("k1")
    assert store.escalation("k1") is None
    assert store.claim_escalation("k1", "gw-1") is None
    store.finish_escalation("k1", b"x", "ok")
    store.release_escalation("k1")
    assert store.escalation("k1") is not None


# uploads ----------------------------------------------------------------------------------

def test_uploads_are_stored_once_per_key(store: SqlFleetStore) -> None:
    """Replayed upload items are accepted again but stored once."""
    items = [{"key": f"u{i}", "kind": "rollup", "stream": "s", "payload": "{}", "created": 1.0}
             for i in range(3)]
    for _ in range(2):
        assert store.store_uploads("gw-1", items) == ["u0", "u1", "u2"]
    row = store.db.one("SELECT COUNT(*) AS n FROM uploads")
    assert row is not None and row["n"] == 3


# commands ---------------------------------------------------------------------------------

def test_command_is_delivered_once(store: SqlFleetStore) -> None:
    """A taken command is not handed out again while its delivery lease runs."""
    command_id = store.add_command("gw-1", "ping", "{}", ttl_s=600)
    assert store.pending_commands("gw-1") == 1
    assert [c.id for c in store.take_commands("gw-1", 10)] == [command_id]
    assert store.take_commands("gw-1", 10) == []
    assert store.pending_commands("gw-1") == 0
    assert state_of(store, command_id) == "delivered"


def test_commands_for_many_gateways_each_reach_their_own(store: SqlFleetStore) -> None:
    """One command queued for several gateways at once: each takes its own, once."""
    ids = store.add_commands(["gw-1", "gw-2", "gw-3"], "ping", '{"n": 1}', ttl_s=600)
    assert len(set(ids)) == 3
    for device_id, command_id in zip(["gw-1", "gw-2", "gw-3"], ids, strict=True):
        taken = store.take_commands(device_id, 10)
        assert [(c.id, c.name, c.args_json) for c in taken] == [(command_id, "ping", '{"n": 1}')]
    assert store.add_commands([], "ping", "{}", ttl_s=600) == []


def test_unacked_command_is_redelivered_after_its_lease(store: SqlFleetStore,
                                                        clock: Clock) -> None:
    """A command delivered but never acked is handed out again after the lease."""
    command_id = store.add_command("gw-1", "ping", "{}", ttl_s=3600)
    store.take_commands("gw-1", 10)
    clock.advance(REDELIVER_AFTER_S + 1)
    assert [c.id for c in store.take_commands("gw-1", 10)] == [command_id]


def test_command_expires_after_its_ttl(store: SqlFleetStore, clock: Clock) -> None:
    """An expired command is never delivered and shows as expired."""
    command_id = store.add_command("gw-1", "ping", "{}", ttl_s=30)
    clock.advance(31)
    assert store.pending_commands("gw-1") == 0
    assert state_of(store, command_id) == "expired"
    assert store.take_commands("gw-1", 10) == []


def test_commands_come_in_order_up_to_the_limit(store: SqlFleetStore, clock: Clock) -> None:
    """Commands are taken oldest first, at most `limit` at a time."""
    ids = []
    for i in range(3):
        ids.append(store.add_command("gw-1", f"c{i}", "{}", ttl_s=600))
        clock.advance(1)
    assert [c.id for c in store.take_commands("gw-1", 2)] == ids[:2]
    assert [c.id for c in store.take_commands("gw-1", 2)] == ids[2:]


def test_only_the_own_gateway_acks_a_command(store: SqlFleetStore, clock: Clock) -> None:
    """Another gateway's ack is refused; the owner's is recorded with its time."""
    command_id = store.add_command("gw-1", "ping", "{}", ttl_s=600)
    store.take_commands("gw-1", 10)
    assert store.ack_command("gw-2", command_id, True, "{}") is False
    assert state_of(store, command_id) == "delivered"
    assert store.ack_command("gw-1", command_id, False, '{"error": "no"}') is True
    acked = store.command(command_id)
    assert acked is not None
    assert (acked.state, acked.ok, acked.result_json, acked.acked_at) == (
        "acked", False, '{"error": "no"}', clock.now)


def test_cancelled_command_is_never_delivered(store: SqlFleetStore, clock: Clock) -> None:
    """Cancelling says whether the command had left; either way it is not handed out again."""
    unsent = store.add_command("gw-1", "a", "{}", ttl_s=3600)
    assert store.cancel_command(unsent) is True
    sent = store.add_command("gw-1", "b", "{}", ttl_s=3600)
    store.take_commands("gw-1", 10)
    assert store.cancel_command(sent) is False
    clock.advance(REDELIVER_AFTER_S + 1)
    assert store.take_commands("gw-1", 10) == []
    assert {c.id: c.state for c in store.commands()} == {unsent: "cancelled", sent: "cancelled"}


def test_commands_are_listed_newest_first(store: SqlFleetStore, clock: Clock) -> None:
    """Listing shows one gateway's commands or everyone's, newest first."""
    first = store.add_command("gw-1", "a", "{}", ttl_s=60)
    clock.advance(1)
    second = store.add_command("gw-2", "b", "{}", ttl_s=60)
    assert [c.id for c in store.commands()] == [second, first]
    assert [c.id for c in store.commands("gw-1")] == [first]


# schema -----------------------------------------------------------------------------------

def test_schema_set_up_is_idempotent(open_store: OpenStore) -> None:
    """Opening the same database again keeps its data and schema revision."""
    first = open_store()
    enrolled(first, "gw-1")
    second = open_store()
    assert [g.id for g in second.gateways()] == ["gw-1"]
    assert current(second.db) == head()


def test_sqlite_file_from_before_rollouts_is_upgraded(tmp_path: Path) -> None:
    """A fleet.db written by the first store version opens, keeps its commands, gains columns."""
    path = tmp_path / "fleet.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(v0001_fleet.DDL.format(real="REAL", blob="BLOB"))
        conn.execute("INSERT INTO commands (id, device_id, name, args_json, created, "
                     "expires_at, state) VALUES ('c1', 'gw-1', 'ping', '{}', 1, 9e18, 'pending')")
    conn.close()
    store = SqliteFleetStore(path)
    assert [c.id for c in store.take_commands("gw-1", 10)] == ["c1"]
    store.close()


# two replicas on one database -------------------------------------------------------------

def test_gateway_enrolled_on_one_replica_authenticates_on_the_other(
        open_store: OpenStore) -> None:
    """Identity lives in the database: any replica knows any gateway."""
    one, other = open_store(), open_store()
    credential = enrolled(one, "gw-1", ["t"])
    assert other.authenticate(credential).tags == ("t",)
    other.revoke("gw-1")
    with pytest.raises(Unauthenticated):
        one.authenticate(credential)


def test_credential_revoked_on_one_replica_is_refused_at_once_by_one_that_trusted_it(
        pg_dsn: str) -> None:
    """A replica that checked a credential a moment ago forgets it by the revoke's notice
    (PostgreSQL), well before its trust would run out."""
    one, other = PostgresFleetStore(pg_dsn), PostgresFleetStore(pg_dsn)
    try:
        credential = enrolled(one, "gw-1")
        assert one.authenticate(credential).id == "gw-1"
        other.revoke("gw-1")

        def refused() -> bool:
            try:
                one.authenticate(credential)
            except Unauthenticated:
                return True
            return False

        wait_until(refused, timeout=1.0, what="the revoked credential refused on the other")
    finally:
        one.close()
        other.close()


def test_escalation_claimed_on_one_replica_is_claimed_on_the_other(
        open_store: OpenStore) -> None:
    """A key claimed on one replica is a replay on the other, pending then done."""
    one, other = open_store(), open_store()
    assert one.claim_escalation("gw-1/k", "gw-1") is None
    replay = other.claim_escalation("gw-1/k", "gw-1")
    assert replay is not None and replay.state == "pending"
    one.finish_escalation("gw-1/k", b"answer", "ok")
    done = other.escalation("gw-1/k")
    assert done is not None and done.response == b"answer"


def test_concurrent_claims_on_two_replicas_have_one_winner(open_store: OpenStore) -> None:
    """Two replicas claiming one key at the same moment: exactly one gets it."""
    one, other = open_store(), open_store()
    for i in range(20):
        key = f"gw-1/k{i}"
        results = together(partial(one.claim_escalation, key, "gw-1"),
                           partial(other.claim_escalation, key, "gw-1"))
        assert sorted(r is None for r in results) == [False, True]


def test_commands_taken_concurrently_on_two_replicas_go_out_once(open_store: OpenStore) -> None:
    """Two replicas draining one queue at once hand out every command exactly once."""
    one, other = open_store(), open_store()
    ids = {one.add_command("gw-1", "ping", "{}", ttl_s=600) for _ in range(60)}

    def drain(replica: SqlFleetStore) -> list[str]:
        taken: list[str] = []
        while batch := replica.take_commands("gw-1", 3):
            taken += [c.id for c in batch]
        return taken

    first, second = together(lambda: drain(one), lambda: drain(other))
    assert isinstance(first, list) and isinstance(second, list)
    taken = first + second
    assert sorted(taken) == sorted(ids)


def test_one_time_token_used_on_two_replicas_at_once_enrols_one(open_store: OpenStore) -> None:
    """The same one-time token presented to two replicas at once enrols one gateway."""
    one, other = open_store(), open_store()
    for i in range(10):
        token = one.create_enrol_token(site="lab", tags=[])
        results = together(partial(one.enrol, token, f"gw-a{i}", "lab"),
                           partial(other.enrol, token, f"gw-b{i}", "lab"),
                           expected=(Unauthenticated,))
        assert sorted(isinstance(r, Unauthenticated) for r in results) == [False, True]
