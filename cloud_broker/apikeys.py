"""API keys for the OpenAI-compatible endpoint: only a hash of each key is stored.

Keys are 256-bit random strings, so a plain SHA-256 is enough to make a stolen database
useless; a slow password hash would only slow every request down.

Keys live in the fleet's database (table ``api_keys``), so every replica knows every key.
A live key, once checked, is remembered for ``KEY_CACHE_TTL_S`` seconds, so a request does not
read the database. Revoking a key forgets every remembered key at once, on this replica and,
through the database's notices (PostgreSQL's LISTEN/NOTIFY, ``Notices``), on every other: a
revoked key is refused everywhere as soon as the notice arrives (milliseconds). Without
notices (another process on the same SQLite file, or while the listening connection is down)
a revoked key stops working within the TTL, which is why it is short.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cloud_broker.fleet.database import Database, Notices, Row, sqlite_database
from cloud_broker.fleet.schema import migrate
from cloud_broker.trusted import TRUST_TTL_S, Trusted

CHANNEL = "nanogate_apikeys"  # a key was revoked: replicas forget the keys they remember
KEY_CACHE_TTL_S = TRUST_TTL_S  # how long a checked live key is trusted without the database


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as listed: never its secret."""

    id: str
    name: str
    prefix: str  # the first characters, to recognise a key
    created: float
    revoked: float | None = None


class ApiKeyStore(Protocol):
    """Where API keys live."""

    def create(self, name: str) -> tuple[ApiKey, str]:
        """Make a key; return it and its plaintext, which is shown this once."""
        ...

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        ...

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False if there is no such live key."""
        ...

    def verify(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext, or None."""
        ...

    def trusted(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext if it was checked a moment ago (no database
        read); None means ``verify`` it."""
        ...


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class SqlApiKeyStore:
    """An `ApiKeyStore` in the fleet's database, shared by every replica on it."""

    def __init__(self, db: Database, *, notices: Notices | None = None,
                 cache_ttl_s: float = KEY_CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._notices = notices
        self._live: Trusted[ApiKey] = Trusted(cache_ttl_s, clock=clock)  # by digest
        if notices is not None:
            notices.subscribe(CHANNEL, self._live.forget)

    def create(self, name: str) -> tuple[ApiKey, str]:
        """Make a key; return it and its plaintext, which is shown this once."""
        plaintext = "ng-" + secrets.token_urlsafe(32)
        key = ApiKey(secrets.token_hex(6), name, plaintext[:7], time.time())
        self._db.execute(
            "INSERT INTO api_keys (id, name, hash, prefix, created) VALUES "
            "(:id, :name, :hash, :prefix, :created)",
            {"id": key.id, "name": key.name, "hash": _digest(plaintext), "prefix": key.prefix,
             "created": key.created})
        return key, plaintext

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        rows = self._db.all("SELECT id, name, prefix, created, revoked FROM api_keys"
                            " ORDER BY created DESC")
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False if there is no such live key."""
        changed = self._db.execute(
            "UPDATE api_keys SET revoked = :now WHERE id = :id AND revoked IS NULL",
            {"now": time.time(), "id": key_id})
        self._live.forget()  # which digest the id had is not known here: forget them all
        if changed and self._notices is not None:
            self._notices.publish(CHANNEL, key_id)
        return changed == 1

    def trusted(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext if it was checked a moment ago, else None."""
        return self._live.get(_digest(plaintext))[0]

    def verify(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext, or None (live keys are remembered a few seconds)."""
        digest = _digest(plaintext)
        hit, mark = self._live.get(digest)
        if hit is not None:
            return hit
        row = self._db.one("SELECT id, name, prefix, created, revoked, hash FROM api_keys"
                           " WHERE hash = :digest", {"digest": digest})
        if row is None or row["revoked"] is not None or not hmac.compare_digest(
                row["hash"], digest):
            return None
        key = _key(row)
        self._live.keep(digest, key, mark)
        return key


class SqliteApiKeyStore(SqlApiKeyStore):
    """An `ApiKeyStore` on a SQLite file of its own (tests, benchmarks, tools)."""

    def __init__(self, path: Path | str, *, cache_ttl_s: float = KEY_CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        db = sqlite_database(Path(path))
        migrate(db)
        super().__init__(db, cache_ttl_s=cache_ttl_s, clock=clock)

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _key(row: Row) -> ApiKey:
    revoked = row["revoked"]
    return ApiKey(row["id"], row["name"], row["prefix"], float(row["created"]),
                  None if revoked is None else float(revoked))
