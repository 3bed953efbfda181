"""The gateway's registry of devices (sensors and actuators) and their latest readings.

Devices come from the config file, and sensors that are not declared register themselves by
sending ``kind`` and ``area`` with their telemetry. The registry is an in-memory map with
indexes by kind and by area, kept up to date on every change, so that finding the devices a
request names costs the same on a gateway with ten points as on one with ten thousand. The
history of readings lives in SQLite (``edge_agent.history``).
"""

from __future__ import annotations

import heapq
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from edge_agent.kind_names import kind_name

DeviceRole = Literal["sensor", "actuator"]


@dataclass(frozen=True, slots=True)
class Device:
    """A sensor or actuator the gateway knows about."""

    id: str
    role: DeviceRole
    kind: str = ""
    area: str = ""
    unit: str = ""
    name: str = ""
    # Actuators only: "switch" takes on/off, "level" takes a number in [min_value, max_value].
    control: Literal["switch", "level"] = "switch"
    min_value: float | None = None
    max_value: float | None = None
    # Sensors only: readings outside [low, high] raise an alert.
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        """A short human name: the configured name, else kind and area, else the id."""
        if self.name:
            return self.name
        return self.label_in("en")

    def label_in(self, lang: str) -> str:
        """``label`` in a reply in ``lang``: the kind as that language names it
        ("Temperatur zone 3 (t-104)"); a configured name and the area as configured."""
        if self.name:
            return self.name
        parts = [p for p in (kind_name(self.kind, lang), self.area) if p]
        return f"{' '.join(parts)} ({self.id})" if parts else self.id


_NON_ALNUM = re.compile(r"[^a-z0-9]")
_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def id_key(name: str) -> str:
    """Spelling-insensitive form of an id: "PUMP_02" and "pump-2" meet."""
    return _ZEROS.sub("", _NON_ALNUM.sub("", name.lower()))


@dataclass(frozen=True, slots=True)
class Reading:
    """One value from a sensor, or the last state set on an actuator."""

    device_id: str
    value: float | str | bool
    unit: str
    ts: float | None  # Unix time; None: unknown (a retained value without ``ts`` at first boot)


# Told of each change to the registry: (the device before, or None; the device now).
Watcher = Callable[[Device | None, Device], None]


@dataclass
class Registry:
    """Devices by id and the latest reading of each; safe to share between threads.

    Indexes by (role, kind), area, role and the first word of an area are updated on every
    change, so lookups cost what their answer costs, not what the registry holds.
    """

    _devices: dict[str, Device] = field(default_factory=dict)
    _latest: dict[str, Reading] = field(default_factory=dict)
    _by_kind: dict[tuple[str, str], set[str]] = field(default_factory=dict, repr=False)
    _by_area: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _by_role: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _area_words: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _by_key: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _watchers: list[Watcher] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    version: int = 0

    def watch(self, watcher: Watcher) -> list[Device]:
        """Call ``watcher(old, new)`` on every change from now on, so derived indexes follow
        it; returns the devices as they are at that moment, to build those indexes from."""
        with self._lock:
            self._watchers.append(watcher)
            return list(self._devices.values())

    def add(self, device: Device) -> None:
        """Declare a device, replacing any previous declaration with the same id."""
        with self._lock:
            self._put(device)

    def _put(self, device: Device) -> None:
        """Store a device and move it between the indexes (lock held)."""
        old = self._devices.get(device.id)
        if old is not None:
            self._by_kind.get((old.role, old.kind.lower()), set()).discard(old.id)
            self._by_role.get(old.role, set()).discard(old.id)
            self._leave_area(old)
        else:
            key = id_key(device.id)
            self._by_key[key] = (*self._by_key.get(key, ()), device.id)
        device = replace(device, kind=sys.intern(device.kind), area=sys.intern(device.area),
                         unit=sys.intern(device.unit)) if old is None else device
        self._devices[device.id] = device
        self._by_kind.setdefault((device.role, device.kind.lower()), set()).add(device.id)
        self._by_role.setdefault(device.role, set()).add(device.id)
        self._by_area.setdefault(device.area, set()).add(device.id)
        if device.area:
            self._area_words.setdefault(device.area.split()[0], set()).add(device.area)
        self.version += 1
        for watcher in self._watchers:
            watcher(old, device)

    def _leave_area(self, device: Device) -> None:
        members = self._by_area.get(device.area)
        if members is None:
            return
        members.discard(device.id)
        if not members:
            del self._by_area[device.area]
            if device.area:
                self._area_words.get(device.area.split()[0], set()).discard(device.area)

    def learn(self, device_id: str, *, kind: str, area: str, unit: str) -> Device:
        """Register a sensor announced by its own telemetry, or update what it told us."""
        with self._lock:
            known = self._devices.get(device_id)
            if known is None:
                device = Device(id=device_id, role="sensor", kind=kind, area=area, unit=unit)
            else:
                device = replace(
                    known,
                    kind=kind or known.kind,
                    area=area or known.area,
                    unit=known.unit or unit,
                )
            if device != known:
                self._put(device)
            return device

    def get(self, device_id: str) -> Device | None:
        """The device with this id, or None."""
        return self._devices.get(device_id)

    def ids_by_key(self, key: str) -> tuple[str, ...]:
        """Ids whose ``id_key`` is ``key`` (already a key: no normalising here)."""
        return self._by_key.get(key, ())

    def by_key(self, name: str) -> list[Device]:
        """Devices whose id is ``name`` but for case, separators and leading zeros."""
        with self._lock:
            return [self._devices[i] for i in sorted(self._by_key.get(id_key(name), ()))]

    def devices(self) -> list[Device]:
        """All devices, sensors first, sorted by id."""
        with self._lock:
            return sorted(self._devices.values(), key=lambda d: (d.role != "sensor", d.id))

    def find(self, *, kind: str | None = None, area: str | None = None,
             role: DeviceRole | None = None, limit: int | None = None) -> list[Device]:
        """Devices of this kind, in this area and of this role (each None: any), sorted by id;
        the first ``limit`` of them when given. Served from the indexes."""
        with self._lock:
            ids = self._ids(kind, area, role)
            chosen = sorted(ids) if limit is None else heapq.nsmallest(limit, ids)
            return [self._devices[i] for i in chosen]

    def count(self, *, kind: str | None = None, area: str | None = None,
              role: DeviceRole | None = None) -> int:
        """How many devices ``find`` would return."""
        with self._lock:
            return len(self._ids(kind, area, role))

    def _ids(self, kind: str | None, area: str | None, role: DeviceRole | None) -> set[str]:
        """The matching ids; may be an index's own set, so callers only read it."""
        roles = (role,) if role else ("sensor", "actuator")
        sets: list[set[str]] = []
        if kind is not None:
            of_kind = [ids for r in roles if (ids := self._by_kind.get((r, kind.lower())))]
            sets.append(of_kind[0] if len(of_kind) == 1 else set().union(*of_kind))
        if area is not None:
            sets.append(self._by_area.get(area, set()))
        if role is not None and kind is None:
            sets.append(self._by_role.get(role, set()))
        if not sets:
            return set(self._devices)
        sets.sort(key=len)
        return sets[0] if len(sets) == 1 else sets[0].intersection(*sets[1:])

    def kind_counts(self, role: DeviceRole | None = None) -> dict[str, int]:
        """How many devices of each kind (of this role) there are."""
        with self._lock:
            counts: dict[str, int] = {}
            for (r, kind), ids in self._by_kind.items():
                if ids and (role is None or r == role):
                    counts[kind] = counts.get(kind, 0) + len(ids)
            return counts

    def has_area(self, area: str) -> bool:
        """Whether some device is in this area."""
        return bool(self._by_area.get(area)) and bool(area)

    def areas(self, word: str | None = None, limit: int | None = None) -> list[str]:
        """Areas with at least one device (those whose first word is ``word``), sorted."""
        with self._lock:
            found = self._area_words.get(word, set()) if word is not None else \
                {a for a, ids in self._by_area.items() if a and ids}
            return sorted(found) if limit is None else heapq.nsmallest(limit, found)

    def area_count(self, word: str) -> int:
        """How many areas start with this word ("zone")."""
        return len(self._area_words.get(word, ()))

    def size(self) -> int:
        """How many devices the registry holds."""
        return len(self._devices)

    def record(self, reading: Reading) -> None:
        """Remember a reading as the device's latest."""
        self._latest[reading.device_id] = reading

    def latest(self, device_id: str) -> Reading | None:
        """The most recent reading of a device, or None if it never reported."""
        return self._latest.get(device_id)
