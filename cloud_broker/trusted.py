"""Secrets checked against the database a moment ago, trusted for a few seconds more.

A gateway's credential is checked on every call it makes and an API key on every ``/v1``
request; reading the database each time costs a round trip and a thread hop. ``Trusted``
remembers what a digest proved to be for ``ttl_s`` seconds. Forgetting is the other half:
whoever revokes or changes a secret calls ``forget`` here and publishes a notice, so every
replica forgets at once (PostgreSQL's NOTIFY); the TTL only bounds how long a replica whose
listening connection is down keeps trusting. A check that raced a ``forget`` is not
remembered, so a revocation is never undone by a read that started before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from cachetools import TTLCache

T = TypeVar("T")

TRUST_TTL_S = 5.0  # how long a checked secret is trusted without reading the database
_MAX_TRUSTED = 4096  # secrets remembered at once; past it, the oldest go first


class Trusted(Generic[T]):
    """What each recently checked digest proved to be (thread-safe)."""

    def __init__(self, ttl_s: float = TRUST_TTL_S, *, maxsize: int = _MAX_TRUSTED,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._known: TTLCache[str, T] = TTLCache(maxsize=maxsize, ttl=max(ttl_s, 1e-9),
                                                  timer=clock)
        self._enabled = ttl_s > 0
        self._forgotten = 0  # counts `forget` calls: a check that raced one is not kept

    def get(self, digest: str) -> tuple[T | None, int]:
        """What ``digest`` proved to be, if still trusted; and a mark to pass to ``keep``."""
        with self._lock:
            return self._known.get(digest), self._forgotten

    def keep(self, digest: str, value: T, mark: int) -> None:
        """Trust ``value`` for ``digest``, unless something was forgotten since ``mark``."""
        with self._lock:
            if self._enabled and mark == self._forgotten:
                self._known[digest] = value

    def forget(self, _notice: str | None = None) -> None:
        """Trust nothing remembered so far (a secret was revoked or changed somewhere)."""
        with self._lock:
            self._forgotten += 1
            self._known.clear()
