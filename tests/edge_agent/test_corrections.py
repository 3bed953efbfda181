"""Corrections of local answers on the gateway: follow-ups that say an answer was wrong, undos
of a command, explicit feedback; each counted once for the answering model, in a real outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.corrections import WINDOW_S, Corrections
from edge_agent.model_stats import ModelStats
from edge_agent.outbox import Outbox
from edge_agent.payloads import Feedback
from edge_agent.triage.decision import Decision

SET = Decision("set_actuator", "local", 0.93)
READ = Decision("query_state", "local", 0.97)
ON = {"device": "pump-2", "value": "on", "published": True}
OFF = {"device": "pump-2", "value": "off", "published": True}


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _parts(tmp_path: Path) -> tuple[Corrections, ModelStats, Outbox, _Clock]:
    stats, clock = ModelStats(), _Clock()
    outbox = Outbox(tmp_path / "outbox.db", max_items=100, max_bytes=1 << 20)
    stats.record("v1", local=True, clarify=False, latency_ms=1.0)
    return Corrections(outbox, stats, None, clock=clock), stats, outbox, clock


def _corrections(stats: ModelStats) -> int:
    return stats.messages()[0].corrections


@pytest.mark.parametrize("text", [
    "no, I meant pump 3", "No. The other one", "that's wrong", "That is not right",
    "wrong", "wrong device!", "not that one", "I meant the fan", "nein, Pumpe 3",
    "c'est faux"], ids=lambda t: t[:12])
def test_a_follow_up_that_says_it_was_wrong_corrects_the_last_answer(
        tmp_path: Path, text: str) -> None:
    """A follow-up saying the last local answer was wrong counts one correction and queues
    a correction item labelled ``escalate``."""
    corrections, stats, outbox, _ = _parts(tmp_path)
    corrections.remember("app/replies", "r1", "k1", "turn on pump 2", SET, "v1", ON)
    assert corrections.follow_up("app/replies", text)
    assert _corrections(stats) == 1
    [item] = outbox.pending(10)
    assert (item.kind, item.payload["label"], item.payload["method"]) == \
        ("correction", "escalate", "follow_up")
    assert item.payload["text"] == "turn on pump 2" and item.payload["said"] == text


@pytest.mark.parametrize("text", [
    "nothing else", "now turn on pump 3", "not bad", "notify me", "what is wrong with pump 2",
    "no alerts?"], ids=lambda t: t[:12])
def test_an_ordinary_follow_up_corrects_nothing(tmp_path: Path, text: str) -> None:
    """A request that does not say the answer was wrong is no correction."""
    corrections, stats, outbox, _ = _parts(tmp_path)
    corrections.remember("app/replies", "r1", "k1", "turn on pump 2", SET, "v1", ON)
    assert not corrections.follow_up("app/replies", text)
    assert _corrections(stats) == 0 and outbox.pending(10) == []


def test_only_the_same_requester_within_the_window_and_once(tmp_path: Path) -> None:
    """Another requester's "wrong", a late one, or a second one, corrects nothing more."""
    corrections, stats, _, clock = _parts(tmp_path)
    corrections.remember("app/replies", "r1", "k1", "turn on pump 2", SET, "v1", ON)
    assert not corrections.follow_up("other/replies", "that's wrong")
    assert corrections.follow_up("app/replies", "that's wrong")
    assert not corrections.follow_up("app/replies", "that's wrong")
    corrections.remember("app/replies", "r2", "k2", "how warm is zone 3", READ, "v1", {})
    clock.now += WINDOW_S + 1
    assert not corrections.follow_up("app/replies", "that's wrong")
    assert _corrections(stats) == 1


def test_switching_the_device_back_soon_is_an_undo(tmp_path: Path) -> None:
    """On, then off for the same device from the same requester, counts one correction of
    the first command; setting another value or another device does not."""
    corrections, stats, outbox, _ = _parts(tmp_path)
    corrections.remember("app/replies", "r1", "k1", "turn on pump 2", SET, "v1", ON)
    corrections.remember("app/replies", "r2", "k2", "switch pump 2 off", SET, "v1", OFF)
    assert _corrections(stats) == 1
    [item] = outbox.pending(10)
    assert (item.payload["ref"], item.payload["method"]) == ("k1", "undo")
    corrections.remember("app/replies", "r3", "k3", "fan 3 to 40", SET, "v1",
                         {"device": "fan-3", "value": 40.0, "published": True})
    corrections.remember("app/replies", "r4", "k4", "fan 3 to 50", SET, "v1",
                         {"device": "fan-3", "value": 50.0, "published": True})
    assert _corrections(stats) == 1


def test_explicit_feedback_names_the_intent_and_is_counted_once(tmp_path: Path) -> None:
    """Feedback with an intent labels the request with it; the second is not counted; an
    unknown id gets an error reply."""
    corrections, stats, outbox, _ = _parts(tmp_path)
    corrections.remember("app/replies", "r1", "k1", "pump 2 please", SET, "v1", ON)
    reply = corrections.feedback("app/replies", Feedback(feedback="wrong", id="r1",
                                                          intent="query_state"))
    assert (reply.id, reply.route, reply.intent, reply.error) == \
        ("r1", "local", "set_actuator", None)
    assert outbox.pending(10)[0].payload["label"] == "query_state"
    again = corrections.feedback("app/replies", Feedback(feedback="wrong", id="r1"))
    assert again.data is not None and again.data["counted"] is False
    unknown = corrections.feedback("app/replies", Feedback(feedback="wrong", id="r9"))
    assert unknown.error is not None and unknown.error.code == "unknown_request"
    assert _corrections(stats) == 1 and len(outbox.pending(10)) == 1
