"""Hostile requests against the real daemon: poison reply topics, unknown models, floods.

Each must leave the gateway answering: a bad item is dead-lettered, a permanent error is an
error reply (not a retry loop), and a flood of escalations never crowds out command acks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from edge_agent.outbox import Outbox
from tests.support.escalations import escalation
from tests.support.fake_openai import FakeOpenAI
from tests.support.gated_model import GatedModel
from tests.support.processes import Daemon, MqttProbe, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start

HARD = "write a short maintenance checklist for the cooling towers"
LOCAL = "what is the temperature in zone 3?"


def running(setup: Setup, processes: list[Daemon]) -> Daemon:
    """Broker and edge up, the edge's link ready; returns the edge."""
    start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up", timeout=60)
    return edge


def ask(probe: MqttProbe, setup: Setup, request: dict[str, Any], reply_topic: str,
        correlation: bytes | None = None) -> None:
    """Publish one request with an MQTT 5 response topic."""
    probe.publish(setup.ask_topic, json.dumps(request), response_topic=reply_topic,
                  correlation=correlation)


def final(probe: MqttProbe, request_id: str, timeout: float = 60) -> dict[str, Any]:
    """The next reply to this request that is not ``queued``."""
    while True:
        reply: dict[str, Any] = probe.json(timeout=timeout)
        if reply["id"] == request_id and reply["route"] != "queued":
            return reply


def events(daemon: Daemon, event: str) -> list[dict[str, Any]]:
    """The daemon's log lines with this event."""
    return [line for line in daemon.logs() if line.get("event") == event]


@pytest.mark.slow
def test_wildcard_response_topic_gets_an_error_and_the_daemon_answers_on(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """An MQTT 5 Response Topic 'x/#' is refused like reply_to; the next request is answered."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    edge = running(setup, processes)
    default_topic, reply_topic = f"{setup.prefix}/lab/replies", f"{setup.prefix}/app/replies"
    probe = MqttProbe([default_topic, reply_topic])
    ask(probe, setup, {"id": "evil", "text": HARD}, "x/#", b"c-evil")
    refused = final(probe, "evil")
    assert refused["error"]["code"] == "bad_reply_topic"
    ask(probe, setup, {"id": "next", "text": HARD}, reply_topic)
    answer = final(probe, "next")
    assert answer["route"] == "escalated" and "error" not in answer
    assert edge.alive() and len(fake_cloud.requests) == 1  # the refused one never went up
    probe.close()


@pytest.mark.slow
def test_poison_item_in_the_outbox_at_start_is_dead_lettered_and_the_rest_drain(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """An escalation stored with an unpublishable reply route does not stop the drain."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    reply_topic = f"{setup.prefix}/app/replies"
    outbox = Outbox(setup.tmp / "edge" / "outbox.db", max_items=1000, max_bytes=1 << 22)
    for key, topic in (("poison", "x/#"), ("good", reply_topic)):
        outbox.put(escalation(key, topic, text=f"{HARD} ({key})"))
    outbox.close()
    probe = MqttProbe([reply_topic])
    edge = running(setup, processes)
    assert final(probe, "good")["route"] == "escalated"
    edge.wait_log("outbox.dead_lettered", timeout=30, key="poison")
    ask(probe, setup, {"id": "after", "text": HARD}, reply_topic)
    assert final(probe, "after")["route"] == "escalated"
    assert edge.alive()
    probe.close()


@pytest.mark.slow
def test_unknown_model_gets_an_error_reply_without_hammering_the_broker(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A requester allowed to pick a model names one nobody serves: one error, few calls."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        "[mqtt]\n", f'[mqtt]\nmodel_choice_topics = ["{setup.prefix}/console/#"]\n'))
    edge = running(setup, processes)
    console, app = f"{setup.prefix}/console/replies", f"{setup.prefix}/app/replies"
    probe = MqttProbe([console, app])
    ask(probe, setup, {"id": "m1", "text": HARD, "model": "no-such-model"}, console)
    reply = final(probe, "m1")
    assert reply["error"]["code"] == "unknown_model"
    ask(probe, setup, {"id": "m2", "text": LOCAL, "model": "no-such-model"}, app)
    assert final(probe, "m2")["route"] == "local"  # not allowed to choose: `model` ignored
    ask(probe, setup, {"id": "fence", "text": HARD}, console)
    assert final(probe, "fence")["route"] == "escalated"
    broker = processes[0]
    calls = events(broker, "escalation.unknown_model") + events(broker, "escalation.replayed")
    assert 1 <= len(calls) <= 3
    assert not events(edge, "link.down")
    probe.close()


@pytest.mark.slow
def test_an_escalation_too_long_for_the_model_is_an_error_reply_not_an_outage(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """The model refuses escalations over its context: each requester hears
    `context_length_exceeded` once, the breaker stays closed and the next one is answered."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    edge = running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    fake_cloud.mode = "too_long"
    for n in range(4):  # past the breaker's threshold of 3
        ask(probe, setup, {"id": f"long{n}", "text": f"{HARD} ({n})"}, reply_topic)
        assert final(probe, f"long{n}")["error"]["code"] == "context_length_exceeded"
    fake_cloud.mode = "ok"
    ask(probe, setup, {"id": "next", "text": HARD}, reply_topic)
    answer = final(probe, "next")
    assert answer["route"] == "escalated" and "error" not in answer
    broker = processes[0]
    assert not events(broker, "breaker.opened")
    assert len(events(broker, "escalation.rejected")) == 4  # never replayed by the gateway
    assert edge.alive()
    probe.close()


@pytest.fixture
def stuck_model() -> Iterator[GatedModel]:
    """A model that answers nothing until the test ends: escalations pile up."""
    server = GatedModel()
    yield server
    server.close()


@pytest.mark.slow
def test_flood_of_escalations_leaves_room_for_command_acks_and_requests(
        make_setup: Callable[..., Setup], stuck_model: GatedModel,
        processes: list[Daemon]) -> None:
    """400 requests from 400 reply topics: a command is still acked, a request still answered."""
    setup = make_setup(FAKE_BACKEND.format(base_url=stuck_model.base_url), escalate_timeout=1)
    setup.edge_config.write_text(setup.edge_config.read_text()
                                 + "\n[outbox]\nmax_items = 100\n")
    edge = running(setup, processes)
    probe = MqttProbe([f"{setup.prefix}/flood/#", f"{setup.prefix}/app/replies"])
    for n in range(400):
        ask(probe, setup, {"id": f"f{n}", "text": f"{HARD} ({n})", "model": "fake-large"},
            f"{setup.prefix}/flood/{n}")
    first: dict[str, str] = {}
    while len(first) < 400:  # every flood request hears something: queued, busy or full
        reply = probe.json(timeout=60)
        first.setdefault(reply["id"], reply.get("error", {}).get("code", reply["route"]))
    headers = {"Authorization": "Bearer test-admin-token"}
    base = f"http://127.0.0.1:{setup.http_port}/api"
    sent = httpx.post(f"{base}/commands", headers=headers, timeout=30, json={
        "device": "gw-test", "name": "drain_outbox", "ttl_s": 600}).json()
    command_id = sent["commands"][0]["id"]

    def acked() -> bool:
        listed = httpx.get(f"{base}/commands", headers=headers, timeout=30).json()
        return any(c["id"] == command_id and c["state"] == "acked" for c in listed)

    wait_until(acked, timeout=90, what="the command acked")
    ask(probe, setup, {"id": "legit", "text": LOCAL}, f"{setup.prefix}/app/replies")
    legit = final(probe, "legit")
    assert legit["route"] == "local" and "error" not in legit
    assert not events(edge, "command.ack_lost")
    assert "busy" in first.values()  # the budget, not the outbox, stopped the flood
    probe.close()
