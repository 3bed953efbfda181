"""This replica's copy of the current day's and month's usage totals, for budget checks.

A budget check would otherwise read ``usage_totals`` on every request: a trip to a thread and
a statement. ``SpendTotals`` keeps the rows of the current periods in memory instead: read
from the database when the ledger opens, raised by this replica's own ledger writes (the
totals' upsert returns the new rows) and by other replicas' writes, whose transactions
``NOTIFY`` the new rows on ``TOTALS`` (PostgreSQL; ``Notices``). Totals only grow within a
period, so a row heard twice, late or out of order changes nothing: each is kept as the
highest value seen. When notices may have been missed (the listening connection came back),
the rows are read again.

On SQLite one broker process writes the ledger, so the totals in memory are exact. With
several replicas a write on one reaches the others' memory when its notice arrives, within
milliseconds of its commit; budgets were never a hard cap under concurrency (two requests
that start under a limit both run), and this adds that delay to the overshoot.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from cloud_broker.fleet.database import Database, Notices

log = structlog.get_logger("cloud_broker.routing.totals")

Period = Literal["day", "month"]
TOTALS = "nanogate_usage_totals"  # the channel a ledger write announces its new totals on

TotalKey = tuple[str, float, str, str]  # (period, start, scope, target) as in usage_totals
TotalRow = tuple[str, float, str, str, float, int]  # the key, then cost and tokens


def period_start(period: Period, now: float | None = None) -> float:
    """Wall-clock start (UTC) of the current day or month."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    return start.timestamp()


def current_starts(clock: Callable[[], float] = time.time) -> dict[str, float]:
    """Wall-clock starts (UTC) of the current day and month."""
    global _known_day
    now = clock()
    low, high, day, month = _known_day
    if not low <= now < high:  # another day: worked out by the calendar, then kept
        day, month = period_start("day", now), period_start("month", now)
        # Short of the next midnight by a millisecond: period_start rounds to microseconds.
        low, high = day, day + _DAY_S - 1e-3
        _known_day = (low, high, day, month)
    return {"day": day, "month": month}


# Every ledger write and budget check asks for the starts; two calendar computations each
# time were a few percent of an escalation's CPU. A UTC day is always 86,400 s long.
_DAY_S = 86_400.0
_known_day: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # low, high, day, month


class SpendTotals:
    """The day's and month's totals per scope (everyone, a site, a device), in memory."""

    def __init__(self, db: Database, notices: Notices | None,
                 period_starts: Callable[[], dict[str, float]] = current_starts) -> None:
        self._db, self._starts = db, period_starts
        self._lock = threading.Lock()  # the listener thread raises totals too
        self._totals: dict[TotalKey, tuple[float, int]] = {}
        self._current: dict[str, float] = {}  # the period starts the totals were kept for
        if notices is not None:  # listening before reading: no write falls between the two
            notices.subscribe(TOTALS, self._heard)
        self.seed()

    def seed(self) -> None:
        """Read the current periods' totals from the database (kept where higher)."""
        starts = self._starts()
        rows = self._db.all(
            "SELECT period, start, scope, target, cost, tokens FROM usage_totals WHERE"
            " (period = 'day' AND start >= :day) OR (period = 'month' AND start >= :month)",
            starts)
        self.raise_to([(r["period"], float(r["start"]), r["scope"], r["target"],
                        float(r["cost"]), int(r["tokens"])) for r in rows])

    def spent(self, period: str, scope: str, target: str) -> tuple[float, int]:
        """Cost and tokens of one scope in the current day or month (no database call)."""
        key = (period, self._starts()[period], scope, target)
        with self._lock:
            return self._totals.get(key, (0.0, 0))

    def raise_to(self, rows: Iterable[TotalRow]) -> None:
        """Keep each row's cost and tokens where they are higher than what is known."""
        starts = self._starts()
        with self._lock:
            for period, start, scope, target, cost, tokens in rows:
                if start < starts.get(period, 0.0):
                    continue  # an earlier day or month: budgets no longer read it
                key = (period, start, scope, target)
                known_cost, known_tokens = self._totals.get(key, (0.0, 0))
                self._totals[key] = (max(known_cost, cost), max(known_tokens, tokens))
            if starts != self._current:  # a new day or month: forget the ended one's rows
                self._current = starts
                for key in [k for k in self._totals if k[1] < starts.get(k[0], 0.0)]:
                    del self._totals[key]

    def _heard(self, payload: str | None) -> None:
        """A notice from a ledger write (None: notices may have been missed; read again)."""
        if payload is None:
            self.seed()
            return
        try:
            self.raise_to(decode(payload))
        except (ValueError, TypeError) as exc:
            log.warning("usage_totals.notice_refused", error=str(exc))


def encode(rows: Sequence[TotalRow]) -> str:
    """Rows as a notice's payload (JSON; a float's repr survives the trip exactly)."""
    return json.dumps(rows, separators=(",", ":"))


def decode(payload: str) -> list[TotalRow]:
    """The rows in a notice's payload."""
    doc: Any = json.loads(payload)
    return [(str(p), float(s), str(sc), str(t), float(c), int(n)) for p, s, sc, t, c, n in doc]
