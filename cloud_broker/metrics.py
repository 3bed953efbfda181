"""Prometheus metrics for the broker at ``GET /metrics``, read from live state at scrape time.

Without a token, ``/metrics`` shows the fleet only in aggregate: gateway ids are an
inventory an outsider should not get (issue 13.10). With any admin token (a ``viewer``
token is enough: make one named for the scraper), it adds per-gateway series.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from cloud_broker.backends.worker import STATES, WorkerStatus
from cloud_broker.fleet import FleetStore
from cloud_broker.http.api import OFFLINE_AFTER_S
from cloud_broker.http.auth import Guard, bearer_token


class BrokerCollector:
    """Reads the fleet store, the usage summary and the router when Prometheus scrapes."""

    def __init__(self, store: FleetStore, usage: Callable[[], dict[str, Any]],
                 counters: Callable[[], dict[str, int]],
                 breakers: Callable[[], dict[str, str]],
                 workers: Callable[[], list[WorkerStatus]] = list, *,
                 per_gateway: bool = False) -> None:
        self._store = store
        self._usage = usage
        self._counters = counters
        self._breakers = breakers
        self._workers = workers
        self._per_gateway = per_gateway

    def with_gateways(self) -> BrokerCollector:
        """The same collector, with per-gateway series (for authenticated scrapes)."""
        return BrokerCollector(self._store, self._usage, self._counters, self._breakers,
                               self._workers, per_gateway=True)

    def collect(self) -> Iterator[Metric]:
        """The metric families."""
        yield from self._fleet()
        counters = self._counters()
        escalations = CounterMetricFamily("nanogate_broker_escalations",
                                          "Escalations by outcome", labels=["outcome"])
        for outcome, value in sorted(counters.items()):
            escalations.add_metric([outcome], value)
        yield escalations
        yield from self._spend()
        breaker = GaugeMetricFamily("nanogate_broker_breaker_open",
                                    "1 when a backend's circuit breaker is open",
                                    labels=["backend", "state"])
        for backend, state in sorted(self._breakers().items()):
            breaker.add_metric([backend, state], 1.0 if state != "closed" else 0.0)
        yield breaker
        yield from self._worker_families()

    def _worker_families(self) -> Iterator[Metric]:
        state = GaugeMetricFamily("nanogate_broker_worker_state",
                                  "1 for the state each model worker is in",
                                  labels=["backend", "state"])
        restarts = CounterMetricFamily("nanogate_broker_worker_restarts",
                                       "Model worker restarts", labels=["backend"])
        last_exit = GaugeMetricFamily("nanogate_broker_worker_last_exit",
                                      "How each model worker last ended (signal or exit code)",
                                      labels=["backend", "exit"])
        for worker in self._workers():
            for name in STATES:
                state.add_metric([worker.backend, name], 1.0 if worker.state == name else 0.0)
            restarts.add_metric([worker.backend], worker.restarts)
            if worker.last_exit:
                last_exit.add_metric([worker.backend, worker.last_exit], 1.0)
        yield from (state, restarts, last_exit)

    def _fleet(self) -> Iterator[Metric]:
        gateways = self._store.gateways()
        now = time.time()
        online = sum(1 for g in gateways if g.last_seen and now - g.last_seen < OFFLINE_AFTER_S)
        family = GaugeMetricFamily("nanogate_broker_gateways", "Gateways by status",
                                   labels=["status"])
        family.add_metric(["online"], online)
        family.add_metric(["offline"], len(gateways) - online)
        yield family
        depths = [float(g.health.get("outbox_depth", 0)) for g in gateways]
        yield GaugeMetricFamily("nanogate_broker_fleet_outbox_depth",
                                "Outbox depth the gateways last reported, summed",
                                value=sum(depths))
        if not self._per_gateway:
            return
        depth = GaugeMetricFamily("nanogate_broker_gateway_outbox_depth",
                                  "Outbox depth each gateway last reported", labels=["gateway"])
        for g, value in zip(gateways, depths, strict=True):
            depth.add_metric([g.id], value)
        yield depth

    def _spend(self) -> Iterator[Metric]:
        summary = self._usage()
        calls = CounterMetricFamily("nanogate_broker_backend_calls", "Backend calls",
                                    labels=["backend", "outcome"])
        tokens = CounterMetricFamily("nanogate_broker_backend_tokens", "Tokens",
                                     labels=["backend", "direction"])
        cost = CounterMetricFamily("nanogate_broker_spend", "Spend", labels=["backend"])
        for b in summary.get("backends", []):
            calls.add_metric([b["backend"], "ok"], b["calls"] - b["failed"])
            calls.add_metric([b["backend"], "failed"], b["failed"])
            tokens.add_metric([b["backend"], "input"], b["input_tokens"])
            tokens.add_metric([b["backend"], "output"], b["output_tokens"])
            cost.add_metric([b["backend"]], b["cost"])
        yield from (calls, tokens, cost)
        yield GaugeMetricFamily("nanogate_broker_saved_by_edge",
                                "Spend avoided by answering on the gateways",
                                value=float(summary.get("saved_by_edge", 0.0)))


def metrics_routes(collector: BrokerCollector, guard: Guard) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format: aggregates for anyone, per-gateway
    series for a caller with an admin token (any role)."""
    public = CollectorRegistry(auto_describe=False)
    public.register(collector)
    detailed = CollectorRegistry(auto_describe=False)
    detailed.register(collector.with_gateways())
    api = APIRouter()

    @api.get("/metrics", include_in_schema=False)
    def metrics(authorization: Annotated[str, Header()] = "") -> Response:
        registry = public
        if authorization:
            if guard.identify(bearer_token(authorization)) is None:
                raise HTTPException(401, "unknown token: scrape /metrics without one for "
                                    "aggregates, or with an admin token (viewer is enough)",
                                    headers={"WWW-Authenticate": "Bearer"})
            registry = detailed
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return api
