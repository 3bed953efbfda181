"""Requests that wait for a person: actions held for approval, questions for the operator queue.

An actuator with ``require_approval`` is not moved when asked: the change (already checked
against the policy) is held here, in SQLite, the requester is answered ``pending`` at once,
and an ``approval`` outbox item takes it to the broker's operator queue. An operator's
decision comes back as an ``approval`` command; approved, the change runs through the skills
(resolve, policy, actuation journal keyed by the original request, so never twice); rejected
or not decided within ``[policy] approval_window_s``, the requester hears that. A question no
model answered (the broker's ``operator_queue`` reply) is held the same way until an
``operator_answer`` command brings the operator's words, delivered like any cloud answer.
Every final answer goes to the original response topic with the original correlation data
and id, across daemon restarts.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from edge_agent.escalations import Escalation, upgrade
from edge_agent.outbox import NewItem, Outbox, OutboxItem
from edge_agent.payloads import ErrorInfo, Reply
from edge_agent.policy import Source
from edge_agent.skill_result import SkillResult
from edge_agent.skills import Skills
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.approvals")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, request_key TEXT NOT NULL,
    request_id TEXT NOT NULL, intent TEXT NOT NULL, route TEXT NOT NULL, doc TEXT NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL)
"""
# Sends a reply to a stored route (the ``ReplyRoute.to_json`` form).
SendReply = Callable[[dict[str, str], Reply], None]
# Delivers a cloud answer to an escalation, as the outbox drain does.
Deliver = Callable[[OutboxItem, pb.EscalateResponse], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Held:
    """One waiting request: an action (``kind="action"``) or a question."""

    id: str
    kind: str
    request_key: str
    request_id: str
    intent: str
    route: dict[str, str]
    doc: dict[str, Any]  # action: device, value, source; question: the escalation
    created: float
    expires: float


class HeldStore:
    """The waiting requests, in a SQLite file; a request is taken out once, when decided."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def put(self, held: Held) -> bool:
        """Store one waiting request durably; False if its id was already held."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO held VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (held.id, held.kind, held.request_key, held.request_id, held.intent,
                 json.dumps(held.route), json.dumps(held.doc), held.created, held.expires))
        return cur.rowcount == 1

    def get(self, held_id: str) -> Held | None:
        """A waiting request by id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM held WHERE id = ?", (held_id,)).fetchone()
        return _held(row) if row else None

    def remove(self, held_id: str) -> None:
        """Forget a request once its final answer is sent."""
        with self._lock:
            self._db.execute("DELETE FROM held WHERE id = ?", (held_id,))

    def expired(self, now: float) -> list[Held]:
        """Requests whose window has passed."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM held WHERE expires <= ?", (now,)).fetchall()
        return [_held(r) for r in rows]

    def count(self) -> int:
        """How many requests wait."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM held").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _held(row: tuple[Any, ...]) -> Held:
    return Held(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]),
                float(row[7]), float(row[8]))


def _held_escalation(held: Held, created: float) -> Escalation:
    """The escalation a held question waits with (an older gateway held its JSON document)."""
    if "escalation" in held.doc:
        return Escalation.from_json(held.doc["escalation"])
    return upgrade(held.doc["payload"], held.request_key, created)


def approval_id(request_key: str, device: str) -> str:
    """The same request and device always give the same id (a redelivery holds nothing new)."""
    return "ap-" + hashlib.sha256(f"{request_key}\x1f{device}".encode()).hexdigest()[:24]


class Approvals:
    """Holds actions and questions for operators, and carries out their decisions."""

    def __init__(self, store: HeldStore, *, outbox: Outbox, skills: Skills, send: SendReply,
                 window_s: float, question_ttl_s: float,
                 redact: Callable[[str], str] = lambda text: text) -> None:
        self._store = store
        self._outbox = outbox
        self._skills = skills
        self._send = send
        self._window_s = window_s
        self._question_ttl_s = question_ttl_s
        self._redact = redact
        self.deliver: Deliver | None = None  # set by the agent: AskHandler.deliver

    def hold_action(self, result: SkillResult, *, request_key: str, request_id: str,
                    intent: str, route: dict[str, str], text: str) -> str:
        """Hold one pending change and send it up for approval; returns its id.

        Raises ``StoreFull`` when the outbox cannot take it (then nothing is held).
        """
        d = result.data
        held_id = approval_id(request_key, str(d["device"]))
        now = time.time()
        held = Held(held_id, "action", request_key, request_id, intent, route,
                    {"device": d["device"], "value": d["value"], "source": d["source"]},
                    now, now + self._window_s)
        up = {"id": held_id, "device": d["device"], "value": d["value"],
              "unit": d.get("unit", ""), "source": d["source"], "request_id": request_id,
              "intent": intent, "text": self._redact(text), "expires_at": held.expires}
        self._outbox.put(NewItem("approval", "approvals", up, key=held_id,
                                 ttl_s=self._window_s))
        if self._store.put(held):
            log.info("approval.held", id=held_id, device=d["device"], value=d["value"],
                     source=d["source"], request_id=request_id)
        return held_id

    def hold_question(self, item: OutboxItem, response: pb.EscalateResponse) -> None:
        """Keep an escalation the broker filed for an operator until the answer comes."""
        now = time.time()
        escalation = item.queued()
        held = Held(item.key, "question", item.key, escalation.request_id, escalation.intent,
                    escalation.route.to_json(), {"escalation": escalation.to_json(),
                                                 "created": item.created,
                                                 "queue_id": response.model},
                    now, now + self._question_ttl_s)
        self._store.put(held)
        log.info("question.held", key=item.key, queue_id=response.model)

    async def decide(self, args: dict[str, Any]) -> dict[str, Any]:
        """The ``approval`` command: ``{"id", "approved", "reason", "by"}``."""
        held = self._store.get(str(args.get("id", "")))
        if held is None or held.kind != "action":
            return {"id": args.get("id"), "done": False,
                    "error": "no held action with this id (already decided or expired)"}
        if held.expires <= time.time():
            self._expire(held)
            return {"id": held.id, "done": False, "error": "the approval window had passed"}
        by = str(args.get("by", "an operator"))[:64]
        reason = str(args.get("reason", ""))[:500]
        if not args.get("approved"):
            self._finish(held, f"An operator ({by}) rejected setting {held.doc['device']} to "
                         f"{held.doc['value']}{': ' + reason if reason else ''}. Nothing was sent.",
                         {"approval": held.id, "approved": False, "by": by},
                         ErrorInfo(code="approval_rejected", message=reason or "rejected"))
            return {"id": held.id, "done": True, "approved": False}
        source: Source = held.doc["source"]
        result = self._skills.actuate(held.doc["device"], held.doc["value"], source=source,
                                      key=held.request_key, approved=True)
        error = ErrorInfo(code=result.error_code, message=result.answer) \
            if result.error_code else None
        self._finish(held, result.answer, {**result.data, "approval": held.id,
                                           "approved": True, "by": by}, error)
        return {"id": held.id, "done": True, "approved": True, "answer": result.answer,
                "published": bool(result.data.get("published"))}

    async def answer(self, args: dict[str, Any]) -> dict[str, Any]:
        """The ``operator_answer`` command: ``{"ref", "answered", "answer", "by"}``."""
        held = self._store.get(str(args.get("ref", "")))
        if held is None or held.kind != "question":
            return {"ref": args.get("ref"), "done": False,
                    "error": "no question waits with this key (already answered or expired)"}
        text = str(args.get("answer", ""))[:4000]
        by = str(args.get("by", "operator"))[:64]
        if args.get("answered"):
            response = pb.EscalateResponse(answer=text, backend="operator", model=by)
        elif args.get("expired"):
            response = pb.EscalateResponse(
                error_code="operator_expired",
                error_message="No operator answered in time; ask again or rephrase.")
        else:
            why = f": {text}" if text else ""
            response = pb.EscalateResponse(
                error_code="operator_rejected",
                error_message=f"An operator ({by}) declined to answer{why}.")
        assert self.deliver is not None
        created = float(held.doc.get("created", held.created))
        escalation = _held_escalation(held, created)
        item = OutboxItem(0, held.request_key, "escalation", escalation.route.topic, {},
                          created, None, escalation=escalation)
        await self.deliver(item, response)
        self._store.remove(held.id)
        return {"ref": held.id, "done": True}

    def expire_due(self, now: float | None = None) -> int:
        """Answer every request whose window passed; returns how many."""
        due = self._store.expired(time.time() if now is None else now)
        for held in due:
            self._expire(held)
        return len(due)

    def _expire(self, held: Held) -> None:
        if held.kind == "action":
            message = (f"No operator approved setting {held.doc['device']} to "
                       f"{held.doc['value']} in time; nothing was sent.")
            self._finish(held, message, {"approval": held.id, "approved": False},
                         ErrorInfo(code="approval_expired", message=message))
        else:
            self._finish(held, "No operator answered in time; ask again or rephrase.", {},
                         ErrorInfo(code="operator_expired", message="no operator answered"))
        log.info("held.expired", id=held.id, kind=held.kind)

    def _finish(self, held: Held, answer: str, data: dict[str, Any],
                error: ErrorInfo | None) -> None:
        local = held.kind == "action" and held.doc.get("source") == "local"
        reply = Reply(id=held.request_id, route="local" if local else "escalated",
                      intent=held.intent, answer=answer, data=data, error=error)
        self._send(held.route, reply)
        self._store.remove(held.id)
        log.info("held.answered", id=held.id, kind=held.kind,
                 error=error.code if error else None)
