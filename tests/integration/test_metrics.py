"""Operators' view: Prometheus metrics on both sides and the gRPC health service."""

from __future__ import annotations

import json
from collections.abc import Callable

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, free_port, wait_for_port
from tests.support.stack import FAKE_BACKEND, Setup, start


def _value(text: str, sample: str) -> float:
    """The value of one sample line (name with labels) in the Prometheus text format."""
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{sample} not in:\n{text}")


def test_metrics_count_what_the_gateway_and_broker_did(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """After a local answer, an escalation, a bad request and a bad reading, both /metrics
    endpoints say so."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    metrics_port = free_port()
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        "[telemetry]", f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n\n[telemetry]'))
    start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up")
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    for text in ("list devices", "explain how a heat pump works in winter"):
        probe.publish(setup.ask_topic, json.dumps({"id": text[:4], "text": text}),
                      response_topic=reply_topic)
        probe.json()
    probe.publish(setup.ask_topic, b'{"id": "bad", "text": ', response_topic=reply_topic)
    probe.json()
    probe.publish(setup.telemetry_topic("t-104"), b"21.7")  # a bare number, as sensors send
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": "hot"}))
    edge.wait_log("telemetry.rejected", sensor="t-104", code="not_a_number")
    wait_for_port(metrics_port)
    edge_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    assert _value(edge_metrics, 'nanogate_edge_requests_total{route="local"}') == 1
    assert _value(edge_metrics, 'nanogate_edge_requests_total{route="escalated"}') == 1
    assert _value(edge_metrics, "nanogate_edge_request_errors_total") == 1
    assert _value(edge_metrics, "nanogate_edge_link_up") == 1
    assert _value(edge_metrics, "nanogate_edge_mqtt_shed_total") == 0  # nothing shed here
    assert _value(edge_metrics, 'nanogate_edge_telemetry_rejected_total{reason="not_a_number"}'
                  ) == 1
    assert _value(edge_metrics, 'nanogate_edge_telemetry_total{outcome="accepted"}') >= 1
    broker_metrics = httpx.get(f"http://127.0.0.1:{setup.http_port}/metrics").text
    assert _value(broker_metrics, 'nanogate_broker_escalations_total{outcome="answered"}') == 1
    assert _value(broker_metrics, 'nanogate_broker_backend_calls_total{backend="fake-cloud",'
                                  'outcome="ok"}') == 1
    assert _value(broker_metrics, 'nanogate_broker_gateways{status="online"}') == 1
    probe.close()


def test_grpc_health_service_reports_serving(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """The broker answers the standard gRPC health check, as Kubernetes probes ask it."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    start(processes, setup.broker(), setup.grpc_port)
    with grpc.insecure_channel(f"127.0.0.1:{setup.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "nanogate.v1.EdgeLink"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
