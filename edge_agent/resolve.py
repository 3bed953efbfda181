"""What a request names -> the registry's devices: exactly, or a clarifying question.

Every identifier a request names constrains the match and is never dropped to find a
candidate: a device id, name, code or unambiguous typo (``Slots.devices``), a kind ("pump",
"heater") and an area ("zone 8", "line 3"). A name-shaped phrase the registry does not know
(``Slots.mentions``: "pump 9", "zone 42") matches nothing. The outcomes:

- ``one``: exactly one device matches; act on it.
- ``group``: several match and the request is explicitly plural ("all pumps", "everything on
  line 3") or names each of them; the actuation policy decides whether groups may be switched.
- ``none``: nothing matches; ``question`` says so and names what exists.
- ``several``: several match and the request is not plural; ``question`` lists them.

Lookups go through the registry's kind and area indexes, so the cost of one resolution
follows the size of its answer, not the size of the registry. Local skills, cloud-proposed
actions and broker commands all resolve here, before the actuation policy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from edge_agent.registry import Device, DeviceRole, Registry
from edge_agent.triage.decision import Slots

Outcome = Literal["one", "group", "none", "several"]
MAX_LISTED = 12  # devices named in one clarifying question; the rest are counted


@dataclass(frozen=True, slots=True)
class Resolution:
    """The devices a request resolves to, or the question to ask instead."""

    outcome: Outcome
    devices: tuple[Device, ...] = ()
    question: str = ""
    named: bool = True  # False when the request named no device, kind or area at all

    @property
    def resolved(self) -> bool:
        """True when the request names exactly the devices in ``devices``."""
        return self.outcome in ("one", "group")

    @property
    def ids(self) -> list[str]:
        """The ids of the matched devices."""
        return [d.id for d in self.devices]


class Resolver:
    """Resolves what requests name against one registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def resolve(self, slots: Slots, role: DeviceRole | None = None) -> Resolution:
        """The devices the request's slots name, of this role (None: any)."""
        if slots.mentions:
            return self._unknown(slots.mentions[0], role)
        named = [d for d in (self._registry.get(i) for i in slots.devices) if d is not None]
        if named:
            return self._check_named(named, slots, role)
        if slots.kind or slots.area:
            return self._select(slots, role)
        return Resolution("none", question=f"Which {_role_word(role)} do you mean? "
                          + self._what_exists(role), named=False)

    def resolve_id(self, device_id: str, role: DeviceRole | None = None) -> Resolution:
        """The device a program names by its id (a cloud action, a broker command)."""
        device = self._registry.get(device_id)
        if device is None:
            hits = self._registry.by_key(device_id)
            device = hits[0] if len(hits) == 1 else None
        if device is None:
            return Resolution("none", question=(
                f"There is no {device_id[:80]} here: it is not a declared "
                f"{_role_word(role)} on this gateway. "
                + self._what_exists(role, self._kind_of(device_id))))
        if role is not None and device.role != role:
            return Resolution("none", question=_wrong_role(device, role))
        return Resolution("one", (device,))

    def related(self, slots: Slots, limit: int = 20) -> list[Device]:
        """Devices a request is about, loosely: context for a cloud model, never for acting."""
        found = [d for d in (self._registry.get(i) for i in slots.devices) if d is not None]
        areas: list[str | None] = [
            a for a in (slots.area, *slots.mentions) if a and self._registry.has_area(a)]
        for area in areas or ([None] if slots.kind else []):
            found += self._registry.find(kind=slots.kind, area=area, limit=limit) or (
                self._registry.find(area=area, limit=limit) if area else [])
        return list({d.id: d for d in found}.values())[:limit]

    def _check_named(self, named: list[Device], slots: Slots,
                     role: DeviceRole | None) -> Resolution:
        for device in named:
            if role is not None and device.role != role:
                return Resolution("none", question=_wrong_role(device, role)
                                  + " " + self._what_exists(role))
            if slots.kind and device.kind.lower() != slots.kind.lower():
                return Resolution("none", question=f"{device.id} is a {device.kind or 'device'}"
                                  f", not a {slots.kind}. " + self._what_exists(role, slots.kind))
            if slots.area and device.area != slots.area:
                return Resolution("none", question=f"{device.id} is in "
                                  f"{device.area or 'no area'}, not in {slots.area}.")
        return Resolution("one" if len(named) == 1 else "group", tuple(named))

    def _select(self, slots: Slots, role: DeviceRole | None) -> Resolution:
        found = self._registry.find(kind=slots.kind, area=slots.area, role=role)
        what = " ".join(p for p in (slots.kind or _role_word(role),
                                    f"in {slots.area}" if slots.area else "") if p)
        if not found:
            return Resolution("none", question=f"There is no {what} here. "
                              + self._what_exists(role, slots.kind))
        if len(found) == 1:
            return Resolution("one", tuple(found))
        if slots.plural:
            return Resolution("group", tuple(found))
        return Resolution("several", tuple(found), question=(
            f"Which one do you mean? {len(found)} match {what}: "
            + _names(found, len(found)) + ". Name one, or say 'all'."))

    def _unknown(self, mention: str, role: DeviceRole | None) -> Resolution:
        if self._registry.has_area(mention):
            return Resolution("none", question=f"This names more than one area ({mention} "
                              "too); ask about one area at a time.")
        word = mention.split()[0].rstrip("0123456789")
        areas = self._registry.areas(word, limit=MAX_LISTED + 1) if " " in mention else []
        if areas:
            total = self._registry.area_count(word)
            listing = "Areas: " + _bounded(areas[:MAX_LISTED], total) + "."
        else:
            listing = self._what_exists(role, self._kind_of(word))
        return Resolution("none", question=f"There is no {mention} here. {listing}")

    def _kind_of(self, text: str) -> str | None:
        """The kind a name starts with, if devices of it exist ("pump" in "pump-9")."""
        match = re.match(r"[a-z]+", text.lower())
        if not match:
            return None
        word = match.group()
        for kind in dict.fromkeys((word, word[:-1] if word.endswith("s") else word)):
            if self._registry.count(kind=kind):
                return kind
        return None

    def _what_exists(self, role: DeviceRole | None, kind: str | None = None) -> str:
        """What exists, for a clarifying question: "Pumps: pump-2 (line 2)."; a summary by
        kind when there are too many to list."""
        total = self._registry.count(kind=kind, role=role) if kind else 0
        if not total:
            kind, total = None, self._registry.count(role=role)
        if not total:
            return f"This gateway has no {_role_word(role)}s yet."
        if kind is None and total > MAX_LISTED:
            counts = sorted(self._registry.kind_counts(role).items())
            parts = ", ".join(f"{n} {k or 'unlabelled'}" for k, n in counts[:MAX_LISTED])
            return (f"{_role_word(role).capitalize()}s here: {total} ({parts}); name one by "
                    "its id, or by kind and area.")
        devices = self._registry.find(kind=kind, role=role, limit=MAX_LISTED)
        return f"{_title(devices, role)}: {_names(devices, total)}."


def _title(devices: Sequence[Device], role: DeviceRole | None) -> str:
    kinds = {d.kind for d in devices}
    roles = {d.role for d in devices}
    title = f"{_role_word(role)}s"
    if len(kinds) == 1 and "" not in kinds:
        kind = next(iter(kinds))
        title = f"{kind}s" if roles == {"actuator"} else f"{kind} {next(iter(roles))}s" \
            if len(roles) == 1 else f"{kind} devices"
    return title[:1].upper() + title[1:]


def _names(devices: Sequence[Device], total: int) -> str:
    return _bounded([f"{d.id} ({d.area})" if d.area else d.id
                     for d in devices[:MAX_LISTED]], total)


def _bounded(items: Sequence[str], total: int) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    more = total - min(len(items), MAX_LISTED)
    return f"{shown} and {more} more (ask to list them by kind or area)" if more > 0 else shown


def _role_word(role: DeviceRole | None) -> str:
    return role or "device"


def _wrong_role(device: Device, role: DeviceRole) -> str:
    if role == "actuator":
        return (f"{device.id} is a sensor, not a declared actuator on this gateway; it cannot be "
                "switched or set.")
    return f"{device.id} is an actuator, not a sensor."
