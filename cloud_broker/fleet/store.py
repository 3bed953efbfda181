"""The fleet store: gateways, credentials, enrolment tokens, escalations, uploads, commands.

All fleet state lives here, so any broker replica can serve any gateway. The behaviour is
written once, in ``SqlFleetStore``, over a ``Database`` seam (SQLAlchemy Core, pooled);
``SqliteFleetStore`` (the default) and ``PostgresFleetStore`` differ only in how they connect.
The tables are Alembic revisions (``cloud_broker.fleet.migrations``), applied on opening.
Every method blocks on the database: async callers run them with ``Database.run``.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cloud_broker.errors import Unauthenticated
from cloud_broker.fleet.claims import DEFAULT_LEASE_S, EscalationClaims, Lease
from cloud_broker.fleet.claims import Clock as Clock  # re-exported for the fleet's modules
from cloud_broker.fleet.claims import EscalationRecord as EscalationRecord
from cloud_broker.fleet.commands import REDELIVER_AFTER_S as REDELIVER_AFTER_S
from cloud_broker.fleet.commands import TAKEABLE, CommandRecord, GatewayCommands
from cloud_broker.fleet.database import Database, Row, sqlite_database
from cloud_broker.fleet.enrolment import (
    EnrolTokens,
    check_reenrol,
    chosen_id,
    enrolled_site,
    hash_secret,
)
from cloud_broker.fleet.schema import migrate
from cloud_broker.trusted import Trusted

_HEARTBEAT = ("UPDATE gateways SET last_seen = :now, agent_version = :agent, "
              "model_version = :model, config_version = :config, health = :health "
              "WHERE id = :id")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One gateway's heartbeat: the versions it runs and its health figures."""

    device_id: str
    versions: dict[str, str]
    health: dict[str, Any]


# Notices on this channel (payload: a device id) say a gateway's identity changed (revoked,
# rotated, re-enrolled): every replica forgets the credentials it trusted.
IDENTITIES = "nanogate_identities"


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


class FleetStore(Protocol):
    """What the broker needs from its database."""

    @property
    def db(self) -> Database:
        """The connection, for the fleet's other tables (artefacts, rollouts)."""
        ...

    def now(self) -> float:
        """The store's clock (wall-clock seconds)."""
        ...

    @property
    def enrol_tokens(self) -> EnrolTokens:
        """Enrolment tokens: sync with the config, list, revoke."""
        ...

    def create_enrol_token(self, *, site: str, tags: list[str], reusable: bool = False,
                           token: str | None = None, ttl_s: float | None = None,
                           device_id: str | None = None) -> str: ...
    def enrol(self, token: str, requested_id: str, site: str,
              credential: str = "") -> tuple[Gateway, str]: ...
    def authenticate(self, credential: str) -> Gateway: ...
    def trusted(self, credential: str) -> Gateway | None: ...
    def revoke(self, device_id: str) -> bool: ...
    def rotate(self, device_id: str) -> str: ...
    def heartbeat(self, device_id: str, versions: dict[str, str],
                  health: dict[str, Any]) -> None: ...
    def heartbeats(self, beats: Sequence[Heartbeat]) -> dict[str, int]: ...
    def gateways(self) -> list[Gateway]: ...
    def gateway(self, device_id: str) -> Gateway | None: ...
    def claim_escalation(self, key: str, device_id: str, *, owner: str = "",
                         lease_s: float = DEFAULT_LEASE_S) -> EscalationRecord | None: ...
    def lease_escalation(self, key: str, device_id: str, *, owner: str,
                         lease_s: float) -> Lease: ...
    def renew_escalation(self, key: str, owner: str, lease_s: float) -> bool: ...
    def finish_escalation(self, key: str, response: bytes, outcome: str) -> None: ...
    def release_escalation(self, key: str) -> None: ...
    def release_claims(self, replica_name: str, incarnation_id: str) -> int: ...
    async def wait_escalation(self, key: str, timeout: float) -> None: ...
    def escalation(self, key: str) -> EscalationRecord | None: ...
    def recent_escalations(self, device_id: str, limit: int = 20) -> list[EscalationRecord]: ...
    def store_uploads(self, device_id: str, items: list[dict[str, Any]]) -> list[str]: ...
    def add_command(self, device_id: str, name: str, args_json: str, ttl_s: float) -> str: ...
    def add_commands(self, device_ids: Sequence[str], name: str, args_json: str,
                     ttl_s: float) -> list[str]: ...
    def take_commands(self, device_id: str, limit: int) -> list[CommandRecord]: ...
    def ack_command(self, device_id: str, command_id: str, ok: bool, result_json: str) -> bool: ...
    def cancel_command(self, command_id: str) -> bool: ...
    def command(self, command_id: str) -> CommandRecord | None: ...
    def commands(self, device_id: str | None = None) -> list[CommandRecord]: ...
    def pending_commands(self, device_id: str) -> int: ...
    def publish(self, channel: str, payload: str = "") -> None: ...  # see database.Notices
    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None: ...
    def close(self) -> None: ...


class SqlFleetStore(EscalationClaims, GatewayCommands):
    """The fleet store's behaviour, once, over any ``Database``."""

    def __init__(self, db: Database, *, clock: Clock = time.time,
                 redeliver_after_s: float = REDELIVER_AFTER_S) -> None:
        self._db = db
        self._tokens = EnrolTokens(db)
        self._clock = clock
        self._redeliver_after_s = redeliver_after_s
        # credential hash -> gateway, checked a moment ago (forgotten on any identity change)
        self._known: Trusted[Gateway] = Trusted()
        migrate(db)

    @property
    def db(self) -> Database:
        """The connection, for the fleet's other tables (artefacts, rollouts)."""
        return self._db

    def now(self) -> float:
        """The store's clock (wall-clock seconds)."""
        return self._clock()

    @property
    def enrol_tokens(self) -> EnrolTokens:
        """Enrolment tokens: sync with the config, list, revoke."""
        return self._tokens

    def publish(self, channel: str, payload: str = "") -> None:
        """Tell replicas something changed: nothing to do on SQLite (one machine; other
        processes on the file rely on their short caches). PostgreSQL overrides this."""

    def subscribe(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Nothing arrives on SQLite (see ``publish``)."""

    # enrolment and identity ---------------------------------------------------------------

    def create_enrol_token(self, *, site: str, tags: list[str], reusable: bool = False,
                           token: str | None = None, ttl_s: float | None = None,
                           device_id: str | None = None) -> str:
        """Create an enrolment token (or register a given one); returns it in clear once.

        ``device_id`` binds the token to that one gateway id, which lets it re-enrol a known
        gateway (an operator's decision); reusable tokens expire (default 30 days).
        """
        return self.enrol_tokens.create(site=site, tags=tags, reusable=reusable, token=token,
                                        ttl_s=ttl_s, device_id=device_id, now=self._clock())

    def enrol(self, token: str, requested_id: str, site: str,
              credential: str = "") -> tuple[Gateway, str]:
        """Use a token to enrol a gateway; returns it and its new credential.

        A known gateway id enrols again only with a token bound to it or with its current
        ``credential``; a revoked one never does (see ``cloud_broker.fleet.enrolment``).
        """
        now = self._clock()
        new_credential = f"ngc_{secrets.token_urlsafe(32)}"
        with self._db.transaction():
            # The row lock makes a second replica using the same token wait, then see it used.
            row = self.enrol_tokens.take(token, now)
            device_id = chosen_id(row, requested_id)
            gateway_site = enrolled_site(row, site)
            self._file_gateway(row, device_id, gateway_site, new_credential, credential, now)
            if not row["reusable"]:
                self._db.execute("UPDATE enrol_tokens SET used_by = :device_id, used_at = :now "
                                 "WHERE token_hash = :token_hash",
                                 {"device_id": device_id, "now": now,
                                  "token_hash": row["token_hash"]})
        gateway = self.gateway(device_id)
        assert gateway is not None
        return gateway, new_credential

    def _file_gateway(self, token: Row, device_id: str, site: str, new_credential: str,
                      credential: str, now: float) -> None:
        existing = self._db.one("SELECT * FROM gateways WHERE id = :id"
                                + self._db.dialect.lock_row, {"id": device_id})
        if existing is not None:
            check_reenrol(token, existing, credential)
            self._db.execute("UPDATE gateways SET site = :site, tags = :tags, "
                             "credential_hash = :credential_hash WHERE id = :id AND revoked = 0",
                             {"site": site, "tags": token["tags"],
                              "credential_hash": hash_secret(new_credential), "id": device_id})
            self._identity_changed(device_id)
            return
        inserted = self._db.execute(
            "INSERT INTO gateways (id, site, tags, credential_hash, enrolled_at) "
            "VALUES (:id, :site, :tags, :credential_hash, :now) ON CONFLICT (id) DO NOTHING",
            {"id": device_id, "site": site, "tags": token["tags"],
             "credential_hash": hash_secret(new_credential), "now": now})
        if inserted != 1:  # another replica enrolled this id a moment ago
            raise Unauthenticated(f"gateway {device_id!r} is already enrolled")

    def authenticate(self, credential: str) -> Gateway:
        """The gateway a credential belongs to; Unauthenticated if none or revoked (a
        credential checked a moment ago is trusted without reading the database again)."""
        digest = hash_secret(credential)
        known, mark = self._known.get(digest)
        if known is not None:
            return known
        row = self._db.one("SELECT * FROM gateways WHERE credential_hash = :credential_hash",
                           {"credential_hash": digest})
        if row is None:
            raise Unauthenticated("unknown credential; enrol the gateway again")
        if row["revoked"]:
            raise Unauthenticated(f"the credential of {row['id']} was revoked")
        gateway = _gateway(row)
        self._known.keep(digest, gateway, mark)
        return gateway

    def trusted(self, credential: str) -> Gateway | None:
        """The gateway a credential proved to be a moment ago, without reading the database
        (None: not checked lately; ``authenticate`` it)."""
        return self._known.get(hash_secret(credential))[0]

    def revoke(self, device_id: str) -> bool:
        """Revoke a gateway's credential at once, on every replica."""
        revoked = self._db.execute("UPDATE gateways SET revoked = 1 WHERE id = :id",
                                   {"id": device_id}) > 0
        self._identity_changed(device_id)
        return revoked

    def rotate(self, device_id: str) -> str:
        """Issue a new credential for a gateway; the old one stops working."""
        credential = f"ngc_{secrets.token_urlsafe(32)}"
        changed = self._db.execute("UPDATE gateways SET credential_hash = :credential_hash, "
                                   "revoked = 0 WHERE id = :id",
                                   {"credential_hash": hash_secret(credential), "id": device_id})
        self._identity_changed(device_id)
        if changed == 0:
            raise KeyError(device_id)
        return credential

    def _identity_changed(self, device_id: str) -> None:
        """Forget checked credentials here, and tell the other replicas to (``IDENTITIES``)."""
        self._known.forget()
        self.publish(IDENTITIES, device_id)

    # registry -----------------------------------------------------------------------------

    def heartbeat(self, device_id: str, versions: dict[str, str], health: dict[str, Any]) -> None:
        """Record a heartbeat: last seen, versions and health."""
        self._db.execute(_HEARTBEAT, self._heartbeat_row(Heartbeat(device_id, versions, health)))

    def heartbeats(self, beats: Sequence[Heartbeat]) -> dict[str, int]:
        """Record many heartbeats in one transaction; returns how many commands wait for each
        gateway that has any (the link's batches: see ``cloud_broker.link.heartbeats``)."""
        if not beats:
            return {}
        now = self._clock()
        with self._db.transaction():
            self._db.many(_HEARTBEAT, [self._heartbeat_row(b) for b in beats])
            rows = self._db.all(
                "SELECT device_id, COUNT(*) AS n FROM commands WHERE device_id IN :ids AND "
                + TAKEABLE + " GROUP BY device_id",
                {"ids": sorted({b.device_id for b in beats}), "now": now,
                 "redeliver_before": now - self._redeliver_after_s}, expanding=("ids",))
        return {str(r["device_id"]): int(r["n"]) for r in rows}

    def _heartbeat_row(self, beat: Heartbeat) -> dict[str, Any]:
        versions = beat.versions
        return {"now": self._clock(), "agent": versions.get("agent", ""),
                "model": versions.get("model", ""), "config": versions.get("config", ""),
                "health": json.dumps(beat.health), "id": beat.device_id}

    def gateways(self) -> list[Gateway]:
        """Every gateway, by id."""
        return [_gateway(r) for r in self._db.all("SELECT * FROM gateways ORDER BY id")]

    def gateway(self, device_id: str) -> Gateway | None:
        """One gateway, or None."""
        row = self._db.one("SELECT * FROM gateways WHERE id = :id", {"id": device_id})
        return _gateway(row) if row else None

    # escalations: answered once, charged once (claims: EscalationClaims) -------------

    def recent_escalations(self, device_id: str, limit: int = 20) -> list[EscalationRecord]:
        """A gateway's newest escalations, without their stored answers."""
        rows = self._db.all("SELECT key, device_id, state, outcome, created, finished "
                            "FROM escalations WHERE device_id = :device_id "
                            "ORDER BY created DESC LIMIT :limit",
                            {"device_id": device_id, "limit": limit})
        return [EscalationRecord(r["key"], r["device_id"], r["state"], b"", r["created"],
                                 r["outcome"] or "", r["finished"]) for r in rows]

    # uploads ------------------------------------------------------------------------------

    def store_uploads(self, device_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Store uploaded items once each; returns every key now stored (new or seen).

        An item whose creation time is not a finite number (NaN, infinite) is stored with the
        time it was received: one bad clock reading must not sink the rest of its batch.
        """
        now = self._clock()
        self._db.many(
            "INSERT INTO uploads (key, device_id, kind, stream, payload, created, received) "
            "VALUES (:key, :device_id, :kind, :stream, :payload, :created, :received) "
            "ON CONFLICT (key) DO NOTHING",
            [{"key": i["key"], "device_id": device_id, "kind": i["kind"], "stream": i["stream"],
              "payload": i["payload"],
              "created": i["created"] if math.isfinite(i["created"]) else now, "received": now}
             for i in items])
        return [i["key"] for i in items]

    def close(self) -> None:
        """Close the database."""
        self._db.close()


class SqliteFleetStore(SqlFleetStore):
    """The fleet store in one SQLite file (WAL)."""

    def __init__(self, path: Path, *, clock: Clock = time.time,
                 redeliver_after_s: float = REDELIVER_AFTER_S) -> None:
        super().__init__(sqlite_database(path), clock=clock,
                         redeliver_after_s=redeliver_after_s)


def _gateway(row: Row) -> Gateway:
    return Gateway(
        id=row["id"], site=row["site"], tags=tuple(json.loads(row["tags"])),
        enrolled_at=row["enrolled_at"], last_seen=row["last_seen"],
        agent_version=row["agent_version"] or "", model_version=row["model_version"] or "",
        config_version=row["config_version"] or "", health=json.loads(row["health"] or "{}"),
        revoked=bool(row["revoked"]))
