"""The fleet's database, whichever engine: the SQL seam of the fleet store, on SQLAlchemy Core.

The stores write their SQL once, as ``sqlalchemy.text()`` with named parameters
(``:device_id``) and a dict of values; SQLAlchemy renders the driver's own placeholders. A
``Dialect`` carries the few differences SQLAlchemy cannot hide (column types in the
migrations, row locks, rounding). A ``Database`` holds an ``Engine`` with a connection pool,
so the gRPC service, the admin API's threads and the background tasks each take a connection
of their own: readers no longer wait behind one another. A statement outside a transaction
commits on its own (autocommit); ``transaction()`` runs its statements on one connection,
and a nested ``transaction()`` on the same thread joins the outer one.

SQLite (``sqlite:///path``): WAL with ``synchronous=NORMAL``, and a write transaction starts
with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe: the driver's own
transaction handling off, our BEGIN in the engine's ``begin`` event; on the one thread
``Database.run`` uses, on the driver itself), so it holds SQLite's one write lock from its
first statement and rows need no locks of their own; ``write_now`` runs a short write on the
event loop itself when SQLite can take it without waiting or syncing a file
(``cloud_broker.fleet.loopwrites``). PostgreSQL
(``postgresql+psycopg://``, see ``cloud_broker.fleet.postgres``): a ``QueuePool``, locks
taken by ``FOR UPDATE`` (``SKIP LOCKED`` where another replica may take other rows instead).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from cloud_broker.fleet.loopwrites import LoopWriter, WouldWait
from cloud_broker.fleet.onethread import OneThread

log = structlog.get_logger("cloud_broker.fleet.database")

Row = dict[str, Any]
Params = Mapping[str, Any]
P = ParamSpec("P")
T = TypeVar("T")

POOL_SIZE = 8  # connections kept open; the store's thread pool has as many threads
MAX_OVERFLOW = 8  # more connections opened for a burst (the admin API's threads)
_MAX_STATEMENTS = 1024  # rendered statements kept per database
_AUTOCOMMIT = "nanogate_autocommit"  # execution option: a statement that commits on its own


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the SQL engines the fleet runs on."""

    name: str
    real: str  # a double-precision float column (timestamps)
    blob: str  # a byte-string column
    lock_row: str  # appended to a SELECT of a row the transaction will update
    skip_locked: str  # the same, for rows another transaction may take instead
    schema_lock: str  # serialises schema set-up across processes ("" if BEGIN does)
    floor: str  # rounds ``{}``, a non-negative number, down to an integer


# BEGIN IMMEDIATE takes SQLite's one write lock, so rows need no locks of their own.
SQLITE = Dialect(name="sqlite", real="REAL", blob="BLOB", lock_row="", skip_locked="",
                 schema_lock="", floor="CAST({} AS INTEGER)")
# SKIP LOCKED: a second replica taking the same rows skips them instead of waiting and
# then handing them out again.
POSTGRES = Dialect(
    name="postgres", real="DOUBLE PRECISION", blob="BYTEA",
    lock_row=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED",
    schema_lock="SELECT pg_advisory_xact_lock(hashtext('nanogate.fleet.' || current_schema()))",
    floor="FLOOR({})")  # PostgreSQL's CAST rounds to the nearest


class Notices(Protocol):
    """Short messages between replicas on one database (PostgreSQL's LISTEN/NOTIFY)."""

    def publish(self, channel: str, payload: str = "") -> None:
        """Tell every replica (this one too) something changed."""
        ...

    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback`` with each payload on ``channel``, and with None when notices
        may have been missed (the listening connection was lost and is back)."""
        ...


@lru_cache(maxsize=1024)
def _text(sql: str, expanding: tuple[str, ...] = ()) -> sa.TextClause:
    """The statement, parsed once; ``expanding`` names list parameters (``IN :ids``)."""
    clause = sa.text(sql)
    if expanding:
        clause = clause.bindparams(*(sa.bindparam(name, expanding=True) for name in expanding))
    return clause


class TransactionLost(RuntimeError):
    """The database ended the transaction itself while a savepoint was rolling back."""


class Database:
    """A pooled SQLAlchemy ``Engine`` with explicit transactions, and a bounded thread pool
    in which the event loop runs its blocking store calls (``run``)."""

    def __init__(self, engine: Engine, dialect: Dialect, *, one_thread: bool = False) -> None:
        self.engine = engine
        self.dialect = dialect
        self._local = threading.local()  # .conn: this thread's open transaction, if any
        self._autocommit = engine.execution_options(**_autocommit_options(dialect))
        self._executor: ThreadPoolExecutor | OneThread = (
            OneThread("fleet.db") if one_thread
            else ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="fleet.db"))
        if isinstance(self._executor, OneThread):
            # A database nobody closed still ends its thread, and with it the connection the
            # thread keeps, once it is garbage: else each one holds a thread and open files.
            weakref.finalize(self, self._executor.shutdown)
        self._statements: dict[str, tuple[str, tuple[str, ...] | None]] = {}  # see _compiled
        self._loop_writer: LoopWriter | None = None  # SQLite: see write_now

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """This thread's transaction if one is open, else a connection that autocommits."""
        joined: Connection | None = getattr(self._local, "conn", None)
        if joined is not None:
            yield joined
            return
        kept: Connection | None = getattr(self._local, "kept", None)
        if kept is not None:  # SQLite's one thread: its own connection, no BEGIN (autocommit)
            yield kept
            if kept.in_transaction():  # begun by a statement run through SQLAlchemy
                kept.commit()
            return
        with self._autocommit.connect() as conn:
            yield conn
            conn.commit()

    def execute(self, sql: str, params: Params | None = None) -> int:
        """Run one statement; returns how many rows it changed."""
        with self._connection() as conn:
            return int(self._cursor(conn, sql, params).rowcount)

    def many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement for each parameter row, in one transaction."""
        if not rows:
            return
        with self.transaction() as conn:
            driver_sql, names = self._compiled(sql)
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(driver_sql, [_args(names, r) for r in rows])
            except self.engine.dialect.loaded_dbapi.Error as exc:
                raise self._translated(conn, exc, driver_sql, None, cursor) from exc

    def one(self, sql: str, params: Params | None = None) -> Row | None:
        """The first row a query returns, or None."""
        with self._connection() as conn:
            cursor = self._cursor(conn, sql, params)
            row = cursor.fetchone()
            return dict(zip(_columns(cursor), row, strict=True)) if row is not None else None

    def all(self, sql: str, params: Params | None = None, *,
            expanding: tuple[str, ...] = ()) -> list[Row]:
        """Every row a query returns (``expanding``: parameters that are lists, ``IN :ids``)."""
        with self._connection() as conn:
            if expanding:  # rendered per call by SQLAlchemy, for the lists' lengths
                return [dict(r) for r in
                        conn.execute(_text(sql, expanding), dict(params or {})).mappings()]
            cursor = self._cursor(conn, sql, params)
            columns = _columns(cursor)
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def _compiled(self, sql: str) -> tuple[str, tuple[str, ...] | None]:
        """The statement in the driver's own placeholders, rendered once by SQLAlchemy, and
        the parameter names in order (None: the driver takes them by name)."""
        known = self._statements.get(sql)
        if known is None:
            if len(self._statements) >= _MAX_STATEMENTS:  # the stores' SQL is a fixed set
                self._statements.clear()
            compiled = _text(sql).compile(dialect=self.engine.dialect)
            names = tuple(compiled.positiontup or ()) if self.engine.dialect.positional else None
            known = self._statements[sql] = (str(compiled), names)
        return known

    def _cursor(self, conn: Connection, sql: str, params: Params | None) -> Any:
        """Run a statement on the driver's cursor of ``conn``'s connection.

        SQLAlchemy renders the statement once (``_compiled``); running it through the
        driver's cursor skips SQLAlchemy's per-statement work (execution context, events,
        result objects): several times the cost of the statement itself on SQLite (see
        docs/performance.md). The values go to the driver as they are; the stores pass
        only numbers, strings, bytes and None.
        """
        driver_sql, names = self._compiled(sql)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(driver_sql, _args(names, params or {}))
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise self._translated(conn, exc, driver_sql, params, cursor) from exc
        return cursor

    def _translated(self, conn: Connection, exc: Exception, sql: str, params: Params | None,
                    cursor: Any) -> Exception:
        """The driver's error as SQLAlchemy raises it (``sqlalchemy.exc``); a connection the
        server dropped is invalidated, so the pool replaces it, as SQLAlchemy would."""
        dialect = self.engine.dialect
        dropped = dialect.is_disconnect(exc, conn.connection.dbapi_connection,  # type: ignore[arg-type]
                                        cursor)
        if dropped and not conn.invalidated:
            conn.invalidate(exc)
        return sa.exc.DBAPIError.instance(sql, dict(params or {}), exc,
                                          dialect.loaded_dbapi.Error,
                                          connection_invalidated=dropped, dialect=dialect)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on one connection; nested uses on this thread join it."""
        joined: Connection | None = getattr(self._local, "conn", None)
        if joined is not None:
            yield joined
            return
        kept: Connection | None = getattr(self._local, "kept", None)
        if kept is not None:  # SQLite's one thread: a transaction on its own connection
            with self._kept_transaction(kept) as conn:
                yield conn
            return
        with self.engine.begin() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def _kept_transaction(self, kept: Connection, *,
                          begun: bool = False) -> Iterator[Connection]:
        """BEGIN and COMMIT on the driver: SQLAlchemy's transaction object, events and commit
        cost a ledger write about a tenth of its time on the one thread. A statement run
        through SQLAlchemy inside joins it (``_sqlite_begin`` sees the driver's transaction),
        and SQLAlchemy then ends it. ``begun``: the caller has run BEGIN already."""
        driver: sqlite3.Connection = kept.connection.dbapi_connection  # type: ignore[assignment]
        if not begun:
            self._on_driver(kept, driver.execute, "BEGIN IMMEDIATE")
        self._local.conn = kept
        try:
            yield kept
        except BaseException:
            self._local.conn = None
            if kept.in_transaction():
                kept.rollback()
            else:
                self._on_driver(kept, lambda _sql: driver.rollback(), "ROLLBACK")
            raise
        self._local.conn = None
        if kept.in_transaction():
            kept.commit()
        else:
            self._on_driver(kept, lambda _sql: driver.commit(), "COMMIT")

    def _on_driver(self, conn: Connection, run: Callable[[str], object], sql: str) -> None:
        """``run(sql)`` on the driver, its error raised as SQLAlchemy raises it."""
        try:
            run(sql)
        except sqlite3.Error as exc:
            raise self._translated(conn, exc, sql, None, None) from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside this thread's ``transaction()``: the block's statements are rolled back alone
        if it raises (on the driver's cursor: SQLAlchemy's savepoint costs several times the
        statement)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            raise RuntimeError("a savepoint needs a transaction open on this thread")
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SAVEPOINT nanogate_write")
        try:
            yield
        except BaseException as exc:
            try:
                cursor.execute("ROLLBACK TO SAVEPOINT nanogate_write")
                cursor.execute("RELEASE SAVEPOINT nanogate_write")
            except self.engine.dialect.loaded_dbapi.Error:
                # SQLite rolls a whole transaction back on some errors (a full disk): nothing
                # of it stands, and what follows must not run outside it.
                raise TransactionLost("the transaction ended inside a savepoint") from exc
            raise
        cursor.execute("RELEASE SAVEPOINT nanogate_write")

    def write_now(self, call: Callable[[], T]) -> T:
        """Run a short write call in a transaction here, on the event loop, if SQLite can take
        it without waiting for a lock or syncing a file (``cloud_broker.fleet.loopwrites``);
        else raise ``WouldWait`` having run nothing (and always on PostgreSQL)."""
        if self._loop_writer is None:
            raise WouldWait("only SQLite writes on the event loop")
        return self._loop_writer.write(call)

    def within(self, conn: Connection, call: Callable[[], T]) -> T:
        """Run ``call`` inside the transaction already begun on ``conn``, then commit it (or
        roll it back if ``call`` raises); the store calls inside join it."""
        with self._kept_transaction(conn, begun=True):
            return call()

    def post(self, call: Callable[[], object]) -> None:
        """Run ``call`` in this database's threads without waiting for it (its errors are
        the call's own to log)."""
        if isinstance(self._executor, OneThread):
            self._executor.post(partial(self._on_own_thread, call))
        else:
            self._executor.submit(call)

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call in this database's threads, off the event loop.

        PostgreSQL: a pool with as many threads as connections, so a burst queues here, in
        order, rather than in the connection pool. SQLite: one thread (``OneThread``).
        """
        if isinstance(self._executor, OneThread):
            return await self._executor.submit(partial(self._on_own_thread, call, *args, **kwargs))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(call, *args, **kwargs))

    def _on_own_thread(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``call`` on SQLite's one thread, which keeps a connection checked out for
        itself: no pool checkout, no new ``Connection`` per statement or transaction."""
        if getattr(self._local, "kept", None) is None:
            self._local.kept = self.engine.connect()
        return call(*args, **kwargs)

    def _let_go(self) -> None:
        """Give back the one thread's connection (on that thread, as it ends)."""
        kept: Connection | None = getattr(self._local, "kept", None)
        if kept is not None:
            self._local.kept = None
            kept.close()

    def close(self) -> None:
        """Close every pooled connection and the thread pool."""
        if self._loop_writer is not None:
            self._loop_writer.close()
        if isinstance(self._executor, OneThread):
            self._executor.shutdown(last=self._let_go)
        else:
            self._executor.shutdown(wait=False)
        self.engine.dispose()


def _args(names: tuple[str, ...] | None, params: Params) -> Any:
    """A statement's values as its driver takes them: in order, or by name."""
    return dict(params) if names is None else tuple(params[name] for name in names)


def _columns(cursor: Any) -> list[str]:
    return [column[0] for column in cursor.description]


def _autocommit_options(dialect: Dialect) -> dict[str, Any]:
    # PostgreSQL: the driver's autocommit (one round trip a statement). SQLite: the driver
    # never begins on its own (see sqlite_database), so skipping our BEGIN is enough.
    if dialect is POSTGRES:
        return {"isolation_level": "AUTOCOMMIT"}
    return {_AUTOCOMMIT: True}


def sqlite_database(path: Path) -> Database:
    """A ``Database`` on one SQLite file (WAL; a commit survives the process being killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        # "named": the driver takes :name and a dict, so statements need no reordering.
        f"sqlite:///{path}", paramstyle="named", poolclass=sa.pool.QueuePool, pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW, connect_args={"check_same_thread": False, "timeout": 10.0})
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    db = Database(engine, SQLITE, one_thread=True)
    db._loop_writer = LoopWriter(db, engine, path)
    return db


def _sqlite_connected(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # The driver must not BEGIN (or COMMIT before DDL) by itself: _sqlite_begin does.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _sqlite_begin(conn: Connection) -> None:
    driver: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
    if driver.in_transaction:  # begun on the driver (Database._kept_transaction): joined
        return
    if not conn.get_execution_options().get(_AUTOCOMMIT):  # on the driver: the cheaper way
        driver.execute("BEGIN IMMEDIATE")
