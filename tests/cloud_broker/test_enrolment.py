"""Enrolment cannot take over a gateway (issue 13.1), file it under the wrong site (21.5), or
use a token the config no longer lists (13.9): on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import partial

import pytest

from cloud_broker.config import EnrolTokenSpec
from cloud_broker.errors import InvalidRequest, Unauthenticated
from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.enrolment import RESERVED_IDS
from tests.support.concurrency import together
from tests.support.fleet import Clock, OpenStore


def enrol_fresh(store: SqlFleetStore, device: str, site: str = "lab") -> str:
    """Enrol ``device`` with a new one-time token for ``site``; returns its credential."""
    token = store.create_enrol_token(site=site, tags=["t"])
    return store.enrol(token, device, site)[1]


def test_another_token_cannot_enrol_over_a_known_gateway(store: SqlFleetStore) -> None:
    """A token for any site cannot take an enrolled id: its credential and commands stay."""
    credential = enrol_fresh(store, "gw-1")
    command = store.add_command("gw-1", "reboot", "{}", 600)
    attacker = store.create_enrol_token(site="other", tags=[])
    with pytest.raises(Unauthenticated, match="already enrolled"):
        store.enrol(attacker, "gw-1", "")
    assert store.authenticate(credential).id == "gw-1"
    assert [c.id for c in store.take_commands("gw-1", 10)] == [command]


def test_reusable_token_cannot_enrol_over_a_known_gateway(store: SqlFleetStore) -> None:
    """Even the demo token, which enrols many, cannot enrol an id that is taken."""
    store.create_enrol_token(site="demo", tags=[], reusable=True, token="demo-token")
    store.enrol("demo-token", "gw-1", "demo")
    with pytest.raises(Unauthenticated, match="already enrolled"):
        store.enrol("demo-token", "gw-1", "demo")


def test_refused_enrolment_does_not_spend_the_token(store: SqlFleetStore) -> None:
    """A one-time token refused for a taken id still enrols a free one."""
    enrol_fresh(store, "gw-1")
    token = store.create_enrol_token(site="lab", tags=[])
    with pytest.raises(Unauthenticated):
        store.enrol(token, "gw-1", "lab")
    assert store.enrol(token, "gw-2", "lab")[0].id == "gw-2"


def test_known_gateway_re_enrols_with_its_current_credential(store: SqlFleetStore) -> None:
    """The gateway itself may enrol again: it proves who it is with its credential."""
    old = enrol_fresh(store, "gw-1")
    token = store.create_enrol_token(site="lab", tags=[])
    _, new = store.enrol(token, "gw-1", "lab", credential=old)
    assert store.authenticate(new).id == "gw-1"
    with pytest.raises(Unauthenticated):
        store.authenticate(old)


def test_operator_bound_token_re_enrols_a_known_gateway(store: SqlFleetStore) -> None:
    """A token an operator bound to the id re-enrols it; it enrols no other id."""
    old = enrol_fresh(store, "gw-1")
    bound = store.create_enrol_token(site="lab", tags=[], device_id="gw-1")
    with pytest.raises(Unauthenticated, match="for gateway 'gw-1' only"):
        store.enrol(bound, "gw-2", "lab")
    gateway, new = store.enrol(bound, "", "lab")
    assert gateway.id == "gw-1" and store.authenticate(new).id == "gw-1"
    with pytest.raises(Unauthenticated):
        store.authenticate(old)


def test_revoked_gateway_stays_revoked(store: SqlFleetStore) -> None:
    """Enrolling again never clears ``revoked``, not even with a bound token."""
    old = enrol_fresh(store, "gw-1")
    store.revoke("gw-1")
    bound = store.create_enrol_token(site="lab", tags=[], device_id="gw-1")
    for token, credential in ((bound, ""), (store.create_enrol_token(site="lab", tags=[]), old)):
        with pytest.raises(Unauthenticated, match="revoked"):
            store.enrol(token, "gw-1", "lab", credential=credential)
    gateway = store.gateway("gw-1")
    assert gateway is not None and gateway.revoked


@pytest.mark.parametrize("device", [
    "a/+/#", "gw 1", "GW-1", "-gw", ".gw", "gw/1", "$SYS", "gw#", "x" * 64, "gw\x00", "gw\n1",
    "ǵw-1", *sorted(RESERVED_IDS)])
def test_hostile_or_reserved_ids_are_refused(store: SqlFleetStore, device: str) -> None:
    """Only ``[a-z0-9][a-z0-9._-]{0,62}``, minus the broker's own names, becomes an id."""
    token = store.create_enrol_token(site="lab", tags=[])
    with pytest.raises(InvalidRequest, match="gateway id"):
        store.enrol(token, device, "lab")
    assert store.gateways() == []
    assert store.enrol(token, "gw-ok", "lab")[0].id == "gw-ok"  # the token was not spent


def test_token_for_another_site_is_refused(store: SqlFleetStore) -> None:
    """A gateway configured for site uxr is not filed under the token's site demo (21.5)."""
    store.create_enrol_token(site="demo", tags=[], reusable=True, token="demo-token")
    with pytest.raises(Unauthenticated, match="for site 'demo', but the gateway is configured "
                                              "for site 'uxr'"):
        store.enrol("demo-token", "gw-1", "uxr")
    assert store.gateways() == []
    assert store.enrol("demo-token", "gw-1", "demo")[0].site == "demo"


def test_config_tokens_are_synced(store: SqlFleetStore) -> None:
    """A token removed from the config stops enrolling; one still listed keeps working."""
    kept = EnrolTokenSpec(token="kept-token", site="lab", reusable=True)
    gone = EnrolTokenSpec(token="gone-token", site="lab", reusable=True)
    assert store.enrol_tokens.sync([kept, gone], store.now()) == 0
    assert store.enrol_tokens.sync([kept], store.now()) == 1
    with pytest.raises(Unauthenticated, match="revoked"):
        store.enrol("gone-token", "gw-1", "lab")
    assert store.enrol("kept-token", "gw-1", "lab")[0].id == "gw-1"


def test_api_tokens_survive_a_config_sync(store: SqlFleetStore) -> None:
    """Syncing the config withdraws only config tokens, never ones an operator created."""
    token = store.create_enrol_token(site="lab", tags=[])
    store.enrol_tokens.sync([], store.now())
    assert store.enrol(token, "gw-1", "lab")[0].id == "gw-1"


def test_tokens_are_listed_and_revoked(store: SqlFleetStore) -> None:
    """A listed token (never its secret) can be revoked by its id, and then enrols nobody."""
    token = store.create_enrol_token(site="lab", tags=["a"], device_id="gw-9")
    [listed] = store.enrol_tokens.tokens()
    assert (listed.site, listed.tags, listed.device_id, listed.revoked) == (
        "lab", ("a",), "gw-9", None)
    assert token not in repr(listed)
    revoked = store.enrol_tokens.revoke(listed.id, store.now())
    assert revoked is not None and revoked.revoked is not None
    assert store.enrol_tokens.revoke(listed.id, store.now()) is None
    with pytest.raises(Unauthenticated, match="revoked"):
        store.enrol(token, "gw-9", "lab")


def test_reusable_tokens_expire(store: SqlFleetStore, clock: Clock) -> None:
    """A reusable token without a TTL still expires (30 days), counted from its first start."""
    spec = EnrolTokenSpec(token="demo-token", site="demo", reusable=True)
    store.enrol_tokens.sync([spec], store.now())
    clock.advance(29 * 86400)
    store.enrol_tokens.sync([spec], store.now())  # a restart does not renew it
    store.enrol("demo-token", "gw-1", "demo")
    clock.advance(2 * 86400)
    with pytest.raises(Unauthenticated, match="expired"):
        store.enrol("demo-token", "gw-2", "demo")


def test_one_new_id_enrolled_on_two_replicas_at_once_goes_to_one(open_store: OpenStore) -> None:
    """Two tokens racing for the same new id on two replicas: one gateway, one credential."""
    one, other = open_store(), open_store()
    for i in range(5):
        first = one.create_enrol_token(site="lab", tags=[])
        second = one.create_enrol_token(site="lab", tags=[])
        results = together(partial(one.enrol, first, f"gw-race-{i}", "lab"),
                           partial(other.enrol, second, f"gw-race-{i}", "lab"),
                           expected=(Unauthenticated,))
        won = [r for r in results if isinstance(r, tuple)]
        assert len(won) == 1, results
        assert all(isinstance(r, (tuple, Unauthenticated)) for r in results), results
        assert one.authenticate(won[0][1]).id == f"gw-race-{i}"
