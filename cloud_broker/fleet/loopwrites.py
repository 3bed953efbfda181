"""SQLite writes run on the event loop itself, but only those that cannot wait there.

A write handed to SQLite's one thread costs two thread wake-ups and the GIL passed back and
forth, more CPU than the write itself (docs/performance.md, "Escalation CPU"). Run on the
loop, a write could stall every call the loop serves in three ways, and this writer runs one
only when none can happen:

- the write lock is held elsewhere (another process: the CLI, a backup; or SQLite's thread):
  its connection has no busy timeout, so ``BEGIN IMMEDIATE`` fails at once and the caller
  sends the write to the thread instead (``WouldWait``);
- a checkpoint ``fsync``s the WAL and the database: automatic checkpoints are off on this
  connection, and once the WAL is long (``CHECKPOINT_FRAMES``) writes go to SQLite's thread,
  whose connection checkpoints after its commit, as SQLite does by default;
- the first commit after a complete checkpoint starts the WAL again from its beginning and
  ``fsync``s its new header (SQLite does so whatever ``synchronous`` says): that write goes to
  the thread as well.

Both are read, once the write lock is held, from the WAL-index (the ``-shm`` file, whose
header's layout is part of SQLite's documented file format): one ``pread``.

What is left on the loop is a page-cache miss or the kernel throttling a process that has
dirtied too many pages, as for any file write. A commit here is as durable as one on the
thread: WAL with ``synchronous=NORMAL``, so it survives the process being killed.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from cloud_broker.fleet.database import Database

T = TypeVar("T")

CHECKPOINT_FRAMES = 1000  # wal_autocheckpoint's default, kept by the thread's connection
# The WAL-index header (https://sqlite.org/walformat.html): mxFrame, the last valid frame,
# at byte 16; nBackfill, the frames already copied back into the database, at byte 96. Both
# 32-bit, in the machine's byte order.
_WAL_INDEX = struct.Struct("=16xI76xI")


class WouldWait(Exception):
    """The write cannot run here without waiting; run it on the database's thread."""


def for_the_loop(driver: sqlite3.Connection) -> sqlite3.Connection:
    """Set up a connection of the event loop's own: a held lock is BUSY at once, never a
    wait; a commit appends to the WAL without syncing it (``synchronous=NORMAL``, as every
    connection of ours) and never checkpoints (another connection does, off the loop)."""
    driver.execute("PRAGMA busy_timeout=0")
    driver.execute("PRAGMA synchronous=NORMAL")
    driver.execute("PRAGMA wal_autocheckpoint=0")
    return driver


class WalIndex:
    """One SQLite file's WAL-index, read to tell whether a write can run on the loop."""

    def __init__(self, path: Path | str) -> None:
        self._path = f"{path}-shm"
        self._file: IO[bytes] | None = None  # read with pread

    def begin(self, driver: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE`` on ``driver`` (set up by ``for_the_loop``) if its commit will
        only append to the WAL; otherwise raise ``WouldWait`` with nothing begun."""
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
                raise WouldWait("the database's write lock is held") from exc
            raise
        if not self._appends():
            driver.rollback()
            raise WouldWait("a checkpoint is due, or this commit would start the WAL again")

    def _appends(self) -> bool:
        """With the write lock held: whether this commit only appends to a short WAL (no
        checkpoint due, and neither an empty nor a completely checkpointed WAL to restart)."""
        if self._file is None:
            try:
                self._file = open(self._path, "rb", buffering=0)  # noqa: SIM115
            except OSError:
                return False
        data = os.pread(self._file.fileno(), _WAL_INDEX.size, 0)
        if len(data) < _WAL_INDEX.size:
            return False
        last, backfilled = _WAL_INDEX.unpack(data)
        # Only a checkpoint moves nBackfill, and only up to mxFrame: lower now, it was lower
        # when this transaction began, so SQLite appends rather than starting the WAL again.
        return bool(backfilled < last < CHECKPOINT_FRAMES)

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class LoopWriter:
    """Runs short write transactions of a ``Database`` on the caller's thread (the event loop)
    when SQLite can take them without waiting or syncing; otherwise raises ``WouldWait``."""

    def __init__(self, db: Database, engine: Engine, path: Path) -> None:
        self._db, self._engine = db, engine
        self._conn: Connection | None = None
        self._wal = WalIndex(path)

    def write(self, call: Callable[[], T]) -> T:
        """Run ``call`` in a transaction here and commit it, or raise ``WouldWait`` having
        run nothing; raises what ``call`` (or the commit) raised, rolled back."""
        conn = self._conn or self._connect()
        driver: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
        self._wal.begin(driver)
        try:
            return self._db.within(conn, call)
        finally:
            if driver.in_transaction:  # a commit that failed: the lock must not stay held
                driver.rollback()

    def _connect(self) -> Connection:
        conn = self._engine.connect()
        for_the_loop(conn.connection.dbapi_connection)  # type: ignore[arg-type]
        self._conn = conn
        return conn

    def close(self) -> None:
        """Close this writer's connection (not given back to the pool: its settings differ)."""
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
        self._wal.close()
