"""The fleet store on PostgreSQL, for several broker replicas on one database.

The behaviour is ``SqlFleetStore``'s; this module connects, and carries the one thing
SQLite has no counterpart for: replicas tell each other what changed by ``NOTIFY`` (an
escalation finished, so a replay waiting for a claim held elsewhere wakes at once; an API key
revoked, so every replica forgets the keys it remembered). Everything that
must happen once across replicas is decided by the database: enrolment tokens are read
``FOR UPDATE``, escalation claims are ``INSERT ... ON CONFLICT DO NOTHING`` leases taken
over by a compare-and-set ``UPDATE``, commands are taken ``FOR UPDATE SKIP LOCKED``,
rollouts are ticked under a lease row.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa
import structlog

from cloud_broker.errors import ConfigError
from cloud_broker.fleet.database import MAX_OVERFLOW, POOL_SIZE, POSTGRES, Database
from cloud_broker.fleet.store import IDENTITIES, REDELIVER_AFTER_S, Clock, SqlFleetStore

log = structlog.get_logger("cloud_broker.fleet.postgres")

CHANNEL = "nanogate_escalations"
# A notification sent between a waiter's read and its LISTEN registration is not lost for
# long: waiters look again at least this often.
_SAFETY_POLL_S = 2.0


class PostgresFleetStore(SqlFleetStore):
    """The fleet store on PostgreSQL (pooled connections, explicit transactions)."""

    def __init__(self, dsn: str, *, clock: Clock = time.time,
                 redeliver_after_s: float = REDELIVER_AFTER_S) -> None:
        if not dsn:
            raise ConfigError("store.kind is 'postgres' but store.dsn is empty; set it to "
                              "e.g. 'postgresql://127.0.0.1:5432/nanogate'")
        super().__init__(postgres_database(dsn), clock=clock,
                         redeliver_after_s=redeliver_after_s)
        self._listener = _Listener(dsn)
        self.subscribe(IDENTITIES, self._known.forget)

    def _notify_escalation(self, key: str) -> None:
        """Wake replicas waiting on this key."""
        self._db.execute("SELECT pg_notify(:channel, :payload)",
                         {"channel": CHANNEL, "payload": key})

    def publish(self, channel: str, payload: str = "") -> None:
        """Tell every replica (this one too) something changed."""
        self._db.execute("SELECT pg_notify(:channel, :payload)",
                         {"channel": channel, "payload": payload})

    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback`` with each payload on ``channel``; with None after the listening
        connection was lost and is back (notices may have been missed meanwhile)."""
        self._listener.subscribe(channel, callback)

    async def wait_escalation(self, key: str, timeout: float) -> None:
        """Return when another replica finishes or releases the key, or after ``timeout``."""
        event = self._listener.watch(key)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), max(0.0, min(timeout, _SAFETY_POLL_S)))
        finally:
            self._listener.unwatch(key, event)

    def close(self) -> None:
        """Stop listening and close the database."""
        self._listener.stop()
        super().close()


class _Listener:
    """One ``LISTEN`` connection in a thread, started on first use; wakes escalation waiters
    by key and calls the subscribers of other channels."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = \
            defaultdict(set)
        self._subscribers: dict[str, list[Callable[[str | None], None]]] = defaultdict(list)
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None  # once listening
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.listening = threading.Event()  # set once LISTEN is in place

    def watch(self, key: str) -> asyncio.Event:
        """An event set when ``key`` is notified."""
        event = asyncio.Event()
        with self._lock:
            self._waiters[key].add((asyncio.get_running_loop(), event))
            self._start()
        return event

    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback`` with each payload on ``channel`` (None: notices may be lost)."""
        with self._lock:
            self._subscribers[channel].append(callback)
            conn = self._conn
            self._start()
        if conn is not None:  # listening already: add the channel (the thread adds it if not)
            with contextlib.suppress(psycopg.Error):  # lost: the reconnect listens to it
                conn.execute(f"LISTEN {channel}")

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pg.listen", daemon=True)
            self._thread.start()

    def unwatch(self, key: str, event: asyncio.Event) -> None:
        """Forget a waiter."""
        with self._lock:
            waiters = self._waiters.get(key, set())
            waiters.difference_update({w for w in waiters if w[1] is event})
            if not waiters:
                self._waiters.pop(key, None)

    def stop(self) -> None:
        """End the thread (it notices within a second)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:  # waiters fall back on their safety poll meanwhile
                log.warning("escalation.listen_failed", error=str(exc))
                self._stopped.wait(1.0)

    def _listen(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            conn.add_notify_handler(self._dispatch)
            with self._lock:
                self._conn = conn
                channels = [CHANNEL, *self._subscribers]
            try:
                for channel in channels:
                    conn.execute(f"LISTEN {channel}")
                self.listening.set()
                with self._lock:
                    callbacks = [c for cs in self._subscribers.values() for c in cs]
                for callback in callbacks:
                    callback(None)  # anything sent while not listening was missed
                while not self._stopped.is_set():
                    ready, _, _ = select.select([conn.fileno()], [], [], 1.0)
                    if ready:
                        conn.execute("SELECT 1")  # reads the notifications that arrived
            finally:
                with self._lock:
                    self._conn = None

    def _dispatch(self, notice: psycopg.Notify) -> None:
        if notice.channel == CHANNEL:
            self._wake(notice.payload)
            return
        with self._lock:
            callbacks = list(self._subscribers.get(notice.channel, ()))
        for callback in callbacks:
            callback(notice.payload)

    def _wake(self, key: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(key, ()))
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)


def postgres_database(dsn: str) -> Database:
    """A ``Database`` on PostgreSQL through psycopg 3 (``postgresql+psycopg``), pooled.

    ``dsn`` is anything libpq takes (a ``postgresql://`` URL or ``key=value`` pairs, with
    ``options`` such as a search_path), so the driver connects with it as it is. A
    connection the server dropped is replaced: the statement that found it fails, and the
    pool opens fresh connections for the next ones.
    """
    def connect() -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return psycopg.connect(dsn)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"cannot connect to PostgreSQL ({exc}); check store.dsn "
                              "and that the server is running") from exc

    engine = sa.create_engine("postgresql+psycopg://", creator=connect,
                              poolclass=sa.pool.QueuePool, pool_size=POOL_SIZE,
                              max_overflow=MAX_OVERFLOW)
    return Database(engine, POSTGRES)
