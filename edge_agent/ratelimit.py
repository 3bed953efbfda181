"""Requests per requester: a token bucket for each reply route, with a bounded number of routes.

MQTT does not say which client published a message, so a requester is known by where it wants
its answers (the MQTT 5 response topic or the ``reply_to`` field). A bucket holds up to a
minute's worth of requests and refills at ``per_minute / 60`` a second; the least recently
seen routes are forgotten first when there are too many to remember.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Bucket:
    tokens: float
    at: float


class RequesterLimit:
    """Allows each requester ``per_minute`` requests a minute, in bursts up to that many."""

    def __init__(self, per_minute: int, *, max_requesters: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._capacity = float(max(per_minute, 1))
        self._rate = per_minute / 60.0
        self._max = max_requesters
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.refused = 0

    def __len__(self) -> int:
        """How many requesters are remembered now."""
        return len(self._buckets)

    def allow(self, requester: str) -> bool:
        """Take one request from this requester's bucket; False when it is empty."""
        if self.per_minute <= 0:  # 0 turns the limit off
            return True
        now = self._clock()
        bucket = self._buckets.pop(requester, None) or _Bucket(self._capacity, now)
        tokens = min(self._capacity, bucket.tokens + (now - bucket.at) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[requester] = _Bucket(tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        if not allowed:
            self.refused += 1
        return allowed
