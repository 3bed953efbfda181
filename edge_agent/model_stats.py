"""Per triage model version: what it did with requests, for A/B tests (heartbeat ``models``)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from nanogate.v1 import edge_pb2 as pb

_LATENCIES = 1000  # the newest triage latencies kept per version, for p50 and p99
_VERSIONS = 4  # versions remembered: the running one and the few before it


@dataclass
class _Stats:
    requests: int = 0
    local_answers: int = 0
    escalations: int = 0
    clarifications: int = 0
    corrections: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=_LATENCIES))


class ModelStats:
    """Counters and triage latencies per model version, since this process started."""

    def __init__(self) -> None:
        self._by: dict[str, _Stats] = {}

    def record(self, version: str, *, local: bool, clarify: bool, latency_ms: float) -> None:
        """Count one triaged request."""
        stats = self._by.pop(version, None) or _Stats()
        self._by[version] = stats  # newest last, so the oldest version is dropped first
        while len(self._by) > _VERSIONS:
            del self._by[next(iter(self._by))]
        stats.requests += 1
        stats.local_answers += local
        stats.escalations += not local
        stats.clarifications += clarify
        stats.latencies.append(latency_ms)

    def correct(self, version: str) -> None:
        """Count a local answer of this version that its requester corrected (if it is still
        among the versions remembered)."""
        stats = self._by.get(version)
        if stats is not None:
            stats.corrections += 1

    def messages(self) -> list[pb.ModelCounters]:
        """One ``ModelCounters`` per version, for the heartbeat."""
        return [pb.ModelCounters(
            model_version=v, requests=s.requests, local_answers=s.local_answers,
            escalations=s.escalations, clarifications=s.clarifications,
            corrections=s.corrections, triage_p50_ms=_quantile(s.latencies, 0.5),
            triage_p99_ms=_quantile(s.latencies, 0.99)) for v, s in self._by.items()]


def _quantile(values: deque[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)
