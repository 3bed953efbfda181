"""Cloud-proposed actions: only for fresh answers to commands, only on named devices, once.

The gateway of ``tests.support.gateway``: a real AskHandler over SQLite files and the shipped
triage model, handed real protobuf answers as the link hands them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.agent import build_policy, build_registry
from edge_agent.ask import AskHandler
from edge_agent.config import EdgeConfig
from edge_agent.history import History
from edge_agent.journal import Journal
from edge_agent.registry import Device
from edge_agent.skills import Skills
from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb
from tests.support.gateway import CONFIG, Gateway, running_gateway, shipped_triage


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model (loading it once per module)."""
    return shipped_triage()


@pytest.fixture
def gw(tmp_path: Path, triage: Triage) -> Iterator[Gateway]:
    """A gateway with a 60 s freshness window for cloud actions."""
    with running_gateway(tmp_path, triage) as gateway:
        yield gateway


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
