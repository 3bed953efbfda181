"""Store-and-forward for everything that must reach the cloud: the only writer of outbox.db.

Guarantees (the README states them for users):
- durable before acknowledged: ``put`` returns only after the item is committed
  (WAL, ``synchronous=FULL``);
- each item carries an idempotency key that stays the same across replays, so the broker
  applies it once however often it is sent;
- ``pending`` hands items out by priority (command acks, then escalations, then events, then
  telemetry roll-ups) and FIFO by sequence number within a priority, across restarts;
- caps in items and bytes: when full, the lowest-priority oldest items are shed first
  (telemetry before requests); an item that cannot fit raises ``StoreFull``;
- an item past its TTL is never handed out; it is deleted and counted as expired;
- a failed delivery backs its item off (``next_attempt_at``), not the whole drain; an item
  that cannot be delivered at all is moved to ``dead_letters``, logged and counted;
- a kind may be capped at a share of the outbox (escalations), so a flood of requests never
  leaves command acks without room.

An escalation is kept typed (``edge_agent.escalations``): its serialised request, reply route
and redaction mapping in columns of their own; every other kind is a JSON document.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import structlog

from edge_agent import escalations
from edge_agent.errors import StoreFull
from edge_agent.escalations import NO_COLUMNS, Escalation
from edge_agent.outbox_items import NewItem, OutboxItem, OutboxStatus, new_key

__all__ = ["PRIORITY", "NewItem", "Outbox", "OutboxItem", "OutboxStatus", "new_key"]

log = structlog.get_logger("edge_agent.outbox")

# An approval (an action held for an operator, edge_agent.approvals) goes up as soon as an
# escalation would, and is never shed. A correction (edge_agent.corrections) is training data:
# shed like an event when the outbox is full.
PRIORITY = {"ack": 0, "escalation": 1, "approval": 1, "event": 2, "correction": 2, "rollup": 3}
SHEDDABLE = PRIORITY["event"]  # this priority and below (larger numbers) may be shed
_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    stream TEXT NOT NULL,
    priority INTEGER NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    expires REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_order ON items (priority, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, stream TEXT NOT NULL, payload TEXT NOT NULL,
    created REAL NOT NULL, attempts INTEGER NOT NULL, failed_at REAL NOT NULL,
    error TEXT NOT NULL
);
"""
# Added after the first release: outboxes written before it gain the column on open.
_NEXT_ATTEMPT = "ALTER TABLE items ADD COLUMN next_attempt_at REAL NOT NULL DEFAULT 0"
_DUE_INDEX = "CREATE INDEX IF NOT EXISTS items_stream ON items (stream, seq)"
# Due items in order, except escalations behind a backed-off one of the same stream (a
# requester's answers keep their order). Parameters: now, now, limit.
_DUE = (
    "SELECT * FROM items WHERE next_attempt_at <= ? AND NOT (kind = 'escalation' AND EXISTS ("
    "SELECT 1 FROM items b WHERE b.stream = items.stream AND b.seq < items.seq "
    "AND b.kind = 'escalation' AND b.next_attempt_at > ?)) ORDER BY priority, seq LIMIT ?"
)


_INSERT = (
    "INSERT INTO items (key, kind, stream, priority, payload, size, created, expires, request, "
    "reply_topic, reply_correlation, redaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO NOTHING"
)
# key, kind, stream, priority, payload, size, created, expires, then escalations.COLUMNS
_Row = tuple[str, str, str, int, str, int, float, float | None,
             bytes | None, str | None, bytes | None, str | None]


class Outbox:
    """The SQLite outbox: put durably, hand out in order, remove when delivered."""

    def __init__(self, path: Path, *, max_items: int, max_bytes: int,
                 shares: dict[str, float] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA cache_size=-1024")  # KiB: a gateway's memory is scarce
        self._conn.executescript(_SCHEMA)
        columns = {r["name"] for r in self._query("PRAGMA table_info(items)")}
        if "next_attempt_at" not in columns:
            self._conn.execute(_NEXT_ATTEMPT)
        self._conn.execute(_DUE_INDEX)
        escalations.migrate(self._conn)
        self._max_items = max_items
        self._max_bytes = max_bytes
        # kind -> the share of max_items and max_bytes its items may fill at most
        self._shares = dict(shares or {})
        # Items and bytes stored, known after a full count and kept up to date by puts; a
        # delete makes them unknown (None) until the next put counts again.
        self._totals: tuple[int, int] | None = None
        self.path = path

    def put(self, item: NewItem) -> OutboxItem:
        """Store one item durably; returns it once it is committed."""
        row = _row(item, time.time())
        with self._writing():
            self._check_share(item.kind, row)
            self._make_room([row])
            cur = self._conn.execute(_INSERT, row)
            self._grow(cur.rowcount, row[5])
        if cur.rowcount == 0:  # the same key was put before: keep the first
            existing = self.get(item.key)
            assert existing is not None
            return existing
        return OutboxItem(int(cur.lastrowid or 0), item.key, item.kind, item.stream,
                          item.payload, row[6], row[7], escalation=item.escalation)

    def put_many(self, items: Sequence[NewItem]) -> int:
        """Store items in one transaction, all or none; returns how many were new."""
        now = time.time()
        rows = [_row(item, now) for item in items]
        with self._writing():
            self._make_room(rows)
            before = self._conn.total_changes
            self._conn.executemany(_INSERT, rows)
            added = self._conn.total_changes - before
            self._grow(added, sum(r[5] for r in rows) if added == len(rows) else None)
        return added

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A write transaction that turns a full disk into StoreFull."""
        try:
            with self._transaction():
                yield
        except sqlite3.OperationalError as exc:
            self._totals = None
            if "full" in str(exc) or "disk" in str(exc):
                log.error("outbox.disk_full", error=str(exc))
                raise StoreFull(f"the outbox cannot write to {self.path}: {exc}") from exc
            raise
        except BaseException:
            self._totals = None
            raise

    def _grow(self, items: int, size: int | None) -> None:
        if self._totals is not None and size is not None:
            self._totals = (self._totals[0] + items, self._totals[1] + size)
        else:
            self._totals = None

    def pending(self, limit: int, *, kinds: Iterable[str] | None = None) -> list[OutboxItem]:
        """Items to send next: by priority, then FIFO; expired ones are dropped first."""
        self.expire()
        sql = "SELECT * FROM items"
        params: list[Any] = []
        if kinds is not None:
            kinds = list(kinds)
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        sql += " ORDER BY priority, seq LIMIT ?"
        params.append(limit)
        return [_item(row) for row in self._query(sql, params)]

    def due(self, limit: int, now: float | None = None) -> list[OutboxItem]:
        """Items to send now: like ``pending``, without those backing off after a failure."""
        self.expire()
        now = time.time() if now is None else now
        return [_item(row) for row in self._query(_DUE, [now, now, limit])]

    def retry_later(self, key: str, delay_s: float) -> int:
        """Count a failed attempt and hold the item back ``delay_s``; returns its attempts."""
        with self._transaction():
            self._conn.execute("UPDATE items SET attempts = attempts + 1, next_attempt_at = ? "
                               "WHERE key = ?", (time.time() + delay_s, key))
        row = self._conn.execute("SELECT attempts FROM items WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def dead_letter(self, key: str, error: str) -> bool:
        """Move an item that cannot be delivered to ``dead_letters``; False if it was gone."""
        with self._transaction():
            moved = self._conn.execute(
                f"INSERT OR REPLACE INTO dead_letters (key, kind, stream, payload, created, "
                f"attempts, failed_at, error, {_ESCALATION}) SELECT key, kind, stream, payload, "
                f"created, attempts, ?, ?, {_ESCALATION} FROM items WHERE key = ?",
                (time.time(), error[:2000], key))
            kind = self._conn.execute("SELECT kind FROM items WHERE key = ?", (key,)).fetchone()
            self._conn.execute("DELETE FROM items WHERE key = ?", (key,))
            if kind is not None:
                self._count(f"dead.{kind[0]}", 1)
        self._totals = None
        return moved.rowcount > 0

    def get(self, key: str) -> OutboxItem | None:
        """The item with this key, if it still waits."""
        rows = list(self._query("SELECT * FROM items WHERE key = ?", [key]))
        return _item(rows[0]) if rows else None

    def remove(self, keys: Sequence[str]) -> int:
        """Delete delivered items; returns how many were still there."""
        if not keys:
            return 0
        with self._transaction():
            cur = self._conn.executemany("DELETE FROM items WHERE key = ?", [(k,) for k in keys])
        self._totals = None
        return cur.rowcount

    def note_failure(self, keys: Sequence[str]) -> None:
        """Count a failed delivery attempt for these items."""
        with self._transaction():
            self._conn.executemany(
                "UPDATE items SET attempts = attempts + 1 WHERE key = ?", [(k,) for k in keys]
            )

    def expire(self, now: float | None = None) -> int:
        """Delete items past their TTL, counting them; returns how many."""
        now = time.time() if now is None else now
        gone = list(
            self._query(
                "SELECT kind, COUNT(*) AS n FROM items WHERE expires IS NOT NULL AND expires < ? "
                "GROUP BY kind",
                [now],
            )
        )
        if not gone:
            return 0
        self._totals = None
        with self._transaction():
            self._conn.execute(
                "DELETE FROM items WHERE expires IS NOT NULL AND expires < ?", (now,)
            )
            for row in gone:
                self._count(f"expired.{row['kind']}", row["n"])
        total = int(sum(row["n"] for row in gone))
        log.warning("outbox.expired", items=total, by_kind={r["kind"]: r["n"] for r in gone})
        return total

    def purge(self, *, kind: str | None = None, older_than_s: float | None = None) -> int:
        """Delete waiting items by kind and age (an operator's decision); returns how many."""
        sql, params = "DELETE FROM items WHERE 1=1", list[Any]()
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        if older_than_s is not None:
            sql += " AND created < ?"
            params.append(time.time() - older_than_s)
        self._totals = None
        with self._transaction():
            cur = self._conn.execute(sql, params)
            self._count("purged", cur.rowcount)
        log.warning("outbox.purged", items=cur.rowcount, kind=kind, older_than_s=older_than_s)
        return cur.rowcount

    def reset_attempts(self) -> int:
        """Make every waiting item look fresh again (``edge-agent outbox retry``)."""
        with self._transaction():
            return int(self._conn.execute(
                "UPDATE items SET attempts = 0, next_attempt_at = 0").rowcount)

    def status(self) -> OutboxStatus:
        """Counts by kind, bytes, the oldest item, and the shed and expired counters."""
        items = {r["kind"]: r["n"] for r in self._query(
            "SELECT kind, COUNT(*) AS n FROM items GROUP BY kind")}
        size, oldest = self._conn.execute(
            "SELECT COALESCE(SUM(size), 0), MIN(created) FROM items").fetchone()
        counters = {r["name"]: r["value"] for r in self._query("SELECT * FROM counters")}
        return OutboxStatus(
            items=items,
            bytes=int(size),
            oldest=oldest,
            shed={k.split(".", 1)[1]: v for k, v in counters.items() if k.startswith("shed.")},
            expired={k.split(".", 1)[1]: v for k, v in counters.items()
                     if k.startswith("expired.")},
            dead={k.split(".", 1)[1]: v for k, v in counters.items() if k.startswith("dead.")},
        )

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    # internals ---------------------------------------------------------------------------

    def _check_share(self, kind: str, row: _Row) -> None:
        """StoreFull if this kind already fills its share of the outbox."""
        share = self._shares.get(kind)
        if share is None:
            return
        count, size = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM items WHERE priority = ?",
            (row[3],)).fetchone()
        if count + 1 > share * self._max_items or size + row[5] > share * self._max_bytes:
            raise StoreFull(
                f"{count} {kind} items already wait, their share ({share:.0%}) of the outbox; "
                "retry once the uplink has drained them")

    def _make_room(self, rows: list[_Row]) -> None:
        """Shed the least important, oldest items until the new rows fit under both caps."""
        if self._totals is None:
            found = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM items").fetchone()
            self._totals = (int(found[0]), int(found[1]))
        count, size = self._totals
        need_items = count + len(rows) - self._max_items
        need_bytes = size + sum(r[5] for r in rows) - self._max_bytes
        if need_items <= 0 and need_bytes <= 0:
            return
        self._totals = None
        # Requests and acks were acknowledged to someone: they are never shed. Telemetry and
        # events make room for anything more important, and for newer items of their own kind.
        top = min(r[3] for r in rows)
        victims = self._conn.execute(
            "SELECT seq, kind, size FROM items WHERE priority >= ? "
            "AND (priority > ? OR priority >= ?) ORDER BY priority DESC, seq",
            (SHEDDABLE, top, max(top, SHEDDABLE)),
        ).fetchall()
        dropped: list[tuple[int, str]] = []
        for seq, kind, item_size in victims:
            if need_items <= 0 and need_bytes <= 0:
                break
            dropped.append((seq, kind))
            need_items -= 1
            need_bytes -= item_size
        if need_items > 0 or need_bytes > 0:
            raise StoreFull(
                f"the outbox is full ({count} items, {size} bytes); nothing less important "
                "is left to shed. Restore the uplink or raise [outbox] max_items/max_bytes."
            )
        self._conn.executemany("DELETE FROM items WHERE seq = ?", [(s,) for s, _ in dropped])
        for kind in {k for _, k in dropped}:
            self._count(f"shed.{kind}", sum(1 for _, k in dropped if k == kind))
        log.warning("outbox.shed", items=len(dropped), kinds=sorted({k for _, k in dropped}))

    def _count(self, name: str, n: int) -> None:
        self._conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, n),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (the connection is in autocommit)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:  # SQLite has already rolled back on SQLITE_FULL
            self._conn.execute("ROLLBACK")


def _item(row: sqlite3.Row) -> OutboxItem:
    request = row["request"]
    escalation = None if request is None else Escalation.from_columns(
        request, row["reply_topic"], row["reply_correlation"], row["redaction"])
    return OutboxItem(
        seq=row["seq"], key=row["key"], kind=row["kind"], stream=row["stream"],
        payload=json.loads(row["payload"]), created=row["created"], expires=row["expires"],
        attempts=row["attempts"], escalation=escalation,
    )


def _row(item: NewItem, now: float) -> _Row:
    priority = PRIORITY.get(item.kind)
    if priority is None:
        raise ValueError(f"unknown outbox kind {item.kind!r}; one of {sorted(PRIORITY)}")
    if (item.kind == "escalation") != (item.escalation is not None):
        raise ValueError("an escalation is queued as an Escalation (NewItem.escalating), "
                         "and only an escalation")
    payload = _dumps(item.payload)
    typed = NO_COLUMNS if item.escalation is None else item.escalation.columns()
    size = len(payload) + sum(len(c) for c in typed if c is not None)
    return (item.key, item.kind, item.stream, priority, payload,
            size + len(item.key) + len(item.stream) + 64, now,
            now + item.ttl_s if item.ttl_s else None, *typed)


_dumps = json.JSONEncoder(separators=(",", ":")).encode
_ESCALATION = ", ".join(escalations.COLUMNS)
