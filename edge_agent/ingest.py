"""Telemetry in: parse, register self-announcing sensors, keep the latest value and history.

A reading must suit its sensor's kind (``telemetry.typed_value``): a refused one is counted by
reason in ``Ingest.rejected_by_code`` and logged at most once a minute per sensor and reason,
so a chatty misconfigured sensor cannot flood the log.

A retained telemetry message without ``ts`` (the broker's stored copy, sent again on every
subscribe: each daemon start) is not a new reading, for its age is unknown. If the gateway
knows the sensor's value (in memory, or as its newest history row after a restart) it is
skipped and the value keeps the time it really arrived; if not (first boot), it becomes the
latest value with its time unknown (``Reading.ts`` None), kept out of history and rollups.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

import structlog

from edge_agent.history import History
from edge_agent.payloads import BadPayload
from edge_agent.registry import Device, Reading, Registry
from edge_agent.rollups import Rollups
from edge_agent.telemetry import TelemetryPoint, parse_telemetry, typed_value

log = structlog.get_logger("edge_agent.ingest")

_SENSOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
# Self-registered sensors a gateway remembers by default ([telemetry] max_learned_sensors);
# past this, new ones must be declared. Each area has its own cap too, so one flood of new
# ids in one area cannot take the whole allowance.
MAX_LEARNED_SENSORS = 1000
LOG_EVERY_S = 60.0  # one rejection log line per sensor and reason in this time
_MAX_QUIET = 4096  # (sensor, reason) pairs remembered for rate limiting
# A reading's time must be a plausible unix time: not before 2000 (a sensor's uptime, or
# junk), not more than a day ahead of the gateway's clock. Otherwise it would show as decades
# silent, or as fresh for ever.
EARLIEST_TS = 946684800.0
MAX_AHEAD_S = 86400.0


class _Quiet:
    """Lets one log line through per key per interval; counts the ones held back."""

    def __init__(self, every_s: float, clock: Callable[[], float]) -> None:
        self._every_s, self._clock = every_s, clock
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def allow(self, key: tuple[str, str]) -> int | None:
        """None to stay quiet, else how many lines were held back since the last one."""
        now = self._clock()
        last, held = self._last.get(key, (-self._every_s, 0))
        if now - last < self._every_s:
            self._last[key] = (last, held + 1)
            return None
        if len(self._last) >= _MAX_QUIET and key not in self._last:
            self._last.clear()
        self._last[key] = (now, 0)
        return held


class Ingest:
    """Turns telemetry payloads into registry updates and history rows."""

    def __init__(self, registry: Registry, history: History, max_payload_bytes: int,
                 rollups: Rollups | None = None, *, max_learned: int = MAX_LEARNED_SENSORS,
                 max_learned_per_area: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._registry = registry
        self._history = history
        self._rollups = rollups
        self._max_bytes = max_payload_bytes
        # Sensors registered by their own telemetry: only they may change their kind and area.
        self._learned: set[str] = set()
        self._learned_in: dict[str, int] = {}  # area -> sensors registered there
        self._max_learned = max_learned
        self._max_per_area = max_learned if max_learned_per_area is None else max_learned_per_area
        self.refused_registrations = 0
        self.accepted = 0
        self.rejected = 0
        self.rejected_by_code: dict[str, int] = {}
        self.retained_undated = 0  # retained readings without ts, not taken as new
        self._quiet = _Quiet(LOG_EVERY_S, clock)

    def handle(self, sensor_id: str, payload: bytes, *, retained: bool = False) -> int:
        """Take one telemetry message; returns how many new readings it held (0 if rejected).

        ``retained``: the broker sent it from its retained store (see the module docstring).
        """
        now = time.time()
        try:
            points = self._parse(sensor_id, payload, now)
        except BadPayload as exc:
            self._reject(sensor_id[:64], exc)
            return 0
        if retained:
            for point in (p for p in points if not p.dated):
                self._undated(point)
            points = [p for p in points if p.dated]
        for point in points:
            self._registry.record(Reading(point.sensor_id, point.value, point.unit, point.ts))
            self._history.add(point.sensor_id, point.ts, point.value, point.unit)
            if self._rollups is not None:
                self._rollups.add(point.sensor_id, point.value, point.ts)
        self.accepted += len(points)
        return len(points)

    def _reject(self, sensor_id: str, exc: BadPayload) -> None:
        self.rejected += 1
        self.rejected_by_code[exc.code] = self.rejected_by_code.get(exc.code, 0) + 1
        if (held := self._quiet.allow((sensor_id, exc.code))) is not None:
            log.warning("telemetry.rejected", sensor=sensor_id, code=exc.code,
                        error=exc.message, held_back=held)

    def _undated(self, point: TelemetryPoint) -> None:
        """Take a retained reading without ts as the latest value only if the gateway has
        none (at the time its history says it arrived, or unknown); never as a new one."""
        self.retained_undated += 1
        known = self._registry.latest(point.sensor_id) is not None
        if not known:
            ts = self._history.last(point.sensor_id, point.value)
            self._registry.record(Reading(point.sensor_id, point.value, point.unit, ts))
        log.debug("telemetry.retained_undated", sensor=point.sensor_id, known=known)

    def _parse(self, sensor_id: str, payload: bytes, now: float) -> list[TelemetryPoint]:
        if len(payload) > self._max_bytes:
            raise BadPayload("too_large", f"{len(payload)} bytes; the limit is {self._max_bytes}")
        points = parse_telemetry(sensor_id, payload, now)
        for i, point in enumerate(points):
            _check_time(point, now)
            if not _SENSOR_ID.fullmatch(point.sensor_id):
                raise BadPayload("bad_sensor_id", f"{point.sensor_id[:64]!r} is not a sensor id")
            device = self._registry.get(point.sensor_id)
            if device is not None and device.role != "sensor":
                raise BadPayload("not_a_sensor", f"{point.sensor_id} is an actuator; its state "
                                 "is set by the gateway, not reported as telemetry")
            learns = bool(point.kind or point.area) and (
                device is None or point.sensor_id in self._learned)
            if device is None and not learns:
                raise BadPayload(
                    "unknown_sensor",
                    f"{point.sensor_id} is not declared; declare it in the config or send "
                    '"kind" and "area" with its telemetry to register it')
            kind = point.kind if learns and point.kind else device.kind if device else ""
            try:
                value = typed_value(kind, point.value)
            except BadPayload as exc:
                raise BadPayload(exc.code, f"{point.sensor_id}: {exc.message}") from None
            if value is not point.value:  # most readings are already typed: no copy
                points[i] = dataclasses.replace(point, value=value)
            if learns:
                self._learn(point)
        return points

    def _admit(self, point: TelemetryPoint) -> None:
        """Refuse a new self-registration past the gateway's cap or its area's cap."""
        if len(self._learned) >= self._max_learned:
            self.refused_registrations += 1
            raise BadPayload("too_many_sensors", f"{self._max_learned} sensors registered "
                             f"themselves already; declare {point.sensor_id} in the config")
        if self._learned_in.get(point.area, 0) >= self._max_per_area:
            self.refused_registrations += 1
            raise BadPayload("too_many_sensors", f"{self._max_per_area} sensors registered "
                             f"themselves in {point.area[:64]!r} already; declare "
                             f"{point.sensor_id} in the config")

    def _learn(self, point: TelemetryPoint) -> Device:
        """Register (or update) a sensor from its telemetry; declared devices keep their labels."""
        if point.sensor_id not in self._learned:
            self._admit(point)
            self._learned.add(point.sensor_id)
            self._learned_in[point.area] = self._learned_in.get(point.area, 0) + 1
            log.info("sensor.registered", sensor=point.sensor_id, kind=point.kind,
                     area=point.area)
        return self._registry.learn(point.sensor_id, kind=point.kind, area=point.area,
                                    unit=point.unit)


def _check_time(point: TelemetryPoint, now: float) -> None:
    """Refuse a reading whose time cannot be a real one (see EARLIEST_TS, MAX_AHEAD_S)."""
    if not EARLIEST_TS <= point.ts <= now + MAX_AHEAD_S:
        raise BadPayload("bad_telemetry", f"ts {point.ts:.0f} is not a plausible unix time "
                         "in seconds; send the reading's time, or leave ts out for now")
