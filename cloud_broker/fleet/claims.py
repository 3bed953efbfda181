"""Escalation claims as leases: who holds a key, until when, and taking over a dead one.

A replica that starts answering an escalation claims its key for itself (a ``Replica``
incarnation) until a few seconds past the request's deadline, and renews the claim while it
works. A claim whose lease ran out belongs to a replica that died or hung: the next attempt,
on any replica, takes it over and asks the model again (``Lease.attempt`` counts how often).
At start a replica frees what its earlier incarnations held, so a restarted single broker
answers at once. Waiting for a claim held elsewhere is pushed by LISTEN/NOTIFY on
PostgreSQL (``PostgresFleetStore``) and a short poll on SQLite; never past the lease.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from cloud_broker.fleet.database import Database

Clock = Callable[[], float]
# An escalation claim with no deadline to go by is leased for this long (and renewed).
DEFAULT_LEASE_S = 60.0
_POLL_S = 0.2  # how often a replay on SQLite looks at a claim held elsewhere


@dataclass(frozen=True, slots=True)
class Replica:
    """This broker process: a stable name (config or host name) and an incarnation."""

    name: str
    incarnation: str

    @classmethod
    def start(cls, name: str = "") -> Replica:
        """A new incarnation of the replica called ``name`` (default: the host name)."""
        stamp = f"{int(time.time()):x}-{secrets.token_hex(3)}"
        return cls(name or socket.gethostname() or "broker", stamp)

    @property
    def id(self) -> str:
        """What claims record as their owner: ``name#incarnation``."""
        return f"{self.name}#{self.incarnation}"


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """An escalation the broker answered (or is answering), keyed by idempotency key."""

    key: str
    device_id: str
    state: str  # "pending" | "done"
    response: bytes = b""  # serialised EscalateResponse once done
    created: float = 0.0
    outcome: str = ""  # "ok" or the error code, once done
    finished: float | None = None
    owner: str = ""  # the replica incarnation holding a pending claim
    lease_until: float | None = None  # wall-clock; past it, anyone may take the claim over
    attempts: int = 1  # how many times the key was claimed (2 or more: taken over)


@dataclass(frozen=True, slots=True)
class Lease:
    """The outcome of claiming an escalation key."""

    held: bool  # True: the caller holds the claim now and must answer it
    attempt: int  # 1: a new key; 2 or more: taken over from a claim whose lease ran out
    record: EscalationRecord | None = None  # the existing record, when not held


class EscalationClaims:
    """The escalation-claim half of the fleet store (mixed into ``SqlFleetStore``)."""

    _db: Database
    _clock: Clock

    def claim_escalation(self, key: str, device_id: str, *, owner: str = "",
                         lease_s: float = DEFAULT_LEASE_S) -> EscalationRecord | None:
        """Claim a new key or take over an expired claim (None); else the existing record."""
        lease = self.lease_escalation(key, device_id, owner=owner, lease_s=lease_s)
        return None if lease.held else lease.record

    def lease_escalation(self, key: str, device_id: str, *, owner: str,
                         lease_s: float) -> Lease:
        """Claim a key for ``owner`` until ``now + lease_s``, taking over an expired claim."""
        now = self._clock()
        if self._db.execute(
                "INSERT INTO escalations (key, device_id, state, created, owner, lease_until) "
                "VALUES (:key, :device_id, 'pending', :now, :owner, :lease_until) "
                "ON CONFLICT (key) DO NOTHING",
                {"key": key, "device_id": device_id, "now": now, "owner": owner,
                 "lease_until": now + lease_s}) == 1:
            return Lease(held=True, attempt=1)
        before = self.escalation(key)
        if before is None or before.state != "pending" or (
                before.lease_until is not None and before.lease_until >= now):
            return Lease(held=False, attempt=0, record=before)
        # Compare-and-set: of replicas taking over at once, one wins. NULL lease: claimed
        # before claims were leases, by a broker that is gone.
        if self._db.execute(
                "UPDATE escalations SET owner = :owner, lease_until = :lease_until, "
                "attempts = attempts + 1 WHERE key = :key AND state = 'pending' AND "
                "(lease_until IS NULL OR lease_until < :now) AND attempts = :attempts",
                {"owner": owner, "lease_until": now + lease_s, "key": key, "now": now,
                 "attempts": before.attempts}) == 1:
            return Lease(held=True, attempt=before.attempts + 1, record=before)
        return Lease(held=False, attempt=0, record=self.escalation(key))

    def renew_escalation(self, key: str, owner: str, lease_s: float) -> bool:
        """Extend this owner's claim to ``now + lease_s``; False if it is no longer held."""
        return self._db.execute(
            "UPDATE escalations SET lease_until = :lease_until WHERE key = :key AND "
            "owner = :owner AND state = 'pending'",
            {"lease_until": self._clock() + lease_s, "key": key, "owner": owner}) == 1

    def finish_escalation(self, key: str, response: bytes, outcome: str) -> None:
        """Store the answer to a claimed key."""
        self._db.execute("UPDATE escalations SET state = 'done', response = :response, "
                         "outcome = :outcome, finished = :now, lease_until = NULL "
                         "WHERE key = :key",
                         {"response": response, "outcome": outcome, "now": self._clock(),
                          "key": key})
        self._notify_escalation(key)

    def release_escalation(self, key: str) -> None:
        """Give up a claim (the answer failed), so a replay tries again."""
        self._db.execute("DELETE FROM escalations WHERE key = :key AND state = 'pending'",
                         {"key": key})
        self._notify_escalation(key)

    def release_claims(self, replica_name: str, incarnation_id: str) -> int:
        """Free what earlier incarnations of this replica held; returns how many escalations."""
        pattern = _like_literal(replica_name) + "#%"
        released = self._db.execute(
            "UPDATE escalations SET lease_until = 0 WHERE state = 'pending' AND "
            "owner LIKE :pattern ESCAPE '!' AND owner != :incarnation",
            {"pattern": pattern, "incarnation": incarnation_id})
        self._db.execute(
            "UPDATE rollouts SET lease_owner = NULL, lease_until = NULL WHERE lease_owner "
            "LIKE :pattern ESCAPE '!' AND lease_owner != :incarnation",
            {"pattern": pattern, "incarnation": incarnation_id})
        return released

    async def wait_escalation(self, key: str, timeout: float) -> None:
        """Return when the key may have changed (finished elsewhere), or after ``timeout``."""
        await asyncio.sleep(max(0.0, min(timeout, _POLL_S)))  # SQLite: a short poll

    def _notify_escalation(self, key: str) -> None:
        """Tell replicas waiting on this key that it changed (PostgreSQL overrides this)."""

    def escalation(self, key: str) -> EscalationRecord | None:
        """The record for a key, or None."""
        row = self._db.one("SELECT * FROM escalations WHERE key = :key", {"key": key})
        if row is None:
            return None
        return EscalationRecord(row["key"], row["device_id"], row["state"],
                                bytes(row["response"] or b""), row["created"],
                                owner=row["owner"] or "", lease_until=row["lease_until"],
                                attempts=int(row["attempts"] or 1))


def _like_literal(text: str) -> str:
    """``text`` with LIKE's wildcards escaped by ``!``."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
