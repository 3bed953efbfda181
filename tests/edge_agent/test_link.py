"""The link's reconnect: how it probes a broker that does not answer."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

from edge_agent.config import CloudSection, GatewaySection
from edge_agent.errors import CloudUnavailable
from edge_agent.outbox import Outbox
from edge_agent.sync import Link
from edge_agent.sync.transport import Identity
from nanogate.v1 import edge_pb2 as pb

PROBES = 40


class DownTransport:
    """A Transport whose broker never answers; it records each probe's timeout."""

    def __init__(self) -> None:
        self.timeouts: list[float] = []
        self.enough = asyncio.Event()

    async def probe(self, *, timeout: float) -> bool:
        """Record how long the link would wait for the channel, and fail at once."""
        self.timeouts.append(timeout)
        if len(self.timeouts) >= PROBES:
            self.enough.set()
        await asyncio.sleep(0)
        return False

    async def _down(self, *args: Any, **kwargs: Any) -> Any:
        raise CloudUnavailable("nothing answers")

    enrol = heartbeat = escalate = upload = pull_commands = ack_command = _down
    fetch_artefact = _down

    def set_identity(self, identity: Identity) -> None:
        """Nothing to remember."""

    async def close(self) -> None:
        """Nothing to close."""


async def _never(*args: Any) -> Any:
    raise AssertionError("the broker is down: nothing should arrive")


async def test_reconnect_backs_off_from_0_2_to_2_s_with_jitter(tmp_path: Path) -> None:
    """While the broker is away the probe waits grow exponentially, 0.2 s to 2 s, jittered."""
    (tmp_path / "identity.json").write_text(json.dumps(
        {"device_id": "gw-b", "credential": "c", "site": "lab"}))
    outbox = Outbox(tmp_path / "outbox.db", max_items=100, max_bytes=10**6)
    transport = DownTransport()
    link = Link(transport, outbox, CloudSection(),
                GatewaySection(id="gw-b", site="lab", data_dir=tmp_path),
                on_answer=_never, on_command=_never, health=pb.HeartbeatRequest)
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(transport.enough.wait(), 30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        outbox.close()
    waits = transport.timeouts
    assert waits[0] == 0.2
    assert all(0.2 <= w <= 2.0 for w in waits), waits
    for before, after in itertools.pairwise(waits):  # doubling, jittered, capped
        assert after >= 0.8 * min(2.0, 2 * before) - 1e-9, waits
    assert max(waits) >= 1.6 and len({round(w, 6) for w in waits[-10:]}) > 1, waits
