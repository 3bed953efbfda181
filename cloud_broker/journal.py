"""The operator's journal: what gateways asked and got, and their health over time.

Two tables in one SQLite file in the data dir (one per replica; not shared yet):
``escalations`` keeps each escalation's text as the gateway sent it (already redacted),
the answer, backend, cost and latency; ``samples`` keeps each gateway's heartbeat health at
a fixed interval, so the dashboard can draw history. ``JournalingAnswerer`` fills the first
at the link's seam to the router; ``sample_forever`` fills the second. Rows older than
``keep_s`` are pruned as new ones arrive.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import structlog

from cloud_broker.escalation import Answer, Escalation
from cloud_broker.fleet import FleetStore
from cloud_broker.fleet.loopwrites import WalIndex, WouldWait, for_the_loop
from cloud_broker.routing.charges import Charges

log = structlog.get_logger("cloud_broker.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS escalations (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, key TEXT NOT NULL, device TEXT NOT NULL,
    site TEXT NOT NULL, text TEXT NOT NULL, answer TEXT NOT NULL, backend TEXT NOT NULL,
    model TEXT NOT NULL, cost REAL NOT NULL, latency_ms REAL NOT NULL, outcome TEXT NOT NULL,
    alerts TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS escalations_ts ON escalations (ts);
CREATE TABLE IF NOT EXISTS samples (
    ts REAL NOT NULL, device TEXT NOT NULL, online INTEGER NOT NULL, health TEXT NOT NULL,
    PRIMARY KEY (device, ts));
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
"""
_INSERT_ESCALATION = ("INSERT INTO escalations (ts, key, device, site, text, answer, backend, "
                      "model, cost, latency_ms, outcome, alerts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
_MAX_TEXT = 2000
CHART_POINTS = 300  # sampling moments a chart (or a sum over a window) reads at most


@dataclass(frozen=True, slots=True)
class EscalationEntry:
    """One escalation as the operator reads it."""

    ts: float
    key: str
    device: str
    site: str
    text: str
    answer: str
    backend: str
    model: str
    cost: float
    latency_ms: float
    outcome: str
    alerts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HealthSample:
    """A gateway's health at one moment."""

    ts: float
    device: str
    online: bool
    health: dict[str, Any]


class Journal:
    """Escalations and health samples in one SQLite file."""

    def __init__(self, path: Path | str, *, keep_s: float = 14 * 86400.0,
                 clock: Callable[[], float] = time.time) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # As the fleet database: a commit is a WAL append without an fsync, so a row survives
        # the broker being killed and only a power cut can lose the last ones. With FULL,
        # every escalation paid an fsync here, the broker's dearest step after the model.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._keep_s, self._clock = keep_s, clock
        # The event loop's own connection, for entries written there (``now``); a journal in
        # memory has none (a second connection would open a second, empty database).
        self._path = str(path)
        self._loop_db: sqlite3.Connection | None = None
        self._wal = WalIndex(path) if self._path != ":memory:" else None

    def record_escalation(self, esc: Escalation, answer: Answer | None, outcome: str,
                          latency_ms: float, *, now: bool = False) -> None:
        """Keep one escalation with its answer (or the reason it had none). ``now``: on the
        event loop, if SQLite can take it without waiting or syncing a file; else raises
        ``WouldWait`` having written nothing (``cloud_broker.fleet.loopwrites``)."""
        a = answer or Answer("", "", "")
        row = (self._clock(), esc.key, esc.device_id, esc.site, esc.text[:_MAX_TEXT],
               a.text[:_MAX_TEXT], a.backend, a.model, a.cost, latency_ms, outcome,
               json.dumps(list(esc.alerts)))
        if now:
            self._insert_now(row)
            return
        with self._lock:
            self._db.execute(_INSERT_ESCALATION, row)

    def _insert_now(self, row: tuple[Any, ...]) -> None:
        if self._wal is None:
            raise WouldWait("a journal in memory is written by its own connection")
        if self._loop_db is None:
            self._loop_db = for_the_loop(sqlite3.connect(
                self._path, check_same_thread=False, isolation_level=None))
        self._wal.begin(self._loop_db)
        try:
            self._loop_db.execute(_INSERT_ESCALATION, row)
            self._loop_db.commit()
        finally:
            if self._loop_db.in_transaction:  # failed: the lock must not stay held
                self._loop_db.rollback()

    def escalations(self, limit: int = 50, device: str | None = None) -> list[EscalationEntry]:
        """The newest escalations, of one gateway or all."""
        sql = "SELECT ts, key, device, site, text, answer, backend, model, cost, latency_ms, " \
              "outcome, alerts FROM escalations"
        args: list[Any] = []
        if device is not None:
            sql, args = sql + " WHERE device = ?", [device]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts DESC, id DESC LIMIT ?",
                                    [*args, limit]).fetchall()
        return [EscalationEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                                r[10], tuple(json.loads(r[11]))) for r in rows]

    def sample(self, store: FleetStore, offline_after_s: float) -> int:
        """Record every live gateway's current health; returns how many were sampled."""
        now = self._clock()
        rows = [(now, g.id, int(g.last_seen is not None and now - g.last_seen < offline_after_s),
                 json.dumps(g.health)) for g in store.gateways() if not g.revoked]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO samples VALUES (?,?,?,?)", rows)
            self._db.execute("DELETE FROM samples WHERE ts < ?", (now - self._keep_s,))
            self._db.execute("DELETE FROM escalations WHERE ts < ?", (now - self._keep_s,))
        return len(rows)

    def history(self, *, since: float, device: str | None = None,
                max_points: int = 0) -> list[HealthSample]:
        """Health samples since `since`, oldest first, of one gateway or all.

        With `max_points`, only about that many sampling moments are kept, evenly spread
        (and always the newest), so a chart of a big fleet stays cheap to draw.
        """
        where, args = "ts >= ?", list[Any]([since])
        if device is not None:
            where, args = where + " AND device = ?", [*args, device]
        sql = f"SELECT ts, device, online, health FROM samples WHERE {where}"
        if max_points > 0:
            sql += (f" AND ts IN (SELECT ts FROM (SELECT ts, ROW_NUMBER() OVER (ORDER BY ts) AS n,"
                    f" COUNT(*) OVER () AS total FROM (SELECT DISTINCT ts FROM samples WHERE"
                    f" {where})) WHERE (n - 1) % MAX(1, total / ?) = 0 OR n = total)")
            args = [*args, *args, max_points]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts, device", args).fetchall()
        return [HealthSample(ts, d, bool(on), json.loads(h)) for ts, d, on, h in rows]

    def local_answers(self, *, since: float) -> float:
        """Requests answered on gateways since `since`, from the samples' counters.

        A gateway's counters start again when it restarts; a drop counts from zero.
        """
        total, last = 0.0, dict[str, float]()
        for s in self.history(since=since, max_points=CHART_POINTS):
            answered = float(s.health.get("requests", 0)) * float(
                s.health.get("local_answer_rate", 0.0))
            before = last.get(s.device)
            if before is not None:
                total += answered - before if answered >= before else answered
            last[s.device] = answered
        return total

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
        if self._loop_db is not None:
            self._loop_db.close()
        if self._wal is not None:
            self._wal.close()


class Answerer(Protocol):
    """The router, as the link sees it."""

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer one escalation before the deadline (a ``time.monotonic()`` value)."""
        ...


class JournalingAnswerer:
    """An `Answerer` that writes each escalation and its outcome to the journal."""

    def __init__(self, inner: Answerer, journal: Journal) -> None:
        self._inner, self._journal = inner, journal

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer through the router, then journal the result (or the failure)."""
        started = time.monotonic()
        try:
            answer = await self._inner.answer(esc, deadline=deadline)
        except Exception as exc:
            self._keep(esc, None, type(exc).__name__, (time.monotonic() - started) * 1000)
            raise
        self._keep(esc, answer, "ok", answer.latency_ms or (time.monotonic() - started) * 1000)
        return answer

    def _keep(self, esc: Escalation, answer: Answer | None, outcome: str,
              latency_ms: float) -> None:
        """Journal now, or with the link's final writes (on the loop after their commit if
        that can run there, else in their trip to the database's thread)."""
        write = partial(self._journal.record_escalation, esc, answer, outcome, latency_ms)
        if not Charges.note(write):
            write()

    async def stream(self, esc: Escalation, *,
                     deadline: float | None = None) -> AsyncIterator[str | Answer]:
        """Stream through the router (when it streams); journal the final answer."""
        started = time.monotonic()
        async for item in self._inner.stream(esc, deadline=deadline):  # type: ignore[attr-defined]
            if isinstance(item, Answer):
                self._journal.record_escalation(esc, item, "ok", item.latency_ms or
                                                (time.monotonic() - started) * 1000)
            yield item


async def sample_forever(journal: Journal, store: FleetStore, *, interval_s: float,
                         offline_after_s: float) -> None:
    """Sample the fleet's health every `interval_s` until cancelled."""
    while True:
        try:
            journal.sample(store, offline_after_s)
        except (sqlite3.Error, OSError) as exc:  # a full disk must not stop the broker
            log.warning("journal.sample_failed", error=str(exc))
        await asyncio.sleep(interval_s)
