"""What goes into the outbox and what comes out of it: items, new items, its status."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from edge_agent.escalations import Escalation


def new_key() -> str:
    """A unique idempotency key that sorts by creation time (cheap to index in order)."""
    return f"{time.time_ns():016x}{secrets.token_hex(6)}"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One durable item waiting to go up."""

    seq: int
    key: str
    kind: str
    stream: str
    payload: dict[str, Any]
    created: float
    expires: float | None
    attempts: int = 0
    escalation: Escalation | None = None  # kind "escalation" only; its payload is empty

    def queued(self) -> Escalation:
        """The escalation this item carries; ``ValueError`` if it carries none (a poison item:
        another kind, or an older gateway's document that could not be read)."""
        if self.escalation is None:
            raise ValueError(f"outbox item {self.key} ({self.kind}) holds no readable escalation")
        return self.escalation

    def aged(self, seconds: float) -> OutboxItem:
        """The same item, created ``seconds`` earlier."""
        return replace(self, created=self.created - seconds)


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to put: what it is, which stream it belongs to, and its document (or, for an
    escalation, the typed ``Escalation``: see ``NewItem.escalating``)."""

    kind: str
    stream: str
    payload: dict[str, Any]
    key: str = field(default_factory=lambda: new_key())
    ttl_s: float | None = None
    escalation: Escalation | None = None

    @classmethod
    def escalating(cls, escalation: Escalation, ttl_s: float | None = None) -> NewItem:
        """An escalation, keyed by its request's idempotency key, in its requester's stream."""
        key = escalation.request.idempotency_key
        if not key:
            raise ValueError("an escalation request needs its idempotency key before queueing")
        return cls("escalation", escalation.route.topic, {}, key=key, ttl_s=ttl_s,
                   escalation=escalation)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """Counts for ``edge-agent outbox status`` and the heartbeat."""

    items: dict[str, int]
    bytes: int
    oldest: float | None
    shed: dict[str, int]
    expired: dict[str, int]
    dead: dict[str, int] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """How many items wait in all."""
        return sum(self.items.values())
