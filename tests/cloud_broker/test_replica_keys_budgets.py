"""Two broker replicas, A and B, on one PostgreSQL database, each wired as ``app.py`` wires
the OpenAI-compatible API and the API-key routes: keys and budgets are the same on both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cloud_broker.apikeys import KEY_CACHE_TTL_S
from cloud_broker.app import build_router
from cloud_broker.config import BrokerConfig
from cloud_broker.fleet.access import AccessStore
from cloud_broker.fleet.postgres import PostgresFleetStore
from cloud_broker.http.auth import Guard
from cloud_broker.routing.router import Router
from simulations.harness import wait_until
from tests.support.fake_openai import FakeOpenAI
from tests.support.servers import ServerThread

ADMIN = "test-admin-token"
QUESTION = {"model": "auto", "messages": [{"role": "user", "content": "How warm is it?"}]}


@dataclass
class Replica:
    """One broker replica's HTTP API and its fleet store."""

    server: ServerThread
    store: PostgresFleetStore
    router: Router

    def post(self, path: str, body: dict[str, Any], token: str = ADMIN) -> httpx.Response:
        """POST with a bearer token."""
        return httpx.post(self.server.url + path, json=body, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})

    def ask(self, key: str) -> httpx.Response:
        """One chat completion with an API key."""
        return self.post("/v1/chat/completions", QUESTION, key)


def _replica(dsn: str, data: Path, model: FakeOpenAI, budgets: list[dict[str, Any]]) -> Replica:
    store = PostgresFleetStore(dsn)
    config = BrokerConfig.model_validate({
        "server": {"data_dir": data, "admin_token": ADMIN},
        "backends": [{"kind": "openai", "name": "cloud", "base_url": model.base_url,
                      "model": "large", "tier": 0, "price_in_per_1k": 0.001}],
        "routing": {"retries": 0, "budgets": budgets}})
    guard = Guard(ADMIN, AccessStore(store.db, store.now))
    router, routes, _, _ = build_router(config, data, db=store.db, notices=store, guard=guard,
                                        local_answers=lambda: 0)
    app = FastAPI()
    for route in routes:
        app.include_router(route)
    return Replica(ServerThread(app), store, router)


@pytest.fixture
def replicas(request: pytest.FixtureRequest, pg_dsn: str, tmp_path: Path,
             endpoints: list[FakeOpenAI]) -> Iterator[tuple[Replica, Replica]]:
    """Replicas A and B (own data dirs, own connections) on one PostgreSQL database."""
    budgets = getattr(request, "param", [])
    a = _replica(pg_dsn, tmp_path / "a", endpoints[0], budgets)
    b = _replica(pg_dsn, tmp_path / "b", endpoints[0], budgets)
    yield a, b
    for replica in (a, b):
        replica.server.stop()
        replica.store.close()


def test_a_key_made_on_a_works_on_b_until_a_revokes_it(
        replicas: tuple[Replica, Replica]) -> None:
    """A key created on A answers on B; revoked on A, B refuses it while its cache still holds
    the key as live (the cache keeps a checked key ``KEY_CACHE_TTL_S``; the revocation
    arrives by NOTIFY, so B need not wait for the entry to expire)."""
    a, b = replicas
    made = a.post("/api/keys", {"name": "shared"}).json()
    remembered_at = time.monotonic()  # no later than B's cache entry is made
    assert b.ask(made["key"]).status_code == 200
    assert b.ask(made["key"]).status_code == 200  # B now remembers the key
    assert a.post(f"/api/keys/{made['id']}/revoke", {}).status_code == 200
    refused = wait_until(lambda: r if (r := b.ask(made["key"])).status_code == 401 else None,
                         timeout=KEY_CACHE_TTL_S, what="B refusing the key A revoked")
    assert time.monotonic() < remembered_at + KEY_CACHE_TTL_S  # not the cache expiring
    assert refused.json()["error"]["message"]


@pytest.mark.parametrize("replicas", [[{"scope": "global", "max_tokens": 50}]], indirect=True)
def test_spend_on_a_counts_against_the_same_budget_on_b(
        replicas: tuple[Replica, Replica]) -> None:
    """A daily budget of 50 tokens: one call through A spends 51, and B, which keeps the
    budget's spend in memory, hears of it by NOTIFY within a second and refuses the next."""
    a, b = replicas
    key = a.post("/api/keys", {"name": "spender"}).json()["key"]
    assert b.router.budget_refusal(device="key:spender") is None
    assert a.ask(key).status_code == 200
    wait_until(lambda: b.router.budget_refusal(device="key:spender"), timeout=1.0,
               what="B hearing of A's spend")
    refused = b.ask(key)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "over_budget"


@pytest.mark.parametrize("replicas", [[{"scope": "device", "max_tokens": 100}]], indirect=True)
def test_a_replica_started_later_reads_the_spend_so_far(
        replicas: tuple[Replica, Replica], pg_dsn: str, tmp_path: Path,
        endpoints: list[FakeOpenAI]) -> None:
    """Spend made before a replica starts is read from the database when it starts: two calls
    through A (102 tokens of a key's 100) and a replica C started after them refuses."""
    a, _ = replicas
    key = a.post("/api/keys", {"name": "early"}).json()["key"]
    assert [a.ask(key).status_code for _ in range(2)] == [200, 200]
    c = _replica(pg_dsn, tmp_path / "c", endpoints[0], [{"scope": "device", "max_tokens": 100}])
    try:
        assert c.router.budget_refusal(device="key:early") is not None
        assert c.ask(key).status_code == 429
        assert a.router.budget_refusal(device="key:other") is None  # per key: others still run
    finally:
        c.server.stop()
        c.store.close()
