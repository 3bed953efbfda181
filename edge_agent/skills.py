"""Local answers from the gateway's own data, and actuation behind the actuation policy.

Every reply is phrased in the request's language (``Decision.lang``) from the message
catalogues (``edge_agent.messages.say``); programs (cloud actions, broker commands) get English.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import structlog

from edge_agent.errors import PolicyViolation
from edge_agent.history import History
from edge_agent.inventory import Inventory
from edge_agent.journal import Journal
from edge_agent.kind_names import kind_name
from edge_agent.messages import say, say_count
from edge_agent.metering import Metering
from edge_agent.outbox import new_key
from edge_agent.policy import ActuationPolicy, Source
from edge_agent.registry import Device, DeviceRole, Reading, Registry
from edge_agent.resolve import Resolution, Resolver
from edge_agent.skill_result import SkillResult, clarify
from edge_agent.triage.decision import Decision, Intent, Slots
from edge_agent.wording import (
    alert_message,
    canonical_unit,
    describe_aggregate,
    describe_around,
    describe_reading,
    display_unit,
    reading_data,
    switch_word,
)

log = structlog.get_logger("edge_agent.skills")

DEFAULT_WINDOW_S = 3600.0
AROUND_S = 900.0  # "at 2 pm" reads the readings from 13:45 to 14:15
MAX_READINGS = 20  # readings (or alerts) in one answer; a wider question is told to narrow
ROLE_OF_INTENT: dict[Intent, DeviceRole] = {"set_actuator": "actuator",
                                            "query_history": "sensor"}
# Publishes an actuator command: (device id, value) -> None.
Actuate = Callable[[str, "float | str"], None]


class Skills:
    """Answers local intents and drives actuators: resolve, then policy, then journal, then send.

    Every actuation, whatever asked for it, goes through ``actuate`` (one device) or
    ``set_actuator`` (what a request names): the device is resolved exactly, the policy is
    the last gate, and the journal makes it happen at most once per request key.
    """

    def __init__(self, registry: Registry, history: History, policy: ActuationPolicy,
                 actuate: Actuate, *, journal: Journal | None = None,
                 group_actions: bool = False) -> None:
        self._registry = registry
        self._history = history
        self._policy = policy
        self._actuate = actuate
        self._journal = journal
        self._group_actions = group_actions
        self.resolver = Resolver(registry)
        self._inventory = Inventory(registry, self.resolver)
        self._metering = Metering(registry, self.resolver)

    @property
    def registry(self) -> Registry:
        """The registry these skills answer from."""
        return self._registry

    def answer(self, decision: Decision, key: str | None = None) -> SkillResult:
        """Run the skill for a local intent; ``key`` identifies the request for the journal."""
        intent, lang = decision.intent, decision.lang
        if intent == "set_actuator":
            return self.set_actuator(decision.slots, key=key, lang=lang)
        handler = {
            "query_state": self.query_state,
            "query_history": self.query_history,
            "list_devices": self.list_devices,
            "list_alerts": self.list_alerts,
        }.get(intent)
        if handler is None:
            raise ValueError(f"no local skill for intent {intent!r}")
        return handler(decision.slots, lang=lang)

    def resolve(self, decision: Decision) -> Resolution:
        """What the request names, for the role its intent acts on."""
        return self.resolver.resolve(decision.slots, ROLE_OF_INTENT.get(decision.intent),
                                     decision.lang)

    def scope(self, slots: Slots) -> set[str]:
        """The actuators a command names exactly: what a cloud answer to it may move.

        One device, or a plural group when the policy allows groups; nothing when the
        command is unknown or ambiguous (the gateway would have asked which one).
        """
        found = self.resolver.resolve(slots, "actuator")
        if found.outcome == "one" or (found.outcome == "group" and self._group_actions):
            return set(found.ids)
        return set()

    def _read(self, slots: Slots, role: DeviceRole | None, lang: str) -> Resolution:
        """What a question reads: as a command would resolve, except that a question about
        several areas this gateway has ("zone 3 and zone 5"), or two quantities
        ("temperature and humidity"), reads each of them; one missing is asked about. The
        power a device draws is read from its meter (``edge_agent.metering``)."""
        if slots.quantity is not None:
            return self._metering.resolve(slots, lambda named: self._read(named, role, lang),
                                          lang)
        if slots.also_kind is not None:
            devices: dict[str, Device] = {}
            for kind in (slots.kind, slots.also_kind):
                found = self._read(replace(slots, kind=kind, also_kind=None, plural=True),
                                   role, lang)
                if found.outcome == "none":
                    return found
                devices.update((d.id, d) for d in found.devices)
            return Resolution("group", tuple(devices.values()))
        return self._read_areas(slots, role, lang)

    def _read_areas(self, slots: Slots, role: DeviceRole | None, lang: str) -> Resolution:
        areas = [slots.area, *slots.mentions]
        if slots.area is None or not all(self._registry.has_area(a) for a in slots.mentions):
            return self.resolver.resolve(slots, role, lang)
        devices: dict[str, Device] = {}
        for area in areas:
            found = self.resolver.resolve(replace(slots, area=area, mentions=(), plural=True),
                                          role, lang)
            if found.outcome == "none":
                return found
            devices.update((d.id, d) for d in found.devices)
        return Resolution("group", tuple(devices.values()))

    def query_state(self, slots: Slots, *, lang: str = "en") -> SkillResult:
        """The latest value of the devices the request names."""
        if slots.unread_time is not None:
            return _unread(slots.unread_time, lang)
        found = self._read(slots, None, lang)
        if found.outcome == "none":
            return clarify(found)
        if slots.at is not None:  # "the temperature in zone 3 at 2 pm" is history
            return self._around(found.devices[:MAX_READINGS], slots.at, lang)
        lines, values = [], []
        for device in found.devices[:MAX_READINGS]:
            reading = self._registry.latest(device.id)
            lines.append(describe_reading(device, reading, lang, as_unit=slots.unit))
            values.append(reading_data(device, reading))
        more = len(found.devices) - MAX_READINGS
        tail = say("more_readings", lang, more=more) if more > 0 else ""
        return SkillResult("; ".join(lines) + tail + ".", {"readings": values})

    def query_history(self, slots: Slots, *, lang: str = "en") -> SkillResult:
        """Aggregates of numeric readings over the requested window (default one hour)."""
        if slots.unread_time is not None:  # "last Tuesday" is not the last hour
            return _unread(slots.unread_time, lang)
        found = self._read(slots, "sensor", lang)
        if found.outcome == "none":
            return clarify(found)
        if slots.at is not None:
            return self._around(found.devices[:MAX_READINGS], slots.at, lang)
        window = slots.window_s or DEFAULT_WINDOW_S
        now = time.time()
        lines, stats = [], []
        for device in found.devices[:MAX_READINGS]:
            agg = self._history.aggregate(device.id, now - window, now)
            stats.append({"device": device.id, "count": agg.count, "min": agg.min,
                          "max": agg.max, "mean": agg.mean, "first": agg.first,
                          "last": agg.last, "window_s": window})
            lines.append(describe_aggregate(device, (agg.count, agg.mean, agg.min, agg.max,
                                             agg.first, agg.last), window, slots.aggregate,
                                             lang))
        return SkillResult("; ".join(lines) + ".", {"history": stats})

    def _around(self, devices: Sequence[Device], at: float, lang: str) -> SkillResult:
        """The readings within ``AROUND_S`` of a time of day ("at 2 pm"), averaged."""
        clock = time.strftime("%H:%M", time.localtime(at))
        lines, stats = [], []
        for device in devices:
            agg = self._history.aggregate(device.id, at - AROUND_S, at + AROUND_S)
            stats.append({"device": device.id, "count": agg.count, "mean": agg.mean,
                          "min": agg.min, "max": agg.max, "at": at})
            lines.append(describe_around(device, agg.count, agg.mean, clock, lang))
        return SkillResult("; ".join(lines) + ".", {"history": stats})

    def set_actuator(self, slots: Slots, key: str | None = None,
                     source: Source = "local", *, lang: str = "en") -> SkillResult:
        """Drive the actuator the request names exactly; a group only if the policy allows."""
        found = self.resolver.resolve(slots, "actuator", lang)
        if not found.resolved:
            return clarify(found)
        wrong = next((d for d in found.devices if slots.unit and d.unit
                      and canonical_unit(d.unit) != slots.unit), None)
        if wrong is not None:  # "set fan 3 to 50 degrees" is not 50 %
            return SkillResult(
                say("wrong_unit", lang, device=wrong.id, unit=display_unit(wrong.unit),
                    said=slots.unit),
                {"device": wrong.id, "refused": True, "published": False},
                error_code="policy_violation")
        key = key or new_key()
        if found.outcome == "one":
            return self.actuate(found.devices[0].id, slots.value, source=source, key=key,
                                lang=lang)
        if not self._group_actions:
            return SkillResult(
                say("group_refused", lang, count=len(found.devices), ids=", ".join(found.ids)),
                {"devices": found.ids, "refused": True, "published": False},
                error_code="policy_violation")
        held = [d.id for d in found.devices if self._policy.needs_approval(d.id, source)]
        if held:  # one approval per change: a group is not held as a whole
            return SkillResult(
                f"{', '.join(held)} need an operator's approval, which is asked for one device "
                "at a time; name one device. Nothing was sent.",
                {"devices": found.ids, "refused": True, "published": False},
                error_code="policy_violation")
        results = [self.actuate(d.id, slots.value, source=source, key=key, lang=lang)
                   for d in found.devices]
        done = [r.data["device"] for r in results if r.data.get("published")]
        answer = " ".join(r.answer for r in results)
        return SkillResult(answer, {"devices": done, "actions": [r.data for r in results],
                                    "published": bool(done)},
                           error_code=None if done else results[0].error_code)

    def actuate(self, device_id: str, value: float | str | None, *, source: Source,
                key: str | None = None, lang: str = "en", approved: bool = False) -> SkillResult:
        """Resolve one device by id, check the policy, journal, then publish; say what happened.

        With a ``key`` already journalled for this device and value, nothing is sent again.
        An actuator whose policy requires approval for ``source`` is not moved: the result
        has ``data["pending"]`` and the caller holds it (``edge_agent.approvals``) until an
        operator approves, when it comes back here with ``approved=True``.
        """
        found = self.resolver.resolve_id(device_id, "actuator", lang)
        if not found.resolved:
            log.warning("actuation.refused", device=device_id[:80], value=value, source=source,
                        reason="unresolved")
            return SkillResult(say("refused_because", lang, question=found.question),
                               {"device": device_id, "refused": True, "published": False},
                               error_code="policy_violation")
        device = found.devices[0]
        key = key or new_key()
        action = _action(value)
        if self._journal is not None and self._journal.seen(key, device.id, action):
            log.info("actuation.skipped", device=device.id, key=key, reason="already_done")
            shown = switch_word(value, lang) if isinstance(value, str) else value
            return SkillResult(say("already_done_value", lang, device=device.id, value=shown),
                               {"device": device.id, "value": value, "published": False,
                                "already_done": True})
        try:
            if not approved and self._policy.needs_approval(device.id, source):
                return self._pending(device, self._policy.preview(device.id, value, source),
                                     source)
            sent = self._policy.check(device.id, value, source)
        except PolicyViolation as exc:
            log.warning("actuation.refused", device=device.id, value=value, source=source,
                        reason=str(exc))
            reason = _worded(exc, lang).rstrip(".")  # the frame ends the sentence
            return SkillResult(say("refused", lang, reason=reason),
                               {"device": device.id, "value": value, "refused": True,
                                "published": False}, error_code="policy_violation")
        return self._send(device, sent, source, (key, action), lang)

    def _pending(self, device: Device, value: float | str, source: Source) -> SkillResult:
        """An allowed change that waits for an operator's approval; nothing is sent yet."""
        shown = f"{value:g} {device.unit}".strip() if isinstance(value, float) else value
        log.info("actuation.held", device=device.id, value=value, source=source)
        return SkillResult(
            f"Setting {device.id} to {shown} needs an operator's approval; you will hear "
            "when it is approved or rejected.",
            {"device": device.id, "value": value, "unit": device.unit, "source": source,
             "pending": True, "published": False})

    def _send(self, device: Device, sent: float | str, source: Source,
              journal_key: tuple[str, str], lang: str) -> SkillResult:
        key, action = journal_key
        if self._journal is not None and not self._journal.record(
                key, device.id, action, sent, source):
            return SkillResult(say("already_done", lang, device=device.id),
                               {"device": device.id, "published": False, "already_done": True})
        self._actuate(device.id, sent)
        self._registry.record(Reading(device.id, sent, device.unit, time.time()))
        log.info("actuation.sent", device=device.id, value=sent, source=source, key=key)
        shown = f"{sent:g} {device.unit}".strip() if isinstance(sent, float) else \
            switch_word(sent, lang)
        return SkillResult(say("done_set", lang, device=device.id, value=shown),
                           {"device": device.id, "value": sent, "unit": device.unit,
                            "source": source, "published": True})

    def list_devices(self, slots: Slots, *, lang: str = "en") -> SkillResult:
        """The devices on this gateway, filtered by kind and area when the request says so
        (``edge_agent.inventory``)."""
        return self._inventory.list_devices(slots, lang)

    def list_alerts(self, slots: Slots, *, lang: str = "en") -> SkillResult:
        """Readings outside their declared limits, and sensors that went quiet (bounded), of
        the sensors the request names ("alerts in tank 1"); what it names that this gateway
        lacks gets a clarifying question, not every alert."""
        alerts = self.alerts(lang=lang)
        if slots.devices or slots.kind or slots.area or slots.mentions or slots.places:
            found = self._read(replace(slots, plural=True), "sensor", lang)
            if found.outcome == "none":
                return clarify(found)
            alerts = [a for a in alerts if a["device"] in found.ids]
        if not alerts:
            return SkillResult(say("no_alerts", lang), {"alerts": []})
        shown = alerts[:MAX_READINGS]
        more = say("and_n_more", lang, more=len(alerts) - len(shown)) \
            if len(alerts) > len(shown) else ""
        items = "; ".join(a["message"] for a in shown) + more
        return SkillResult(say_count("alerts", lang, len(alerts), items=items) + ".",
                           {"alerts": shown, "total": len(alerts)})

    def alerts(self, now: float | None = None, lang: str = "en") -> list[dict[str, Any]]:
        """Active alerts, computed from the latest readings, worded in ``lang``."""
        now = time.time() if now is None else now
        found = []
        for device in self._registry.devices():
            if device.role != "sensor":
                continue
            reading = self._registry.latest(device.id)
            message = alert_message(device, reading, now, lang)
            if message:
                found.append({"device": device.id, "message": message})
        return found


def _unread(when: str, lang: str) -> SkillResult:
    """A question about a time no window reads: asked back, nothing read."""
    return clarify(Resolution("none", question=say("unread_time", lang, when=when)))


def _worded(exc: PolicyViolation, lang: str) -> str:
    """A policy refusal in the request's language, the device's kind named in it too."""
    if not exc.key:
        return str(exc)
    fields = dict(exc.fields)
    if isinstance(fields.get("kind"), str):
        fields["kind"] = kind_name(str(fields["kind"]), lang)
    return say(exc.key, lang, **fields)


def _action(value: float | str | None) -> str:
    """The journal's name for a requested value: the same request always gives the same."""
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else \
        str(value).strip().lower()
