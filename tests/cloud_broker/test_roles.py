"""Admin tokens with roles and the audit log: the store on SQLite and PostgreSQL, and the
role matrix, audit rows and CLI against a real broker HTTP app on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cloud_broker.cli import app as cli_app
from cloud_broker.fleet import (
    SqlFleetStore,
)
from cloud_broker.fleet.access import ARGS_MAX, AccessStore
from tests.support.admin_app import BOOTSTRAP_TOKEN, BrokerApp, start_broker
from tests.support.fleet import Clock


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerApp]:
    """A running broker HTTP app with a seeded fleet."""
    running = start_broker(tmp_path)
    yield running
    running.server.stop()
    running.store.close()


# the store, on SQLite and PostgreSQL ------------------------------------------------------

def test_token_secret_is_shown_once_and_stored_hashed(store: SqlFleetStore) -> None:
    """A new token verifies by its secret; the database holds only its hash."""
    access = AccessStore(store.db, store.now)
    token, secret = access.create_token("alice", "operator", "bootstrap")
    assert access.verify(secret) == token
    assert access.verify(secret + "x") is None
    rows = store.db.all("SELECT * FROM admin_tokens")
    assert rows and all(secret not in str(value) for row in rows for value in row.values())


def test_token_names_are_unique_among_live_tokens(store: SqlFleetStore) -> None:
    """A second live token with one name is refused; after a revoke the name is free."""
    access = AccessStore(store.db, store.now)
    access.create_token("ci", "viewer")
    with pytest.raises(ValueError, match="already named 'ci'"):
        access.create_token("ci", "admin")
    with pytest.raises(ValueError, match="bootstrap"):
        access.create_token("bootstrap", "viewer")
    with pytest.raises(ValueError, match="unknown role"):
        access.create_token("x", "root")  # type: ignore[arg-type]
    assert access.revoke_token("ci") is not None
    assert access.create_token("ci", "admin")[0].role == "admin"


def test_revoked_token_stops_verifying(store: SqlFleetStore) -> None:
    """Revoking by id ends the token at once; revoking it again finds nothing."""
    access = AccessStore(store.db, store.now)
    token, secret = access.create_token("bob", "admin")
    revoked = access.revoke_token(token.id)
    assert revoked is not None and revoked.revoked is not None
    assert access.verify(secret) is None and access.token(token.id) is None
    assert access.revoke_token(token.id) is None
    assert [t.revoked is not None for t in access.tokens()] == [True]


def test_audit_log_lists_newest_first_and_filters(store: SqlFleetStore, clock: Clock) -> None:
    """Entries come back newest first, by actor or action, with long arguments cut."""
    access = AccessStore(store.db, store.now)
    access.record(actor="alice", role="operator", action="command.sent", target="gw-1",
                  args={"name": "ping"})
    clock.advance(1)
    access.record(actor="bob", role="admin", action="gateway.revoked", target="gw-2",
                  args={"note": "x" * 2000}, outcome="error: 404 no gateway")
    entries = access.audit()
    assert [(e.actor, e.action) for e in entries] == [("bob", "gateway.revoked"),
                                                       ("alice", "command.sent")]
    assert entries[1].args == '{"name":"ping"}' and entries[1].ts == clock.now - 1
    assert len(entries[0].args) == ARGS_MAX and entries[0].outcome.startswith("error: 404")
    assert [e.actor for e in access.audit(actor="alice")] == ["alice"]
    assert [e.target for e in access.audit(action="gateway.revoked")] == ["gw-2"]
    assert len(access.audit(limit=1)) == 1


# roles over the HTTP API ------------------------------------------------------------------

MATRIX = [
    # (method, path, body, the smallest role allowed, what an allowed role gets)
    ("GET", "/api/gateways", None, "viewer", 200),
    ("GET", "/api/gateways/gw-1", None, "viewer", 200),
    ("GET", "/api/rollouts", None, "viewer", 200),
    ("GET", "/api/usage", None, "viewer", 200),
    ("GET", "/api/audit", None, "viewer", 200),
    ("POST", "/api/commands", {"device": "gw-1", "name": "ping"}, "operator", 200),
    ("POST", "/api/tokens", {"site": "plant-7"}, "operator", 200),
    ("POST", "/api/rollouts/ro-none/pause", None, "operator", 404),
    ("POST", "/api/keys", {"name": "grafana"}, "admin", 200),
    ("GET", "/api/keys", None, "admin", 200),
    ("GET", "/api/admin-tokens", None, "admin", 200),
    ("POST", "/api/admin-tokens", {"name": "new-viewer", "role": "viewer"}, "admin", 200),
    ("POST", "/api/gateways/gw-404/revoke", None, "admin", 404),
]
ROLES = ("viewer", "operator", "admin")


@pytest.mark.parametrize(("method", "path", "body", "needed", "status"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _, _ in MATRIX])
def test_role_matrix(broker: BrokerApp, method: str, path: str, body: Any,
                     needed: str, status: int) -> None:
    """Each role gets the route's own answer at or above the role it needs, 403 below it."""
    for role in ROLES:
        reply = broker.call(role, method, path, body)
        allowed = ROLES.index(role) >= ROLES.index(needed)
        if allowed:  # the route's real answer: a 500 (or any other surprise) fails here
            assert reply.status_code == status, (role, reply.text)
        else:
            assert reply.status_code == 403, (role, reply.text)
            assert f"the role {role!r}" in reply.json()["detail"]


def test_viewer_reads_but_cannot_send_commands(broker: BrokerApp) -> None:
    """A viewer lists gateways; its command is refused with 403 and a clear message."""
    assert [g["id"] for g in broker.call("viewer", "GET", "/api/gateways").json()] == ["gw-1"]
    before = len(broker.store.commands("gw-1"))
    reply = broker.call("viewer", "POST", "/api/commands", {"device": "gw-1", "name": "ping"})
    assert reply.status_code == 403
    assert reply.json()["detail"] == (
        "the token 'viewer-tester' has the role 'viewer', but POST /api/commands needs "
        "'operator' or higher; ask an admin for such a token")
    assert len(broker.store.commands("gw-1")) == before


def test_operator_sends_commands_but_cannot_create_api_keys(broker: BrokerApp) -> None:
    """An operator's command is queued; its API key request gets 403."""
    sent = broker.call("operator", "POST", "/api/commands", {"device": "gw-1", "name": "ping"})
    assert sent.status_code == 200
    assert sent.json()["commands"][0]["device"] == "gw-1"
    assert broker.call("operator", "POST", "/api/keys", {"name": "x"}).status_code == 403
    created = broker.call("admin", "POST", "/api/keys", {"name": "x"})
    assert created.status_code == 200 and created.json()["key"].startswith("ng-")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nga_not-a-token", "nga_wrong"],
                         ids=["missing", "empty", "unknown", "no-bearer"])
def test_missing_or_unknown_token_gets_401(broker: BrokerApp, header: str | None) -> None:
    """No token or an unknown one is 401 with a hint, not 403."""
    headers = {"Authorization": header} if header is not None else {}
    reply = httpx.get(broker.url + "/api/gateways", headers=headers, timeout=10)
    assert reply.status_code == 401
    assert "Authorization: Bearer" in reply.json()["detail"]
    assert reply.headers["www-authenticate"] == "Bearer"


def test_bootstrap_token_is_admin(broker: BrokerApp) -> None:
    """The configured admin token creates tokens and is named 'bootstrap'."""
    assert broker.call("bootstrap", "GET", "/api/whoami").json() == {
        "name": "bootstrap", "role": "admin"}
    reply = broker.call("bootstrap", "POST", "/api/admin-tokens",
                        {"name": "carol", "role": "operator"})
    assert reply.status_code == 200
    secret = reply.json()["token"]
    who = httpx.get(broker.url + "/api/whoami", timeout=10,
                    headers={"Authorization": f"Bearer {secret}"}).json()
    assert who == {"name": "carol", "role": "operator"}
    listed = broker.call("admin", "GET", "/api/admin-tokens").json()
    assert "carol" in [t["name"] for t in listed]
    assert all("token" not in t and secret not in json.dumps(t) for t in listed)


def test_revoked_admin_token_gets_401_at_once(broker: BrokerApp) -> None:
    """Revoking a token by name over the API locks it out on its next call."""
    assert broker.call("viewer", "GET", "/api/gateways").status_code == 200
    reply = broker.call("admin", "POST", "/api/admin-tokens/viewer-tester/revoke")
    assert reply.status_code == 200 and reply.json()["name"] == "viewer-tester"
    assert broker.call("viewer", "GET", "/api/gateways").status_code == 401
    assert broker.call("admin", "POST", "/api/admin-tokens/viewer-tester/revoke"
                       ).status_code == 404


def test_bad_role_in_a_token_request_is_422(broker: BrokerApp) -> None:
    """Only the three roles exist."""
    reply = broker.call("admin", "POST", "/api/admin-tokens", {"name": "x", "role": "root"})
    assert reply.status_code == 422


# the audit log ----------------------------------------------------------------------------

def test_mutating_calls_are_audited_with_the_token_name(broker: BrokerApp) -> None:
    """Commands, enrolment tokens, rollout actions, keys and tokens each leave one row."""
    broker.call("operator", "POST", "/api/commands", {"device": "gw-1", "name": "ping",
                                                      "args": {"n": 1}})
    broker.call("operator", "POST", "/api/tokens", {"site": "plant-7", "tags": ["line-b"]})
    rollout = broker.rollouts.rollouts()[0].id
    broker.call("operator", "POST", f"/api/rollouts/{rollout}/pause")
    key = broker.call("admin", "POST", "/api/keys", {"name": "grafana"}).json()
    broker.call("admin", "POST", f"/api/keys/{key['id']}/revoke")
    broker.call("admin", "POST", "/api/admin-tokens", {"name": "dave", "role": "viewer"})
    broker.call("admin", "POST", "/api/gateways/gw-1/revoke")
    rows = [(e["actor"], e["role"], e["action"], e["target"], e["outcome"])
            for e in reversed(broker.call("viewer", "GET", "/api/audit").json())]
    assert rows == [
        ("operator-tester", "operator", "command.sent", "device:gw-1", "ok"),
        ("operator-tester", "operator", "enrol_token.created", "site:plant-7", "ok"),
        ("operator-tester", "operator", "rollout.paused", rollout, "ok"),
        ("admin-tester", "admin", "api_key.created", "grafana", "ok"),
        ("admin-tester", "admin", "api_key.revoked", key["id"], "ok"),
        ("admin-tester", "admin", "admin_token.created", "dave", "ok"),
        ("admin-tester", "admin", "gateway.revoked", "gw-1", "ok"),
    ]
    sent = broker.access.audit(action="command.sent")[0]
    assert json.loads(sent.args) == {"args": {"n": 1}, "name": "ping"}


def test_failed_and_denied_actions_are_audited(broker: BrokerApp) -> None:
    """A refused role and an action that failed are both on the record, with why."""
    broker.call("viewer", "POST", "/api/commands", {"device": "gw-1", "name": "reboot"})
    broker.call("operator", "POST", "/api/commands", {"device": "gw-404", "name": "ping"})
    denied, failed = broker.access.audit(limit=2)[::-1]
    assert (denied.actor, denied.action, denied.target, denied.outcome) == (
        "viewer-tester", "request.denied", "POST /api/commands", "denied")
    assert (failed.actor, failed.action, failed.target) == (
        "operator-tester", "command.sent", "device:gw-404")
    assert failed.outcome == "error: 404 no gateway 'gw-404'"


def test_gets_leave_no_audit_rows(broker: BrokerApp) -> None:
    """Reading is not an action: a viewer's GETs add nothing to the log."""
    before = len(broker.access.audit(limit=1000))
    for path in ("/api/gateways", "/api/commands", "/api/rollouts", "/api/usage"):
        assert broker.call("viewer", "GET", path).status_code == 200
    assert len(broker.access.audit(limit=1000)) == before


# the CLI ----------------------------------------------------------------------------------

def test_cli_manages_tokens_and_shows_the_audit_log(broker: BrokerApp, tmp_path: Path) -> None:
    """``tokens create/ls/revoke`` and ``audit --json`` work against a running broker."""
    runner = CliRunner()
    common = ["--url", broker.url, "--token", BOOTSTRAP_TOKEN, "--data-dir", str(tmp_path)]
    created = runner.invoke(cli_app, ["tokens", "create", "--name", "erin", "--role",
                                      "operator", *common])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]  # after the server's log lines
    assert broker.access.verify(secret) is not None
    listed = runner.invoke(cli_app, ["tokens", "ls", "--json", *common])
    assert "erin" in [t["name"] for t in json.loads(listed.output)]
    revoked = runner.invoke(cli_app, ["tokens", "revoke", "erin", *common])
    assert revoked.exit_code == 0 and "(erin)" in revoked.output
    audit = runner.invoke(cli_app, ["audit", "--json", "--actor", "bootstrap", *common])
    assert [e["action"] for e in json.loads(audit.output)] == [
        "admin_token.revoked", "admin_token.created"]
    table = runner.invoke(cli_app, ["audit", *common])
    assert table.exit_code == 0 and "bootstrap" in table.output and "erin" in table.output


def test_cli_reports_a_too_small_role(broker: BrokerApp, tmp_path: Path) -> None:
    """A viewer token creating tokens exits 1 with the 403 and its reason."""
    result = CliRunner().invoke(cli_app, [
        "tokens", "create", "--name", "x", "--role", "admin", "--url", broker.url,
        "--token", broker.tokens["viewer"], "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "403" in result.output and "'viewer'" in result.output
