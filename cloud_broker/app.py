"""Wires the broker's parts together and runs gRPC and HTTP on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter

from cloud_broker.apikeys import SqlApiKeyStore
from cloud_broker.backends import build_backends
from cloud_broker.config import BrokerConfig, ServerSection
from cloud_broker.errors import ConfigError
from cloud_broker.fleet import (
    ArtefactStore,
    FleetStore,
    RolloutController,
    SqliteFleetStore,
    load_or_create,
)
from cloud_broker.fleet.access import AccessStore
from cloud_broker.fleet.claims import Replica
from cloud_broker.fleet.database import SQLITE, Database, Notices
from cloud_broker.http.api import OFFLINE_AFTER_S, create_app, rollout_routes
from cloud_broker.http.apikeys import apikey_admin_routes
from cloud_broker.http.auth import Guard
from cloud_broker.http.backends import backend_routes
from cloud_broker.http.fastpath import FastPath
from cloud_broker.http.insights import Insights, Pricing
from cloud_broker.http.limits import BodyLimit
from cloud_broker.http.openai import HOT_ROUTES, openai_routes
from cloud_broker.http.queue import queue_routes
from cloud_broker.journal import Journal, JournalingAnswerer, sample_forever
from cloud_broker.learning import Learning
from cloud_broker.legacy import import_legacy_files
from cloud_broker.link.grpc import EdgeLinkService, publish_worker_health, start_grpc
from cloud_broker.link.mqtt import MqttBridge
from cloud_broker.metrics import BrokerCollector, metrics_routes
from cloud_broker.pki import load_broker_tls
from cloud_broker.queue import OperatorQueue, QueueRules
from cloud_broker.routing.ledger import SqlUsageLedger, usage_json
from cloud_broker.routing.router import Router
from nanogate.secret_files import write_secret

log = structlog.get_logger("cloud_broker.app")
JOURNAL_SAMPLE_S = 60.0  # how often the dashboard's health history samples the fleet


def open_store(config: BrokerConfig) -> FleetStore:
    """The fleet store the config names."""
    if config.store.kind == "postgres":
        from cloud_broker.fleet.postgres import PostgresFleetStore

        return PostgresFleetStore(config.store.dsn,
                                  redeliver_after_s=config.store.command_lease_s)
    return SqliteFleetStore(config.server.data_dir / "fleet.db",
                            redeliver_after_s=config.store.command_lease_s)


def replica_name(server: ServerSection) -> str:
    """This replica's stable name: ``[server] replica_name``, else host name and gRPC port."""
    port = server.grpc_listen.rpartition(":")[2]
    return server.replica_name or f"{socket.gethostname()}:{port}"


def admin_token(config: BrokerConfig) -> str:
    """The admin token: from the config or its file, or generated once in the data dir."""
    if config.server.admin_token:
        return config.server.admin_token
    if config.server.admin_token_file is not None:
        return read_admin_token(config.server.admin_token_file)
    path = config.server.data_dir / "admin_token"
    if path.exists():
        return path.read_text().strip()
    token = "nga_" + secrets.token_urlsafe(24)
    write_secret(path, (token + "\n").encode())
    log.info("admin.token_created", path=str(path))
    return token


def read_admin_token(path: Path) -> str:
    """The token in ``[server] admin_token_file``; a missing or empty file is a config error."""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read [server] admin_token_file {path}: {exc.strerror}; "
                          "mount the secret there or fix the path") from exc
    if not token:
        raise ConfigError(f"[server] admin_token_file {path} is empty")
    return token


def build_router(
    config: BrokerConfig, data_dir: Path, *, db: Database, notices: Notices, guard: Guard,
    local_answers: Callable[[], int], journal: Journal | None = None,
) -> tuple[Router, list[APIRouter], Callable[[], dict[str, Any]], Insights]:
    """The router, its HTTP routes (OpenAI-compatible API, API keys), the usage summary and
    the operator's read side over the ledger and journal. Keys and the ledger live in the
    fleet's database ``db``, shared by the replicas; ``notices`` tells them of revoked keys."""
    import_legacy_files(db, data_dir)  # an older broker's apikeys.sqlite and usage.sqlite
    # On SQLite no other replica listens: the ledger would encode every write's totals for
    # a notice that goes nowhere (a few percent of an escalation's CPU).
    ledger = SqlUsageLedger(db, None if db.dialect is SQLITE else notices)
    keys = SqlApiKeyStore(db, notices=notices)
    router = Router(build_backends(config.backends, data_dir=data_dir), ledger, config.routing)
    routes = [openai_routes(router, keys), apikey_admin_routes(keys, guard),
              backend_routes(router, guard)]
    # "Saved by the edge" is priced at the first backend that has a price.
    priced = next((s for s in config.backends if s.price_in_per_1k or s.price_out_per_1k), None)

    def usage() -> dict[str, Any]:
        return usage_json(ledger.summary(
            local_answers=local_answers(),
            price_in_per_1k=priced.price_in_per_1k if priced else 0.0,
            price_out_per_1k=priced.price_out_per_1k if priced else 0.0))

    insights = Insights(ledger, local_answers, journal, budgets=config.routing.budgets,
                        pricing=Pricing(priced.price_in_per_1k if priced else 0.0,
                                        priced.price_out_per_1k if priced else 0.0))
    return router, routes, usage, insights


def local_answer_count(store: FleetStore) -> int:
    """Requests the fleet answered on its gateways, from their last heartbeats."""
    return round(sum(float(g.health.get("requests", 0)) *
                     float(g.health.get("local_answer_rate", 0.0)) for g in store.gateways()))


@dataclass
class Broker:
    """A running broker: its store, router, gRPC service and HTTP app."""

    config: BrokerConfig
    store: FleetStore = field(init=False)
    grpc_port: int = 0
    http_port: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Serve until cancelled."""
        data = self.config.server.data_dir
        data.mkdir(parents=True, exist_ok=True)
        self.store = open_store(self.config)
        withdrawn = self.store.enrol_tokens.sync(self.config.enrol_tokens, self.store.now())
        if withdrawn:
            log.info("enrol_tokens.withdrawn", count=withdrawn, reason="no longer in the config")
        guard = Guard(admin_token(self.config), AccessStore(self.store.db, self.store.now))
        store = self.store
        journal = Journal(data / "journal.sqlite")
        router, extra_routes, usage, insights = build_router(
            self.config, data, db=store.db, notices=store, guard=guard,
            local_answers=lambda: local_answer_count(store), journal=journal)
        rc = self.config.rollouts
        artefacts = ArtefactStore(self.store.db, load_or_create(
            rc.signing_key_file or data / "signing_key.pem"), self.store.now)
        replica = Replica.start(replica_name(self.config.server))
        rollouts = RolloutController(self.store, artefacts, replica=replica.id,
                                     lease_s=rc.lease_s, rollback_ttl_s=rc.rollback_ttl_s)
        qc, learning = self.config.queue, Learning.build(self.store, router, self.config.learning,
                                                      rollouts)
        queue = OperatorQueue(self.store.db, self.store, clock=self.store.now,
                              answer_window_s=qc.answer_window_s,
                              corrections=learning.corrections if learning.config.enabled else None)
        self.service = EdgeLinkService(
            self.store, learning.answerer(JournalingAnswerer(router, journal)), artefacts,
            replica=replica,
            tls=load_broker_tls(self.config.server), queue=queue if qc.enabled else None,
            queue_rules=QueueRules(qc.over_budget, tuple(qc.uncertain_phrases)),
            labels=learning.uploaded if learning.config.enabled else None)
        bridge = (MqttBridge(self.service.core, self.config.mqtt_uplink)
                  if self.config.mqtt_uplink.enabled else None)  # refuses an unsafe uplink now
        server, self.grpc_port = await start_grpc(self.service, self.config.server.grpc_listen)
        # After the listen checks: a refused config exits without a model worker to stop.
        router.start()  # a model that cannot start says so now, in one log line
        extra_routes.append(rollout_routes(rollouts, artefacts, guard))
        extra_routes.append(queue_routes(queue, guard))
        service = self.service
        extra_routes.append(metrics_routes(BrokerCollector(
            self.store, usage, breakers=router.breaker_states,
            workers=lambda: [w.status() for w in router.workers()],
            counters=lambda: {"answered": service.escalations, "replayed": service.replays}),
            guard))
        app = create_app(self.store, guard, usage, extra_routes, rollouts=rollouts,
                         insights=insights, queue=queue,
                         workers=lambda: [w.status() for w in router.workers()],
                         learning=learning)
        http = _http_server(BodyLimit(FastPath(app, extra_routes, HOT_ROUTES)),
                            self.config.server.http_listen)
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(http.serve(), name="broker.http")
                await _started(http)
                self.http_port = _bound_port(http)
                log.info("broker.started", grpc_port=self.grpc_port, http_port=self.http_port)
                log.info("dashboard.ready", url=_dashboard_url(self.config.server.http_listen,
                                                               self.http_port))
                self.ready.set()
                tg.create_task(server.wait_for_termination(), name="broker.grpc")
                tg.create_task(rollouts.run(rc.tick_s), name="broker.rollouts")
                tg.create_task(queue.expire_forever(), name="broker.queue")
                tg.create_task(learning.run(), name="broker.learning")
                tg.create_task(sample_forever(journal, store, interval_s=JOURNAL_SAMPLE_S,
                                              offline_after_s=OFFLINE_AFTER_S),
                               name="broker.journal")
                tg.create_task(publish_worker_health(self.service.health, router.workers()),
                               name="broker.model_health")
                if bridge is not None:
                    tg.create_task(bridge.run(), name="broker.mqtt_uplink")
        finally:
            await server.stop(grace=1.0)
            await router.aclose()
            # On the database's thread, after the journal writes handed to it (an escalation
            # answered on the loop leaves its journal entry there).
            await self.store.db.run(journal.close)
            self.store.close()


def _dashboard_url(listen: str, port: int) -> str:
    host = listen.rpartition(":")[0].strip("[]") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/dashboard/"


def _http_server(app: Any, listen: str) -> uvicorn.Server:
    host, _, port = listen.rpartition(":")
    config = uvicorn.Config(app, host=host.strip("[]") or "127.0.0.1", port=int(port),
                            log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # The broker's CLI owns signals; uvicorn must not take them over.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


async def _started(server: uvicorn.Server) -> None:
    while not server.started:
        if server.should_exit:
            raise OSError("the HTTP server could not start; is the port taken?")
        await asyncio.sleep(0.02)


def _bound_port(server: uvicorn.Server) -> int:
    for srv in getattr(server, "servers", []):
        for sock in srv.sockets:
            return int(sock.getsockname()[1])
    return 0

