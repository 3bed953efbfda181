"""Cloud answers to redacted requests: placeholders are restored before the policy sees an
action, and one the model invented is never taken for a device (the gateway of
``tests.support.gateway``: a real AskHandler over SQLite files and the shipped model)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb
from tests.support.escalations import escalation
from tests.support.gateway import Gateway, running_gateway, shipped_triage


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model (loading it once per module)."""
    return shipped_triage()


@pytest.fixture
def gw(tmp_path: Path, triage: Triage) -> Iterator[Gateway]:
    """A gateway with a 60 s freshness window for cloud actions."""
    with running_gateway(tmp_path, triage) as gateway:
        yield gateway


def test_placeholders_in_actions_are_restored_and_invented_ones_refused(gw: Gateway) -> None:
    """<DEVICE_1> (sent) switches pump-2; <DEVICE_9> (never sent) switches nothing, is flagged."""
    item = gw.outbox.put(escalation(topic="app/replies", text="turn on <DEVICE_1>",
                                    intent="set_actuator", request_id="r1",
                                    redaction={"<DEVICE_1>": "pump-2"}))
    response = pb.EscalateResponse(answer="Turning on <DEVICE_1>.", backend="fake", actions=[
        pb.Action(device_id="<DEVICE_1>", command="on"),
        pb.Action(device_id="<DEVICE_9>", command="on")])
    asyncio.run(gw.handler.deliver(item, response))
    reply = gw.replies[-1]
    assert gw.sent == [("pump-2", "on")]
    done, refused = reply["data"]["actions"]
    assert (done["device"], done["ok"]) == ("pump-2", True)
    assert (refused["device"], refused["ok"], refused["published"]) == ("<DEVICE_9>", False, False)
    assert reply["data"]["unknown_placeholders"] == ["<DEVICE_9>"]
    assert reply["answer"].startswith("Turning on pump-2.")
