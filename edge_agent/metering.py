"""The power, energy or current sensor that measures a device or a place.

"How much power is the pump drawing" names the pump and asks what a meter of it reads: the
pump's own state (on, off) is no answer. A meter measures a device when it is a power, energy
or current sensor in the device's area that names the device (``pump-2-power``, a name with
"pump 2"), or any such sensor there when the device is the only actuator in that area. A
place's meters are its power, energy and current sensors. Where both are there, the kind asked
is preferred ("power" over an energy meter beside it). When nothing measures what was asked,
the answer is a question that says what the gateway measures; never another device's reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from edge_agent.kind_names import kind_name
from edge_agent.messages import say
from edge_agent.registry import Device, Registry
from edge_agent.resolve import Resolution, Resolver
from edge_agent.triage.decision import Slots
from edge_agent.triage.names import compact
from edge_agent.triage.slot_words import ELECTRICAL_KINDS

Read = Callable[[Slots], Resolution]  # how a question resolves what it names


class Metering:
    """Finds the meters of what a question names, against one registry."""

    def __init__(self, registry: Registry, resolver: Resolver) -> None:
        self._registry = registry
        self._resolver = resolver

    def resolve(self, slots: Slots, read: Read, lang: str) -> Resolution:
        """The meters of the devices, kind or place a question names (``slots.quantity``)."""
        quantity = slots.quantity or "power"
        if not (slots.devices or slots.kind or slots.mentions or slots.places):
            return self._of_place(slots.area, quantity, lang)
        named = read(replace(slots, quantity=None))
        if named.outcome == "none":
            return named
        meters: dict[str, Device] = {}
        for device in named.devices:
            found = self._of_device(device, quantity, lang)
            if not found.resolved:
                return found
            meters.update((d.id, d) for d in found.devices)
        return Resolution("one" if len(meters) == 1 else "group", tuple(meters.values()))

    def _of_place(self, area: str | None, quantity: str, lang: str) -> Resolution:
        """The meters in an area (None: on the gateway), the kind asked first."""
        found = _preferred(self._meters(area), quantity)
        if found:
            return Resolution("one" if len(found) == 1 else "group", tuple(found))
        what = kind_name(quantity, lang, quoted=False)
        what = say("kind_in_area", lang, kind=what, area=area) if area else what
        return Resolution("none", question=say("no_such", lang, what=what) + " "
                          + self._listing(quantity, lang))

    def _of_device(self, device: Device, quantity: str, lang: str) -> Resolution:
        """The meter of one device: itself when it is one, else one in its area (above)."""
        if device.role == "sensor" and device.kind.lower() in ELECTRICAL_KINDS:
            return Resolution("one", (device,))
        nearby = self._meters(device.area) if device.area else []
        own = [m for m in nearby if _names(m, device)]
        alone = self._registry.count(area=device.area, role="actuator") == 1
        found = _preferred(own or (nearby if alone and device.role == "actuator" else []),
                           quantity)
        if len(found) == 1:
            return Resolution("one", tuple(found))
        what = kind_name(quantity, lang, quoted=False)
        if found:
            return Resolution("several", tuple(found), question=say(
                "which_one", lang, count=len(found), what=what,
                names=", ".join(f"{d.id} ({d.area})" for d in found)))
        return Resolution("none", question=say("no_meter", lang, what=what, device=device.id)
                          + " " + self._listing(quantity, lang))

    def _listing(self, quantity: str, lang: str) -> str:
        """The gateway's meters of the kind asked, else of another electrical kind, else
        every device: what the asker may name instead."""
        kind = next((k for k in (quantity, *ELECTRICAL_KINDS)
                     if self._registry.count(kind=k, role="sensor")), quantity)
        return self._resolver.listing(kind, lang)

    def _meters(self, area: str | None) -> list[Device]:
        return [d for kind in ELECTRICAL_KINDS
                for d in self._registry.find(kind=kind, area=area, role="sensor")]


def _names(meter: Device, device: Device) -> bool:
    """Whether a meter's id or name names the device ("pump-2-power", "Pump 2 power")."""
    keys = {compact(device.id), compact(device.name)} - {""}
    return any(k in compact(meter.id) or k in compact(meter.name) for k in keys)


def _preferred(meters: Sequence[Device], quantity: str) -> list[Device]:
    """The meters of the kind asked when there are any, else all of them."""
    asked = [m for m in meters if m.kind.lower() == quantity]
    return asked or list(meters)
