"""Local answers from the gateway's own data, and actuation behind the actuation policy."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from edge_agent.errors import PolicyViolation
from edge_agent.history import History
from edge_agent.policy import ActuationPolicy, Source
from edge_agent.registry import Device, Reading, Registry
from edge_agent.triage.decision import Decision, Slots

log = structlog.get_logger("edge_agent.skills")

DEFAULT_WINDOW_S = 3600.0
STALE_AFTER_S = 15 * 60.0
# Publishes an actuator command: (device id, value) -> None.
Actuate = Callable[[str, "float | str"], None]


@dataclass(frozen=True, slots=True)
class SkillResult:
    """A local answer: text for a person, data for a program, an error code when refused."""

    answer: str
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None


class Skills:
    """Answers local intents and drives actuators."""

    def __init__(
        self, registry: Registry, history: History, policy: ActuationPolicy, actuate: Actuate
    ) -> None:
        self._registry = registry
        self._history = history
        self._policy = policy
        self._actuate = actuate

    def answer(self, decision: Decision) -> SkillResult:
        """Run the skill for a local intent."""
        handler = {
            "query_state": self.query_state,
            "query_history": self.query_history,
            "set_actuator": self.set_actuator,
            "list_devices": self.list_devices,
            "list_alerts": self.list_alerts,
        }.get(decision.intent)
        if handler is None:
            raise ValueError(f"no local skill for intent {decision.intent!r}")
        return handler(decision.slots)

    def query_state(self, slots: Slots) -> SkillResult:
        """The latest value of the devices the request names."""
        devices = self._find(slots)
        if not devices:
            return self._clarify(slots, "Which device or area do you mean?")
        lines, values = [], []
        for device in devices:
            reading = self._registry.latest(device.id)
            lines.append(_describe_reading(device, reading))
            values.append(_reading_data(device, reading))
        return SkillResult("; ".join(lines) + ".", {"readings": values})

    def query_history(self, slots: Slots) -> SkillResult:
        """Aggregates of numeric readings over the requested window (default one hour)."""
        devices = [d for d in self._find(slots) if d.role == "sensor"]
        if not devices:
            return self._clarify(slots, "Which sensor's history do you mean?")
        window = slots.window_s or DEFAULT_WINDOW_S
        now = time.time()
        lines, stats = [], []
        for device in devices:
            agg = self._history.aggregate(device.id, now - window, now)
            stats.append({"device": device.id, "count": agg.count, "min": agg.min,
                          "max": agg.max, "mean": agg.mean, "first": agg.first,
                          "last": agg.last, "window_s": window})
            lines.append(_describe_aggregate(device, agg.count, agg.mean, agg.min, agg.max,
                                             agg.first, agg.last, window, slots.aggregate))
        return SkillResult("; ".join(lines) + ".", {"history": stats})

    def set_actuator(self, slots: Slots) -> SkillResult:
        """Drive one actuator, if the policy allows it."""
        actuators = [d for d in self._find(slots) if d.role == "actuator"]
        if len(actuators) != 1:
            names = ", ".join(d.id for d in actuators) or "none matched"
            return self._clarify(slots, f"Which actuator should I change ({names})?",
                                 role="actuator")
        return self.actuate(actuators[0].id, slots.value, source="local")

    def actuate(self, device_id: str, value: float | str | None, *, source: Source) -> SkillResult:
        """Check a command against the policy, then publish it; refusals say why."""
        try:
            sent = self._policy.check(device_id, value, source)
        except PolicyViolation as exc:
            log.warning("actuation.refused", device=device_id, value=value, source=source,
                        reason=str(exc))
            return SkillResult(f"Refused: {exc}.", {"device": device_id, "refused": True},
                               error_code="policy_violation")
        self._actuate(device_id, sent)
        device = self._registry.get(device_id)
        unit = device.unit if device else ""
        self._registry.record(Reading(device_id, sent, unit, time.time()))
        log.info("actuation.sent", device=device_id, value=sent, source=source)
        shown = f"{sent:g} {unit}".strip() if isinstance(sent, float) else sent
        return SkillResult(f"Done: {device_id} set to {shown}.",
                           {"device": device_id, "value": sent, "unit": unit, "source": source})

    def list_devices(self, slots: Slots) -> SkillResult:
        """The devices on this gateway, filtered by kind and area when the request says so."""
        devices = [d for d in self._registry.devices() if _matches(d, slots.kind, slots.area)]
        if not devices:
            devices = self._registry.devices()
        text = ", ".join(f"{d.id} ({d.role}{', ' + d.kind if d.kind else ''}"
                         f"{', ' + d.area if d.area else ''})" for d in devices)
        return SkillResult(f"{len(devices)} devices: {text}." if devices else "No devices yet.",
                           {"devices": [_device_data(d) for d in devices]})

    def list_alerts(self, slots: Slots) -> SkillResult:
        """Readings outside their declared limits, and sensors that went quiet."""
        alerts = self.alerts()
        if not alerts:
            return SkillResult("No active alerts.", {"alerts": []})
        return SkillResult(f"{len(alerts)} active alerts: " + "; ".join(
            a["message"] for a in alerts) + ".", {"alerts": alerts})

    def alerts(self, now: float | None = None) -> list[dict[str, Any]]:
        """Active alerts, computed from the latest readings."""
        now = time.time() if now is None else now
        found = []
        for device in self._registry.devices():
            if device.role != "sensor":
                continue
            reading = self._registry.latest(device.id)
            message = _alert_message(device, reading, now)
            if message:
                found.append({"device": device.id, "message": message})
        return found

    def _find(self, slots: Slots) -> list[Device]:
        found = [d for d in (self._registry.get(i) for i in slots.devices) if d is not None]
        if found:
            return found
        if slots.kind or slots.area:
            return [d for d in self._registry.devices() if _matches(d, slots.kind, slots.area)]
        return []

    def _clarify(self, slots: Slots, question: str, role: str | None = None) -> SkillResult:
        known = [d.id for d in self._registry.devices() if role is None or d.role == role]
        unknown = f" I don't know {', '.join(repr(m) for m in slots.mentions)}." \
            if slots.mentions else ""
        return SkillResult(f"{question}{unknown} Known: {', '.join(known) or 'none yet'}.",
                           {"clarify": True, "candidates": known}, error_code="unresolved")


def _matches(device: Device, kind: str | None, area: str | None) -> bool:
    return (not kind or device.kind == kind) and (not area or device.area == area)


def _fmt(value: float | str | bool, unit: str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g} {_unit(unit)}".strip()
    return f"{value} {_unit(unit)}".strip() if unit and value not in ("on", "off") else value


def _unit(unit: str) -> str:
    return {"Cel": "°C", "%RH": "%", "degC": "°C"}.get(unit, unit)


def _describe_reading(device: Device, reading: Reading | None) -> str:
    if reading is None:
        return f"{device.label} has not reported yet"
    age = max(0.0, time.time() - reading.ts)
    return f"{device.label} is {_fmt(reading.value, reading.unit or device.unit)} " \
           f"({_age(age)} ago)"


def _reading_data(device: Device, reading: Reading | None) -> dict[str, Any]:
    if reading is None:
        return {"device": device.id, "value": None}
    return {"device": device.id, "value": reading.value, "unit": reading.unit or device.unit,
            "ts": reading.ts}


def _describe_aggregate(device: Device, count: int, mean: float | None, low: float | None,
                        high: float | None, first: float | None, last: float | None,
                        window: float, aggregate: str | None) -> str:
    if count == 0 or mean is None or low is None or high is None:
        return f"{device.label} has no readings in the last {_age(window)}"
    unit = _unit(device.unit)
    span = f"over the last {_age(window)}"
    if aggregate == "trend" and first is not None and last is not None:
        delta = last - first
        way = "rose" if delta > 0 else "fell" if delta < 0 else "held steady"
        return f"{device.label} {way} {span}, from {first:g} to {last:g} {unit}".rstrip()
    picked = {"min": ("lowest", low), "max": ("highest", high)}.get(aggregate or "")
    if picked:
        return f"{device.label} {picked[0]} {span}: {picked[1]:g} {unit}".rstrip()
    return (f"{device.label} averaged {mean:.4g} {unit} {span} "
            f"(min {low:g}, max {high:g}, {count} readings)")


def _alert_message(device: Device, reading: Reading | None, now: float) -> str | None:
    if reading is None:
        return None
    if now - reading.ts > STALE_AFTER_S:
        return f"{device.label} silent for {_age(now - reading.ts)}"
    value = reading.value
    if not isinstance(value, float) or isinstance(value, bool):
        return None
    if device.high is not None and value > device.high:
        return f"{device.label} high: {value:g} > {device.high:g} {_unit(device.unit)}".rstrip()
    if device.low is not None and value < device.low:
        return f"{device.label} low: {value:g} < {device.low:g} {_unit(device.unit)}".rstrip()
    return None


def _device_data(device: Device) -> dict[str, Any]:
    return {"id": device.id, "role": device.role, "kind": device.kind, "area": device.area,
            "unit": device.unit}


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
