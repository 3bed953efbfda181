"""The gateway as a user drives it with Mosquitto's own clients: odd requests, odd telemetry.

``mosquitto_pub`` and ``mosquitto_rr`` on the real Mosquitto, the real daemon (its link to the
cloud down: everything here is answered or refused on the gateway).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.processes import Daemon, MqttProbe
from tests.support.stack import FAKE_BACKEND, Setup, start

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "mosquitto_rr"], capture_output=True).returncode != 0,
    reason="needs Mosquitto's command-line clients")


def _edge(make_setup: Callable[..., Setup], processes: list[Daemon]) -> Setup:
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9/v1"))
    start(processes, setup.edge()).wait_log("mqtt.subscribed")
    return setup


def _pub(topic: str, *args: str) -> None:
    """mosquitto_pub at QoS 1: it returns once Mosquitto has the message."""
    subprocess.run(["mosquitto_pub", "-q", "1", "-t", topic, *args], check=True, timeout=30)


def _rr(setup: Setup, reply_topic: str, *args: str) -> dict[str, Any]:
    """mosquitto_rr (MQTT 5 response topic and correlation data): the one reply."""
    done = subprocess.run(["mosquitto_rr", "-V", "mqttv5", "-W", "30", "-t", setup.ask_topic,
                           "-e", reply_topic, *args],
                          check=True, timeout=60, capture_output=True)
    reply: dict[str, Any] = json.loads(done.stdout)
    return reply


def test_wildcard_reply_to_is_a_bad_reply_topic_as_a_response_topic_is(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """MQTT 3.1.1 `reply_to` with a wildcard: `bad_reply_topic` on the default replies topic."""
    setup = _edge(make_setup, processes)
    default = f"{setup.prefix}/{setup.site}/replies"
    probe = MqttProbe([default])
    for n, target in enumerate(("app/#", "app/+/x", "$SYS/x")):
        _pub(setup.ask_topic, "-V", "mqttv311", "-m", json.dumps(
            {"id": f"w{n}", "text": "what is the temperature in zone 3?", "reply_to": target}))
        reply = probe.json()
        assert (reply["id"], reply["error"]["code"]) == (f"w{n}", "bad_reply_topic")
        assert "Value error" not in reply["error"]["message"]
    probe.close()


def test_an_empty_request_says_it_is_empty(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """A zero-byte request (what `mosquitto_rr -f` sends) is `bad_json` saying so."""
    setup = _edge(make_setup, processes)
    reply = _rr(setup, f"{setup.prefix}-app/r", "-n")
    assert reply["error"] == {"code": "bad_json", "message": "the payload is empty"}
    for n, text in enumerate(("", "   ", "\u200b\t\u0000")):
        reply = _rr(setup, f"{setup.prefix}-app/r", "-m", json.dumps({"id": n, "text": text}))
        assert (reply["id"], reply["error"]["code"]) == (str(n), "bad_request")
        assert "empty" in reply["error"]["message"] or "at least 1" in reply["error"]["message"]


def test_a_plain_text_request_is_answered_as_its_words(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """`mosquitto_rr -m "..."` with the request's words, no JSON, is answered like
    ``{"text": ...}``: a state question locally, a device the gateway lacks with a question
    and no actuation; a payload cut off inside its JSON is still `bad_json`."""
    setup = _edge(make_setup, processes)
    reply = _rr(setup, f"{setup.prefix}-app/r", "-m", "what is the temperature in zone 3?")
    assert (reply["route"], reply["intent"]) == ("local", "query_state"), reply
    assert reply["id"] and "error" not in reply
    reply = _rr(setup, f"{setup.prefix}-app/r", "-m", "turn off pump 9")
    assert reply["route"] == "local" and "pump 9" in reply["answer"].lower(), reply
    assert not reply.get("data", {}).get("changed"), reply
    reply = _rr(setup, f"{setup.prefix}-app/r", "-m", '{"id": "c1", "text": "turn off pump 2"')
    assert (reply["id"], reply["error"]["code"]) == ("c1", "bad_json")


@pytest.mark.parametrize("reading", [
    pytest.param({"value": 99.0, "ts": -5}, id="ts-before-2000"),
    pytest.param({"value": 99.0, "ts": 1e30}, id="ts-far-ahead"),
    pytest.param({"value": 1.7e308}, id="huge-value"),
    pytest.param([{"n": "t-104", "v": -1e300}], id="huge-senml-value"),
])
def test_implausible_readings_are_refused_and_the_last_good_one_stays(
        make_setup: Callable[..., Setup], processes: list[Daemon], reading: object) -> None:
    """A reading from before 2000, far in the future or of absurd size is refused and logged;
    the answer shows the last plausible reading, and no alert says it went silent."""
    setup = _edge(make_setup, processes)
    topic = setup.telemetry_topic("t-104")
    _pub(topic, "-m", json.dumps({"value": 21.5, "unit": "Cel"}))
    _pub(topic, "-m", json.dumps(reading))
    edge = processes[-1]
    edge.wait_log("telemetry.rejected", sensor="t-104", code="bad_telemetry")
    reply = _rr(setup, f"{setup.prefix}-app/t", "-m", json.dumps(
        {"id": "q1", "text": "what is the temperature in zone 3?"}))
    assert [r["value"] for r in reply["data"]["readings"]] == [21.5]
    alerts = _rr(setup, f"{setup.prefix}-app/t", "-m", json.dumps(
        {"id": "q2", "text": "any alerts?"}))
    assert alerts["data"]["alerts"] == []


SECOND_PUMP = """
[[actuators]]
id = "pump-5"
kind = "pump"
area = "line 5"
"""


def _ask_with_two_pumps(make_setup: Callable[..., Setup], processes: list[Daemon],
                        text: str) -> tuple[dict[str, Any], MqttProbe]:
    """Ask a gateway with two pumps; its first message back must be the reply (a command
    would come before the reply that reports it). The probe also watches the actuators."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9/v1"))
    with setup.edge_config.open("a") as fh:
        fh.write(SECOND_PUMP)
    start(processes, setup.edge()).wait_log("mqtt.subscribed")
    reply_topic = f"{setup.prefix}-app/reply"
    probe = MqttProbe([reply_topic, f"{setup.prefix}/{setup.site}/actuators/#"])
    probe.publish(setup.ask_topic, json.dumps({"id": "p1", "text": text}),
                  response_topic=reply_topic, correlation=b"p1")
    message = probe.next()
    assert message.topic == reply_topic
    return json.loads(message.payload), probe


@pytest.mark.parametrize("text", [
    "turn off pump", "turn off the pump", "schalte die Pumpe aus", "éteins la pompe",
    "apaga la bomba", "zet de pomp uit",
])
def test_a_command_that_fits_two_pumps_asks_which_and_moves_nothing(
        make_setup: Callable[..., Setup], processes: list[Daemon], text: str) -> None:
    """With two pumps, "turn off pump" in any language is a clarifying question from the
    gateway (below the triage threshold too), and nothing is published on an actuator."""
    reply, probe = _ask_with_two_pumps(make_setup, processes, text)
    assert (reply["route"], reply["data"]["clarify"]) == ("local", True), reply
    assert "pump-2" in reply["answer"] and "pump-5" in reply["answer"]
    probe.close()


@pytest.mark.parametrize("text", [
    "turn off all pumps", "turn off both pumps", "schalte alle Pumpen aus",
    "éteins toutes les pompes", "apaga todas las bombas", "zet alle pompen uit",
])
def test_a_group_command_without_group_actions_is_refused_here_and_moves_nothing(
        make_setup: Callable[..., Setup], processes: list[Daemon], text: str) -> None:
    """With `[policy] group_actions = false`, "turn off all pumps" is refused by the gateway
    (`policy_violation`, naming the pumps), however sure triage is, and nothing moves."""
    reply, probe = _ask_with_two_pumps(make_setup, processes, text)
    assert (reply["route"], reply["error"]["code"]) == ("local", "policy_violation"), reply
    assert reply["data"]["published"] is False
    probe.close()



def test_a_retained_request_is_refused_not_replayed_at_each_start(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """`mosquitto_pub -r` on the ask topic: the broker hands the request to the daemon at
    every start; it is refused (`retained`), and the pump is not switched each time."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9/v1"))
    reply_topic = f"{setup.prefix}-app/retained"
    probe = MqttProbe([reply_topic, f"{setup.prefix}/{setup.site}/actuators/#"])
    _pub(setup.ask_topic, "-r", "-m", json.dumps(
        {"id": "kept", "text": "turn on pump 2", "reply_to": reply_topic}))
    try:
        for _ in range(2):  # two starts of the daemon
            edge = start(processes, setup.edge())
            message = probe.next()  # a command would come before the reply that reports it
            assert message.topic == reply_topic
            reply = json.loads(message.payload)
            assert (reply["id"], reply["error"]["code"]) == ("kept", "retained"), reply
            edge.stop()
    finally:
        _pub(setup.ask_topic, "-r", "-n")
    probe.close()
