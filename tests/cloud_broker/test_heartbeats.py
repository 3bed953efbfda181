"""Heartbeats written in batches: each caller still gets its own gateway's figures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from cloud_broker.fleet import SqlFleetStore
from cloud_broker.fleet.store import Heartbeat
from cloud_broker.link.heartbeats import Heartbeats


def _enrol(store: SqlFleetStore, n: int) -> list[str]:
    token = store.create_enrol_token(site="lab", tags=[], reusable=True)
    return [store.enrol(token, f"gw-{i}", "")[0].id for i in range(n)]


def test_concurrent_heartbeats_share_writes_and_each_hears_its_own_commands(
        store: SqlFleetStore) -> None:
    """Fifty gateways at once: fewer writes than heartbeats, every heartbeat stored, and each
    gateway told how many commands wait for it, not for another."""
    ids = _enrol(store, 50)
    for i, device_id in enumerate(ids):
        for _ in range(i % 3):
            store.add_command(device_id, "ping", "{}", ttl_s=600)
    batches: list[int] = []

    async def write(beats: Sequence[Heartbeat]) -> dict[str, int]:
        batches.append(len(beats))
        return await asyncio.to_thread(store.heartbeats, beats)

    async def run() -> list[int]:
        heartbeats = Heartbeats(write)
        return await asyncio.gather(*(heartbeats.record(d, {"agent": "9.9"}, {"requests": i})
                                      for i, d in enumerate(ids)))

    pending = asyncio.run(run())
    assert pending == [i % 3 for i in range(50)]
    assert sum(batches) == 50 and len(batches) < 50
    for i, device_id in enumerate(ids):
        gateway = store.gateway(device_id)
        assert gateway is not None and gateway.agent_version == "9.9"
        assert gateway.health["requests"] == i and gateway.last_seen is not None


def test_a_failed_write_reaches_every_caller_and_the_next_batch_is_written(
        store: SqlFleetStore) -> None:
    """The store failing answers each waiting heartbeat with the error; later ones go on."""
    ids = _enrol(store, 2)
    fail = [True]

    async def write(beats: Sequence[Heartbeat]) -> dict[str, int]:
        if fail.pop() if fail else False:
            raise ConnectionError("database down")
        return await asyncio.to_thread(store.heartbeats, beats)

    async def run() -> int:
        heartbeats = Heartbeats(write)
        with pytest.raises(ConnectionError, match="database down"):
            await heartbeats.record(ids[0], {}, {})
        return await heartbeats.record(ids[1], {}, {})

    assert asyncio.run(run()) == 0
    gateway = store.gateway(ids[1])
    assert gateway is not None and gateway.last_seen is not None


def test_no_heartbeats_write_nothing(store: SqlFleetStore) -> None:
    """An empty batch is no statement at all."""
    assert store.heartbeats([]) == {}
