"""An escalation as the outbox keeps it: the request as it goes up, where its answer goes, and
the redaction mapping that never leaves the gateway.

The request is the link's own message, ``pb.EscalateRequest``, serialised once when the
request is queued and sent as it is, replay after replay. The reply route and the mapping sit
in their own columns beside it: the link sends only the request bytes. Outboxes written before
this layout kept all three in one JSON document; ``migrate`` turns their waiting escalations
into this form, once, when the outbox opens (``upgrade`` does one document).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from edge_agent.redact import MAPPING_KEY, restore
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.escalations")

MAX_TOKENS = 256  # what an escalation asks the broker's model for at most
# Columns of the outbox's ``items`` (and ``dead_letters``) that only escalations fill.
COLUMNS = {"request": "BLOB", "reply_topic": "TEXT", "reply_correlation": "BLOB",
           "redaction": "TEXT"}
Columns = tuple[bytes | None, str | None, bytes | None, str | None]
NO_COLUMNS: Columns = (None, None, None, None)


@dataclass(frozen=True, slots=True)
class ReplyRoute:
    """Where the answer to one request goes."""

    topic: str
    correlation: bytes | None = None
    # The request's own QoS for its immediate reply: a QoS 0 request is answered at QoS 0, so
    # the broker sends no PUBACK back to the gateway for it. With Nagle on in a stock
    # Mosquitto, that PUBACK would hold the next request to the gateway for a delayed ACK
    # (40 ms on Linux). Answers that come later (queued, escalated) always go at QoS 1.
    qos: int = 1

    def to_json(self) -> dict[str, str]:
        """A form that survives in a file across restarts."""
        doc = {"topic": self.topic}
        if self.correlation is not None:
            doc["correlation"] = base64.b64encode(self.correlation).decode()
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, str]) -> ReplyRoute:
        """The inverse of ``to_json``."""
        corr = doc.get("correlation")
        return cls(doc["topic"], base64.b64decode(corr) if corr is not None else None)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One queued escalation. ``request`` is sent as it is and never changed after queueing;
    ``route`` and ``redaction`` stay on the gateway."""

    request: pb.EscalateRequest
    route: ReplyRoute
    redaction: Mapping[str, str] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        """The requester's id, for the reply."""
        return self.request.request_id

    @property
    def intent(self) -> str:
        """Triage's best local guess for the request."""
        return self.request.intent or "escalate"

    def restored_text(self) -> str:
        """The request's text as the requester wrote it (placeholders put back)."""
        return restore(self.request.text, dict(self.redaction)).text

    def columns(self) -> Columns:
        """The outbox columns that hold it: request bytes, reply topic and correlation, and
        the mapping (JSON)."""
        return (self.request.SerializeToString(deterministic=True), self.route.topic,
                self.route.correlation, json.dumps(dict(self.redaction), separators=(",", ":")))

    @classmethod
    def from_columns(cls, request: bytes, topic: str, correlation: bytes | None,
                     redaction: str | None) -> Escalation:
        """The inverse of ``columns``."""
        return cls(pb.EscalateRequest.FromString(request), ReplyRoute(topic, correlation),
                   json.loads(redaction) if redaction else {})

    def to_json(self) -> dict[str, Any]:
        """A form for another local store (held questions): the request bytes in base64."""
        return {"request": base64.b64encode(self.columns()[0] or b"").decode(),
                "route": self.route.to_json(), "redaction": dict(self.redaction)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Escalation:
        """The inverse of ``to_json``."""
        return cls(pb.EscalateRequest.FromString(base64.b64decode(doc["request"])),
                   ReplyRoute.from_json(doc["route"]), dict(doc.get("redaction") or {}))


def upgrade(payload: dict[str, Any], key: str, created: float) -> Escalation:
    """An escalation from the JSON document an older gateway queued (``KeyError``,
    ``TypeError`` or ``ValueError`` if the document is broken)."""
    request = pb.EscalateRequest(
        idempotency_key=key, request_id=str(payload.get("request_id", "")),
        text=str(payload["text"]), intent=str(payload.get("intent", "escalate")),
        confidence=float(payload.get("confidence", 0.0)),
        context=[pb.Reading(**r) for r in payload.get("context", [])],
        alerts=[str(a) for a in payload.get("alerts", [])],
        model=str(payload.get("model") or "auto"), created_at=created,
        max_tokens=int(payload.get("max_tokens", MAX_TOKENS)))
    return Escalation(request, ReplyRoute.from_json(payload["reply"]),
                      {str(k): str(v) for k, v in (payload.get(MAPPING_KEY) or {}).items()})


def migrate(conn: sqlite3.Connection) -> int:
    """Give an older outbox the escalation columns and move its waiting escalations into them;
    returns how many moved. A broken one is left as it was: the link dead-letters it."""
    for table in ("items", "dead_letters"):
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in COLUMNS.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    rows = conn.execute("SELECT key, payload, created FROM items "
                        "WHERE kind = 'escalation' AND request IS NULL").fetchall()
    moved = []
    for key, payload, created in rows:
        try:
            escalation = upgrade(json.loads(payload), key, float(created))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("outbox.escalation_unreadable", key=key, error=str(exc)[:200])
            continue
        moved.append((*escalation.columns(), key))
    if moved:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("UPDATE items SET payload = '{}', request = ?, reply_topic = ?, "
                         "reply_correlation = ?, redaction = ? WHERE key = ?", moved)
        conn.execute("COMMIT")
        log.info("outbox.escalations_upgraded", items=len(moved))
    return len(moved)
