"""The operator queue: what neither the gateway's nano model nor the cloud models should decide.

Two kinds of item. A ``question`` is an escalation no model answered (every backend refused or
failed, the answer was uncertain, or the request was over budget where ``[queue] over_budget =
"operator"``); an operator answers it, or rejects it. An ``approval`` is an actuator change a
gateway holds because its policy says ``require_approval``; an operator approves or rejects it.

Every decision travels to the gateway as a fleet command (``operator_answer`` or ``approval``)
over the path the gateway already authenticates; the gateway's resolver, policy and actuation
journal still have the last word, and it answers the requester on the original response topic
with the original correlation data and id. An item lives ``open`` → ``claimed`` (optional) →
``answered`` | ``approved`` | ``rejected``, or ``expired`` once its window has passed; a
decision on an item that is decided or expired raises ``Conflict``, on an unknown one
``NotFound``. Each item is keyed by the gateway and the gateway's own key for the request
(``ref``), so a replayed escalation or upload files it once.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog

from cloud_broker.errors import Conflict, NotFound
from cloud_broker.escalation import Escalation
from cloud_broker.fleet.database import Database, Row

log = structlog.get_logger("cloud_broker.queue")

Kind = Literal["question", "approval"]
State = Literal["open", "claimed", "answered", "approved", "rejected", "expired"]
STATES: tuple[State, ...] = ("open", "claimed", "answered", "approved", "rejected", "expired")
OPEN: tuple[State, ...] = ("open", "claimed")
DEFAULT_ANSWER_WINDOW_S = 24 * 3600.0
MAX_ANSWER_CHARS = 4000
# A command carrying a decision outlives the item's window a little: a gateway offline at the
# moment of the decision still hears it when it is back, and itself refuses a late approval.
_COMMAND_GRACE_S = 3600.0
_COLUMNS = ("id, kind, reason, state, device_id, site, ref, request_id, text, reply_json, "
            "intent, confidence, models_json, context_json, action_json, created, expires_at, "
            "claimed_by, claimed_at, decided_by, decided_at, answer, command_id")


@dataclass(frozen=True, slots=True)
class QueueRules:
    """When an escalation goes to an operator rather than back with a model's word."""

    over_budget: Literal["refuse", "operator"] = "refuse"
    uncertain_phrases: tuple[str, ...] = ()

    def uncertain(self, text: str) -> bool:
        """Whether a model's answer says it does not know (a documented, simple rule)."""
        lowered = " ".join(text.lower().replace("\u2019", "'").split())
        return not lowered or any(p.lower() in lowered for p in self.uncertain_phrases if p)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One item of the operator queue, as stored."""

    id: str
    kind: Kind
    reason: str  # "no_backend" | "uncertain" | "over_budget" | "approval"
    state: State
    device_id: str  # the gateway
    site: str
    ref: str  # the gateway's key for the request (outbox key, or the held action's id)
    request_id: str
    text: str  # the request as the gateway sent it (redacted there)
    reply: dict[str, Any]  # how the gateway reaches the requester (its key; topic if sent)
    intent: str
    confidence: float
    models: list[str]  # what each model said (or why it did not answer)
    context: list[dict[str, Any]]  # the readings the gateway sent along
    action: dict[str, Any]  # approvals: device, value, source
    created: float
    expires_at: float
    claimed_by: str | None = None
    claimed_at: float | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    answer: str = ""  # the operator's answer, or the reason of a rejection
    command_id: str | None = None  # the fleet command that carries the decision

    def as_json(self) -> dict[str, Any]:
        """The item as the API and ``--json`` show it."""
        return {"id": self.id, "kind": self.kind, "reason": self.reason, "state": self.state,
                "gateway": self.device_id, "site": self.site, "ref": self.ref,
                "request_id": self.request_id, "text": self.text, "reply": self.reply,
                "triage": {"intent": self.intent, "confidence": self.confidence},
                "models": self.models, "context": self.context, "action": self.action,
                "created": self.created, "expires_at": self.expires_at,
                "claimed_by": self.claimed_by, "claimed_at": self.claimed_at,
                "decided_by": self.decided_by, "decided_at": self.decided_at,
                "answer": self.answer, "command_id": self.command_id}


class Commands(Protocol):
    """Where decisions go: the fleet store's command queue (``FleetStore.add_command``)."""

    def add_command(self, device_id: str, name: str, args_json: str, ttl_s: float) -> str:
        """Queue a command for a gateway; returns its id."""
        ...


class Corrections(Protocol):
    """Where an operator's judgement of a request goes (``cloud_broker.learning``)."""

    def correct(self, item: QueueItem, intent: str, actor: str) -> None:
        """Record what the request was (ValueError for an unknown intent)."""
        ...


class OperatorQueue:
    """The queue in the fleet database (SQLite or PostgreSQL), shared by every replica."""

    def __init__(self, db: Database, commands: Commands, *,
                 clock: Callable[[], float] = time.time,
                 answer_window_s: float = DEFAULT_ANSWER_WINDOW_S,
                 corrections: Corrections | None = None) -> None:
        self._db = db
        self._commands = commands
        self.corrections = corrections
        self._clock = clock
        self.answer_window_s = answer_window_s

    # filing ---------------------------------------------------------------------------------

    def add_question(self, esc: Escalation, reason: str, said: Sequence[str]) -> QueueItem:
        """File an escalation for an operator to answer (once per gateway and key)."""
        context = [{"device_id": r.device_id, "kind": r.kind, "area": r.area, "value": r.value,
                    "unit": r.unit, "ts": r.ts} for r in esc.context]
        return self._add(
            kind="question", reason=reason, device_id=esc.device_id, site=esc.site,
            ref=esc.key.split("#retry-")[0], request_id=esc.request_id, text=esc.text,
            reply={"gateway_key": esc.key.split("#retry-")[0]}, intent=esc.intent,
            confidence=esc.confidence, models=list(said), context=context, action={},
            expires_at=self._clock() + self.answer_window_s)

    def add_approval(self, device_id: str, site: str, doc: dict[str, Any]) -> QueueItem | None:
        """File an action a gateway holds for approval (an uploaded ``approval`` item)."""
        ref = str(doc.get("id", ""))[:128]
        device, source = str(doc.get("device", ""))[:64], str(doc.get("source", ""))[:16]
        if not ref or not device:
            log.warning("queue.approval_refused", device_id=device_id, reason="no id or device")
            return None
        try:
            expires_at = float(doc.get("expires_at") or 0.0)
        except (TypeError, ValueError):
            expires_at = 0.0
        reply = doc.get("reply") if isinstance(doc.get("reply"), dict) else {}
        return self._add(
            kind="approval", reason="approval", device_id=device_id, site=site, ref=ref,
            request_id=str(doc.get("request_id", ""))[:64], text=str(doc.get("text", ""))[:2000],
            reply={"approval_id": ref, **{k: str(v)[:512] for k, v in (reply or {}).items()}},
            intent=str(doc.get("intent", "set_actuator"))[:32],
            confidence=_number(doc.get("confidence")), models=[str(doc.get("said", ""))[:2000]]
            if doc.get("said") else [], context=[],
            action={"device": device, "value": doc.get("value"), "source": source,
                    "unit": str(doc.get("unit", ""))[:16]},
            expires_at=expires_at or self._clock() + self.answer_window_s)

    def _add(self, **fields: Any) -> QueueItem:
        item_id = "q-" + secrets.token_hex(5)
        now = self._clock()
        with self._db.transaction():
            found = self._db.one(f"SELECT {_COLUMNS} FROM operator_queue "
                                 "WHERE device_id = :device_id AND ref = :ref",
                                 {"device_id": fields["device_id"], "ref": fields["ref"]})
            if found is not None:
                return _item(found)
            self._db.execute(
                f"INSERT INTO operator_queue ({_COLUMNS}) VALUES "
                "(:id, :kind, :reason, 'open', :device_id, :site, :ref, :request_id, :text, "
                ":reply, :intent, :confidence, :models, :context, :action, :created, "
                ":expires_at, NULL, NULL, NULL, NULL, '', NULL)",
                {"id": item_id, "kind": fields["kind"], "reason": fields["reason"],
                 "device_id": fields["device_id"], "site": fields["site"], "ref": fields["ref"],
                 "request_id": fields["request_id"], "text": fields["text"],
                 "reply": json.dumps(fields["reply"]), "intent": fields["intent"],
                 "confidence": float(fields["confidence"]),
                 "models": json.dumps(fields["models"]), "context": json.dumps(fields["context"]),
                 "action": json.dumps(fields["action"]), "created": now,
                 "expires_at": fields["expires_at"]})
        log.info("queue.item_filed", id=item_id, kind=fields["kind"], reason=fields["reason"],
                 device_id=fields["device_id"])
        return self.item(item_id)

    # reading --------------------------------------------------------------------------------

    def items(self, *, state: str | None = None, kind: str | None = None,
              gateway: str | None = None, limit: int = 200) -> list[QueueItem]:
        """Items, newest first, filtered by state, kind and gateway."""
        self.expire_due()
        where, params = ["1 = 1"], dict[str, Any](limit=max(1, limit))
        for column, value in (("state", state), ("kind", kind), ("device_id", gateway)):
            if value:
                where.append(f"{column} = :{column}")
                params[column] = value
        rows = self._db.all(f"SELECT {_COLUMNS} FROM operator_queue WHERE {' AND '.join(where)} "
                            "ORDER BY created DESC, id LIMIT :limit", params)
        return [_item(r) for r in rows]

    def item(self, item_id: str) -> QueueItem:
        """One item; ``NotFound`` if there is none with this id."""
        row = self._db.one(f"SELECT {_COLUMNS} FROM operator_queue WHERE id = :id",
                           {"id": item_id})
        if row is None:
            raise NotFound(f"no queue item {item_id!r}; list them with 'cloud-broker queue ls'")
        return _item(row)

    def open_count(self) -> int:
        """Items still waiting for an operator."""
        row = self._db.one("SELECT COUNT(*) AS n FROM operator_queue "
                           "WHERE state IN ('open', 'claimed') AND expires_at > :now",
                           {"now": self._clock()})
        return int(row["n"]) if row else 0

    # deciding -------------------------------------------------------------------------------

    def claim(self, item_id: str, actor: str) -> QueueItem:
        """Mark an open item as being handled by ``actor`` (another operator may take it over)."""
        self.expire_due()
        with self._db.transaction():
            self._open(item_id)
            self._db.execute("UPDATE operator_queue SET state = 'claimed', claimed_by = :actor, "
                             "claimed_at = :now WHERE id = :id",
                             {"actor": actor, "now": self._clock(), "id": item_id})
        log.info("queue.item_claimed", id=item_id, actor=actor)
        return self.item(item_id)

    def answer(self, item_id: str, actor: str, text: str, intent: str = "") -> QueueItem:
        """Answer a question; the gateway sends the answer to the requester.

        ``intent``: what the request was, recorded as a label for the next triage model.
        """
        text = text.strip()[:MAX_ANSWER_CHARS]
        if not text:
            raise ValueError("an answer needs some text")
        return self._decide(item_id, actor, "answered", text, kind="question", intent=intent)

    def approve(self, item_id: str, actor: str, note: str = "", intent: str = "") -> QueueItem:
        """Approve a held action; the gateway runs it through its policy and journal."""
        return self._decide(item_id, actor, "approved", note.strip()[:500], kind="approval",
                            intent=intent)

    def reject(self, item_id: str, actor: str, reason: str = "") -> QueueItem:
        """Reject a question or a held action; the requester hears why."""
        return self._decide(item_id, actor, "rejected", reason.strip()[:500])

    def _decide(self, item_id: str, actor: str, state: State, text: str,
                kind: Kind | None = None, intent: str = "") -> QueueItem:
        self.expire_due()
        with self._db.transaction():
            item = self._open(item_id)
            if kind is not None and item.kind != kind:
                allowed = "answer" if item.kind == "question" else "approve"
                raise Conflict(f"{item_id} is a {item.kind}: {allowed} or reject it")
            name, args = _command(item, state, text, actor)
            ttl = max(item.expires_at - self._clock(), 0.0) + _COMMAND_GRACE_S
            command_id = self._commands.add_command(item.device_id, name, json.dumps(args), ttl)
            self._db.execute(
                "UPDATE operator_queue SET state = :state, decided_by = :actor, "
                "decided_at = :now, answer = :answer, command_id = :command_id WHERE id = :id",
                {"state": state, "actor": actor, "now": self._clock(), "answer": text,
                 "command_id": command_id, "id": item_id})
            if intent and self.corrections is not None:  # in the transaction: a bad one undoes
                self.corrections.correct(item, intent, actor)
        log.info("queue.item_decided", id=item_id, state=state, actor=actor,
                 device_id=item.device_id, command_id=command_id)
        return self.item(item_id)

    def _open(self, item_id: str) -> QueueItem:
        """The item, locked for this transaction, if it still waits for a decision."""
        row = self._db.one(f"SELECT {_COLUMNS} FROM operator_queue WHERE id = :id"
                           f"{self._db.dialect.lock_row}", {"id": item_id})
        if row is None:
            raise NotFound(f"no queue item {item_id!r}; list them with 'cloud-broker queue ls'")
        item = _item(row)
        if item.state == "expired" or item.expires_at <= self._clock():
            raise Conflict(f"{item_id} expired: no one decided within its window, and the "
                           "requester is told so; nothing was changed")
        if item.state not in OPEN:
            by = f" by {item.decided_by}" if item.decided_by else ""
            raise Conflict(f"{item_id} is already {item.state}{by}; nothing was changed")
        return item

    def expire_due(self) -> int:
        """Mark items whose window has passed as expired; returns how many.

        A question's requester is told through its gateway (an ``operator_answer`` command
        saying it expired); a held action's gateway keeps its own window and answers itself.
        """
        now = self._clock()
        due = self._db.all(f"SELECT {_COLUMNS} FROM operator_queue "
                           "WHERE state IN ('open', 'claimed') AND expires_at <= :now",
                           {"now": now})
        expired = 0
        for item in map(_item, due):
            with self._db.transaction():
                changed = self._db.execute(
                    "UPDATE operator_queue SET state = 'expired', decided_at = :now "
                    "WHERE id = :id AND state IN ('open', 'claimed')", {"now": now, "id": item.id})
                if changed and item.kind == "question":
                    self._commands.add_command(item.device_id, "operator_answer", json.dumps(
                        {"ref": item.ref, "answered": False, "expired": True,
                         "queue_id": item.id}), _COMMAND_GRACE_S)
            expired += changed
        if expired:
            log.info("queue.items_expired", count=expired)
        return expired

    async def expire_forever(self, interval_s: float = 30.0) -> None:
        """Expire items as their windows pass, so requesters hear without anyone looking."""
        while True:
            try:
                await asyncio.to_thread(self.expire_due)
            except Exception:  # a database hiccup must not end the broker; try again later
                log.exception("queue.expiry_failed")
            await asyncio.sleep(interval_s)


def _command(item: QueueItem, state: State, text: str, actor: str) -> tuple[str, dict[str, Any]]:
    """The fleet command that carries a decision to the gateway."""
    if item.kind == "approval":
        return "approval", {"id": item.ref, "approved": state == "approved", "reason": text,
                            "by": actor, "queue_id": item.id}
    return "operator_answer", {"ref": item.ref, "answered": state == "answered",
                               "answer": text, "by": actor, "queue_id": item.id}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _item(row: Row) -> QueueItem:
    return QueueItem(
        id=row["id"], kind=row["kind"], reason=row["reason"], state=row["state"],
        device_id=row["device_id"], site=row["site"], ref=row["ref"],
        request_id=row["request_id"], text=row["text"], reply=json.loads(row["reply_json"]),
        intent=row["intent"], confidence=float(row["confidence"]),
        models=json.loads(row["models_json"]), context=json.loads(row["context_json"]),
        action=json.loads(row["action_json"]), created=float(row["created"]),
        expires_at=float(row["expires_at"]), claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"], decided_by=row["decided_by"],
        decided_at=row["decided_at"], answer=row["answer"], command_id=row["command_id"])
