"""The usage ledger: every backend call with its tokens, cost, latency and outcome.

`SqliteUsageLedger` is the only module writing the ledger's SQLite file (WAL mode). Calls are
short, indexed statements, so the router makes them on the event loop.

Durability: each call is its own committed INSERT before the router returns, so the response
is never sent for a call the ledger does not hold. In WAL mode with ``synchronous=NORMAL`` a
commit is an append to the WAL file without an fsync: it survives the broker being killed
(the operating system has the bytes), and only a power cut or kernel crash can lose the last
commits before a checkpoint. A batching writer would save little over this append (tens of
microseconds) and would add a thread hand-off or hold responses for a group commit.

Budgets read spend on every request; a sum over the period's rows grows with the traffic, so
each (since, site, device) total is read once and then kept up to date by ``record``. That is
exact because this ledger is its file's only writer (one per broker process).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

Period = Literal["day", "month"]
Grouping = Literal["backend", "device", "site", "key"]
_MAX_TOTALS = 1024  # spend totals kept current at once (budgets x targets x periods)
KEY_PREFIX = "key:"  # the OpenAI-compatible API bills each API key as the device "key:<name>"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    key TEXT NOT NULL,
    device TEXT NOT NULL,
    site TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost REAL NOT NULL,
    latency_ms REAL NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts);
CREATE INDEX IF NOT EXISTS calls_site_ts ON calls (site, ts);
CREATE INDEX IF NOT EXISTS calls_device_ts ON calls (device, ts);
"""


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One backend call (or cache hit) as the ledger keeps it."""

    key: str
    device: str
    site: str
    backend: str
    model: str
    input_tokens: int
    output_tokens: int
    cost: float
    latency_ms: float
    outcome: str  # ok | error | rate_limited | cached
    ts: float = 0.0  # wall-clock seconds; 0 means "now"


@dataclass(frozen=True, slots=True)
class Spend:
    """Money and tokens spent in a period."""

    cost: float
    tokens: int


@dataclass(frozen=True, slots=True)
class BackendUsage:
    """One backend's totals in a summary."""

    backend: str
    model: str
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    cost: float
    mean_latency_ms: float


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """What `cloud-broker usage` shows: totals per backend and what the edge saved."""

    since: float
    backends: tuple[BackendUsage, ...]
    cost: float
    input_tokens: int
    output_tokens: int
    cache_hits: int
    local_answers: int
    saved_by_edge: float


@dataclass(frozen=True, slots=True)
class GroupUsage:
    """Spend of one device, site, API key or backend over a window."""

    name: str
    calls: int
    failed: int
    tokens: int
    cost: float
    mean_latency_ms: float


@dataclass(frozen=True, slots=True)
class SpendPoint:
    """Spend and calls in one time bucket starting at `ts`."""

    ts: float
    cost: float
    calls: int


class UsageLedger(Protocol):
    """Where the router accounts its calls and reads spend for budgets."""

    def record(self, record: UsageRecord) -> None:
        """Append one call."""
        ...

    def spend(self, *, since: float, site: str | None = None, device: str | None = None) -> Spend:
        """Cost and tokens since `since` (wall clock), for one site, one device or everyone."""
        ...

    def summary(
        self,
        *,
        since: float = 0.0,
        local_answers: int = 0,
        price_in_per_1k: float = 0.0,
        price_out_per_1k: float = 0.0,
        assumed_input_tokens: int = 400,
        assumed_output_tokens: int = 150,
    ) -> UsageSummary:
        """Totals since `since`; local answers are priced as cloud calls of the assumed size."""
        ...


def usage_json(summary: UsageSummary) -> dict[str, Any]:
    """A summary as plain JSON for the admin API and `cloud-broker usage`."""
    return dataclasses.asdict(summary)


def period_start(period: Period, now: float | None = None) -> float:
    """Wall-clock start (UTC) of the current day or month."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        start = start.replace(day=1)
    return start.timestamp()


class SqliteUsageLedger:
    """A `UsageLedger` in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # (since, site, device) -> [cost, tokens]: spend totals kept current by `record`
        self._spend: dict[tuple[float, str | None, str | None], list[float]] = {}

    def record(self, record: UsageRecord) -> None:
        """Append one call."""
        row = (
            record.ts or time.time(),
            record.key,
            record.device,
            record.site,
            record.backend,
            record.model,
            record.input_tokens,
            record.output_tokens,
            record.cost,
            record.latency_ms,
            record.outcome,
        )
        tokens = record.input_tokens + record.output_tokens
        with self._lock:
            self._db.execute(
                "INSERT INTO calls (ts, key, device, site, backend, model, input_tokens,"
                " output_tokens, cost, latency_ms, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            for (since, site, device), total in self._spend.items():
                if row[0] >= since and site in (None, record.site) and device in (
                        None, record.device):
                    total[0] += record.cost
                    total[1] += tokens

    def spend(self, *, since: float, site: str | None = None, device: str | None = None) -> Spend:
        """Cost and tokens since `since` (wall clock), for one site, one device or everyone."""
        with self._lock:
            if (total := self._spend.get((since, site, device))) is not None:
                return Spend(total[0], int(total[1]))
        sql = "SELECT COALESCE(SUM(cost), 0), COALESCE(SUM(input_tokens + output_tokens), 0)"
        sql += " FROM calls WHERE ts >= ?"
        args: list[object] = [since]
        if site is not None:
            sql, args = sql + " AND site = ?", [*args, site]
        if device is not None:
            sql, args = sql + " AND device = ?", [*args, device]
        with self._lock:
            cost, tokens = self._db.execute(sql, args).fetchone()
            if len(self._spend) >= _MAX_TOTALS:  # old periods' totals are never read again
                self._spend.clear()
            self._spend[(since, site, device)] = [float(cost), int(tokens)]
        return Spend(float(cost), int(tokens))

    def summary(
        self,
        *,
        since: float = 0.0,
        local_answers: int = 0,
        price_in_per_1k: float = 0.0,
        price_out_per_1k: float = 0.0,
        assumed_input_tokens: int = 400,
        assumed_output_tokens: int = 150,
    ) -> UsageSummary:
        """Totals since `since`; local answers are priced as cloud calls of the assumed size."""
        with self._lock:
            rows = self._db.execute(
                "SELECT backend, model, COUNT(*), SUM(outcome NOT IN ('ok', 'cached')),"
                " SUM(input_tokens), SUM(output_tokens), SUM(cost), AVG(latency_ms)"
                " FROM calls WHERE ts >= ? AND outcome != 'cached'"
                " GROUP BY backend, model ORDER BY backend, model",
                (since,),
            ).fetchall()
            (hits,) = self._db.execute(
                "SELECT COUNT(*) FROM calls WHERE ts >= ? AND outcome = 'cached'", (since,)
            ).fetchone()
        backends = tuple(
            BackendUsage(b, m, n, int(f), int(i), int(o), float(c), float(lat))
            for b, m, n, f, i, o, c, lat in rows
        )
        per_answer = (
            assumed_input_tokens * price_in_per_1k + assumed_output_tokens * price_out_per_1k
        ) / 1000
        return UsageSummary(
            since=since,
            backends=backends,
            cost=sum(b.cost for b in backends),
            input_tokens=sum(b.input_tokens for b in backends),
            output_tokens=sum(b.output_tokens for b in backends),
            cache_hits=int(hits),
            local_answers=local_answers,
            saved_by_edge=local_answers * per_answer,
        )

    def breakdown(self, by: Grouping, *, since: float = 0.0) -> list[GroupUsage]:
        """Spend since `since` grouped by backend, device, site or API key, dearest first."""
        column = {"backend": "backend", "device": "device", "site": "site", "key": "device"}[by]
        where = "ts >= ? AND outcome != 'cached'"
        if by == "key":
            where += f" AND device LIKE '{KEY_PREFIX}%'"
        elif by == "device":
            where += f" AND device NOT LIKE '{KEY_PREFIX}%'"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {column}, COUNT(*), SUM(outcome != 'ok'),"
                " SUM(input_tokens + output_tokens), SUM(cost), AVG(latency_ms)"
                f" FROM calls WHERE {where} GROUP BY {column} ORDER BY SUM(cost) DESC, {column}",
                (since,),
            ).fetchall()
        return [
            GroupUsage(str(name).removeprefix(KEY_PREFIX) if by == "key" else str(name),
                       int(n), int(f), int(t), float(c), float(lat))
            for name, n, f, t, c, lat in rows
        ]

    def series(self, *, since: float, bucket_s: float) -> list[SpendPoint]:
        """Spend and calls per time bucket since `since`; empty buckets are left out."""
        with self._lock:
            rows = self._db.execute(
                "SELECT CAST((ts - ?) / ? AS INTEGER), SUM(cost), COUNT(*) FROM calls"
                " WHERE ts >= ? AND outcome != 'cached' GROUP BY 1 ORDER BY 1",
                (since, bucket_s, since),
            ).fetchall()
        return [SpendPoint(since + i * bucket_s, float(c), int(n)) for i, c, n in rows]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
