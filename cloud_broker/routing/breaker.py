"""A per-backend circuit breaker: open after N failures in a row, half-open after a cooldown."""

from __future__ import annotations

from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class CircuitBreaker:
    """Stops sending requests to a failing backend, then lets one probe through after a cooldown."""

    def __init__(
        self, name: str, *, failure_threshold: int, cooldown_s: float, clock: Callable[[], float]
    ) -> None:
        self.name = name
        self._threshold = failure_threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        """'closed', 'open' or 'half_open'."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self._cooldown_s else "open"

    def retry_in(self) -> float:
        """Seconds until the breaker lets a probe through (0 when it would now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown_s - self._clock())

    def allow(self) -> bool:
        """Whether a request may go to the backend now; half-open admits one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def succeeded(self) -> None:
        """Close the breaker after a good answer."""
        if self._opened_at is not None:
            log.info("breaker.closed", backend=self.name)
        self._failures, self._opened_at, self._probing = 0, None, False

    def excused(self) -> None:
        """An attempt that says nothing of the backend's health (it refused a bad request, or
        its model is starting): counts neither way, but frees a half-open probe's slot."""
        self._probing = False

    def failed(self) -> None:
        """Count a failure; open after the threshold, or at once when a probe fails."""
        self._failures += 1
        if self._probing or (self._opened_at is None and self._failures >= self._threshold):
            log.warning("breaker.opened", backend=self.name, failures=self._failures)
            self._opened_at = self._clock()
        self._probing = False
