"""What the gateway reports about itself in each heartbeat."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from nanogate.v1 import edge_pb2 as pb


def resident_mb() -> float:
    """This process's resident memory in MB (Linux), 0 where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class CpuMeter:
    """CPU use of this process since the previous reading, in percent of one core."""

    def __init__(self) -> None:
        self._last = (time.monotonic(), time.process_time())

    def percent(self) -> float:
        """CPU percent since the last call."""
        now = (time.monotonic(), time.process_time())
        wall, cpu = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        return 100.0 * cpu / wall if wall > 0 else 0.0


def health(*, data_dir: Path, cpu: CpuMeter, outbox_depth: int, requests: int, local: int,
           escalated: int, errors: int,
           models: list[pb.ModelCounters] | None = None) -> pb.Health:
    """A Health message from the gateway's counters and the operating system."""
    try:
        free = shutil.disk_usage(data_dir).free / 1e6
    except OSError:
        free = 0.0
    total = max(1, requests)
    return pb.Health(
        cpu_percent=cpu.percent(), memory_mb=resident_mb(), disk_free_mb=free,
        outbox_depth=outbox_depth, escalation_rate=escalated / total,
        local_answer_rate=local / total, errors=errors, requests=requests,
        restarts=int(os.environ.get("NANOGATE_RESTARTS", "0") or 0), models=models or [],
    )
