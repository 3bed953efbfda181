"""Prometheus metrics for the broker at ``GET /metrics``, read from live state at scrape time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from cloud_broker.admin.api import OFFLINE_AFTER_S
from cloud_broker.backends.worker import STATES, WorkerStatus
from cloud_broker.fleet import FleetStore


class BrokerCollector:
    """Reads the fleet store, the usage summary and the router when Prometheus scrapes."""

    def __init__(self, store: FleetStore, usage: Callable[[], dict[str, Any]],
                 counters: Callable[[], dict[str, int]],
                 breakers: Callable[[], dict[str, str]],
                 workers: Callable[[], list[WorkerStatus]] = list) -> None:
        self._store = store
        self._usage = usage
        self._counters = counters
        self._breakers = breakers
        self._workers = workers

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
        depth = GaugeMetricFamily("nanogate_broker_gateway_outbox_depth",
                                  "Outbox depth each gateway last reported", labels=["gateway"])
        for g in gateways:
            depth.add_metric([g.id], float(g.health.get("outbox_depth", 0)))
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


def metrics_routes(collector: BrokerCollector) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format (unauthenticated, like most exporters)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    api = APIRouter()

    @api.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return api
