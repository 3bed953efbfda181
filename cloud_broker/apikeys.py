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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cachetools import TTLCache

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
        # digest -> key, for live keys checked within the last ``cache_ttl_s`` seconds
        self._live: TTLCache[str, ApiKey] = TTLCache(
            maxsize=_MAX_CACHED, ttl=max(cache_ttl_s, 1e-9), timer=clock)
        self._caching = cache_ttl_s > 0

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
        with self._lock:
            if (hit := self._live.get(digest)) is not None:
                return hit
            row = self._db.execute(
                "SELECT id, name, prefix, created, revoked, hash FROM api_keys WHERE hash = ?",
                (digest,),
            ).fetchone()
            if row is None or row[4] is not None or not hmac.compare_digest(row[5], digest):
                return None
            key = ApiKey(*row[:5])
            if self._caching:
                self._live[digest] = key
        return key

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
