"""Commands for gateways: queued by operators, rollouts and the operator queue; taken by the
gateway on its next pull, leased until acked, handed out again if never acked.

``GatewayCommands`` is the fleet store's part that keeps them (``SqlFleetStore`` mixes it
in, as it does ``EscalationClaims``). A command is taken ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two replicas serving one gateway never hand the same command out twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cloud_broker.fleet.database import Database, Row

# A delivered command that is not acked within this time is handed out again.
REDELIVER_AFTER_S = 300.0
# Takeable now. Parameters: now, and now less the redelivery lease.
TAKEABLE = ("expires_at >= :now AND (state = 'pending' OR "
            "(state = 'delivered' AND delivered_at < :redeliver_before))")


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command for a gateway and what became of it."""

    id: str
    device_id: str
    name: str
    args_json: str
    created: float
    expires_at: float
    state: str  # "pending" | "delivered" | "acked" | "expired" | "cancelled"
    ok: bool | None = None
    result_json: str = ""
    acked_at: float | None = None


class GatewayCommands:
    """The commands table: queue, take, ack, cancel, list."""

    _db: Database
    _clock: Callable[[], float]
    _redeliver_after_s: float

    def add_command(self, device_id: str, name: str, args_json: str, ttl_s: float) -> str:
        """Queue a command for a gateway; returns its id."""
        command_id = "cmd-" + secrets.token_hex(6)
        now = self._clock()
        self._db.execute(
            "INSERT INTO commands (id, device_id, name, args_json, created, expires_at, state) "
            "VALUES (:id, :device_id, :name, :args_json, :now, :expires_at, 'pending')",
            {"id": command_id, "device_id": device_id, "name": name, "args_json": args_json,
             "now": now, "expires_at": now + ttl_s})
        return command_id

    def add_commands(self, device_ids: Sequence[str], name: str, args_json: str,
                     ttl_s: float) -> list[str]:
        """Queue one command for each gateway, in one transaction; returns their ids in order."""
        now = self._clock()
        rows = [{"id": "cmd-" + secrets.token_hex(6), "device_id": device_id, "name": name,
                 "args_json": args_json, "now": now, "expires_at": now + ttl_s}
                for device_id in device_ids]
        self._db.many(
            "INSERT INTO commands (id, device_id, name, args_json, created, expires_at, state) "
            "VALUES (:id, :device_id, :name, :args_json, :now, :expires_at, 'pending')", rows)
        return [str(row["id"]) for row in rows]

    def take_commands(self, device_id: str, limit: int) -> list[CommandRecord]:
        """Unexpired commands for a gateway not yet handed out (or unacked for too long)."""
        now = self._clock()
        with self._db.transaction():
            self._db.execute("UPDATE commands SET state = 'expired' WHERE "
                             "device_id = :device_id AND state IN ('pending', 'delivered') "
                             "AND expires_at < :now", {"device_id": device_id, "now": now})
            rows = self._db.all(
                "SELECT * FROM commands WHERE device_id = :device_id AND " + TAKEABLE
                + " ORDER BY created, id LIMIT :limit" + self._db.dialect.skip_locked,
                {"device_id": device_id, "now": now,
                 "redeliver_before": now - self._redeliver_after_s, "limit": limit})
            for row in rows:
                self._db.execute("UPDATE commands SET state = 'delivered', delivered_at = :now, "
                                 "deliveries = deliveries + 1 WHERE id = :id",
                                 {"now": now, "id": row["id"]})
        return [_command({**r, "state": "delivered"}, now) for r in rows]

    def ack_command(self, device_id: str, command_id: str, ok: bool, result_json: str) -> bool:
        """Record a command's result; False if it is not this gateway's command."""
        return self._db.execute(
            "UPDATE commands SET state = 'acked', ok = :ok, result_json = :result_json, "
            "acked_at = :now WHERE id = :id AND device_id = :device_id",
            {"ok": int(ok), "result_json": result_json, "now": self._clock(), "id": command_id,
             "device_id": device_id}) > 0

    def cancel_command(self, command_id: str) -> bool:
        """Withdraw an unacked command; True if it had never been handed out."""
        with self._db.transaction():
            unsent = self._db.execute("UPDATE commands SET state = 'cancelled' WHERE id = :id "
                                      "AND state = 'pending'", {"id": command_id})
            self._db.execute("UPDATE commands SET state = 'cancelled' WHERE id = :id "
                             "AND state = 'delivered'", {"id": command_id})
        return unsent > 0

    def command(self, command_id: str) -> CommandRecord | None:
        """One command, or None."""
        row = self._db.one("SELECT * FROM commands WHERE id = :id", {"id": command_id})
        return _command(row, self._clock()) if row else None

    def commands(self, device_id: str | None = None) -> list[CommandRecord]:
        """Commands, newest first, for one gateway or all."""
        sql, params = "SELECT * FROM commands", dict[str, Any]()
        if device_id:
            sql += " WHERE device_id = :device_id"
            params["device_id"] = device_id
        now = self._clock()
        return [_command(r, now) for r in self._db.all(sql + " ORDER BY created DESC", params)]

    def pending_commands(self, device_id: str) -> int:
        """How many commands a gateway would be handed if it pulled now."""
        now = self._clock()
        row = self._db.one("SELECT COUNT(*) AS n FROM commands WHERE device_id = :device_id AND "
                           + TAKEABLE, {"device_id": device_id, "now": now,
                                         "redeliver_before": now - self._redeliver_after_s})
        return int(row["n"]) if row else 0


def _command(row: Row, now: float) -> CommandRecord:
    state = row["state"]
    if state in ("pending", "delivered") and row["expires_at"] < now:
        state = "expired"  # not yet marked by a pull, but expired all the same
    return CommandRecord(
        id=row["id"], device_id=row["device_id"], name=row["name"], args_json=row["args_json"],
        created=row["created"], expires_at=row["expires_at"], state=state,
        ok=None if row["ok"] is None else bool(row["ok"]), result_json=row["result_json"] or "",
        acked_at=row["acked_at"])
