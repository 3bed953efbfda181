"""The value objects an escalation is made of, shared by the gRPC server, router and backends."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ContextReading:
    """A device reading the gateway sent along, quoted to the model as data."""

    device_id: str
    kind: str
    area: str
    value: str
    unit: str
    ts: float


@dataclass(frozen=True, slots=True)
class Escalation:
    """One request a gateway could not answer alone."""

    key: str  # idempotency key: the same request replayed has the same key
    text: str
    device_id: str = ""
    site: str = ""
    request_id: str = ""
    intent: str = "escalate"  # triage's best local guess
    confidence: float = 0.0  # triage's calibrated confidence in that guess
    context: tuple[ContextReading, ...] = ()
    alerts: tuple[str, ...] = ()
    model: str = "auto"  # "auto" lets the router choose
    max_tokens: int = 256


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """An actuator change a model proposes; the gateway's policy has the last word."""

    device_id: str
    command: str  # "set" | "on" | "off" | "open" | "close"
    value: str = ""
    unit: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """A model's answer with what it cost."""

    text: str
    backend: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    latency_ms: float = 0.0
    actions: tuple[ProposedAction, ...] = field(default=())
