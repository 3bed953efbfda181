"""The broker's admin HTTP app on loopback, built as ``app.py`` builds it, with real stores,
a seeded fleet and an admin token for each role."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cloud_broker.apikeys import SqliteApiKeyStore
from cloud_broker.fleet import (
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqlFleetStore,
    SqliteFleetStore,
    load_or_create,
)
from cloud_broker.fleet.access import AccessStore
from cloud_broker.http.api import create_app, rollout_routes
from cloud_broker.http.apikeys import apikey_admin_routes
from cloud_broker.http.auth import Guard
from cloud_broker.http.queue import queue_routes
from cloud_broker.queue import OperatorQueue
from cloud_broker.routing.ledger import SqliteUsageLedger, UsageRecord, usage_json
from tests.support.servers import ServerThread

BOOTSTRAP_TOKEN = "nga_bootstrap-test-token"


@dataclass
class BrokerApp:
    """A broker HTTP app on loopback with real stores, and a token for each role."""

    server: ServerThread
    store: SqliteFleetStore
    access: AccessStore
    rollouts: RolloutController
    tokens: dict[str, str]
    queue: OperatorQueue | None = None

    @property
    def url(self) -> str:
        """The app's base URL."""
        return self.server.url

    def call(self, role: str, method: str, path: str, body: Any = None) -> httpx.Response:
        """One request with the token of a role ("bootstrap" for the configured one)."""
        token = BOOTSTRAP_TOKEN if role == "bootstrap" else self.tokens[role]
        return httpx.request(method, self.url + path, json=body, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})


def seed_fleet(store: SqlFleetStore, rollouts: RolloutController,
               artefacts: ArtefactStore) -> None:
    """An enrolled gateway with a heartbeat, an acked command, an escalation and a rollout."""
    token = store.create_enrol_token(site="plant-7", tags=["line-a"])
    store.enrol(token, "gw-1", "")
    store.heartbeat("gw-1", {"agent": "0.3.1", "model": "triage-7", "config": "cfg-1"},
                    {"outbox_depth": 3, "local_answer_rate": 0.82, "errors": 1, "requests": 120})
    command = store.add_command("gw-1", "ping", json.dumps({"echo": "hello"}), 3600)
    store.take_commands("gw-1", 10)
    store.ack_command("gw-1", command, True, json.dumps({"pong": True}))
    store.claim_escalation("gw-1/esc-1", "gw-1")
    store.finish_escalation("gw-1/esc-1", b"", "ok")
    artefacts.put("config", "site.toml", "v2", b"[gateway]\nsite = 'plant-7'\n")
    rollouts.create(RolloutSpec(artefact="site.toml", version="v2", devices=["gw-1"],
                                waves=[1], soak_s=600), store.now())
    rollouts.tick(store.now())


def start_broker(tmp_path: Path) -> BrokerApp:
    """Build the broker's HTTP app as ``app.py`` does, seeded, and serve it on loopback."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    access = AccessStore(store.db, store.now)
    guard = Guard(BOOTSTRAP_TOKEN, access)
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "signing.pem"), store.now)
    rollouts = RolloutController(store, artefacts)
    seed_fleet(store, rollouts, artefacts)
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    ledger.record(UsageRecord("k1", "gw-1", "plant-7", "cloud-large", "big-model", 400, 150,
                              0.0125, 840.0, "ok"))
    keys = SqliteApiKeyStore(tmp_path / "apikeys.sqlite")

    def usage() -> dict[str, Any]:
        return usage_json(ledger.summary(local_answers=98, price_in_per_1k=0.01,
                                         price_out_per_1k=0.03))

    queue = OperatorQueue(store.db, store, clock=store.now)
    app = create_app(store, guard, usage,
                     [apikey_admin_routes(keys, guard), rollout_routes(rollouts, artefacts, guard),
                      queue_routes(queue, guard)],
                     rollouts=rollouts, queue=queue)
    tokens = {role: access.create_token(f"{role}-tester", role, "test")[1]
              for role in ("viewer", "operator", "admin")}
    return BrokerApp(ServerThread(app), store, access, rollouts, tokens, queue)
