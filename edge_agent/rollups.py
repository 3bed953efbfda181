"""Telemetry roll-ups: raw readings stay on the gateway; per-sensor summaries go up.

Every interval, each sensor that reported numbers gets one roll-up (count, min, max, mean,
last) queued in the outbox as a ``rollup`` item, on the sensor's own stream so roll-ups of
one sensor arrive in order. The running summaries live in memory: a crash loses at most the
current interval's summary, never a raw reading (those are in the history database).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog

from edge_agent.errors import StoreFull
from edge_agent.outbox import NewItem, Outbox

log = structlog.get_logger("edge_agent.rollups")


@dataclass(slots=True)
class _Summary:
    count: int
    low: float
    high: float
    total: float
    last: float
    first_ts: float
    last_ts: float


class Rollups:
    """Accumulates numeric readings per sensor and queues one roll-up per interval."""

    def __init__(self, outbox: Outbox, *, ttl_s: float) -> None:
        self._outbox = outbox
        self._ttl_s = ttl_s
        self._open: dict[str, _Summary] = {}

    def add(self, sensor_id: str, value: float | str | bool, ts: float) -> None:
        """Count one reading; text and on/off readings are not summarised."""
        if isinstance(value, bool) or not isinstance(value, float | int):
            return
        v = float(value)
        s = self._open.get(sensor_id)
        if s is None:
            self._open[sensor_id] = _Summary(1, v, v, v, v, ts, ts)
            return
        s.count += 1
        s.low = min(s.low, v)
        s.high = max(s.high, v)
        s.total += v
        s.last = v
        s.last_ts = max(s.last_ts, ts)

    def flush(self, now: float | None = None) -> int:
        """Queue the roll-ups of the interval that ends now; returns how many."""
        if not self._open:
            return 0
        now = time.time() if now is None else now
        closed, self._open = self._open, {}
        items = [NewItem("rollup", sensor, {
            "sensor": sensor, "count": s.count, "min": s.low, "max": s.high,
            "mean": s.total / s.count, "last": s.last, "from": s.first_ts, "to": s.last_ts,
            "closed": now}, ttl_s=self._ttl_s) for sensor, s in sorted(closed.items())]
        try:
            self._outbox.put_many(items)
        except StoreFull as exc:
            log.error("rollups.dropped", sensors=len(items), error=str(exc))
            return 0
        return len(items)
