"""Short writes from the event loop committed together: one trip to the database's threads and
one transaction for every write that queued while the previous batch was being written.

An escalation makes two writes (its claim; at the end, its ledger rows with the claim's
finish, ``Charges``); each alone costs a hop to the database's thread and back, a transaction
and, on SQLite, a commit that appends the pages it touched to the WAL. With several
escalations in flight their writes meet in the queue and share those costs here. No timer
decides when to write (as ``cloud_broker.link.heartbeats``): the first write starts at once,
and whatever queues meanwhile is the next batch, so a lone write waits for nothing.

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
from typing import Any, Generic, TypeVar

import structlog

from cloud_broker.fleet.database import Database, TransactionLost

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

    async def write(self, call: Callable[[], T], after: Callable[[], None] | None = None) -> T:
        """Run ``call`` in a transaction (shared with other writes), then ``after`` once it
        has committed; returns what ``call`` returned, or raises what it (or the commit)
        raised. The write happens even if the caller is cancelled while it waits."""
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
                try:
                    write.after()
                except Exception as exc:  # committed: the caller's answer stands
                    log.warning("groupcommit.after_failed", error=str(exc))

    def _one(self, write: _Write[Any]) -> None:
        try:
            with self._db.savepoint():
                write.result = write.call()
        except TransactionLost:  # nothing in the batch stands: every caller hears it
            raise
        except Exception as exc:  # rolled back alone; its caller hears it
            write.error = exc


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
