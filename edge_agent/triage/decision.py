"""What triage decides about one request: the value objects every caller sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Intent = Literal[
    "query_state", "query_history", "set_actuator", "list_devices", "list_alerts", "escalate"
]
Route = Literal["local", "escalate"]

LOCAL_INTENTS: tuple[Intent, ...] = (
    "query_state",
    "query_history",
    "set_actuator",
    "list_devices",
    "list_alerts",
)
INTENTS: tuple[Intent, ...] = (*LOCAL_INTENTS, "escalate")


@dataclass(frozen=True, slots=True)
class Slots:
    """The parts of a request resolved against the gateway's registry.

    ``devices`` holds ids of registry devices the request names (by id, name, code or typo);
    ``kind`` and ``area`` narrow the match (``edge_agent.resolve`` applies them).
    ``mentions`` holds what the text named but the registry could not resolve, and
    ``places`` the places it named that the registry has no area for ("in the barn"), so a
    skill can ask a clarifying question instead of guessing.
    """

    devices: tuple[str, ...] = ()
    area: str | None = None
    kind: str | None = None
    value: float | str | None = None  # a number, or "on" / "off" / "open" / "close"
    unit: str | None = None
    window_s: float | None = None  # "last 2 hours" -> 7200.0
    at: float | None = None  # "at 2 pm" -> the Unix time of the latest 14:00 (local time)
    aggregate: str | None = None  # "mean" | "min" | "max" | "sum" | "trend" | "count"
    mentions: tuple[str, ...] = field(default=())
    places: tuple[str, ...] = field(default=())
    plural: bool = False  # "all pumps", "everything on line 3": a group, not one device
    status: str | None = None  # "offline" | "online": "which sensors are offline?"
    several: bool = False  # a command with two values ("from 50 to 30 %"): no value to set
    role: str | None = None  # "sensor" | "actuator": "list the sensors in zone 3"
    # A time a question names that no window reads ("last Tuesday", "next 2 hours"): a
    # question about it is asked back, never answered about the default hour.
    unread_time: str | None = None
    also_kind: str | None = None  # "temperature and humidity in zone 3": humidity as well
    # "how much power is the pump drawing": what a meter of the pump reads ("power", "energy"
    # or "current"), never the pump's own state (``edge_agent.metering``)
    quantity: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict without the unset fields."""
        # By hand rather than dataclasses.asdict: this runs for every request.
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None and value != () and value is not False:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """Triage's verdict on one request: intent, where it is answered, and how sure we are."""

    intent: Intent
    route: Route
    confidence: float
    slots: Slots = field(default_factory=Slots)
    lang: str = "en"  # the request's language (ISO 639-1), for replies from message catalogues
    # False when the request escalates whatever the model's confidence: not a local intent,
    # written in a language this gateway does not answer, too long to be a command, or without
    # a word. Nothing may then answer it here below the threshold (floors.py).
    readable: bool = True


class Classifier(Protocol):
    """Anything that can triage a request: the ONNX model, or a fake in a test."""

    def classify(self, text: str) -> Decision:
        """Decide the intent, route, confidence and slots of one request."""
        ...
