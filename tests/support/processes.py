"""Running nanogate as a user does, for tests: daemons, an MQTT requester, waits on conditions.

The parts live in ``simulations.harness`` (the demo and simulations use them too).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from simulations.harness import (
    Daemon,
    MqttProbe,
    correlation,
    free_port,
    wait_for_port,
    wait_until,
    write_toml,
)

__all__ = ["Daemon", "MqttProbe", "correlation", "free_port", "replies", "wait_for_port",
           "wait_until", "write_toml"]


def replies(probe: MqttProbe, n: int, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
    """Yield the next n JSON replies."""
    deadline = time.monotonic() + timeout
    for _ in range(n):
        yield probe.json(max(0.1, deadline - time.monotonic()))
