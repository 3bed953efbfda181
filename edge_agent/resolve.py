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

Questions are phrased in the request's language (``lang``, from ``edge_agent.messages``).
Lookups go through the registry's kind and area indexes, so the cost of one resolution
follows the size of its answer, not the size of the registry. Local skills, cloud-proposed
actions and broker commands all resolve here, before the actuation policy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from edge_agent.kind_names import kind_name
from edge_agent.messages import say
from edge_agent.registry import Device, DeviceRole, Registry
from edge_agent.triage import lexicon, slot_words
from edge_agent.triage.decision import Slots

Outcome = Literal["one", "group", "none", "several"]
# A command that names what is measured ("set the temperature in the hall to 21") means an
# actuator of a kind that sets it; any other actuator in that area is not meant.
CONTROLLED_BY: dict[str, tuple[str, ...]] = {
    "temperature": ("heater", "boiler", "chiller", "thermostat", "hvac", "ahu", "cooler",
                    "furnace", "radiator", "heat pump", "heatpump"),
    "humidity": ("humidifier", "dehumidifier"),
    "light": ("light", "lamp", "dimmer"),
    "co2": ("vent", "damper", "ahu"),
}
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

    def resolve(self, slots: Slots, role: DeviceRole | None = None,
                lang: str = "en") -> Resolution:
        """The devices the request's slots name, of this role (None: any)."""
        if slots.mentions:
            return self._unknown(slots.mentions[0], role, lang)
        if slots.places:  # "pump 2 north": the pumps there are, as for "the north pump"
            named_kinds = (d.kind for i in slots.devices if (d := self._registry.get(i)))
            return self._no_place(slots.places[0], slots.kind or next(named_kinds, None),
                                  role, lang)
        named = [d for d in (self._registry.get(i) for i in slots.devices) if d is not None]
        if named:
            return self._check_named(named, slots, role, lang)
        if slots.kind or slots.area:
            return self._select(slots, role, lang)
        return Resolution("none", question=say(f"which_{role or 'device'}", lang)
                          + " " + self._what_exists(role, lang=lang), named=False)

    def resolve_id(self, device_id: str, role: DeviceRole | None = None,
                   lang: str = "en") -> Resolution:
        """The device a program names by its id (a cloud action, a broker command)."""
        device = self._registry.get(device_id)
        if device is None:
            hits = self._registry.by_key(device_id)
            device = hits[0] if len(hits) == 1 else None
        if device is None:
            return Resolution("none", question=(
                say("not_declared", lang, device=device_id[:80], role=_role_word(role, lang))
                + " " + self._what_exists(role, self._kind_of(device_id), lang)))
        if role is not None and device.role != role:
            return Resolution("none", question=_wrong_role(device, role, lang))
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

    def listing(self, kind: str | None, lang: str = "en") -> str:
        """What the gateway has of a kind (else everything), for a skill's question."""
        return self._what_exists(None, kind, lang)

    def _check_named(self, named: list[Device], slots: Slots,
                     role: DeviceRole | None, lang: str) -> Resolution:
        for device in named:
            if role is not None and device.role != role:
                return Resolution("none", question=_wrong_role(device, role, lang)
                                  + " " + self._what_exists(role, lang=lang))
            if slots.kind and device.kind.lower() != slots.kind.lower():
                return Resolution("none", question=say(
                    "wrong_kind", lang, device=device.id,
                    kind=kind_name(device.kind, lang) if device.kind else say("word_device", lang),
                    wanted=kind_name(slots.kind, lang))
                    + " " + self._what_exists(role, slots.kind, lang))
            if slots.area and device.area != slots.area:
                return Resolution("none", question=say(
                    "wrong_area", lang, device=device.id,
                    area=device.area or say("no_area", lang), wanted=slots.area))
        return Resolution("one" if len(named) == 1 else "group", tuple(named))

    def _select(self, slots: Slots, role: DeviceRole | None, lang: str) -> Resolution:
        found = self._registry.find(kind=slots.kind, area=slots.area, role=role)
        kind = kind_name(slots.kind, lang, quoted=False) if slots.kind else _role_word(role, lang)
        what = say("kind_in_area", lang, kind=kind, area=slots.area) if slots.area else kind
        if not found and role == "actuator" and slots.kind in lexicon.KIND_WORDS:
            return self._controller(slots, what, lang)
        if not found:
            return Resolution("none", question=say("no_such", lang, what=what)
                              + " " + self._what_exists(role, slots.kind, lang))
        if len(found) == 1:
            return Resolution("one", tuple(found))
        if slots.plural:
            return Resolution("group", tuple(found))
        return Resolution("several", tuple(found), question=say(
            "which_one", lang, count=len(found), what=what,
            names=_names(found, len(found), lang)))

    def _controller(self, slots: Slots, what: str, lang: str) -> Resolution:
        """The actuators that set what a command measures ("the temperature in the hall":
        its heaters), chosen as a kind would be; none: a question, never another actuator."""
        found = sorted({d.id: d for k in CONTROLLED_BY.get(slots.kind or "", ())
                        for d in self._registry.find(kind=k, area=slots.area,
                                                     role="actuator")}.values(),
                       key=lambda d: d.id)
        if not found:
            return Resolution("none", question=say("no_controller", lang, what=what) + " "
                              + self._what_exists("actuator", lang=lang))
        if len(found) == 1 or slots.plural:
            return Resolution("one" if len(found) == 1 else "group", tuple(found))
        return Resolution("several", tuple(found), question=say(
            "which_one", lang, count=len(found), what=what,
            names=_names(found, len(found), lang)))

    def _unknown(self, mention: str, role: DeviceRole | None, lang: str) -> Resolution:
        if self._registry.has_area(mention):
            return Resolution("none", question=say("two_areas", lang, mention=mention))
        word = slot_words.english(slot_words.fold(mention.split()[0].rstrip("0123456789")),
                                  lang)
        areas = self._registry.areas(word, limit=MAX_LISTED + 1) if " " in mention else []
        if areas:
            total = self._registry.area_count(word)
            listing = say("areas", lang, names=_bounded(areas[:MAX_LISTED], total, lang))
        else:
            listing = self._what_exists(role, self._kind_of(word), lang)
        return Resolution("none", question=say("no_such", lang, what=mention) + " " + listing)

    def _no_place(self, place: str, kind: str | None, role: DeviceRole | None,
                  lang: str) -> Resolution:
        """"the pump in the barn", "the backup pump" on a gateway without them: say so, and
        list the devices of that kind (with their areas), else the areas it has."""
        if kind and self._registry.count(kind=kind, role=role):
            return Resolution("none", question=say("no_such", lang, what=place) + " "
                              + self._what_exists(role, kind, lang))
        areas = self._registry.areas(limit=MAX_LISTED + 1)
        total = len(self._registry.areas()) if len(areas) > MAX_LISTED else len(areas)
        listing = (say("areas", lang, names=_bounded(areas, total, lang)) if areas
                   else self._what_exists(None, lang=lang))
        return Resolution("none", question=say("no_such", lang, what=place) + " " + listing)

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

    def _what_exists(self, role: DeviceRole | None, kind: str | None = None,
                     lang: str = "en") -> str:
        """What exists, for a clarifying question: "Pumps: pump-2 (line 2)."; a summary by
        kind when there are too many to list."""
        total = self._registry.count(kind=kind, role=role) if kind else 0
        if not total:
            kind, total = None, self._registry.count(role=role)
        if not total:
            return say("none_of_role", lang, roles=_role_word(role, lang, plural=True))
        if kind is None and total > MAX_LISTED:
            counts = sorted(self._registry.kind_counts(role).items())
            parts = ", ".join(f"{n} {kind_name(k, lang) if k else say('unlabelled', lang)}"
                              for k, n in counts[:MAX_LISTED])
            return say("summary_kinds", lang, total=total, parts=parts,
                       Roles=_upper(_role_word(role, lang, plural=True)))
        devices = self._registry.find(kind=kind, role=role, limit=MAX_LISTED)
        return say("listing", lang, title=_title(devices, role, lang),
                   names=_names(devices, total, lang))


def _title(devices: Sequence[Device], role: DeviceRole | None, lang: str) -> str:
    kinds = {d.kind for d in devices}
    roles = {d.role for d in devices}
    plural = _role_word(role, lang, plural=True)
    title = say("title_roles", lang, Roles=_upper(plural))
    if len(kinds) == 1 and "" not in kinds:
        kind = next(iter(kinds))
        fields = {"kind": kind_name(kind, lang), "Kind": _upper(kind)}
        if roles == {"actuator"}:
            title = say("title_kind_actuators", lang, **fields)
        elif len(roles) == 1:
            words = _role_word(next(iter(roles)), lang, plural=True)
            title = say("title_kind_role", lang, roles=words, Roles=_upper(words), **fields)
        else:
            title = say("title_kind_devices", lang, **fields)
    return title


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(devices: Sequence[Device], total: int, lang: str = "en") -> str:
    return _bounded([f"{d.id} ({d.area})" if d.area else d.id
                     for d in devices[:MAX_LISTED]], total, lang)


def _bounded(items: Sequence[str], total: int, lang: str = "en") -> str:
    shown = ", ".join(items[:MAX_LISTED])
    more = total - min(len(items), MAX_LISTED)
    return say("and_more_listed", lang, shown=shown, more=more) if more > 0 else shown


def _role_word(role: DeviceRole | None, lang: str = "en", plural: bool = False) -> str:
    return say(f"word_{role or 'device'}{'s' if plural else ''}", lang)


def _wrong_role(device: Device, role: DeviceRole, lang: str = "en") -> str:
    return say("is_sensor" if role == "actuator" else "is_actuator", lang, device=device.id)
