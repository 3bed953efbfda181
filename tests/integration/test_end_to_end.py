"""The whole path on real parts: sensor → Mosquitto → edge agent → gRPC broker → model → answer."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, correlation, wait_until
from tests.support.stack import FAKE_BACKEND, LLAMA_BACKEND, Setup, start


def _ask(probe: MqttProbe, setup: Setup, text: str, reply_topic: str,
         request_id: str | None = None) -> str:
    request_id = request_id or uuid.uuid4().hex[:8]
    probe.publish(setup.ask_topic, json.dumps({"id": request_id, "text": text}),
                  response_topic=reply_topic, correlation=request_id.encode())
    return request_id


def _running(setup: Setup, processes: list[Daemon]) -> tuple[Daemon, Daemon]:
    broker = start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up")
    return broker, edge


def test_local_question_is_answered_from_telemetry(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A reading published by a sensor answers a question about it, on the gateway."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": 21.4, "unit": "Cel"}))
    request_id = _ask(probe, setup, "what's the temperature in zone 3?", reply_topic)
    message = probe.next()
    reply = json.loads(message.payload)
    assert reply["id"] == request_id
    assert correlation(message) == request_id.encode()
    assert reply["route"] == "local"
    assert reply["intent"] == "query_state"
    assert "21.4" in reply["answer"]
    assert fake_cloud.requests == []
    probe.close()


def test_self_registering_sensor_can_be_asked_about(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A sensor that sends kind and area registers itself and is answered for at once."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.telemetry_topic("t-900"), json.dumps(
        {"value": 23.5, "unit": "Cel", "kind": "temperature", "area": "zone 9"}))
    _ask(probe, setup, "temperature in zone 9?", reply_topic)
    reply = probe.json()
    assert reply["route"] == "local"
    assert "23.5" in reply["answer"]
    probe.close()


def test_mqtt311_client_gets_reply_on_reply_to(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A client without MQTT 5 properties names its reply topic in the JSON payload."""
    import paho.mqtt.client as paho

    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/legacy/replies"
    probe = MqttProbe([reply_topic], protocol=paho.MQTTv311)
    probe.publish(setup.ask_topic, json.dumps(
        {"id": "r1", "text": "list all devices", "reply_to": reply_topic}))
    reply = probe.json()
    assert reply["id"] == "r1"
    assert reply["intent"] == "list_devices"
    assert "pump-2" in reply["answer"]
    probe.close()


@pytest.mark.parametrize("transport", ["grpc", "mqtt"])
def test_hard_question_is_escalated_to_openai_compatible_backend(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], transport: str) -> None:
    """A reasoning question goes through the broker (gRPC or MQTT) to the cloud model and back."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), transport=transport)
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    request_id = _ask(probe, setup, "why would a greenhouse get warmer at night than during "
                      "the day, and what should I check first?", reply_topic)
    reply = probe.json()
    assert reply["id"] == request_id
    assert reply["route"] == "escalated"
    assert reply["answer"].startswith("cloud answer #")
    assert reply["data"]["backend"] == "fake-cloud"
    assert len(fake_cloud.requests) == 1
    probe.close()


@pytest.mark.slow
def test_hard_question_is_answered_by_local_llama_backend(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """The default backend, Gemma 3 270M under llama.cpp, answers an escalation."""
    setup = make_setup(LLAMA_BACKEND, escalate_timeout=120)
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    _ask(probe, setup, "explain in one sentence what a heat exchanger does", reply_topic)
    reply = probe.json(timeout=180)
    assert reply["route"] == "escalated", reply
    assert reply["data"]["backend"] == "local-gemma"
    assert len(reply["answer"].split()) >= 3
    probe.close()


@pytest.mark.parametrize("payload, code", [
    pytest.param(b'{"id": "x0", "text": "turn off pump 2"', "bad_json", id="cut-off-json"),
    pytest.param(b"\xff\xfeturn off pump 2", "bad_json", id="not-utf8"),
    pytest.param(b'{"id": "x1", "text": 42}', "bad_request", id="wrong-type"),
    pytest.param(b'{"id": "x2"}', "bad_request", id="missing-text"),
    pytest.param(b"[1, 2, 3]", "bad_request", id="not-an-object"),
    pytest.param(b'{"id": "x3", "text": "' + b"a" * 1_000_000 + b'"}', "too_large", id="1MB"),
])
def test_bad_request_gets_error_reply_and_daemon_keeps_answering(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI, processes: list[Daemon],
        payload: bytes, code: str) -> None:
    """Malformed requests get an error reply; a good request right after is answered."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _, edge = _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.ask_topic, payload, response_topic=reply_topic)
    bad = probe.json()
    assert bad["error"]["code"] == code
    assert bad["error"]["message"]
    _ask(probe, setup, "list devices", reply_topic)
    assert probe.json()["intent"] == "list_devices"
    assert edge.alive()
    probe.close()


def test_bad_telemetry_and_unknown_topics_are_logged_not_fatal(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Broken telemetry, unknown sensors and stray topics are logged; the daemon carries on."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _, edge = _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.telemetry_topic("t-104"), b"{broken")
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": "NaN", "unit": 5}))
    probe.publish(setup.telemetry_topic("ghost-1"), json.dumps({"value": 1.0}))
    probe.publish(setup.telemetry_topic("t-104"), b"x" * 1_000_000)
    edge.wait_log("telemetry.rejected", code="unknown_sensor")
    edge.wait_log("telemetry.rejected", code="too_large")
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": 19.0, "unit": "Cel"}))
    _ask(probe, setup, "current temperature of t-104", reply_topic)
    reply = probe.json()
    assert "19" in reply["answer"]
    assert edge.alive()
    probe.close()


def test_rollups_reach_the_broker_once(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Raw readings stay on the gateway; per-sensor roll-ups arrive at the broker."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes)
    probe = MqttProbe([])
    for value in (20.0, 22.0, 24.0):
        probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": value}))

    def rollups() -> list[dict[str, Any]] | None:
        with sqlite3.connect(setup.tmp / "broker" / "fleet.db") as db:
            found = [json.loads(p) for (p,) in db.execute(
                "SELECT payload FROM uploads WHERE kind = 'rollup'")]
        return found if sum(r["count"] for r in found) >= 3 else None

    found = wait_until(rollups, timeout=30, what="roll-ups of 3 readings")
    assert {r["sensor"] for r in found} == {"t-104"}
    assert sum(r["count"] for r in found) == 3
    assert (min(r["min"] for r in found), max(r["max"] for r in found)) == (20.0, 24.0)
    assert found[-1]["last"] == 24.0
    probe.close()


@pytest.mark.parametrize("action, reason", [
    pytest.param({"device_id": "fan-3", "command": "set", "value": "150"},
                 "outside the allowed range", id="out-of-range"),
    pytest.param({"device_id": "t-104", "command": "on"},
                 "not a declared actuator", id="sensor-as-actuator"),
])
def test_cloud_action_outside_policy_is_refused_with_reason(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI, processes: list[Daemon],
        action: dict[str, str], reason: str) -> None:
    """A cloud action the gateway's policy forbids is refused; the reply says why."""
    fake_cloud.proposals = [action]
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    with setup.edge_config.open("a") as fh:  # every request goes to the cloud model, which
        # proposes real device ids, so it must see them ([privacy] hides them by default)
        fh.write("\n[triage]\nthreshold = 1.01\n[privacy]\nnames = false\n")
    _, edge = _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": 29.0, "unit": "Cel"}))
    actuated = MqttProbe([f"{setup.prefix}/{setup.site}/actuators/+/set"])
    # Cloud actions run only for commands, on what the command named (zone 3: fan-3).
    _ask(probe, setup, "set zone 3 to 50 %", reply_topic)
    reply = probe.json()
    assert reply["route"] == "escalated", reply
    [outcome] = reply["data"]["actions"]
    assert outcome["ok"] is False
    assert reason in outcome["result"] and reason in reply["answer"]
    edge.wait_log("actuation.refused", source="cloud")
    assert actuated.messages.empty()
    probe.close()
    actuated.close()
