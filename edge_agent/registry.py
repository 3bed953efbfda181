"""The gateway's registry of devices (sensors and actuators) and their latest readings.

Devices come from the config file, and sensors that are not declared register themselves by
sending ``kind`` and ``area`` with their telemetry. The registry is an in-memory map with
indexes by kind and by area, kept up to date on every change, so that finding the devices a
request names costs the same on a gateway with ten points as on one with ten thousand. The
history of readings lives in SQLite (``edge_agent.history``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Literal

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
        parts = [p for p in (self.kind, self.area) if p]
        return f"{' '.join(parts)} ({self.id})" if parts else self.id


@dataclass(frozen=True, slots=True)
class Reading:
    """One value from a sensor, or the last state set on an actuator."""

    device_id: str
    value: float | str | bool
    unit: str
    ts: float


@dataclass
class Registry:
    """Devices by id and the latest reading of each; safe to share between threads."""

    _devices: dict[str, Device] = field(default_factory=dict)
    _latest: dict[str, Reading] = field(default_factory=dict)
    _by_kind: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _by_area: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    version: int = 0

    def add(self, device: Device) -> None:
        """Declare a device, replacing any previous declaration with the same id."""
        with self._lock:
            self._put(device)

    def _put(self, device: Device) -> None:
        """Store a device and move it between the kind and area indexes (lock held)."""
        old = self._devices.get(device.id)
        if old is not None:
            self._by_kind.get(old.kind.lower(), set()).discard(old.id)
            self._by_area.get(old.area, set()).discard(old.id)
        self._devices[device.id] = device
        self._by_kind.setdefault(device.kind.lower(), set()).add(device.id)
        self._by_area.setdefault(device.area, set()).add(device.id)
        self.version += 1

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

    def devices(self) -> list[Device]:
        """All devices, sensors first, sorted by id."""
        with self._lock:
            return sorted(self._devices.values(), key=lambda d: (d.role != "sensor", d.id))

    def find(self, *, kind: str | None = None, area: str | None = None,
             role: DeviceRole | None = None) -> list[Device]:
        """Devices of this kind, in this area and of this role (each None: any), sorted by id.

        Served from the indexes: the cost grows with the answer, not with the registry.
        """
        with self._lock:
            sets = [] if kind is None else [self._by_kind.get(kind.lower(), set())]
            if area is not None:
                sets.append(self._by_area.get(area, set()))
            ids = set.intersection(*sets) if sets else set(self._devices)
            found = [self._devices[i] for i in ids]
        return sorted((d for d in found if role is None or d.role == role), key=lambda d: d.id)

    def kinds(self, role: DeviceRole | None = None) -> list[str]:
        """The kinds of devices present (of this role), sorted."""
        with self._lock:
            return sorted(k for k, ids in self._by_kind.items() if k and ids and (
                role is None or any(self._devices[i].role == role for i in ids)))

    def areas(self) -> list[str]:
        """The areas that have at least one device, sorted."""
        with self._lock:
            return sorted(a for a, ids in self._by_area.items() if a and ids)

    def count(self) -> int:
        """How many devices the registry holds."""
        return len(self._devices)

    def record(self, reading: Reading) -> None:
        """Remember a reading as the device's latest."""
        self._latest[reading.device_id] = reading

    def latest(self, device_id: str) -> Reading | None:
        """The most recent reading of a device, or None if it never reported."""
        return self._latest.get(device_id)
