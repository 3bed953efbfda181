"""A bounded history of sensor readings in SQLite, for questions about the past.

Readings are buffered and written in batches: a lost second of history on power loss is an
acceptable price for ingesting tens of thousands of readings a second on a small gateway.
The newest readings of each sensor also live in memory (``Registry``).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("edge_agent.history")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    sensor_id TEXT, ts FLOAT, value FLOAT, text TEXT, unit TEXT);
CREATE INDEX IF NOT EXISTS idx_readings_sensor_id_ts ON readings (sensor_id, ts);
"""


def _stored(value: float | str | bool) -> tuple[float | None, str | None]:
    """A value as its row holds it: (number, text)."""
    if isinstance(value, bool):
        return float(value), ("on" if value else "off")
    if isinstance(value, float | int):
        return float(value), None
    return None, value


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Statistics of one sensor's numeric readings over a window."""

    count: int
    min: float | None
    max: float | None
    mean: float | None
    first: float | None
    last: float | None
    since: float
    until: float


class History:
    """Append-only reading log, trimmed by row count and age."""

    def __init__(self, path: Path, *, max_rows: int, max_age_s: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA cache_size=-1024")  # KiB: a gateway's memory is scarce
        self._conn.executescript(_SCHEMA)
        self._pending: list[tuple[str, float, float | None, str | None, str]] = []
        self._max_rows = max_rows
        self._max_age_s = max_age_s
        self._written = 0

    def add(self, sensor_id: str, ts: float, value: float | str | bool, unit: str) -> None:
        """Buffer one reading; ``flush`` writes the buffer."""
        self._pending.append((sensor_id, ts, *_stored(value), unit))

    def last(self, sensor_id: str, value: float | str | bool) -> float | None:
        """The time of the sensor's newest stored reading if it holds ``value``, else None."""
        self.flush()
        row = self._conn.execute(
            "SELECT ts, value, text FROM readings WHERE sensor_id = ? ORDER BY ts DESC LIMIT 1",
            (sensor_id,)).fetchone()
        return float(row[0]) if row is not None and tuple(row[1:]) == _stored(value) else None

    def flush(self) -> int:
        """Write buffered readings in one transaction; returns how many."""
        if not self._pending:
            return 0
        rows, self._pending = self._pending, []
        with self._conn:
            self._conn.executemany(
                "INSERT INTO readings (sensor_id, ts, value, text, unit) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        self._written += len(rows)
        if self._written >= max(1000, self._max_rows // 10):
            self.trim()
        return len(rows)

    def trim(self, now: float | None = None) -> None:
        """Drop readings past the age limit and the oldest ones past the row limit."""
        now = time.time() if now is None else now
        self._written = 0
        with self._conn:
            self._conn.execute("DELETE FROM readings WHERE ts < ?", (now - self._max_age_s,))
            self._conn.execute(
                "DELETE FROM readings WHERE rowid <= "
                "(SELECT MAX(rowid) FROM readings) - ?",
                (self._max_rows,),
            )

    def aggregate(self, sensor_id: str, since: float, until: float | None = None) -> Aggregate:
        """Count, min, max, mean, first and last of numeric readings in [since, until]."""
        self.flush()
        until = time.time() if until is None else until
        row = self._conn.execute(
            "SELECT COUNT(value), MIN(value), MAX(value), AVG(value) FROM readings "
            "WHERE sensor_id = ? AND ts >= ? AND ts <= ? AND value IS NOT NULL",
            [sensor_id, since, until],
        ).fetchone()
        ends = self._conn.execute(
            "SELECT (SELECT value FROM readings WHERE sensor_id = ?1 AND ts >= ?2 AND ts <= ?3 "
            "AND value IS NOT NULL ORDER BY ts ASC LIMIT 1), "
            "(SELECT value FROM readings WHERE sensor_id = ?1 AND ts >= ?2 AND ts <= ?3 "
            "AND value IS NOT NULL ORDER BY ts DESC LIMIT 1)",
            [sensor_id, since, until],
        ).fetchone()
        return Aggregate(row[0], row[1], row[2], row[3], ends[0], ends[1], since, until)

    def count(self) -> int:
        """How many readings are stored (after a flush)."""
        self.flush()
        return int(self._conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        self._conn.close()
