"""Labels from the cloud and from operators, on SQLite and PostgreSQL, with a real router
and the fake model server on loopback: one label per answered request, judged off the reply's
path; unknown judgements dropped and counted; operator corrections; retention."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from cloud_broker.config import LearningSection
from cloud_broker.fleet import SqlFleetStore
from cloud_broker.learning import INTENTS, Label, Learning
from cloud_broker.link.core import LinkCore
from cloud_broker.queue import OperatorQueue
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.router import Router, RoutingPolicy
from edge_agent.triage.decision import INTENTS as TRIAGE_INTENTS
from nanogate.v1 import edge_pb2 as pb
from tests.support.fake_openai import FakeOpenAI
from tests.support.fleet import Clock

HEATER = pb.Reading(device_id="heater-1", kind="heater", area="kitchen", value="off")


@pytest.fixture
def models() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    """The model that answers escalations, and the one that labels them."""
    answering = FakeOpenAI(reply="The kitchen is at 21 degrees.")
    labelling = FakeOpenAI(reply='{"intent": "query_state"}')
    yield answering, labelling
    answering.close()
    labelling.close()


def _gateway(store: SqlFleetStore) -> None:
    token = store.create_enrol_token(site="lab", tags=[])
    store.enrol(token, "gw-1", "")
    store.heartbeat("gw-1", {"agent": "0.9", "model": "triage-2.0-abc", "config": ""}, {})


def _parts(store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI],
           **config: object) -> tuple[LinkCore, Learning]:
    answering, labelling = models
    router = Router([answering.backend("cloud"), labelling.backend("labeller")],
                    SqliteUsageLedger(tmp_path / "usage.sqlite"), RoutingPolicy())
    learning = Learning.build(store, router, LearningSection(label_model="labeller-model",
                                                             **config))  # type: ignore[arg-type]
    queue = OperatorQueue(store.db, store, clock=store.now, corrections=learning.corrections)
    core = LinkCore(store, learning.answerer(router), queue=queue)
    return core, learning


async def _escalate(core: LinkCore, store: SqlFleetStore, key: str, text: str,
                    intent: str = "query_state", confidence: float = 0.42) -> pb.EscalateResponse:
    gateway = store.gateway("gw-1")
    assert gateway is not None
    return await core.escalate(gateway, pb.EscalateRequest(
        idempotency_key=key, text=text, intent=intent, confidence=confidence,
        context=[HEATER], model="cloud-model"), deadline=None)


def test_the_intents_are_the_triage_models_labels() -> None:
    """The broker's list of intents is the gateway's, in the same order."""
    assert INTENTS == TRIAGE_INTENTS


async def test_prompted_label_keeps_the_gateways_decision_and_text(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """A plain answer is labelled by the labelling model; the label keeps the text as sent
    (placeholders stay), triage's intent, confidence and the gateway's model version."""
    _gateway(store)
    core, learning = _parts(store, tmp_path, models)
    reply = await _escalate(core, store, "rq-1", "how warm is <PERSON_1>'s kitchen")
    assert reply.answer == "The kitchen is at 21 degrees."  # answered before any label
    await learning.labeller.drain()
    [label] = learning.labels.labels()
    assert (label.device_id, label.ref, label.source, label.method) == \
        ("gw-1", "rq-1", "cloud", "prompt")
    assert label.text == "how warm is <PERSON_1>'s kitchen"
    assert (label.gateway_intent, label.gateway_confidence, label.model_version) == \
        ("query_state", 0.42, "triage-2.0-abc")
    assert label.label == "query_state" and label.labeller == "labeller/labeller-model"
    asked = models[1].requests[0]["messages"]
    assert "how warm is <PERSON_1>'s kitchen" in asked[-1]["content"]


async def test_one_proposed_action_is_set_actuator_without_asking(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """An answer with one action labels the request set_actuator; no labelling call is made."""
    _gateway(store)
    models[0].proposals = [{"device_id": "heater-1", "command": "on"}]
    core, learning = _parts(store, tmp_path, models)
    reply = await _escalate(core, store, "rq-2", "warm the kitchen up", intent="escalate")
    assert [a.device_id for a in reply.actions] == ["heater-1"]
    await learning.labeller.drain()
    [label] = learning.labels.labels()
    assert (label.label, label.method) == ("set_actuator", "actions")
    assert models[1].requests == []


async def test_a_replayed_escalation_is_labelled_once(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """The same key again is a replay: one answer, one labelling call, one label."""
    _gateway(store)
    core, learning = _parts(store, tmp_path, models)
    for _ in range(2):
        await _escalate(core, store, "rq-3", "is the heater on")
        await learning.labeller.drain()
    assert len(learning.labels.labels()) == 1 and len(models[1].requests) == 1


@pytest.mark.parametrize("said", ["probably a weather question", '{"intent": "query_weather"}',
                                  '{"label": "query_state"}', ""],
                         ids=["prose", "unknown-intent", "wrong-key", "empty"])
async def test_a_judgement_that_is_no_intent_is_dropped_and_counted(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI],
        said: str) -> None:
    """A labelling reply that is not exactly a known intent stores nothing, is counted and
    logged; the requester's answer is unaffected."""
    _gateway(store)
    models[1].reply = said
    core, learning = _parts(store, tmp_path, models)
    with capture_logs() as logs:
        reply = await _escalate(core, store, "rq-4", "what is the meaning of life")
        await learning.labeller.drain()
    assert reply.answer == "The kitchen is at 21 degrees."
    assert learning.labels.labels() == []
    assert learning.labels.counters() == {"dropped.not_an_intent": 1}
    assert any(e["event"] == "label.dropped" for e in logs)


async def test_a_failing_labeller_never_reaches_the_requester(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """With the labelling model down the answer still goes back; the skip is counted."""
    _gateway(store)
    models[1].mode = "error"
    core, learning = _parts(store, tmp_path, models)
    reply = await _escalate(core, store, "rq-5", "is the heater on")
    await learning.labeller.drain()
    assert reply.answer and not reply.error_code
    assert learning.labels.labels() == []
    assert learning.labels.counters() == {"skipped.no_model": 1}


async def test_operator_correction_is_a_label_and_a_bad_one_undoes_the_decision(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """An operator's answer with an intent records an operator label beside the cloud's; an
    unknown intent is refused and the item stays open."""
    _gateway(store)
    core, learning = _parts(store, tmp_path, models)
    queue = core.queue
    assert queue is not None
    models[0].mode = "error"  # no model answers: the question goes to the operator
    reply = await _escalate(core, store, "rq-6", "open the vent if it gets hot")
    assert reply.error_code == "operator_queue"
    [item] = queue.items()
    with pytest.raises(ValueError, match="unknown intent"):
        queue.answer(item.id, "olga", "I will set that up.", intent="schedule")
    assert queue.item(item.id).state == "open" and store.commands("gw-1") == []
    queue.answer(item.id, "olga", "I will set that up.", intent="escalate")
    [label] = learning.labels.labels()
    assert (label.source, label.label, label.labeller, label.ref) == \
        ("operator", "escalate", "olga", "rq-6")
    assert label.text == "open the vent if it gets hot" and label.gateway_intent == "query_state"


def test_labels_past_the_retention_are_deleted(store: SqlFleetStore, clock: Clock,
                                               tmp_path: Path,
                                               models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """prune deletes labels older than retention_days and keeps the rest."""
    _gateway(store)
    _, learning = _parts(store, tmp_path, models, retention_days=30)
    for age_days, ref in ((40, "old"), (10, "new")):
        learning.labels.record(Label("gw-1", ref, "cloud", "is the pump on", "query_state",
                                     0.9, "v1", "query_state", "prompt", "m",
                                     clock() - age_days * 86400))
    assert learning.labels.prune(learning.config.retention_days) == 1
    assert [label.ref for label in learning.labels.labels()] == ["new"]


async def test_an_uploaded_correction_is_a_label_once_and_a_bad_one_is_dropped(
        store: SqlFleetStore, tmp_path: Path, models: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """A gateway's ``correction`` upload becomes one label with source "correction", replayed
    or not; one that is not JSON or names no known intent is dropped and counted."""
    _gateway(store)
    learning = _parts(store, tmp_path, models)[1]
    router = Router([models[0].backend("cloud")], SqliteUsageLedger(tmp_path / "u.sqlite"),
                    RoutingPolicy())
    core = LinkCore(store, router, labels=learning.uploaded)
    gateway = store.gateway("gw-1")
    assert gateway is not None
    good = ('{"ref": "rq-9", "text": "turn on <DEVICE_1>", "intent": "set_actuator", '
            '"confidence": 0.94, "model_version": "triage-2.0-abc", "label": "escalate", '
            '"method": "follow_up"}')
    bad_intent = good.replace('"label": "escalate"', '"label": "make_coffee"').replace(
        "rq-9", "rq-10")
    items = [pb.OutboxItem(idempotency_key=k, kind="correction", stream="correction",
                           payload=p.encode(), created_at=1.0)
             for k, p in (("cr-1", good), ("cr-2", "{not json"), ("cr-3", bad_intent))]
    for _ in range(2):
        reply = await core.upload(gateway, pb.UploadRequest(items=items))
        assert list(reply.accepted) == ["cr-1", "cr-2", "cr-3"]
    [label] = learning.labels.labels()
    assert (label.source, label.ref, label.text, label.label, label.method, label.labeller) == \
        ("correction", "rq-9", "turn on <DEVICE_1>", "escalate", "follow_up", "requester")
    assert (label.gateway_intent, label.model_version) == ("set_actuator", "triage-2.0-abc")
    counters = learning.labels.counters()
    assert counters["corrections"] == 1
    assert counters["dropped.correction_unreadable"] == 2  # a bad item counts each time it comes
    assert counters["dropped.correction_not_an_intent"] == 2
