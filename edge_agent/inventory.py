"""The answer to "list the devices": what this gateway has, filtered by what the request
names; past ``MAX_LISTED_DEVICES`` a summary by kind and area, and how to narrow it. "Which are
offline / online" lists the sensors that have gone quiet / that report (``presence``)."""

from __future__ import annotations

from typing import Any

from edge_agent import presence
from edge_agent.kind_names import kind_name
from edge_agent.messages import say, say_count
from edge_agent.registry import Device, DeviceRole, Registry
from edge_agent.resolve import Resolver
from edge_agent.skill_result import SkillResult, clarify
from edge_agent.triage.decision import Slots

MAX_LISTED_DEVICES = 50  # past this, "list the devices" answers with a summary
_ROLES: dict[str, DeviceRole] = {"sensor": "sensor", "actuator": "actuator"}


class Inventory:
    """Lists one registry's devices as requests ask for them."""

    def __init__(self, registry: Registry, resolver: Resolver) -> None:
        self._registry = registry
        self.resolver = resolver

    def list_devices(self, slots: Slots, lang: str = "en") -> SkillResult:
        """The devices a request asks for, a summary past ``MAX_LISTED_DEVICES``, or a
        question about what it names that this gateway lacks."""
        if slots.mentions or slots.places:
            return clarify(self.resolver.resolve(slots, None, lang))
        if slots.status and not slots.devices:
            answer, data = presence.answer(self._registry, slots.status, kind=slots.kind,
                                           area=slots.area, lang=lang)
            return SkillResult(answer, data)
        if slots.devices:
            devices = [d for d in (self._registry.get(i) for i in slots.devices) if d]
        else:
            role = _ROLES.get(slots.role or "")
            total = self._registry.count(kind=slots.kind, area=slots.area, role=role)
            if not total and (slots.kind or slots.area):
                return clarify(self.resolver.resolve(slots, role, lang))
            if total > MAX_LISTED_DEVICES:
                return self._summary(slots, total, lang)
            devices = self._registry.find(kind=slots.kind, area=slots.area, role=role)
        devices.sort(key=lambda d: (d.role != "sensor", d.id))
        text = ", ".join(f"{d.id} ({say('word_' + d.role, lang)}"
                         f"{', ' + kind_name(d.kind, lang) if d.kind else ''}"
                         f"{', ' + d.area if d.area else ''})" for d in devices)
        answer = say_count("devices", lang, len(devices), items=text) if devices else \
            say("no_devices", lang)
        return SkillResult(answer, {"devices": [_device_data(d) for d in devices]})

    def _summary(self, slots: Slots, total: int, lang: str) -> SkillResult:
        """Too many to list: how many of each kind, in how many areas, and how to narrow."""
        kinds = {slots.kind: total} if slots.kind else {
            k: n for k in sorted(self._registry.kind_counts())
            if (n := self._registry.count(kind=k, area=slots.area))}
        where = say("in_area", lang, area=slots.area) if slots.area else ""
        parts = ", ".join(f"{n} {kind_name(k, lang) if k else say('unlabelled', lang)}"
                          for k, n in kinds.items())
        areas = [] if slots.area else self._registry.areas(limit=6)
        in_areas = say("areas_include", lang, areas=", ".join(areas[:5])) if areas else ""
        return SkillResult(
            say("summary", lang, total=total, where=where, parts=parts, in_areas=in_areas),
            {"total": total, "by_kind": kinds, "summary": True})


def _device_data(device: Device) -> dict[str, Any]:
    """One device as a program reads it in the reply's data."""
    return {"id": device.id, "role": device.role, "kind": device.kind, "area": device.area,
            "unit": device.unit}
