"""Escalations as the ask handler queues them: a real ``pb.EscalateRequest`` with its reply
route and redaction mapping, ready for ``Outbox.put``."""

from __future__ import annotations

from edge_agent.escalations import Escalation, ReplyRoute
from edge_agent.outbox import NewItem, new_key
from nanogate.v1 import edge_pb2 as pb


def escalation(key: str | None = None, topic: str = "app/replies", *, text: str = "",
               intent: str = "escalate", request_id: str = "",
               redaction: dict[str, str] | None = None, ttl_s: float | None = None,
               correlation: bytes | None = None) -> NewItem:
    """One queued escalation; by default keyed ``key`` and asking ``q <key>``."""
    key = key or new_key()
    request = pb.EscalateRequest(idempotency_key=key, request_id=request_id or key,
                                 text=text or f"q {key}", intent=intent, confidence=0.1,
                                 model="auto", max_tokens=256)
    return NewItem.escalating(Escalation(request, ReplyRoute(topic, correlation),
                                         redaction or {}), ttl_s=ttl_s)
