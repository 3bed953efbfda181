"""Fuzzed requests and telemetry over real MQTT into a running edge daemon: it answers and lives."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.edge_agent.test_fuzz import _ask_payloads, _telemetry_payloads
from tests.harness import Daemon, FakeOpenAI, MqttProbe, wait_until
from tests.integration.conftest import FAKE_BACKEND, Setup, start

ASKS, READINGS = 300, 300


def _generate(strategy: st.SearchStrategy[bytes], n: int) -> list[bytes]:
    """n payloads as hypothesis generates them (no shrinking: nothing fails in here)."""
    found: list[bytes] = []

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(payload: bytes) -> None:
        found.append(payload)

    collect()
    return found


def test_daemon_survives_fuzzed_requests_and_telemetry(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Hundreds of hostile payloads each get one reply or a log line; then all still works."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    edge = start(processes, setup.edge())  # no cloud broker: escalations are answered "queued"
    edge.wait_log("agent.started")
    replies = f"{setup.prefix}/fz"
    probe = MqttProbe([f"{replies}/#"])
    sensors = ["t-104", "pump-2", "x-9", "t-900"]
    for n, payload in enumerate(_generate(_telemetry_payloads, READINGS)):
        probe.publish(setup.telemetry_topic(sensors[n % len(sensors)]), payload)
    asks = _generate(_ask_payloads, ASKS)
    for n, payload in enumerate(asks):  # a reply topic of its own each: no redelivery, no limit
        probe.publish(setup.ask_topic, payload, response_topic=f"{replies}/{n}")
    answered: dict[str, dict[str, object]] = {}

    def all_answered() -> bool:
        while not probe.messages.empty():
            message = probe.messages.get()
            assert message.topic not in answered, f"two replies on {message.topic}"
            answered[message.topic] = json.loads(message.payload)
        return len(answered) == len(asks)

    wait_until(all_answered, timeout=120, what=f"{len(asks)} replies")
    for reply in answered.values():
        assert reply.get("error") or reply["route"] in ("local", "queued"), reply
    assert edge.alive()
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": 19.5, "unit": "Cel"}))
    probe.publish(setup.ask_topic, json.dumps(
        {"id": "ok", "text": "current temperature of t-104"}), response_topic=f"{replies}/final")
    final = probe.json()
    assert final["id"] == "ok" and "19.5" in final["answer"], final
    assert edge.alive()
    assert not [line for line in edge.logs() if line.get("event") == "message.failed"]
    probe.close()
