"""Cloud-proposed actions: only for fresh answers to commands, only on named devices, once.

A real AskHandler over SQLite files (outbox, history, actuation journal) and the shipped triage
model; the cloud answer is a real protobuf EscalateResponse handed to ``deliver`` as the link
hands it. The link itself is down (nothing listens on its port).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edge_agent.agent import build_policy, build_registry
from edge_agent.ask import AskHandler, ReplyRoute
from edge_agent.config import CloudSection, EdgeConfig, GatewaySection
from edge_agent.history import History
from edge_agent.journal import Journal
from edge_agent.outbox import NewItem, Outbox, OutboxItem
from edge_agent.registry import Device
from edge_agent.skills import Skills
from edge_agent.sync import GrpcTransport, Link
from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb

CONFIG = {
    "gateway": {"id": "gw-ca", "site": "lab"},
    "sensors": [{"id": "t-104", "kind": "temperature", "area": "zone 3", "unit": "Cel"},
                {"id": "h-104", "kind": "humidity", "area": "zone 3", "unit": "%RH"}],
    "actuators": [{"id": "pump-2", "kind": "pump", "area": "line 2"},
                  {"id": "fan-3", "kind": "fan", "area": "zone 3", "control": "level",
                   "min": 0, "max": 100}]}
REPLIES = "nanogate/lab/replies"


@dataclass
class Gateway:
    """An AskHandler as the agent builds one, recording replies and actuator commands."""

    handler: AskHandler
    outbox: Outbox
    journal: Journal
    replies: list[dict[str, Any]]
    sent: list[tuple[str, float | str]]

    def escalation(self, text: str, intent: str, age_s: float = 0.0) -> OutboxItem:
        """An escalation as it sits in the outbox, ``age_s`` seconds old."""
        item = self.outbox.put(NewItem("escalation", REPLIES, {
            "request_id": "r1", "text": text, "intent": intent,
            "reply": ReplyRoute("app/replies").to_json()}))
        return OutboxItem(item.seq, item.key, item.kind, item.stream, item.payload,
                          item.created - age_s, item.expires)

    def deliver(self, item: OutboxItem, *actions: pb.Action,
                replayed: bool = False) -> dict[str, Any]:
        """Hand a cloud answer proposing ``actions`` to the handler; the reply it sent."""
        response = pb.EscalateResponse(answer="ok.", backend="fake", actions=list(actions),
                                       replayed=replayed)
        asyncio.run(self.handler.deliver(item, response))
        return self.replies[-1]


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model (loading it once per module)."""
    return Triage(build_registry(EdgeConfig(**CONFIG)))


@pytest.fixture
def gw(tmp_path: Path, triage: Triage) -> Iterator[Gateway]:
    """A gateway with a 60 s freshness window for cloud actions."""
    config = EdgeConfig(**{**CONFIG, "gateway": {**CONFIG["gateway"], "data_dir": tmp_path}})
    registry = build_registry(config)
    outbox = Outbox(tmp_path / "outbox.db", max_items=1000, max_bytes=1 << 20)
    journal = Journal(tmp_path / "actuations.db")
    sent: list[tuple[str, float | str]] = []
    replies: list[dict[str, Any]] = []
    skills = Skills(registry, History(tmp_path / "h.db", max_rows=100, max_age_s=3600),
                    build_policy(config), lambda d, v: sent.append((d, v)), journal=journal)
    link = Link(GrpcTransport("127.0.0.1:9"), outbox, CloudSection(),
                GatewaySection(id="gw-ca", site="lab", data_dir=tmp_path),
                on_answer=_never, on_command=_never, health=pb.HeartbeatRequest)
    handler = AskHandler(
        triage=triage, skills=skills, registry=registry, outbox=outbox, link=link,
        publish=lambda topic, body, corr, qos=1: replies.append(json.loads(body)),
        default_reply_topic=REPLIES, escalation_ttl_s=60, cloud_action_max_age_s=60)
    yield Gateway(handler, outbox, journal, replies, sent)
    outbox.close()
    journal.close()


async def _never(*args: object) -> Any:
    raise AssertionError("not used")


def test_an_answer_delivered_twice_actuates_once(gw: Gateway) -> None:
    """The same answer again (replayed by the broker) is reported, not sent again."""
    item = gw.escalation("turn on pump 2", "set_actuator")
    first = gw.deliver(item, pb.Action(device_id="pump-2", command="on"))
    again = gw.deliver(item, pb.Action(device_id="pump-2", command="on"), replayed=True)
    assert gw.sent == [("pump-2", "on")]
    assert first["data"]["actions"][0]["published"] is True
    [action] = again["data"]["actions"]
    assert action["published"] is False and "Already done" in action["result"]
    assert gw.journal.count(item.key) == 1


@pytest.mark.parametrize(("text", "intent", "age", "reason"), [
    pytest.param("turn on pump 2", "set_actuator", 6 * 86400.0, "cloud actions run only within",
                 id="six-days-old"),
    pytest.param("what is the temperature in zone 3?", "query_state", 0.0,
                 "the request was not a command", id="query"),
    pytest.param("why is zone 3 so warm?", "escalate", 0.0, "the request was not a command",
                 id="reasoning"),
])
def test_actions_that_may_not_run_are_proposals(gw: Gateway, text: str, intent: str,
                                                age: float, reason: str) -> None:
    """Stale answers and answers to questions propose; nothing is sent or journalled."""
    reply = gw.deliver(gw.escalation(text, intent, age), pb.Action(device_id="fan-3",
                                                                   command="set", value="100"))
    assert gw.sent == [] and gw.journal.count() == 0
    assert reply["data"]["proposals"] == [{"device": "fan-3", "command": "set", "value": "100"}]
    assert "actions" not in reply["data"] and reason in reply["answer"]


@pytest.mark.parametrize(("device", "says"), [
    ("fan-3", "the request did not name fan-3"),
    ("pump-9", "not a declared actuator"),
    ("gw-other/pump-2", "not a declared actuator"),
    ("t-104", "not a declared actuator"),
])
def test_cloud_actions_outside_what_the_request_named_are_refused(
        gw: Gateway, device: str, says: str) -> None:
    """A command about pump 2: the cloud may move pump-2, nothing else."""
    reply = gw.deliver(gw.escalation("turn on pump 2", "set_actuator"),
                       pb.Action(device_id=device, command="on"),
                       pb.Action(device_id="pump-2", command="on"))
    refused, done = reply["data"]["actions"]
    assert refused["published"] is False and says in refused["result"]
    assert done["published"] is True and gw.sent == [("pump-2", "on")]


@pytest.mark.parametrize(("text", "answer"), [
    ("temperature in zone 42?", "There is no zone 42 here"),
    ("turn off fan-3 in zone 42 now", "There is no zone 42 here"),
    ("turn on pump 2 in zone 3", "pump-2 is in line 2, not in zone 3"),
    ("what is the humidity in zone 3?", "has not reported yet"),
])
def test_names_only_the_gateway_knows_are_answered_here(gw: Gateway, text: str,
                                                        answer: str) -> None:
    """Unknown names get a local question; a read of one real device is answered here."""
    asyncio.run(_handle(gw.handler, text))
    [reply] = gw.replies
    assert reply["route"] == "local" and answer in reply["answer"], reply
    assert gw.sent == [] and gw.outbox.status().depth == 0


async def _handle(handler: AskHandler, text: str) -> None:
    """Inside a running loop, as the agent calls it (an escalation would start a task)."""
    handler.handle(json.dumps({"id": "q1", "text": text}).encode(), "app/replies", None)


def test_journal_survives_reopening(tmp_path: Path) -> None:
    """An actuation recorded before a crash is still known after the file is reopened."""
    journal = Journal(tmp_path / "a.db")
    assert journal.record("k1", "pump-2", "on", "on", "cloud") is True
    assert journal.record("k1", "pump-2", "on", "on", "cloud") is False
    journal.close()
    again = Journal(tmp_path / "a.db")
    assert again.seen("k1", "pump-2", "on") and not again.seen("k1", "pump-2", "off")
    assert again.count() == 1
    again.close()


@pytest.mark.parametrize("text", ["turn on the pump", "turn on all pumps", "turn it on"],
                         ids=["ambiguous", "group-without-policy", "nothing-named"])
def test_cloud_cannot_pick_for_a_command_that_was_not_exact(tmp_path: Path, text: str) -> None:
    """Where the gateway would ask which one, a cloud answer may not choose for the user."""
    registry = build_registry(EdgeConfig(**CONFIG))
    registry.add(Device("pump-5", "actuator", "pump", "line 3"))
    skills = Skills(registry, History(tmp_path / "h.db", max_rows=10, max_age_s=60),
                    build_policy(EdgeConfig(**CONFIG)), lambda d, v: None)
    slots = Triage(registry).classify(text).slots
    assert skills.scope(slots) == set()
