"""A gateway's request path built in process, as ``edge_agent.agent`` builds it.

A real AskHandler over SQLite files (outbox, history, actuation journal) and the shipped triage
model; a cloud answer is a real protobuf EscalateResponse handed to ``deliver`` as the link
hands it. The link itself is down (nothing listens on its port).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.agent import build_policy, build_registry
from edge_agent.ask import AskHandler
from edge_agent.config import CloudSection, EdgeConfig, GatewaySection
from edge_agent.history import History
from edge_agent.journal import Journal
from edge_agent.outbox import Outbox, OutboxItem
from edge_agent.skills import Skills
from edge_agent.sync import GrpcTransport, Link
from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb
from tests.support.escalations import escalation

CONFIG: dict[str, Any] = {  # as read from a config file
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
        return self.outbox.put(escalation(topic="app/replies", text=text, intent=intent,
                                          request_id="r1")).aged(age_s)

    def deliver(self, item: OutboxItem, *actions: pb.Action,
                replayed: bool = False) -> dict[str, Any]:
        """Hand a cloud answer proposing ``actions`` to the handler; the reply it sent."""
        response = pb.EscalateResponse(answer="ok.", backend="fake", actions=list(actions),
                                       replayed=replayed)
        asyncio.run(self.handler.deliver(item, response))
        return self.replies[-1]


def shipped_triage() -> Triage:
    """The shipped model over the gateway's registry (slow to load: once per module)."""
    return Triage(build_registry(EdgeConfig(**CONFIG)))


@contextmanager
def running_gateway(tmp_path: Path, triage: Triage) -> Iterator[Gateway]:
    """A gateway with a 60 s freshness window for cloud actions, closed on exit."""
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
    try:
        yield Gateway(handler, outbox, journal, replies, sent)
    finally:
        outbox.close()
        journal.close()


async def _never(*args: object) -> Any:
    raise AssertionError("not used")
