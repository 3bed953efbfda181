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
rides along as a note: written in the same trip, after the transaction, never on the event
loop; a note that fails is logged, not raised (the answer is stored and charged by then).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from cloud_broker.routing.ledger import UsageRecord

log = structlog.get_logger("cloud_broker.routing.charges")


class Ledger(Protocol):
    """Where a row goes (``UsageLedger``)."""

    def record(self, record: UsageRecord) -> None:
        """Append one call."""
        ...


_OPEN: ContextVar[Charges | None] = ContextVar("nanogate_charges", default=None)


@dataclass(eq=False)
class Charges:
    """The ledger rows of one piece of work, held until its owner commits them."""

    rows: list[tuple[Ledger, UsageRecord]] = field(default_factory=list)
    notes: list[Callable[[], None]] = field(default_factory=list)  # written after the rows
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
    def note(write: Callable[[], None]) -> bool:
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

    def write_notes(self) -> None:
        """Write the notes (blocking: in the database's threads, after the commit)."""
        for write in self.notes:
            try:
                write()
            except Exception as exc:  # a full disk must not undo a stored, charged answer
                log.warning("journal.write_failed", error=str(exc))
