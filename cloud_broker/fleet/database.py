"""One database connection for the fleet, whichever engine: the SQL seam of the fleet store.

The stores write their SQL once, with ``?`` placeholders; a ``Dialect`` carries the few
differences between SQLite and PostgreSQL (column types, how a write transaction starts,
row locks). A ``Database`` serialises its one connection with a lock, because the gRPC
service (event loop) and the admin API (thread pool) share it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import structlog

log = structlog.get_logger("cloud_broker.fleet.database")

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the SQL engines the fleet runs on."""

    name: str
    real: str  # a double-precision float column (timestamps)
    blob: str  # a byte-string column
    begin: str  # starts a write transaction
    lock_row: str  # appended to a SELECT of a row the transaction will update
    skip_locked: str  # the same, for rows another transaction may take instead
    schema_lock: str  # serialises schema set-up across processes ("" if BEGIN does)
    qmark: bool  # True: ``?`` placeholders as written; False: ``%s``
    floor: str  # rounds ``{}``, a non-negative number, down to an integer


# BEGIN IMMEDIATE takes SQLite's one write lock, so rows need no locks of their own.
SQLITE = Dialect(name="sqlite", real="REAL", blob="BLOB", begin="BEGIN IMMEDIATE",
                 lock_row="", skip_locked="", schema_lock="", qmark=True,
                 floor="CAST({} AS INTEGER)")
# SKIP LOCKED: a second replica taking the same rows skips them instead of waiting and
# then handing them out again.
POSTGRES = Dialect(
    name="postgres", real="DOUBLE PRECISION", blob="BYTEA", begin="BEGIN",
    lock_row=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED",
    schema_lock="SELECT pg_advisory_xact_lock(hashtext('nanogate.fleet.' || current_schema()))",
    qmark=False, floor="FLOOR({})")  # PostgreSQL's CAST rounds to the nearest


class Notices(Protocol):
    """Short messages between replicas on one database (PostgreSQL's LISTEN/NOTIFY)."""

    def publish(self, channel: str, payload: str = "") -> None:
        """Tell every replica (this one too) something changed."""
        ...

    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback`` with each payload on ``channel``, and with None when notices
        may have been missed (the listening connection was lost and is back)."""
        ...


class Cursor(Protocol):
    """The part of a DB-API cursor the fleet uses."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> Any:
        """Every remaining row."""
        ...


class Connection(Protocol):
    """The part of a DB-API connection the fleet uses (sqlite3 and psycopg both fit)."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any:
        """Run one statement."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


@lru_cache(maxsize=512)
def _format_style(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Database:
    """One connection with explicit, lock-guarded transactions."""

    def __init__(self, connect: Callable[[], Connection], dialect: Dialect,
                 is_broken: Callable[[Connection], bool] = lambda _conn: False) -> None:
        self.dialect = dialect
        self._connect = connect
        self._is_broken = is_broken
        self._conn = connect()
        self._lock = threading.RLock()
        self._depth = 0

    def _sql(self, sql: str) -> str:
        return sql if self.dialect.qmark else _format_style(sql)

    def _connection(self) -> Connection:
        if self._depth == 0 and self._is_broken(self._conn):
            log.warning("database.reconnected", dialect=self.dialect.name)
            self._conn = self._connect()
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        with self._lock:
            cursor: Cursor = self._connection().execute(self._sql(sql), tuple(params))
            return cursor.rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row, in one transaction."""
        with self.transaction():
            for params in rows:
                self._conn.execute(self._sql(sql), tuple(params))

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row a query returns, or None."""
        with self._lock:
            row = self._connection().execute(self._sql(sql), tuple(params)).fetchone()
            return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row a query returns."""
        with self._lock:
            return [dict(r) for r in
                    self._connection().execute(self._sql(sql), tuple(params)).fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            conn = self._connection()
            conn.execute(self.dialect.begin)
            self._depth = 1
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._depth = 0

    def script(self, ddl: str) -> None:
        """Run several ``;``-separated statements (no ``;`` inside literals) in order."""
        for statement in ddl.split(";"):
            if statement.strip():
                self.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def sqlite_database(path: Path) -> Database:
    """A ``Database`` on one SQLite file (WAL; a commit survives the process being killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                               timeout=10.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    return Database(connect, SQLITE)
