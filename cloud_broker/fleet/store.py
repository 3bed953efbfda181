"""The fleet store: gateways, credentials, enrolment tokens, escalations, uploads, commands.

All fleet state lives here, so any broker replica can serve any gateway. ``SqliteFleetStore``
is the default; a PostgreSQL store implements the same ``FleetStore`` Protocol.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cloud_broker.errors import Unauthenticated


@dataclass(frozen=True, slots=True)
class Gateway:
    """One enrolled gateway as the registry sees it."""

    id: str
    site: str
    tags: tuple[str, ...] = ()
    enrolled_at: float = 0.0
    last_seen: float | None = None
    agent_version: str = ""
    model_version: str = ""
    config_version: str = ""
    health: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """An escalation the broker answered (or is answering), keyed by idempotency key."""

    key: str
    device_id: str
    state: str  # "pending" | "done"
    response: bytes = b""  # serialised EscalateResponse once done
    created: float = 0.0


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command for a gateway and what became of it."""

    id: str
    device_id: str
    name: str
    args_json: str
    created: float
    expires_at: float
    state: str  # "pending" | "delivered" | "acked" | "expired"
    ok: bool | None = None
    result_json: str = ""


class FleetStore(Protocol):
    """What the broker needs from its database."""

    def create_enrol_token(self, *, site: str, tags: list[str], reusable: bool = False,
                           token: str | None = None, ttl_s: float | None = None) -> str: ...
    def enrol(self, token: str, requested_id: str, site: str) -> tuple[Gateway, str]: ...
    def authenticate(self, credential: str) -> Gateway: ...
    def revoke(self, device_id: str) -> bool: ...
    def rotate(self, device_id: str) -> str: ...
    def heartbeat(self, device_id: str, versions: dict[str, str],
                  health: dict[str, Any]) -> None: ...
    def gateways(self) -> list[Gateway]: ...
    def gateway(self, device_id: str) -> Gateway | None: ...
    def claim_escalation(self, key: str, device_id: str) -> EscalationRecord | None: ...
    def finish_escalation(self, key: str, response: bytes, outcome: str) -> None: ...
    def release_escalation(self, key: str) -> None: ...
    def escalation(self, key: str) -> EscalationRecord | None: ...
    def store_uploads(self, device_id: str, items: list[dict[str, Any]]) -> list[str]: ...
    def add_command(self, device_id: str, name: str, args_json: str, ttl_s: float) -> str: ...
    def take_commands(self, device_id: str, limit: int) -> list[CommandRecord]: ...
    def ack_command(self, device_id: str, command_id: str, ok: bool, result_json: str) -> bool: ...
    def commands(self, device_id: str | None = None) -> list[CommandRecord]: ...
    def pending_commands(self, device_id: str) -> int: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS gateways (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
    credential_hash TEXT UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at REAL NOT NULL,
    last_seen REAL, agent_version TEXT DEFAULT '', model_version TEXT DEFAULT '',
    config_version TEXT DEFAULT '', health TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS enrol_tokens (
    token_hash TEXT PRIMARY KEY, site TEXT NOT NULL, tags TEXT NOT NULL, reusable INTEGER NOT NULL,
    created REAL NOT NULL, expires REAL, used_by TEXT, used_at REAL);
CREATE TABLE IF NOT EXISTS escalations (
    key TEXT PRIMARY KEY, device_id TEXT NOT NULL, state TEXT NOT NULL, response BLOB,
    outcome TEXT, created REAL NOT NULL, finished REAL);
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, stream TEXT NOT NULL,
    payload TEXT NOT NULL, created REAL NOT NULL, received REAL NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY, device_id TEXT NOT NULL, name TEXT NOT NULL, args_json TEXT NOT NULL,
    created REAL NOT NULL, expires_at REAL NOT NULL, state TEXT NOT NULL, ok INTEGER,
    result_json TEXT DEFAULT '', acked_at REAL);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device_id, state, created);
"""


def hash_secret(secret: str) -> str:
    """How secrets are stored: never in clear."""
    return hashlib.sha256(secret.encode()).hexdigest()


class SqliteFleetStore:
    """The fleet store in one SQLite file (WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                     timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    # enrolment and identity ---------------------------------------------------------------

    def create_enrol_token(self, *, site: str, tags: list[str], reusable: bool = False,
                           token: str | None = None, ttl_s: float | None = None) -> str:
        """Create an enrolment token (or register a given one); returns it in clear once."""
        token = token or "nge_" + secrets.token_urlsafe(24)
        now = time.time()
        self._conn.execute(
            "INSERT INTO enrol_tokens (token_hash, site, tags, reusable, created, expires) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO UPDATE SET "
            "site = excluded.site, tags = excluded.tags, reusable = excluded.reusable",
            (hash_secret(token), site, json.dumps(tags), int(reusable), now,
             now + ttl_s if ttl_s else None))
        return token

    def enrol(self, token: str, requested_id: str, site: str) -> tuple[Gateway, str]:
        """Use a token to enrol a gateway; returns it and its new credential."""
        now = time.time()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            row = self._conn.execute("SELECT * FROM enrol_tokens WHERE token_hash = ?",
                                     (hash_secret(token),)).fetchone()
            _check_token(row, now)
            device_id = requested_id or "gw-" + secrets.token_hex(4)
            credential = f"ngc_{secrets.token_urlsafe(32)}"
            tags = json.loads(row["tags"])
            self._conn.execute(
                "INSERT INTO gateways (id, site, tags, credential_hash, enrolled_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET site = excluded.site, "
                "tags = excluded.tags, credential_hash = excluded.credential_hash, revoked = 0",
                (device_id, row["site"] or site, json.dumps(tags), hash_secret(credential), now))
            if not row["reusable"]:
                self._conn.execute("UPDATE enrol_tokens SET used_by = ?, used_at = ? "
                                   "WHERE token_hash = ?", (device_id, now, row["token_hash"]))
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        gateway = self.gateway(device_id)
        assert gateway is not None
        return gateway, credential

    def authenticate(self, credential: str) -> Gateway:
        """The gateway a credential belongs to; Unauthenticated if none or revoked."""
        row = self._conn.execute("SELECT * FROM gateways WHERE credential_hash = ?",
                                 (hash_secret(credential),)).fetchone()
        if row is None:
            raise Unauthenticated("unknown credential; enrol the gateway again")
        if row["revoked"]:
            raise Unauthenticated(f"the credential of {row['id']} was revoked")
        return _gateway(row)

    def revoke(self, device_id: str) -> bool:
        """Revoke a gateway's credential at once."""
        cur = self._conn.execute("UPDATE gateways SET revoked = 1 WHERE id = ?", (device_id,))
        return cur.rowcount > 0

    def rotate(self, device_id: str) -> str:
        """Issue a new credential for a gateway; the old one stops working."""
        credential = f"ngc_{secrets.token_urlsafe(32)}"
        cur = self._conn.execute("UPDATE gateways SET credential_hash = ?, revoked = 0 "
                                 "WHERE id = ?", (hash_secret(credential), device_id))
        if cur.rowcount == 0:
            raise KeyError(device_id)
        return credential

    # registry -----------------------------------------------------------------------------

    def heartbeat(self, device_id: str, versions: dict[str, str], health: dict[str, Any]) -> None:
        """Record a heartbeat: last seen, versions and health."""
        self._conn.execute(
            "UPDATE gateways SET last_seen = ?, agent_version = ?, model_version = ?, "
            "config_version = ?, health = ? WHERE id = ?",
            (time.time(), versions.get("agent", ""), versions.get("model", ""),
             versions.get("config", ""), json.dumps(health), device_id))

    def gateways(self) -> list[Gateway]:
        """Every gateway, by id."""
        return [_gateway(r) for r in self._conn.execute("SELECT * FROM gateways ORDER BY id")]

    def gateway(self, device_id: str) -> Gateway | None:
        """One gateway, or None."""
        row = self._conn.execute("SELECT * FROM gateways WHERE id = ?", (device_id,)).fetchone()
        return _gateway(row) if row else None

    # escalations: answered once, charged once ---------------------------------------------

    def claim_escalation(self, key: str, device_id: str) -> EscalationRecord | None:
        """Claim a new key (None), or return the existing record for a replayed one."""
        cur = self._conn.execute(
            "INSERT INTO escalations (key, device_id, state, created) VALUES (?, ?, 'pending', ?) "
            "ON CONFLICT (key) DO NOTHING", (key, device_id, time.time()))
        if cur.rowcount == 1:
            return None
        return self.escalation(key)

    def finish_escalation(self, key: str, response: bytes, outcome: str) -> None:
        """Store the answer to a claimed key."""
        self._conn.execute("UPDATE escalations SET state = 'done', response = ?, outcome = ?, "
                           "finished = ? WHERE key = ?", (response, outcome, time.time(), key))

    def release_escalation(self, key: str) -> None:
        """Give up a claim (the answer failed), so a replay tries again."""
        self._conn.execute("DELETE FROM escalations WHERE key = ? AND state = 'pending'", (key,))

    def escalation(self, key: str) -> EscalationRecord | None:
        """The record for a key, or None."""
        row = self._conn.execute("SELECT * FROM escalations WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return EscalationRecord(row["key"], row["device_id"], row["state"],
                                bytes(row["response"] or b""), row["created"])

    # uploads ------------------------------------------------------------------------------

    def store_uploads(self, device_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Store uploaded items once each; returns every key now stored (new or seen)."""
        now = time.time()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(
                "INSERT INTO uploads (key, device_id, kind, stream, payload, created, received) "
                "VALUES (:key, :device_id, :kind, :stream, :payload, :created, :received) "
                "ON CONFLICT (key) DO NOTHING",
                [{**i, "device_id": device_id, "received": now} for i in items])
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        return [i["key"] for i in items]

    # commands -----------------------------------------------------------------------------

    def add_command(self, device_id: str, name: str, args_json: str, ttl_s: float) -> str:
        """Queue a command for a gateway; returns its id."""
        command_id = "cmd-" + secrets.token_hex(6)
        now = time.time()
        self._conn.execute(
            "INSERT INTO commands (id, device_id, name, args_json, created, expires_at, state) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
            (command_id, device_id, name, args_json, now, now + ttl_s))
        return command_id

    def take_commands(self, device_id: str, limit: int) -> list[CommandRecord]:
        """Pending, unexpired commands for a gateway, marked delivered."""
        now = time.time()
        self._conn.execute("UPDATE commands SET state = 'expired' WHERE state IN "
                           "('pending', 'delivered') AND expires_at < ?", (now,))
        rows = self._conn.execute(
            "SELECT * FROM commands WHERE device_id = ? AND state IN ('pending', 'delivered') "
            "ORDER BY created LIMIT ?", (device_id, limit)).fetchall()
        self._conn.executemany("UPDATE commands SET state = 'delivered' WHERE id = ?",
                               [(r["id"],) for r in rows])
        return [_command(r) for r in rows]

    def ack_command(self, device_id: str, command_id: str, ok: bool, result_json: str) -> bool:
        """Record a command's result; False if it is not this gateway's command."""
        cur = self._conn.execute(
            "UPDATE commands SET state = 'acked', ok = ?, result_json = ?, acked_at = ? "
            "WHERE id = ? AND device_id = ?",
            (int(ok), result_json, time.time(), command_id, device_id))
        return cur.rowcount > 0

    def commands(self, device_id: str | None = None) -> list[CommandRecord]:
        """Commands, newest first, for one gateway or all."""
        sql, params = "SELECT * FROM commands", []
        if device_id:
            sql += " WHERE device_id = ?"
            params.append(device_id)
        return [_command(r) for r in self._conn.execute(sql + " ORDER BY created DESC", params)]

    def pending_commands(self, device_id: str) -> int:
        """How many unexpired commands wait for a gateway."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM commands WHERE device_id = ? AND state IN "
            "('pending', 'delivered') AND expires_at >= ?", (device_id, time.time())).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database."""
        self._conn.close()


def _check_token(row: sqlite3.Row | None, now: float) -> None:
    if row is None:
        raise Unauthenticated("unknown enrolment token; ask an operator for a new one")
    if row["used_by"] and not row["reusable"]:
        raise Unauthenticated("this enrolment token was already used; tokens work once")
    if row["expires"] is not None and row["expires"] < now:
        raise Unauthenticated("this enrolment token has expired")


def _gateway(row: sqlite3.Row) -> Gateway:
    return Gateway(
        id=row["id"], site=row["site"], tags=tuple(json.loads(row["tags"])),
        enrolled_at=row["enrolled_at"], last_seen=row["last_seen"],
        agent_version=row["agent_version"] or "", model_version=row["model_version"] or "",
        config_version=row["config_version"] or "", health=json.loads(row["health"] or "{}"),
        revoked=bool(row["revoked"]))


def _command(row: sqlite3.Row) -> CommandRecord:
    return CommandRecord(
        id=row["id"], device_id=row["device_id"], name=row["name"], args_json=row["args_json"],
        created=row["created"], expires_at=row["expires_at"], state=row["state"],
        ok=None if row["ok"] is None else bool(row["ok"]), result_json=row["result_json"] or "")
