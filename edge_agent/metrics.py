"""Prometheus metrics for the gateway, read from its live counters at scrape time.

Nothing is counted twice and nothing costs per request: a collector reads the counters the
parts already keep (requests by route, outbox depth, shed and expired items, telemetry) when
Prometheus scrapes. Off by default; ``[metrics] listen = "127.0.0.1:9464"`` turns it on, and
only then is prometheus-client imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The gateway's counters at one moment."""

    requests_by_route: dict[str, int]
    requests_by_intent: dict[str, int]
    errors: int
    outbox_items: dict[str, int]
    outbox_bytes: int
    shed: dict[str, int]
    expired: dict[str, int]
    telemetry_accepted: int
    telemetry_rejected: int
    link_up: bool
    telemetry_rejected_by_reason: dict[str, int] = field(default_factory=dict)
    mqtt_shed: int = 0  # QoS 0 messages dropped because the daemon's queue was full


def serve(listen: str, snapshot: Callable[[], Snapshot]) -> None:
    """Serve /metrics on ``host:port`` from a background thread."""
    from prometheus_client import start_http_server
    from prometheus_client.core import REGISTRY

    REGISTRY.register(_Collector(snapshot))
    host, _, port = listen.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1")


class _Collector:
    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        s = self._snapshot()
        yield _labelled(CounterMetricFamily("nanogate_edge_requests", "Requests by route",
                                            labels=["route"]), s.requests_by_route)
        yield _labelled(CounterMetricFamily("nanogate_edge_intents", "Requests by intent",
                                            labels=["intent"]), s.requests_by_intent)
        yield CounterMetricFamily("nanogate_edge_request_errors", "Requests refused",
                                  value=s.errors)
        yield _labelled(GaugeMetricFamily("nanogate_edge_outbox_items", "Items waiting",
                                          labels=["kind"]), s.outbox_items)
        yield GaugeMetricFamily("nanogate_edge_outbox_bytes", "Bytes waiting",
                                value=s.outbox_bytes)
        yield _labelled(CounterMetricFamily("nanogate_edge_outbox_shed", "Items shed",
                                            labels=["kind"]), s.shed)
        yield _labelled(CounterMetricFamily("nanogate_edge_outbox_expired", "Items expired",
                                            labels=["kind"]), s.expired)
        telemetry = CounterMetricFamily("nanogate_edge_telemetry", "Readings",
                                        labels=["outcome"])
        telemetry.add_metric(["accepted"], s.telemetry_accepted)
        telemetry.add_metric(["rejected"], s.telemetry_rejected)
        yield telemetry
        yield _labelled(CounterMetricFamily(
            "nanogate_edge_telemetry_rejected", "Readings refused, by reason (not_a_number, "
            "not_binary, unknown_sensor, ...)", labels=["reason"]), s.telemetry_rejected_by_reason)
        yield CounterMetricFamily("nanogate_edge_mqtt_shed", "QoS 0 messages (telemetry) "
                                  "dropped because the daemon's queue was full", value=s.mqtt_shed)
        yield GaugeMetricFamily("nanogate_edge_link_up", "1 when the broker is reachable",
                                value=1.0 if s.link_up else 0.0)


def _labelled(family: Metric, values: dict[str, int]) -> Metric:
    for label, value in sorted(values.items()):
        family.add_metric([label], value)  # type: ignore[attr-defined]
    return family
