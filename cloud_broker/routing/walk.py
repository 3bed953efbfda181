"""One request's walk along the backend chain, shared by the router's plain and streaming paths:
which backend to try next, how often, within what time, and what each one said when it failed.

An attempt starts only while the caller's deadline leaves time for it and the backend's circuit
breaker lets it through; each backend is tried ``1 + retries`` times unless retrying it is
futile (it refused the request itself, was rate-limited or timed out). When no backend answers,
the error says why: ``ModelsStarting`` when a local model was (re)starting, ``RequestRejected``
when every backend the walk came to refused the request itself, else ``NoBackendAvailable``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence

from cloud_broker.backends import Backend
from cloud_broker.errors import (
    BackendRejected,
    BackendStarting,
    ModelsStarting,
    NoBackendAvailable,
    RequestRejected,
)
from cloud_broker.routing.breaker import CircuitBreaker
from cloud_broker.routing.policy import RoutingPolicy

# Accounts a failed attempt (ledger, breaker, log); says whether retrying the backend makes sense.
Failed = Callable[[Backend, Exception, float, float, list[str]], Awaitable[bool]]


class Walk:
    """Attempts along ``chain`` for one request, and the error when none answered."""

    def __init__(self, chain: Sequence[Backend], failed: Failed, *,
                 breakers: Mapping[str, CircuitBreaker], policy: RoutingPolicy,
                 clock: Callable[[], float], deadline: float, key: str) -> None:
        self._chain, self._failed, self._breakers = chain, failed, breakers
        self._policy, self._clock, self._deadline, self._key = policy, clock, deadline, key
        self.said: list[str] = []
        self._starting = False  # a local model's worker was still starting
        self._rejected: list[str] = []  # the codes of backends that refused the request itself
        self._give_up_backend = False

    def attempts(self) -> Iterator[tuple[Backend, float]]:
        """(backend, timeout) for each attempt the policy, breakers and deadline allow."""
        for backend in self._chain:
            self._give_up_backend = False
            for _attempt in range(1 + self._policy.retries):
                timeout = self._admit(backend)
                if timeout is None:
                    break
                yield backend, timeout
                if self._give_up_backend:
                    break

    async def failed(self, backend: Backend, exc: Exception, started: float,
                     timeout: float) -> None:
        """Account a failed attempt; the walk moves on when retrying this backend is futile."""
        self._starting |= isinstance(exc, BackendStarting)
        if isinstance(exc, BackendRejected):
            self._rejected.append(exc.code)
        retry = await self._failed(backend, exc, started, timeout, self.said)
        self._give_up_backend = not retry

    def nobody(self) -> NoBackendAvailable:
        """The error for a request no backend answered."""
        tried = "; ".join(self.said) or "no backend in the chain"
        if self._rejected and len(self._rejected) == len(self.said):
            return RequestRejected(f"the request was refused: {tried}", self._rejected[-1])
        message = f"no backend could answer {self._key or 'the request'}: {tried}"
        return ModelsStarting(message) if self._starting else NoBackendAvailable(message)

    def _admit(self, backend: Backend) -> float | None:
        """The timeout for an attempt, or None (with the reason noted) if none may start."""
        remaining = self._deadline - self._clock()
        if remaining < max(self._policy.min_attempt_s, 1e-3):
            self.said.append(f"{backend.name}: not tried, deadline reached")
            return None
        breaker = self._breakers[backend.name]
        if not breaker.allow():
            self.said.append(f"{backend.name}: circuit open, retry in {breaker.retry_in():.0f}s")
            return None
        return min(backend.timeout_s, remaining)
