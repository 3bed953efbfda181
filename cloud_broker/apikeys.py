"""API keys for the OpenAI-compatible endpoint: only a hash of each key is stored.

Keys are 256-bit random strings, so a plain SHA-256 is enough to make a stolen database
useless; a slow password hash would only slow every request down.

A live key, once checked, is remembered for ``KEY_CACHE_TTL_S`` seconds, so a request does not
read the database. Revoking a key through this store forgets every remembered key at once; a
key revoked by another process writing the same file stops working within the TTL, which is
why it is short.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud_broker.admin.auth import Guard

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created REAL NOT NULL,
    revoked REAL
);
"""
KEY_CACHE_TTL_S = 5.0  # how long a checked live key is trusted without reading the database
_MAX_CACHED = 4096  # live keys remembered at once; past it, the memory starts over


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


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class SqliteApiKeyStore:
    """An `ApiKeyStore` in one SQLite file."""

    def __init__(self, path: Path | str, *, cache_ttl_s: float = KEY_CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._ttl_s, self._clock = cache_ttl_s, clock
        self._live: dict[str, tuple[float, ApiKey]] = {}  # digest -> (checked at, key)

    def create(self, name: str) -> tuple[ApiKey, str]:
        """Make a key; return it and its plaintext, which is shown this once."""
        plaintext = "ng-" + secrets.token_urlsafe(32)
        key = ApiKey(secrets.token_hex(6), name, plaintext[:7], time.time())
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (id, name, hash, prefix, created) VALUES (?,?,?,?,?)",
                (key.id, key.name, _digest(plaintext), key.prefix, key.created),
            )
        return key, plaintext

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, prefix, created, revoked FROM api_keys ORDER BY created DESC"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False if there is no such live key."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                (time.time(), key_id),
            )
            self._live.clear()  # which digest the id had is not known here: forget them all
        return cursor.rowcount == 1

    def verify(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext, or None (live keys are remembered a few seconds)."""
        digest = _digest(plaintext)
        now = self._clock()
        hit = self._live.get(digest)
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, prefix, created, revoked, hash FROM api_keys WHERE hash = ?",
                (digest,),
            ).fetchone()
            if row is None or row[4] is not None or not hmac.compare_digest(row[5], digest):
                self._live.pop(digest, None)
                return None
            if len(self._live) >= _MAX_CACHED:
                self._live.clear()
            key = ApiKey(*row[:5])
            if self._ttl_s > 0:
                self._live[digest] = (now, key)
        return key

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


class KeyBody(BaseModel):
    """A request for a new API key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)


def apikey_admin_routes(keys: ApiKeyStore, guard: Guard) -> APIRouter:
    """`/api/keys` routes for the `cloud-broker keys` CLI: admins only, audited."""
    admin = guard.require("admin")
    api = APIRouter(prefix="/api/keys")

    @api.post("", dependencies=[Depends(admin)])
    def create_key(body: KeyBody, request: Request) -> dict[str, Any]:
        with guard.audited(request, "api_key.created", body.name):
            key, plaintext = keys.create(body.name)
        return {**asdict(key), "key": plaintext}

    @api.get("", dependencies=[Depends(admin)])
    def list_keys() -> list[dict[str, Any]]:
        return [asdict(k) for k in keys.list()]

    @api.post("/{key_id}/revoke", dependencies=[Depends(admin)])
    def revoke_key(key_id: str, request: Request) -> dict[str, str]:
        with guard.audited(request, "api_key.revoked", key_id):
            if not keys.revoke(key_id):
                raise HTTPException(404, f"no live API key {key_id!r}")
        return {"revoked": key_id}

    return api
