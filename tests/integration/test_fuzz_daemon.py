"""Fuzzed requests and telemetry over real MQTT into a running edge daemon: it answers and lives.

Everything goes through real paho clients and the real Mosquitto: hostile payloads, MQTT 5
properties (response topics, correlation data of any size, user properties) and MQTT 3.1.1
``reply_to`` fields. Each reply is checked against what the request must get (tests.support
.oracle), and the daemon must answer a plain request afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import paho.mqtt.client as paho
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from edge_agent.payloads import BadPayload, parse_ask
from tests.support.fake_openai import FakeOpenAI
from tests.support.oracle import REQUEST_CODES, gateway_topic, request_error
from tests.support.payloads import ask_payloads, dump, telemetry_payloads
from tests.support.processes import Daemon, MqttProbe, wait_until
from tests.support.requester import Requester
from tests.support.stack import FAKE_BACKEND, Setup, start

ASKS, READINGS, PROPERTIES, REPLY_TOS = 300, 300, 120, 100
MAX_PAYLOAD = 64 * 1024  # the daemon's default [mqtt] max_payload_bytes
HARD = "why would a greenhouse get warmer at night than during the day, and what should I check?"

# What an MQTT broker accepts in a topic or a UTF-8 string property: no lone surrogates, no
# control characters, no non-characters (Mosquitto disconnects a client that sends them).
_MQTT_SAFE: Final = ("Cs", "Cc", "Cn")
_mqtt_text = st.text(st.characters(exclude_categories=_MQTT_SAFE), max_size=60)
# A reply topic of the requester's own that the gateway accepts: no wildcards and nothing
# invisible (format characters too); refused topics are test_hostile_response_topics_...'s.
_suffix = st.text(st.characters(exclude_categories=(*_MQTT_SAFE, "Cf", "Co"),
                                exclude_characters="+#"), max_size=60)
_texts = st.sampled_from(["list devices", "turn off pump 2", "set fan 3 to 40", HARD,
                          "what is the temperature in zone 3?", "\u200b", ""]) | _mqtt_text
_correlation = st.none() | st.binary(max_size=64) | st.sampled_from([b"", b"\x00" * 65_535])
_user_properties = st.lists(st.tuples(_mqtt_text, _mqtt_text), max_size=5)
# Any character JSON can carry, lone surrogates, NUL and wildcards included.
_any_text = st.text(st.characters(exclude_categories=()), max_size=60)


def _generate(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """n examples as hypothesis generates them (no shrinking: the test checks them all)."""
    found: list[Any] = []

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found


def _collect(probe: MqttProbe, want: int, timeout: float = 120) -> dict[str, list[Any]]:
    """Every message that arrives until ``want`` topics have one, by topic."""
    got: dict[str, list[Any]] = {}

    def enough() -> bool:
        while not probe.messages.empty():
            message = probe.messages.get()
            got.setdefault(message.topic, []).append(message)
        return len(got) >= want

    wait_until(enough, timeout=timeout, what=f"replies on {want} topics")
    return got


def _still_answers(edge: Daemon, setup: Setup, topic: str) -> None:
    """The daemon is alive, answers a plain request, and never failed on a message."""
    assert edge.alive()
    probe = MqttProbe([topic])
    probe.publish(setup.telemetry_topic("t-104"), json.dumps({"value": 19.5, "unit": "Cel"}))
    probe.publish(setup.ask_topic, json.dumps(
        {"id": "ok", "text": "current temperature of t-104"}), response_topic=topic)
    final = probe.json()
    assert final["id"] == "ok" and "19.5" in final["answer"], final
    probe.close()
    assert edge.alive()
    assert not [line for line in edge.logs() if line.get("event") == "message.failed"]


def _check(reply: dict[str, Any], payload: bytes, topic: str | None, prefix: str,
           final_routes: set[str]) -> None:
    """The reply is the one the request must get: its error code, or a real answer."""
    _, code = request_error(payload, topic, prefix=prefix, max_payload=MAX_PAYLOAD)
    if code is not None:
        assert reply.get("error", {}).get("code") == code, (payload[:200], reply)
    else:
        assert reply.get("error", {}).get("code") not in REQUEST_CODES, (payload[:200], reply)
        assert reply["route"] in final_routes, reply


def test_daemon_survives_fuzzed_requests_and_telemetry(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Hundreds of hostile payloads each get the reply they must; then all still works."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    edge = start(processes, setup.edge())  # no cloud broker: escalations are answered "queued"
    edge.wait_log("agent.started")
    replies = f"{setup.prefix}/fz"
    probe = MqttProbe([f"{replies}/#"])
    sensors = ["t-104", "pump-2", "x-9", "t-900"]
    for n, payload in enumerate(_generate(telemetry_payloads, READINGS)):
        probe.publish(setup.telemetry_topic(sensors[n % len(sensors)]), payload)
    asks = _generate(ask_payloads, ASKS)
    for n, payload in enumerate(asks):  # a reply topic of its own each: no redelivery, no limit
        probe.publish(setup.ask_topic, payload, response_topic=f"{replies}/{n}")
    answered = _collect(probe, len(asks))
    for n, payload in enumerate(asks):
        [message] = answered[f"{replies}/{n}"]
        _check(json.loads(message.payload), payload, f"{replies}/{n}", setup.prefix,
               {"local", "queued"})
    probe.close()
    _still_answers(edge, setup, f"{replies}/final")


def _running(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
             processes: list[Daemon]) -> tuple[Setup, Daemon]:
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up")
    return setup, edge


_properties = st.tuples(ask_payloads | _texts.map(lambda t: dump({"id": "p", "text": t})),
                        _suffix, _correlation, _user_properties)


def test_daemon_answers_fuzzed_mqtt5_properties(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Any response topic of our own, correlation data of any size and any user properties:
    one reply each, on that topic, carrying that correlation data."""
    setup, edge = _running(make_setup, fake_cloud, processes)
    root = f"{setup.prefix}/fz5"
    probe = MqttProbe([f"{root}/#"])
    requester = Requester()
    examples = _generate(_properties, PROPERTIES)
    for n, (payload, suffix, correlation, user_properties) in enumerate(examples):
        requester.publish(setup.ask_topic, payload, response_topic=f"{root}/{n}/{suffix}",
                          correlation=correlation, user_properties=user_properties)
    answered = _collect(probe, len(examples))
    for n, (payload, suffix, correlation, _) in enumerate(examples):
        topic = f"{root}/{n}/{suffix}"
        [message] = answered[topic]
        assert (getattr(message.properties, "CorrelationData", None) or b"") == (correlation or b"")
        _check(json.loads(message.payload), payload, topic, setup.prefix,
               {"local", "escalated"})
    requester.close()
    probe.close()
    _still_answers(edge, setup, f"{root}/final")


def test_hostile_response_topics_are_refused_and_the_daemon_lives(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Wildcards, $ topics and the gateway's own topics as MQTT 5 response topics: each
    request is refused on the site's replies topic, queued or not, and the daemon lives."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=3)
    edge = start(processes, setup.edge())  # the broker comes later: escalations queue first
    edge.wait_log("agent.started")
    default = f"{setup.prefix}/{setup.site}/replies"
    probe = MqttProbe([default, f"{setup.prefix}/fzh/#"])
    requester = Requester()
    hostile = [f"{setup.prefix}/fzh/+", f"{setup.prefix}/fzh/#", "x/#", "+/+/replies",
               "$SYS/broker/x", f"{setup.prefix}/{setup.site}/actuators/pump-2/set",
               f"{setup.prefix}/{setup.site}/ask"]
    for n, topic in enumerate(hostile):
        for kind, text in (("local", "list devices"), ("hard", HARD)):
            requester.publish(setup.ask_topic, dump({"id": f"h{n}-{kind}", "text": text}),
                              response_topic=topic, correlation=f"c{n}".encode())
    start(processes, setup.broker(), setup.grpc_port)
    edge.wait_log("link.up", timeout=60)
    ids = {f"h{n}-{kind}" for n in range(len(hostile)) for kind in ("local", "hard")}
    refused: dict[str, list[dict[str, Any]]] = {}

    def all_refused() -> bool:
        while not probe.messages.empty():
            message = probe.messages.get()
            assert message.topic == default, message.topic
            reply = json.loads(message.payload)
            refused.setdefault(reply["id"], []).append(reply)
        return set(refused) >= ids

    wait_until(all_refused, timeout=60, what="a refusal for every hostile response topic")
    assert all(len(replies) == 1 and replies[0].get("error") for replies in refused.values())
    requester.close()
    probe.close()
    _still_answers(edge, setup, f"{setup.prefix}/fzh-final")


_reply_tos = st.tuples(_texts, _any_text | _suffix, st.booleans())


def _destination(payload: bytes, default: str, prefix: str) -> str:
    """Where the reply to an MQTT 3.1.1 request must go."""
    try:
        request = parse_ask(payload)
    except BadPayload:
        return default
    if not request.reply_to or gateway_topic(request.reply_to, prefix):
        return default
    return request.reply_to


def test_daemon_answers_fuzzed_reply_to_over_mqtt311(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """MQTT 3.1.1 requests whose reply_to is anything JSON can carry: one reply each, on that
    topic when it is a valid one, else on the site's replies topic with the error."""
    setup, edge = _running(make_setup, fake_cloud, processes)
    root, default = f"{setup.prefix}/fz3", f"{setup.prefix}/{setup.site}/replies"
    probe = MqttProbe([f"{root}/#", default], protocol=paho.MQTTv311)
    watched: dict[str, tuple[bytes, str]] = {}  # id -> (payload, where its reply must go)
    for n, (text, suffix, under_root) in enumerate(_generate(_reply_tos, REPLY_TOS)):
        payload = dump({"id": f"f{n}", "text": text,
                        "reply_to": f"{root}/{n}/{suffix}" if under_root else suffix})
        probe.publish(setup.ask_topic, payload)
        where = _destination(payload, default, setup.prefix)
        if where == default or where.startswith(root + "/"):  # topics we listen on
            watched[f"f{n}"] = (payload, where)
    by_id: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def every_id_answered() -> bool:
        while not probe.messages.empty():
            message = probe.messages.get()
            reply = json.loads(message.payload)
            by_id.setdefault(reply["id"], []).append((message.topic, reply))
        return set(by_id) >= set(watched)

    wait_until(every_id_answered, timeout=120, what="a reply to every request")
    for request_id, (payload, where) in watched.items():
        [(topic, reply)] = by_id[request_id]
        assert topic == where, (payload, topic)
        _check(reply, payload, None, setup.prefix, {"local", "escalated"})
    probe.close()
    _still_answers(edge, setup, f"{root}/final")
