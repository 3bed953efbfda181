"""The router's answer cache: identical escalations within a short window are answered once.

A TTL + LRU cache from cachetools; the key ignores timestamps, so a gateway asking the same
question about the same readings again gets the same answer without a model call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from cachetools import TTLCache

from cloud_broker.escalation import Answer, Escalation


class AnswerCache:
    """Answers to identical escalations, kept for ``ttl_s`` seconds (off when 0)."""

    def __init__(self, ttl_s: float, max_entries: int, clock: Callable[[], float]) -> None:
        self._items: TTLCache[str, Answer] | None = (
            TTLCache(maxsize=max(1, max_entries), ttl=ttl_s, timer=clock) if ttl_s > 0 else None)

    def get(self, key: str | None) -> Answer | None:
        if key is None or self._items is None:
            return None
        return self._items.get(key)

    def put(self, key: str | None, answer: Answer) -> None:
        if key is not None and self._items is not None:
            self._items[key] = answer


def cache_key(esc: Escalation) -> str:
    """Identical text, model and device context give the same key; timestamps do not count."""
    readings = sorted((r.device_id, r.kind, r.area, r.value, r.unit) for r in esc.context)
    parts = [" ".join(esc.text.lower().split()), esc.model, esc.max_tokens, readings]
    parts.append(sorted(esc.alerts))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
