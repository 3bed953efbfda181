"""The operator queue on SQLite and PostgreSQL: filing, deciding once, expiry, and the escalation
paths that file items (no backend, uncertain answer, over budget where the policy asks)."""

from __future__ import annotations

import json

import pytest

from cloud_broker.errors import Conflict, NoBackendAvailable, NotFound, OverBudget
from cloud_broker.escalation import Answer, ContextReading, Escalation
from cloud_broker.fleet import SqlFleetStore
from cloud_broker.link.core import LinkCore
from cloud_broker.queue import OperatorQueue, QueueRules
from nanogate.link import OPERATOR_QUEUE
from nanogate.v1 import edge_pb2 as pb
from tests.support.fleet import Clock


def _queue(store: SqlFleetStore, clock: Clock, window_s: float = 3600.0) -> OperatorQueue:
    return OperatorQueue(store.db, store, clock=clock, answer_window_s=window_s)


def _esc(key: str = "rq-1") -> Escalation:
    return Escalation(key=key, text="why is zone 3 cold?", device_id="gw-1", site="lab",
                      request_id="r-1", intent="query_state", confidence=0.31,
                      context=(ContextReading("t-104", "temperature", "zone 3", "12.5", "Cel",
                                              1.0),))


def _approval(ref: str = "ap-1", expires_at: float = 0.0) -> dict[str, object]:
    return {"id": ref, "device": "valve-1", "value": "open", "source": "local",
            "request_id": "r-9", "intent": "set_actuator", "text": "open the main valve",
            "expires_at": expires_at}


def test_question_keeps_what_the_operator_needs(store: SqlFleetStore, clock: Clock) -> None:
    """A filed question stores text, gateway, site, reply key, triage, models and readings."""
    item = _queue(store, clock).add_question(_esc(), "no_backend", ["fake: HTTP 500"])
    doc = item.as_json()
    assert (doc["kind"], doc["state"], doc["gateway"], doc["site"]) == \
        ("question", "open", "gw-1", "lab")
    assert doc["text"] == "why is zone 3 cold?" and doc["reply"] == {"gateway_key": "rq-1"}
    assert doc["triage"] == {"intent": "query_state", "confidence": 0.31}
    assert doc["models"] == ["fake: HTTP 500"]
    assert doc["context"][0]["device_id"] == "t-104"


def test_a_replayed_escalation_files_one_item(store: SqlFleetStore, clock: Clock) -> None:
    """The same gateway key (a replay, or its retry) files the item once."""
    queue = _queue(store, clock)
    first = queue.add_question(_esc(), "no_backend", [])
    again = queue.add_question(_esc("rq-1#retry-2"), "no_backend", [])
    assert first.id == again.id and len(queue.items()) == 1


def test_answer_sends_one_command_and_a_second_decision_conflicts(
        store: SqlFleetStore, clock: Clock) -> None:
    """Answering queues an operator_answer command; answering again or rejecting is 409."""
    queue = _queue(store, clock)
    item = queue.add_question(_esc(), "no_backend", [])
    claimed = queue.claim(item.id, "olga")
    assert (claimed.state, claimed.claimed_by) == ("claimed", "olga")
    done = queue.answer(item.id, "olga", "Check the heater in zone 3.")
    assert (done.state, done.decided_by, done.answer) == \
        ("answered", "olga", "Check the heater in zone 3.")
    command = store.command(done.command_id or "")
    assert command is not None and command.name == "operator_answer"
    assert json.loads(command.args_json)["answer"] == "Check the heater in zone 3."
    with pytest.raises(Conflict, match="already answered by olga"):
        queue.reject(item.id, "pete", "no")
    assert len(store.commands("gw-1")) == 1


def test_approvals_are_approved_not_answered(store: SqlFleetStore, clock: Clock) -> None:
    """An approval carries the action; approving sends an approval command; answering it is
    a conflict, and a question cannot be approved."""
    queue = _queue(store, clock)
    held = queue.add_approval("gw-1", "lab", _approval(expires_at=clock() + 900))
    assert held is not None and held.action["device"] == "valve-1"
    with pytest.raises(Conflict, match="approve or reject"):
        queue.answer(held.id, "olga", "yes")
    approved = queue.approve(held.id, "olga")
    args = json.loads(store.command(approved.command_id or "").args_json)  # type: ignore[union-attr]
    assert (args["id"], args["approved"]) == ("ap-1", True)
    question = queue.add_question(_esc(), "no_backend", [])
    with pytest.raises(Conflict, match="answer or reject"):
        queue.approve(question.id, "olga")


def test_unknown_and_expired_items_are_refused(store: SqlFleetStore, clock: Clock) -> None:
    """An unknown id is NotFound; an item past its window expires and refuses decisions."""
    queue = _queue(store, clock, window_s=60)
    with pytest.raises(NotFound, match="no queue item"):
        queue.approve("q-nope", "olga")
    item = queue.add_question(_esc(), "no_backend", [])
    clock.advance(61)
    with pytest.raises(Conflict, match="expired"):
        queue.answer(item.id, "olga", "late")
    assert queue.item(item.id).state == "expired"


def test_expiry_tells_the_gateway_of_a_question(store: SqlFleetStore, clock: Clock) -> None:
    """The sweep expires open items; a question's gateway gets an 'expired' answer command."""
    queue = _queue(store, clock, window_s=60)
    queue.add_question(_esc(), "no_backend", [])
    queue.add_approval("gw-1", "lab", _approval(expires_at=clock() + 30))
    clock.advance(61)
    assert queue.expire_due() == 2
    assert queue.expire_due() == 0
    [command] = store.commands("gw-1")
    assert command.name == "operator_answer" and json.loads(command.args_json)["expired"]
    assert {i.state for i in queue.items()} == {"expired"}


def test_filters_and_bad_approvals(store: SqlFleetStore, clock: Clock) -> None:
    """Items filter by state, kind and gateway; an approval without id or device is dropped."""
    queue = _queue(store, clock)
    queue.add_question(_esc(), "no_backend", [])
    queue.add_approval("gw-2", "lab", _approval())
    assert queue.add_approval("gw-2", "lab", {"value": 3}) is None
    assert [i.kind for i in queue.items(kind="approval")] == ["approval"]
    assert [i.device_id for i in queue.items(gateway="gw-1")] == ["gw-1"]
    assert queue.items(state="answered") == [] and queue.open_count() == 2


class _Router:
    """A router whose outcome the test sets: an answer, or an error to raise."""

    def __init__(self, outcome: Answer | Exception) -> None:
        self.outcome = outcome

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _request(key: str) -> pb.EscalateRequest:
    return pb.EscalateRequest(idempotency_key=key, text="what should I check?",
                              request_id="r-1", intent="escalate", confidence=0.2)


@pytest.mark.parametrize(("outcome", "rules", "reason"), [
    (NoBackendAvailable("fake: HTTP 500"), QueueRules(), "no_backend"),
    (Answer("I don't know, sorry.", "fake", "m"), QueueRules(uncertain_phrases=("i don't know",)),
     "uncertain"),
    (OverBudget("site lab spent 5.00 of 5.00"), QueueRules(over_budget="operator"),
     "over_budget"),
], ids=["no-backend", "uncertain", "over-budget-ask"])
async def test_escalations_go_to_the_operator(store: SqlFleetStore, clock: Clock,
                                              outcome: Answer | Exception, rules: QueueRules,
                                              reason: str) -> None:
    """Each rule files the escalation and answers the gateway operator_queue."""
    token = store.create_enrol_token(site="lab", tags=[])
    gateway = store.enrol(token, "gw-1", "")[0]
    queue = _queue(store, clock)
    core = LinkCore(store, _Router(outcome), queue=queue, queue_rules=rules)
    reply = await core.escalate(gateway, _request("rq-7"), deadline=None)
    assert reply.error_code == OPERATOR_QUEUE and "operator" in reply.error_message
    [item] = queue.items()
    assert (item.reason, item.ref, item.device_id) == (reason, "rq-7", "gw-1")


async def test_over_budget_is_refused_by_default(store: SqlFleetStore, clock: Clock) -> None:
    """Without over_budget = "operator", an over-budget request is refused, not queued."""
    token = store.create_enrol_token(site="lab", tags=[])
    gateway = store.enrol(token, "gw-1", "")[0]
    queue = _queue(store, clock)
    core = LinkCore(store, _Router(OverBudget("spent")), queue=queue)
    reply = await core.escalate(gateway, _request("rq-8"), deadline=None)
    assert reply.error_code == "over_budget" and queue.items() == []


async def test_uploaded_approval_files_an_item(store: SqlFleetStore, clock: Clock) -> None:
    """An ``approval`` outbox item uploaded by a gateway lands in the queue once."""
    token = store.create_enrol_token(site="lab", tags=[])
    gateway = store.enrol(token, "gw-1", "")[0]
    queue = _queue(store, clock)
    core = LinkCore(store, _Router(Answer("x", "b", "m")), queue=queue)
    item = pb.OutboxItem(idempotency_key="ap-1", kind="approval", stream="approvals",
                         payload=json.dumps(_approval()).encode())
    for _ in range(2):
        await core.upload(gateway, pb.UploadRequest(items=[item]))
    [filed] = queue.items()
    assert (filed.kind, filed.ref, filed.action["value"]) == ("approval", "ap-1", "open")
