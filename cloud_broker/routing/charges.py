"""Ledger rows a caller commits itself, with its own writes, in one trip to the database.

The router writes each call's ledger row before it returns the answer. The link then writes
the escalation claim's finish: two trips to the database's threads, two transactions. A
caller that commits the rows itself opens ``Charges`` for the work (a context variable, so
it covers the router's calls in the caller's task and the tasks that task starts); the
router hands its rows to it instead of writing them, and the caller commits them with its
own writes, in one transaction, before the answer goes out. Once the caller has taken the
rows (``close``), a late row (a task that outlived the work) is written by the router as
usual, so none is lost.

The operator's journal entry of the work (``cloud_broker.journal``, a SQLite file of its own)
rides along as a note, written after the transaction: in the same trip to the database's
thread, or, where the transaction ran on the event loop, there too if SQLite can take it
without waiting or syncing a file (else on the thread, which the answer does not wait for).
A note that fails is logged, not raised (the answer is stored and charged by then).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from cloud_broker.fleet.loopwrites import WouldWait
from cloud_broker.routing.ledger import UsageRecord

log = structlog.get_logger("cloud_broker.routing.charges")


class Ledger(Protocol):
    """Where a row goes (``UsageLedger``)."""

    def record(self, record: UsageRecord) -> None:
        """Append one call."""
        ...


class Note(Protocol):
    """A write after the rows' commit (the operator's journal entry of the work)."""

    def __call__(self, *, now: bool = False) -> None:
        """Write it (``now``: on the event loop, or raise ``WouldWait`` having written nothing)."""
        ...


_OPEN: ContextVar[Charges | None] = ContextVar("nanogate_charges", default=None)


@dataclass(eq=False)
class Charges:
    """The ledger rows of one piece of work, held until its owner commits them."""

    rows: list[tuple[Ledger, UsageRecord]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # written after the rows
    closed: bool = False

    @classmethod
    def open(cls) -> Charges:
        """Hold the ledger rows the router writes from now on, in this task's context."""
        charges = cls()
        _OPEN.set(charges)
        return charges

    @staticmethod
    def defer(ledger: Ledger, record: UsageRecord) -> bool:
        """Hand a row to the open ``Charges`` (True), or say there is none (False)."""
        charges = _OPEN.get()
        if charges is None or charges.closed:
            return False
        charges.rows.append((ledger, record))
        return True

    @staticmethod
    def note(write: Note) -> bool:
        """Hand a journal write to the open ``Charges`` (True), or say there is none."""
        charges = _OPEN.get()
        if charges is None or charges.closed:
            return False
        charges.notes.append(write)
        return True

    def close(self) -> Charges:
        """Stop taking rows (later ones are written as usual); returns self to commit."""
        self.closed = True
        return self

    def commit(self) -> None:
        """Write the rows (blocking: in the database's threads, inside the caller's
        transaction so that they commit with its writes)."""
        for ledger, record in self.rows:
            ledger.record(record)

    def write_notes_now(self) -> None:
        """``write_notes(now=True)``: on the event loop, or ``WouldWait``."""
        self.write_notes(now=True)

    def write_notes(self, *, now: bool = False) -> None:
        """Write the notes, after the commit: blocking, in the database's threads; or, with
        ``now``, on the event loop, each only if it can be written there without waiting
        (a note raises ``WouldWait`` otherwise, and this with it, the rest left to write)."""
        while self.notes:
            try:
                self.notes[0](now=True) if now else self.notes[0]()
            except WouldWait:
                raise
            except Exception as exc:  # a full disk must not undo a stored, charged answer
                log.warning("journal.write_failed", error=str(exc))
            del self.notes[0]
