"""The actuation journal: every actuator command the gateway sends, durable before it is sent.

A command is keyed by the request it answers (the outbox key of an escalation, the request
key of a local command, the id of a broker command), the device and the action. The entry
is committed to SQLite before the command is published, so an answer that arrives again (a
replayed cloud answer, a drain after a crash, an MQTT redelivery) finds it and does not move
the actuator a second time: actuation is at most once per request key.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import structlog

log = structlog.get_logger("edge_agent.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS actuations (
    request_key TEXT NOT NULL,
    device TEXT NOT NULL,
    action TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    ts REAL NOT NULL,
    PRIMARY KEY (request_key, device, action)
)
"""
DEFAULT_KEEP_S = 8 * 86400.0  # longer than an escalation can wait in the outbox


class Journal:
    """Remembers which (request key, device, action) were actuated, in a SQLite file."""

    def __init__(self, path: Path | str, keep_s: float = DEFAULT_KEEP_S) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._db.execute("DELETE FROM actuations WHERE ts < ?", (time.time() - keep_s,))

    def seen(self, key: str, device: str, action: str) -> bool:
        """Whether this request already actuated this device with this action."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM actuations WHERE request_key = ? AND device = ? AND action = ?",
                (key, device, action)).fetchone()
        return row is not None

    def record(self, key: str, device: str, action: str, value: float | str,
               source: str) -> bool:
        """Commit one actuation; False if it was already recorded (then do not send it)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO actuations VALUES (?, ?, ?, ?, ?, ?)",
                (key, device, action, str(value), source, time.time()))
        return cursor.rowcount == 1

    def count(self, key: str | None = None) -> int:
        """How many actuations are recorded (for one request key, or in all)."""
        with self._lock:
            if key is None:
                row = self._db.execute("SELECT COUNT(*) FROM actuations").fetchone()
            else:
                row = self._db.execute("SELECT COUNT(*) FROM actuations WHERE request_key = ?",
                                       (key,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
