"""Actions held for approval on the gateway: held not sent, decided once, policy has the last
word, expiry answered, all across a reopen of the SQLite file (a daemon restart)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from edge_agent.approvals import Approvals, HeldStore
from edge_agent.history import History
from edge_agent.journal import Journal
from edge_agent.outbox import Outbox
from edge_agent.payloads import Reply
from edge_agent.policy import ActuationPolicy, Rule
from edge_agent.registry import Device, Registry
from edge_agent.skills import Skills

ROUTE = {"topic": "app/replies", "correlation": "Y29ycg=="}  # correlation b"corr"


class Gateway:
    """Skills over real SQLite files, an outbox and a held store; records what is sent."""

    def __init__(self, tmp_path: Path, window_s: float = 900.0) -> None:
        self.tmp = tmp_path
        registry = Registry()
        registry.add(Device("fan-3", "actuator", "fan", "zone 3", "%", control="level",
                            min_value=0, max_value=100))
        registry.add(Device("pump-2", "actuator", "pump", "line 2"))
        policy = ActuationPolicy([Rule("fan-3", "level", 0, 100, require_approval="always"),
                                  Rule("pump-2", "switch", require_approval="cloud")])
        self.sent: list[tuple[str, float | str]] = []
        self.replies: list[tuple[dict[str, str], Reply]] = []
        self.skills = Skills(registry, History(tmp_path / "history.db", max_rows=100,
                                               max_age_s=3600), policy,
                             lambda device, value: self.sent.append((device, value)),
                             journal=Journal(tmp_path / "actuations.db"))
        self.outbox = Outbox(tmp_path / "outbox.db", max_items=1000, max_bytes=1 << 20)
        self.window_s = window_s
        self.reopen()

    def reopen(self) -> None:
        """Open the held store again, as a restarted daemon does."""
        self.store = HeldStore(self.tmp / "held.db")
        self.approvals = Approvals(self.store, outbox=self.outbox, skills=self.skills,
                                   send=lambda route, reply: self.replies.append((route, reply)),
                                   window_s=self.window_s, question_ttl_s=3600)

    def hold(self, device: str = "fan-3", value: float | str = 40, source: str = "local") -> str:
        result = self.skills.actuate(device, value, source=source, key="rq-1")  # type: ignore[arg-type]
        assert result.data["pending"] and self.sent == []
        return self.approvals.hold_action(result, request_key="rq-1", request_id="r-1",
                                          intent="set_actuator", route=ROUTE, text="fan 3 to 40")


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    """A gateway whose fan always needs approval and whose pump needs it for cloud actions."""
    return Gateway(tmp_path)


def test_a_held_action_goes_up_and_runs_once_after_approval_across_a_restart(
        gw: Gateway) -> None:
    """Held: nothing sent, an approval item in the outbox; approved after a restart: sent once,
    answered on the original route; a second approval finds nothing to do."""
    held = gw.hold()
    [item] = gw.outbox.pending(10)
    assert (item.kind, item.payload["device"], item.payload["value"]) == ("approval", "fan-3", 40.0)
    gw.reopen()
    result = asyncio.run(gw.approvals.decide({"id": held, "approved": True, "by": "olga"}))
    assert result["published"] and gw.sent == [("fan-3", 40.0)]
    [(route, reply)] = gw.replies
    assert route == ROUTE and (reply.id, reply.route, reply.error) == ("r-1", "local", None)
    again = asyncio.run(gw.approvals.decide({"id": held, "approved": True}))
    assert not again["done"] and gw.sent == [("fan-3", 40.0)]


def test_only_cloud_actions_wait_when_the_policy_says_cloud(gw: Gateway) -> None:
    """require_approval = "cloud": a local command runs; the cloud's proposal is held."""
    assert gw.skills.actuate("pump-2", "off", source="local", key="k1").data["published"]
    assert gw.skills.actuate("pump-2", "on", source="cloud", key="k2").data["pending"]
    assert gw.skills.actuate("pump-2", "on", source="operator", key="k3").data["published"]


def test_rejection_and_expiry_are_answered_and_send_nothing(tmp_path: Path) -> None:
    """A rejection says who and why; an action not decided in its window is answered expired."""
    gw = Gateway(tmp_path, window_s=60)
    held = gw.hold()
    asyncio.run(gw.approvals.decide({"id": held, "approved": False, "reason": "night shift",
                                     "by": "olga"}))
    assert gw.replies[-1][1].error is not None
    assert gw.replies[-1][1].error.code == "approval_rejected"
    assert "night shift" in gw.replies[-1][1].answer
    gw.skills.actuate("fan-3", 50, source="local", key="rq-2")
    result = gw.skills.actuate("fan-3", 50, source="local", key="rq-2")
    gw.approvals.hold_action(result, request_key="rq-2", request_id="r-2",
                             intent="set_actuator", route=ROUTE, text="fan 3 to 50")
    assert gw.approvals.expire_due() == 0
    gw.reopen()
    assert gw.approvals.expire_due(now=10**10) == 1
    assert gw.replies[-1][1].error is not None
    assert (gw.replies[-1][1].id, gw.replies[-1][1].error.code) == ("r-2", "approval_expired")
    assert gw.sent == [] and gw.store.count() == 0


def test_an_approval_cannot_push_a_value_outside_the_policy(gw: Gateway) -> None:
    """Out of range is refused before anything is held; a held value that is out of range by
    the time it is approved (here: altered in the store) is refused by the policy again."""
    refused = gw.skills.actuate("fan-3", 400, source="local", key="rq-9")
    assert refused.error_code == "policy_violation" and not refused.data.get("pending")
    held = gw.hold()
    stored = gw.store.get(held)
    assert stored is not None
    gw.store.remove(held)
    gw.store.put(dataclasses.replace(stored, doc={**stored.doc, "value": 400}))
    result = asyncio.run(gw.approvals.decide({"id": held, "approved": True}))
    assert not result["published"] and gw.sent == []
    assert gw.replies[-1][1].error is not None
    assert gw.replies[-1][1].error.code == "policy_violation"
