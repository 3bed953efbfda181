"""``/api/queue``: the operator queue over HTTP. Viewers read; operators claim and decide.

Every decision is audited (``queue.claimed``, ``queue.answered``, ``queue.approved``,
``queue.rejected``) with its outcome. An unknown item is 404, one already decided or expired
409, an empty answer 422; nothing an operator sends reaches an actuator except as an approval
of the very action the gateway holds, which the gateway's policy checks again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud_broker.errors import Conflict, NotFound
from cloud_broker.http.auth import Guard
from cloud_broker.queue import MAX_ANSWER_CHARS, STATES, OperatorQueue, QueueItem


class AnswerBody(BaseModel):
    """An operator's answer to a question."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    intent: str = Field(default="", max_length=32)  # what the request was: a training label


class DecisionBody(BaseModel):
    """An approval's note or a rejection's reason (both optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)
    intent: str = Field(default="", max_length=32)  # approvals: what the request was


@contextmanager
def http_errors() -> Iterator[None]:
    """The queue's errors as HTTP statuses: 404, 409, 422."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def decide(queue: OperatorQueue, verb: str, item_id: str, actor: str,
           text: str, intent: str = "") -> QueueItem:
    """Apply one operator verb (claim, answer, approve, reject) to an item."""
    actions: dict[str, Callable[[], QueueItem]] = {
        "claim": lambda: queue.claim(item_id, actor),
        "answer": lambda: queue.answer(item_id, actor, text, intent),
        "approve": lambda: queue.approve(item_id, actor, text, intent),
        "reject": lambda: queue.reject(item_id, actor, text),
    }
    return actions[verb]()


PAST = {"claim": "claimed", "answer": "answered", "approve": "approved", "reject": "rejected"}


def queue_routes(queue: OperatorQueue, guard: Guard) -> APIRouter:
    """The queue's routes, each checked for its role."""
    viewer, operator = guard.require("viewer"), guard.require("operator")
    api = APIRouter(prefix="/api/queue")

    @api.get("", dependencies=[Depends(viewer)])
    def list_items(state: str | None = None, kind: str | None = None,
                   gateway: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Queue items, newest first; filter by state, kind (question, approval) or gateway."""
        if state is not None and state not in STATES:
            raise HTTPException(422, f"unknown state {state!r}; one of {', '.join(STATES)}")
        return [i.as_json() for i in queue.items(state=state, kind=kind, gateway=gateway,
                                                 limit=max(1, min(limit, 1000)))]

    @api.get("/{item_id}", dependencies=[Depends(viewer)])
    def show_item(item_id: str) -> dict[str, Any]:
        """One item with what the models said and the readings sent."""
        with http_errors():
            return queue.item(item_id).as_json()

    def act(verb: str, item_id: str, request: Request, text: str,
            intent: str = "") -> dict[str, Any]:
        who = guard.caller(request)
        args = {k: v for k, v in (("text", text), ("intent", intent)) if v}
        with guard.audited(request, f"queue.{PAST[verb]}", item_id,
                           args or None), http_errors():
            return decide(queue, verb, item_id, who.name, text, intent).as_json()

    @api.post("/{item_id}/claim", dependencies=[Depends(operator)])
    def claim(item_id: str, request: Request) -> dict[str, Any]:
        """Take an item: others see who handles it."""
        return act("claim", item_id, request, "")

    @api.post("/{item_id}/answer", dependencies=[Depends(operator)])
    def answer(item_id: str, body: AnswerBody, request: Request) -> dict[str, Any]:
        """Answer a question; the requester gets it on the original response topic."""
        return act("answer", item_id, request, body.text, body.intent)

    @api.post("/{item_id}/approve", dependencies=[Depends(operator)])
    def approve(item_id: str, request: Request,
                body: DecisionBody | None = None) -> dict[str, Any]:
        """Approve a held action; the gateway runs it through its policy, once."""
        return act("approve", item_id, request, body.reason if body else "",
                   body.intent if body else "")

    @api.post("/{item_id}/reject", dependencies=[Depends(operator)])
    def reject(item_id: str, request: Request,
               body: DecisionBody | None = None) -> dict[str, Any]:
        """Reject a question or a held action; the requester hears why."""
        return act("reject", item_id, request, body.reason if body else "")

    return api
