"""API keys for the OpenAI-compatible endpoint: only a hash of each key is stored.

Keys are 256-bit random strings, so a plain SHA-256 is enough to make a stolen database
useless; a slow password hash would only slow every request down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
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

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

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
        return cursor.rowcount == 1

    def verify(self, plaintext: str) -> ApiKey | None:
        """The live key with this plaintext, or None."""
        digest = _digest(plaintext)
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, prefix, created, revoked, hash FROM api_keys WHERE hash = ?",
                (digest,),
            ).fetchone()
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], digest):
            return None
        return ApiKey(*row[:5])

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
