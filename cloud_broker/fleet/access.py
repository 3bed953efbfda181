"""Who may operate the fleet, and what they did: admin tokens with roles, and the audit log.

Both live in the fleet database, so every broker replica sees the same tokens and writes one
audit trail. Only a hash of each token is stored; the secret is shown once, when created.
Tokens are 192-bit random strings, so SHA-256 is enough (as for API keys and credentials).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from cloud_broker.fleet.database import Database, Row
from cloud_broker.fleet.enrolment import hash_secret

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
BOOTSTRAP = "bootstrap"  # the name (and id) of the token from the config or data dir
ARGS_MAX = 500  # characters of an action's arguments kept in the audit log


def role_at_least(role: str, needed: Role) -> bool:
    """True if ``role`` grants everything ``needed`` does."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True, slots=True)
class AdminToken:
    """An admin token as listed: never its secret."""

    id: str
    name: str
    role: Role
    prefix: str  # the first characters, to recognise a token
    created: float
    created_by: str = ""
    revoked: float | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action: who, with which role, did what to what, when, and how it ended."""

    id: str
    ts: float
    actor: str
    role: str
    action: str  # noun.past_verb: "command.sent", "rollout.paused", ...
    target: str
    args: str  # a JSON summary, cut at ARGS_MAX characters
    outcome: str  # "ok", "denied", or "error: <status> <detail>"


class AccessStore:
    """Admin tokens and the audit log, in the fleet database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock

    # tokens -------------------------------------------------------------------------------

    def create_token(self, name: str, role: Role, created_by: str = "") -> tuple[AdminToken, str]:
        """Make a token; return it and its secret, which is shown this once."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        if name == BOOTSTRAP:
            raise ValueError(f"the name {BOOTSTRAP!r} belongs to the configured admin token")
        secret = "nga_" + secrets.token_urlsafe(24)
        token = AdminToken("tok-" + secrets.token_hex(5), name, role, secret[:8], self._clock(),
                           created_by)
        with self._db.transaction():
            if self._db.one("SELECT id FROM admin_tokens WHERE name = :name AND revoked IS NULL"
                            + self._db.dialect.lock_row, {"name": name}):
                raise ValueError(f"a live token is already named {name!r}; revoke it first")
            self._db.execute(
                "INSERT INTO admin_tokens (id, name, role, token_hash, prefix, created, "
                "created_by) VALUES (:id, :name, :role, :token_hash, :prefix, :created, "
                ":created_by)",
                {"id": token.id, "name": name, "role": role, "token_hash": hash_secret(secret),
                 "prefix": token.prefix, "created": token.created, "created_by": created_by})
        return token, secret

    def tokens(self) -> list[AdminToken]:
        """Every token, newest first."""
        rows = self._db.all("SELECT * FROM admin_tokens ORDER BY created DESC, id")
        return [_token(r) for r in rows]

    def token(self, token_id: str) -> AdminToken | None:
        """One live token by id, or None."""
        row = self._db.one("SELECT * FROM admin_tokens WHERE id = :id AND revoked IS NULL",
                           {"id": token_id})
        return _token(row) if row else None

    def revoke_token(self, id_or_name: str) -> AdminToken | None:
        """Revoke a live token, named by id or name; the revoked token, or None."""
        with self._db.transaction():
            row = self._db.one("SELECT * FROM admin_tokens WHERE (id = :key OR name = :key) "
                               "AND revoked IS NULL" + self._db.dialect.lock_row,
                               {"key": id_or_name})
            if row is None:
                return None
            now = self._clock()
            self._db.execute("UPDATE admin_tokens SET revoked = :now WHERE id = :id",
                             {"now": now, "id": row["id"]})
        return _token({**row, "revoked": now})

    def verify(self, secret: str) -> AdminToken | None:
        """The live token with this secret, or None."""
        row = self._db.one("SELECT * FROM admin_tokens WHERE token_hash = :token_hash AND "
                           "revoked IS NULL", {"token_hash": hash_secret(secret)})
        return _token(row) if row else None

    # audit --------------------------------------------------------------------------------

    def record(self, *, actor: str, role: str, action: str, target: str = "",
               args: dict[str, Any] | None = None, outcome: str = "ok") -> AuditEntry:
        """Append one admin action to the audit log."""
        entry = AuditEntry("au-" + secrets.token_hex(8), self._clock(), actor, role, action,
                           target, summarise(args or {}), outcome)
        self._db.execute(
            "INSERT INTO audit_log (id, ts, actor, role, action, target, args, outcome) "
            "VALUES (:id, :ts, :actor, :role, :action, :target, :args, :outcome)",
            {"id": entry.id, "ts": entry.ts, "actor": actor, "role": role, "action": action,
             "target": target, "args": entry.args, "outcome": outcome})
        return entry

    def audit(self, *, limit: int = 100, actor: str | None = None,
              action: str | None = None) -> list[AuditEntry]:
        """The newest entries first, optionally for one actor or one action."""
        sql, params = "SELECT * FROM audit_log WHERE 1 = 1", dict[str, Any](limit=limit)
        if actor:
            sql, params = sql + " AND actor = :actor", {**params, "actor": actor}
        if action:
            sql, params = sql + " AND action = :action", {**params, "action": action}
        rows = self._db.all(sql + " ORDER BY ts DESC, id DESC LIMIT :limit", params)
        return [AuditEntry(r["id"], r["ts"], r["actor"], r["role"], r["action"], r["target"],
                           r["args"], r["outcome"]) for r in rows]


def summarise(args: dict[str, Any]) -> str:
    """An action's arguments as short JSON for the audit log (secrets are never passed in)."""
    text = json.dumps(args, sort_keys=True, default=str, separators=(",", ":"))
    return text if len(text) <= ARGS_MAX else text[:ARGS_MAX - 1] + "…"


def _token(row: Row) -> AdminToken:
    return AdminToken(id=row["id"], name=row["name"], role=row["role"], prefix=row["prefix"],
                      created=row["created"], created_by=row["created_by"] or "",
                      revoked=row["revoked"])
