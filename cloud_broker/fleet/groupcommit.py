"""Short writes from the event loop committed together: one trip to the database's threads and
one transaction for every write that queued while the previous batch was being written.

An escalation makes two writes (its claim; at the end, its ledger rows with the claim's
finish, ``Charges``); each alone costs a hop to the database's thread and back, a transaction
and, on SQLite, a commit that appends the pages it touched to the WAL. With several
escalations in flight their writes meet in the queue and share those costs here. No timer
decides when to write (as ``cloud_broker.link.heartbeats``): the first write starts at once,
and whatever queues meanwhile is the next batch, so a lone write waits for nothing. On
SQLite, a write with nothing queued before it runs at once on the event loop if SQLite can
take it without waiting or syncing a file (``Database.write_now``): no trip at all; its
``after`` runs on the loop as well if it can (``after_now``), else on the database's thread,
which the loop does not wait for.

Each write still succeeds or fails on its own: in a batch of more than one, each runs inside
a savepoint, so one that raises is rolled back alone and its caller hears its error while
the others commit. If the transaction itself fails (its commit), every caller in the batch
hears that error, as each would have alone. Nothing is retried here. Whatever a write's
``after`` does (the operator's journal, in a file of its own) runs after the commit, and only
for a write that committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import structlog

from cloud_broker.fleet.database import Database, TransactionLost
from cloud_broker.fleet.loopwrites import WouldWait

log = structlog.get_logger("cloud_broker.fleet.groupcommit")
T = TypeVar("T")
MAX_BATCH = 64  # writes committed in one transaction at most


@dataclass(slots=True)
class _Write(Generic[T]):
    call: Callable[[], T]
    after: Callable[[], None] | None
    done: asyncio.Future[T]
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Runs short write calls in ``db``'s threads, batched into shared transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[_Write[Any]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, call: Callable[[], T], after: Callable[[], None] | None = None,
                    after_now: Callable[[], None] | None = None) -> T:
        """Run ``call`` in a transaction (shared with other writes), then ``after`` once it
        has committed; returns what ``call`` returned, or raises what it (or the commit)
        raised. The write happens even if the caller is cancelled while it waits.

        Where the write ran on the event loop, ``after_now`` runs there instead of ``after``
        if given, and may raise ``WouldWait``: then ``after`` goes to the database's thread,
        which the caller does not wait for."""
        if self._writer is None or self._writer.done():  # nothing queued for the thread
            try:
                result = self._db.write_now(call)  # SQLite, when it cannot wait: no trip
            except WouldWait:
                pass
            else:
                if after is not None and not _ran_now(after_now):
                    self._db.post(partial(_run_after, after))
                return result
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        done.add_done_callback(retrieved)  # a caller that hung up leaves its error unread
        self._waiting.append(_Write(call, after, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="groupcommit.write")
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                await self._db.run(self._commit, batch)
            except BaseException as exc:  # the transaction failed: every write in it did
                if not isinstance(exc, Exception):  # cancelled: the loop is ending, and so
                    batch, self._waiting = batch + self._waiting, []  # is every waiting write
                for write in batch:
                    write.error = exc
                _settle(batch)
                if not isinstance(exc, Exception):
                    raise
                continue
            _settle(batch)

    def _commit(self, batch: list[_Write[Any]]) -> None:
        """Run the batch in one transaction, then the afters (in the database's threads)."""
        with self._db.transaction():
            if len(batch) == 1:  # alone: its error is the transaction's, as without a batch
                batch[0].result = batch[0].call()
            else:
                for write in batch:
                    self._one(write)
        for write in batch:
            if write.error is None and write.after is not None:
                _run_after(write.after)

    def _one(self, write: _Write[Any]) -> None:
        try:
            with self._db.savepoint():
                write.result = write.call()
        except TransactionLost:  # nothing in the batch stands: every caller hears it
            raise
        except Exception as exc:  # rolled back alone; its caller hears it
            write.error = exc


def _ran_now(after_now: Callable[[], None] | None) -> bool:
    if after_now is None:
        return False
    try:
        after_now()
    except WouldWait:
        return False
    except Exception as exc:  # committed: the caller's answer stands
        log.warning("groupcommit.after_failed", error=str(exc))
    return True


def _run_after(after: Callable[[], None]) -> None:
    try:
        after()
    except Exception as exc:  # committed: the caller's answer stands
        log.warning("groupcommit.after_failed", error=str(exc))


def _settle(batch: list[_Write[Any]]) -> None:
    """Hand each write's outcome to its caller (one that hung up has a done future)."""
    for write in batch:
        if write.done.done():
            continue
        if write.error is not None:
            write.done.set_exception(write.error)
        else:
            write.done.set_result(write.result)


def retrieved(done: asyncio.Future[Any]) -> None:
    """Mark a future's error as seen (a done callback): whoever awaits it handles the error,
    and one that nobody awaits any more logs no 'exception was never retrieved'."""
    if not done.cancelled():
        done.exception()
