"""README promises about requests over MQTT that no other test covered, on real processes."""

from __future__ import annotations

import json
from collections.abc import Callable

import paho.mqtt.client as paho

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, correlation
from tests.support.stack import FAKE_BACKEND, Setup, start

HARD = "why would a greenhouse get warmer at night than during the day, and what should I check?"


def _ask_311(probe: MqttProbe, setup: Setup, request_id: str, text: str,
             reply_to: str | None) -> None:
    doc = {"id": request_id, "text": text}
    if reply_to is not None:
        doc["reply_to"] = reply_to
    probe.publish(setup.ask_topic, json.dumps(doc))


def test_queued_answer_reaches_reply_to_after_a_restart(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """MQTT 3.1.1: queued while the broker is down; after a daemon restart the answer follows
    on the same reply_to topic with the same id."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=5)
    reply_to = f"{setup.prefix}/legacy/replies"
    probe = MqttProbe([reply_to], protocol=paho.MQTTv311)
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")
    _ask_311(probe, setup, "q311", HARD, reply_to)
    queued = probe.json()
    assert (queued["id"], queued["route"]) == ("q311", "queued"), queued
    edge.kill()
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")
    start(processes, setup.broker(), setup.grpc_port)
    answer = probe.json(timeout=60)
    assert (answer["id"], answer["route"]) == ("q311", "escalated"), answer
    assert answer["answer"].startswith("cloud answer #")
    assert len(fake_cloud.requests) == 1
    probe.close()


def test_set_actuator_and_escalation_over_reply_to(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """MQTT 3.1.1: a command drives the actuator and an escalation is answered, on reply_to."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    start(processes, setup.broker(), setup.grpc_port)
    start(processes, setup.edge()).wait_log("link.up")
    reply_to = f"{setup.prefix}/legacy/replies"
    probe = MqttProbe([reply_to], protocol=paho.MQTTv311)
    actuator = MqttProbe([f"{setup.prefix}/{setup.site}/actuators/pump-2/set"])
    _ask_311(probe, setup, "r2", "turn off pump 2", reply_to)
    command = probe.json()
    assert (command["id"], command["route"], command["intent"]) == \
        ("r2", "local", "set_actuator"), command
    assert "error" not in command, command
    assert json.loads(actuator.next().payload)["value"] == "off"
    _ask_311(probe, setup, "r3", HARD, reply_to)
    answer = probe.json()
    assert (answer["id"], answer["route"]) == ("r3", "escalated"), answer
    assert answer["data"]["backend"] == "fake-cloud"
    probe.close()
    actuator.close()


def test_replies_without_a_reply_topic_go_to_the_site_replies_topic(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """With neither a response topic nor reply_to, the reply goes to <prefix>/<site>/replies."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    start(processes, setup.edge()).wait_log("agent.started")
    default = f"{setup.prefix}/{setup.site}/replies"
    probe = MqttProbe([default], protocol=paho.MQTTv311)
    _ask_311(probe, setup, "d1", "list devices", None)
    reply = probe.json()
    assert (reply["id"], reply["intent"]) == ("d1", "list_devices"), reply
    mqtt5 = MqttProbe([default])
    mqtt5.publish(setup.ask_topic, json.dumps({"id": "d2", "text": "list devices"}))
    assert mqtt5.json()["id"] == "d2"
    probe.close()
    mqtt5.close()


def test_store_full_reaches_the_requester(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """When only requests fill the outbox, the next one is refused with store_full, on the
    requester's own topic; the cap comes from the environment (NANOGATE_EDGE_OUTBOX__...)."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=2)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    edge = setup.edge()
    # All of the outbox for requests (by default they may take half, so acks keep room).
    edge.env = {"NANOGATE_EDGE_OUTBOX__MAX_ITEMS": "2",
                "NANOGATE_EDGE_OUTBOX__ESCALATION_SHARE": "1.0"}
    start(processes, edge).wait_log("agent.started")
    routes = []
    for n in range(3):
        probe.publish(setup.ask_topic, json.dumps({"id": f"s{n}", "text": f"{HARD} ({n})"}),
                      response_topic=reply_topic, correlation=f"c{n}".encode())
        message = probe.next()
        reply = json.loads(message.payload)
        assert reply["id"] == f"s{n}" and correlation(message) == f"c{n}".encode()
        routes.append((reply["route"], reply.get("error", {}).get("code")))
    assert routes == [("queued", None), ("queued", None), ("local", "store_full")], routes
    assert edge.alive()
    probe.close()


def test_a_requesters_answers_keep_their_order(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Requests queued while the cloud is away are answered, when it returns, in the order
    the requester sent them."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=5)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    start(processes, setup.edge()).wait_log("agent.started")
    sent = [f"o{n}" for n in range(8)]
    for n, request_id in enumerate(sent):
        probe.publish(setup.ask_topic, json.dumps({"id": request_id, "text": f"{HARD} ({n})"}),
                      response_topic=reply_topic)
    assert [probe.json()["route"] for _ in sent] == ["queued"] * len(sent)
    start(processes, setup.broker(), setup.grpc_port)
    answers = [probe.json(timeout=60) for _ in sent]
    assert [(a["id"], a["route"]) for a in answers] == [(i, "escalated") for i in sent]
    probe.close()
