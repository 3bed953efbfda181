"""The link never waits for the database on the event loop: a heartbeat whose write waits
behind another replica's transaction leaves the loop free, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

from cloud_broker.link.core import LinkCore
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer
from tests.support.fleet import Clock, OpenStore

HOLD_LIMIT_S = 30.0  # the holder gives up after this, so a blocked loop fails, never hangs


def test_heartbeat_waiting_on_a_lock_leaves_the_loop_free(open_store: OpenStore,
                                                          clock: Clock) -> None:
    """While a heartbeat waits for a row another replica holds, other coroutines run: here
    the one that lets the other replica commit, after which the heartbeat is stored."""
    store, other = open_store(), open_store()
    token = store.create_enrol_token(site="lab", tags=[])
    gateway, _ = store.enrol(token, "gw-1", "")
    core = LinkCore(store, CountingAnswerer())
    held, release = threading.Event(), threading.Event()

    def hold_gateway_row() -> None:  # a slow store call in another thread, another replica
        with other.db.transaction():
            other.db.one("SELECT * FROM gateways WHERE id = :id" + other.db.dialect.lock_row,
                         {"id": "gw-1"})
            other.db.execute("UPDATE gateways SET site = 'lab' WHERE id = :id", {"id": "gw-1"})
            held.set()
            release.wait(HOLD_LIMIT_S)

    holder = threading.Thread(target=hold_gateway_row)
    holder.start()
    assert held.wait(HOLD_LIMIT_S)
    clock.advance(5)

    async def scenario() -> pb.HeartbeatResponse:
        beat = asyncio.create_task(core.heartbeat(gateway, pb.HeartbeatRequest(
            agent_version="2.0", health=pb.Health(requests=7))))
        await asyncio.sleep(0)  # one turn of the loop: the heartbeat starts
        running_beside = not beat.done()  # the loop came back here while it waits
        release.set()
        response = await beat
        assert running_beside
        return response

    try:
        response = asyncio.run(scenario())
    finally:
        release.set()
        holder.join()
    stored = store.gateway("gw-1")
    assert stored is not None and stored.agent_version == "2.0"
    assert stored.last_seen == clock.now and stored.health["requests"] == 7
    assert response.pending_commands == 0
