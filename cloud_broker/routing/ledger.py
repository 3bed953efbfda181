"""The usage ledger: every backend call with its tokens, cost, latency and outcome.

`SqlUsageLedger` keeps the calls in the fleet's database (table ``usage_calls``), so every
replica on one PostgreSQL counts against the same budgets.

Durability: each call is committed before the router returns (its own transaction, or the
caller's: the link commits an escalation's calls with the claim's finish, in one trip), so
the response is never sent for a call the ledger does not hold. On SQLite (WAL,
``synchronous=NORMAL``) a commit is an append to the WAL file without an fsync: it survives
the broker being killed, and only a power cut or kernel crash can lose the last commits
before a checkpoint.

Budgets need each period's spend on every request, and a sum over the period's calls grows
with the traffic. So each call also adds itself to running totals in the database (table
``usage_totals``: the day's and the month's, for everyone, its site and its device), in the
same transaction as its row, and the replica keeps the current periods' totals in memory
(``SpendTotals``: seeded from the table, raised by its own writes and by the other replicas'
notices), so a budget check makes no database call. Spend over any other window is summed
from the calls.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from cloud_broker.fleet.database import Database, Notices, sqlite_database
from cloud_broker.fleet.schema import migrate
from cloud_broker.routing.totals import TOTALS, SpendTotals, TotalRow, current_starts, encode
from cloud_broker.routing.totals import Period as Period  # callers know them from here
from cloud_broker.routing.totals import period_start as period_start

Grouping = Literal["backend", "device", "site", "key"]
KEY_PREFIX = "key:"  # the OpenAI-compatible API bills each API key as the device "key:<name>"


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

    def totals(self) -> SpendTotals:
        """The current day's and month's totals in memory (the first call reads them)."""
        ...

    async def arecord(self, record: UsageRecord) -> None:
        """Append one call from the event loop, in the database's threads."""
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


_PERIODS: tuple[Period, ...] = ("day", "month")
_ADD_TOTALS = (
    "INSERT INTO usage_totals (period, start, scope, target, cost, tokens) VALUES "
    + ", ".join(f"(:period{i}, :start{i}, :scope{i}, :target{i}, :cost, :tokens)"
                for i in range(6))
    + " ON CONFLICT (period, start, scope, target) DO UPDATE SET"
    " cost = usage_totals.cost + excluded.cost, tokens = usage_totals.tokens + excluded.tokens")
_RETURNING = " RETURNING period, start, scope, target, cost, tokens"
_TOTAL_NAMES = tuple((f"period{i}", f"start{i}", f"scope{i}", f"target{i}") for i in range(6))
_INSERT_CALL = (
    "INSERT INTO usage_calls (ts, key, device, site, backend, model, input_tokens,"
    " output_tokens, cost, latency_ms, outcome) VALUES (:ts, :key, :device, :site,"
    " :backend, :model, :input_tokens, :output_tokens, :cost, :latency_ms, :outcome)")


def add_to_totals(db: Database, *, ts: float, site: str, device: str, cost: float,
                  tokens: int, returning: bool = True) -> list[TotalRow]:
    """Count one call in the running totals of its day and month (call this in the
    transaction that inserts the call); returns the six totals as they are now, or nothing
    without ``returning`` (fetching the rows is six more steps of the driver, each of which
    hands Python's lock to the event loop's thread and waits to get it back)."""
    args: dict[str, object] = {"cost": cost, "tokens": tokens}
    starts = current_starts(lambda: ts)
    values = [(period, starts[period], scope, target) for period in _PERIODS
              for scope, target in (("global", ""), ("site", site), ("device", device))]
    for names, row in zip(_TOTAL_NAMES, values, strict=True):
        args.update(zip(names, row, strict=True))
    if not returning:
        db.execute(_ADD_TOTALS, args)
        return []
    return [(r["period"], float(r["start"]), r["scope"], r["target"], float(r["cost"]),
             int(r["tokens"])) for r in db.all(_ADD_TOTALS + _RETURNING, args)]


class SqlUsageLedger:
    """A `UsageLedger` in the fleet's database, shared by every replica on it.

    ``notices`` (the fleet store on PostgreSQL) carries each write's new totals to the other
    replicas' ``SpendTotals``; without it, this ledger must be its database's only writer
    for budget checks to see every call (one broker on SQLite).
    """

    def __init__(self, db: Database, notices: Notices | None = None) -> None:
        self._db, self._notices = db, notices
        self._totals: SpendTotals | None = None  # read on the first budget check

    def record(self, record: UsageRecord) -> None:
        """Append one call and count it in its totals (committed when this returns, unless
        a transaction of the caller's on this thread holds it: then with that one)."""
        ts = record.ts or time.time()
        # The new totals are read back only for someone: the budgets' totals in memory
        # (made at start when budgets are set) or the other replicas' (notices).
        totals = self._totals
        wanted = totals is not None or self._notices is not None
        with self._db.transaction():
            self._db.execute(_INSERT_CALL, {
                "ts": ts, "key": record.key, "device": record.device, "site": record.site,
                "backend": record.backend, "model": record.model,
                "input_tokens": record.input_tokens, "output_tokens": record.output_tokens,
                "cost": record.cost, "latency_ms": record.latency_ms, "outcome": record.outcome})
            rows = add_to_totals(self._db, ts=ts, site=record.site, device=record.device,
                                 cost=record.cost,
                                 tokens=record.input_tokens + record.output_tokens,
                                 returning=wanted)
            if self._notices is not None:  # sent by the commit, with the rows
                self._notices.publish(TOTALS, encode(rows))
        if totals is not None:
            totals.raise_to(rows)
        elif self._totals is not None:  # made while this call was written: read it again
            self._totals.seed()

    async def arecord(self, record: UsageRecord) -> None:
        """Append one call from the event loop, in the database's threads (committed when
        this returns)."""
        await self._db.run(self.record, record)

    def totals(self) -> SpendTotals:
        """The current day's and month's totals in memory: read from the database on the
        first call (which blocks: not on the event loop), kept up to date after."""
        if self._totals is None:
            self._totals = SpendTotals(self._db, self._notices)
        return self._totals

    def spend(self, *, since: float, site: str | None = None, device: str | None = None) -> Spend:
        """Cost and tokens since `since` (wall clock), for one site, one device or everyone."""
        period = next((p for p in _PERIODS if since == period_start(p)), None)
        if period is not None and (site is None or device is None):
            scope, target = ("site", site) if site is not None else (
                ("device", device) if device is not None else ("global", ""))
            row = self._db.one("SELECT cost, tokens FROM usage_totals WHERE period = :period"
                               " AND start = :start AND scope = :scope AND target = :target",
                               {"period": period, "start": since, "scope": scope,
                                "target": target})
            return Spend(float(row["cost"]), int(row["tokens"])) if row else Spend(0.0, 0)
        sql = ("SELECT COALESCE(SUM(cost), 0) AS cost,"
               " COALESCE(SUM(input_tokens + output_tokens), 0) AS tokens FROM usage_calls")
        where, args = ["ts >= :since"], dict[str, object](since=since)
        if site is not None:
            where, args = ["site = :site", *where], {**args, "site": site}
        if device is not None:
            where, args = ["device = :device", *where], {**args, "device": device}
        row = self._db.one(f"{sql} WHERE {' AND '.join(where)}", args)
        assert row is not None  # an aggregate always returns its row
        return Spend(float(row["cost"]), int(row["tokens"]))

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
        rows = self._db.all(
            "SELECT backend, model, COUNT(*) AS n,"
            " SUM(CASE WHEN outcome NOT IN ('ok', 'cached') THEN 1 ELSE 0 END) AS failed,"
            " SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cost) AS c,"
            " AVG(latency_ms) AS lat FROM usage_calls WHERE ts >= :since AND outcome != 'cached'"
            " GROUP BY backend, model ORDER BY backend, model", {"since": since})
        hits = self._db.one("SELECT COUNT(*) AS n FROM usage_calls WHERE ts >= :since"
                            " AND outcome = 'cached'", {"since": since})
        backends = tuple(
            BackendUsage(r["backend"], r["model"], int(r["n"]), int(r["failed"]), int(r["i"]),
                         int(r["o"]), float(r["c"]), float(r["lat"])) for r in rows)
        per_answer = (
            assumed_input_tokens * price_in_per_1k + assumed_output_tokens * price_out_per_1k
        ) / 1000
        return UsageSummary(
            since=since,
            backends=backends,
            cost=sum(b.cost for b in backends),
            input_tokens=sum(b.input_tokens for b in backends),
            output_tokens=sum(b.output_tokens for b in backends),
            cache_hits=int(hits["n"]) if hits else 0,
            local_answers=local_answers,
            saved_by_edge=local_answers * per_answer,
        )

    def breakdown(self, by: Grouping, *, since: float = 0.0) -> list[GroupUsage]:
        """Spend since `since` grouped by backend, device, site or API key, dearest first."""
        column = {"backend": "backend", "device": "device", "site": "site", "key": "device"}[by]
        where = "ts >= :since AND outcome != 'cached'"
        if by == "key":
            where += f" AND device LIKE '{KEY_PREFIX}%'"
        elif by == "device":
            where += f" AND device NOT LIKE '{KEY_PREFIX}%'"
        rows = self._db.all(
            f"SELECT {column} AS name, COUNT(*) AS n,"
            " SUM(CASE WHEN outcome != 'ok' THEN 1 ELSE 0 END) AS failed,"
            " SUM(input_tokens + output_tokens) AS t, SUM(cost) AS c, AVG(latency_ms) AS lat"
            f" FROM usage_calls WHERE {where} GROUP BY {column}"
            f" ORDER BY SUM(cost) DESC, {column}", {"since": since})
        return [
            GroupUsage(str(r["name"]).removeprefix(KEY_PREFIX) if by == "key" else str(r["name"]),
                       int(r["n"]), int(r["failed"]), int(r["t"]), float(r["c"]), float(r["lat"]))
            for r in rows
        ]

    def series(self, *, since: float, bucket_s: float) -> list[SpendPoint]:
        """Spend and calls per time bucket since `since`; empty buckets are left out."""
        bucket = self._db.dialect.floor.format("(ts - :since) / :bucket_s")
        rows = self._db.all(
            f"SELECT {bucket} AS i, SUM(cost) AS c, COUNT(*) AS n FROM usage_calls"
            " WHERE ts >= :since AND outcome != 'cached' GROUP BY 1 ORDER BY 1",
            {"since": since, "bucket_s": bucket_s})
        return [SpendPoint(since + int(r["i"]) * bucket_s, float(r["c"]), int(r["n"]))
                for r in rows]


class SqliteUsageLedger(SqlUsageLedger):
    """A `UsageLedger` on a SQLite file of its own (tests, benchmarks, tools)."""

    def __init__(self, path: Path | str) -> None:
        db = sqlite_database(Path(path))
        migrate(db)
        super().__init__(db)

    def close(self) -> None:
        """Close the database."""
        self._db.close()
