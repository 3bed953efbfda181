"""The broker's MQTT uplink on the real Mosquitto, called by the edge's real MQTT transport."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloud_broker.config import MqttUplinkSection
from cloud_broker.fleet import (
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqliteFleetStore,
    load_or_create,
)
from cloud_broker.link.core import LinkCore
from cloud_broker.link.mqtt import MqttBridge
from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.sync import Identity, MqttTransport
from nanogate.mqtt import Connection
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer
from tests.support.logs import watching


@dataclass
class Uplink:
    """A bridge on a unique topic root, and a gateway enrolled through it."""

    root: str
    store: SqliteFleetStore
    answerer: CountingAnswerer
    artefacts: ArtefactStore
    bridge: MqttBridge
    transport: MqttTransport
    identity: Identity

    def gateway(self, identity: Identity | None = None) -> MqttTransport:
        """Another MQTT transport on the same root (with this identity, if given)."""
        transport = MqttTransport(_connection(), self.root)
        if identity is not None:
            transport.set_identity(identity)
        return transport


def _connection() -> Connection:
    return Connection(client_id=f"uplink-{uuid.uuid4().hex[:10]}")


async def _start(bridge: MqttBridge, tasks: list[asyncio.Task[None]]) -> None:
    tasks.append(asyncio.create_task(bridge.run()))
    await asyncio.wait_for(bridge.ready.wait(), 10)


@pytest.fixture
async def uplink(tmp_path: Path) -> AsyncIterator[Uplink]:
    """A bridge over a fleet store with one gateway enrolled over MQTT."""
    root = f"ngtest-{uuid.uuid4().hex[:10]}/cloud"
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok-1")
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now,
                              chunk_bytes=1000)
    answerer = CountingAnswerer()
    bridge = MqttBridge(LinkCore(store, answerer, artefacts),
                        MqttUplinkSection(enabled=True, topic_root=root))
    tasks: list[asyncio.Task[None]] = []
    await _start(bridge, tasks)
    transport = MqttTransport(_connection(), root)
    reply = await transport.enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-a"), timeout=5)
    identity = Identity(reply.device_id, reply.credential)
    transport.set_identity(identity)
    yield Uplink(root, store, answerer, artefacts, bridge, transport, identity)
    await transport.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    store.close()


def _escalation(key: str, text: str = "why?") -> pb.EscalateRequest:
    return pb.EscalateRequest(idempotency_key=key, request_id="r1", text=text)


async def test_enrolment_gives_an_identity_and_the_token_works_once(uplink: Uplink) -> None:
    """Enrolment over MQTT returns the identity; the one-time token is then spent."""
    assert uplink.identity.device_id == "gw-a"
    assert uplink.identity.credential.startswith("ngc_")
    with pytest.raises(CloudRejected, match="already used") as info:
        await uplink.gateway().enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-b"),
                                     timeout=5)
    assert info.value.code == "unauthenticated"


async def test_replayed_escalation_is_answered_once(uplink: Uplink) -> None:
    """The same idempotency key over MQTT returns the stored answer without routing again."""
    first = await uplink.transport.escalate(_escalation("k1"), timeout=5)
    second = await uplink.transport.escalate(_escalation("k1"), timeout=5)
    assert first.answer == second.answer == "answer to why?"
    assert (first.replayed, second.replayed) == (False, True)
    assert len(uplink.answerer.calls) == 1
    assert [a.device_id for a in second.actions] == ["pump-2"]


async def test_timeout_is_unavailable_and_the_retry_gets_the_answer(uplink: Uplink) -> None:
    """No reply in time is CloudUnavailable; the late answer is dropped, the retry replayed."""
    uplink.answerer.gate = asyncio.Event()
    with pytest.raises(CloudUnavailable, match="no reply"):
        await uplink.transport.escalate(_escalation("k2"), timeout=0.5)
    uplink.answerer.gate.set()
    retry = await uplink.transport.escalate(_escalation("k2"), timeout=5)
    assert retry.answer == "answer to why?"
    assert len(uplink.answerer.calls) == 1


async def test_wrong_credential_is_refused(uplink: Uplink) -> None:
    """A request with an unknown credential on the device's own subtree is unauthenticated."""
    stranger = uplink.gateway(Identity("gw-a", "ngc_forged"))
    with pytest.raises(CloudRejected) as info:
        await stranger.escalate(_escalation("k3"), timeout=5)
    assert info.value.code == "unauthenticated"
    assert uplink.answerer.calls == []
    await stranger.close()


async def test_revoked_gateway_is_refused_at_once(uplink: Uplink) -> None:
    """Revoking a gateway's credential stops its very next MQTT call."""
    uplink.store.revoke("gw-a")
    with pytest.raises(CloudRejected, match="revoked"):
        await uplink.transport.heartbeat(pb.HeartbeatRequest(), timeout=5)


async def test_another_devices_subtree_is_refused_without_answer(uplink: Uplink) -> None:
    """gw-a's credential on gw-b's subtree gets no answer and a link.refused log line."""
    uplink.store.create_enrol_token(site="lab", tags=[], token="tok-2")
    uplink.store.enrol("tok-2", "gw-b", "lab")
    uplink.store.add_command("gw-b", "ping", "{}", ttl_s=60)
    impostor = uplink.gateway(Identity("gw-b", uplink.identity.credential))
    with watching("link.refused") as watch:
        with pytest.raises(CloudUnavailable):  # no answer comes: the call times out
            await impostor.pull_commands(max_items=10, timeout=1)
        # The refusal is logged however late the loaded machine gets to it.
        assert await asyncio.to_thread(watch.seen.wait, 30)
    refused = [e for e in watch.entries if e["event"] == "link.refused"]
    assert len(refused) == 1
    assert "gw-a" in refused[0]["reason"] and "gw-b" in refused[0]["reason"]
    assert uplink.bridge.refused == 1
    assert [c.state for c in uplink.store.commands("gw-b")] == ["pending"]
    await impostor.close()


async def test_commands_reach_only_their_gateway(uplink: Uplink) -> None:
    """Over MQTT a gateway sees its own commands, acks them, and cannot ack another's."""
    mine = uplink.store.add_command("gw-a", "ping", "{}", ttl_s=60)
    uplink.store.create_enrol_token(site="lab", tags=[], token="tok-2")
    uplink.store.enrol("tok-2", "gw-b", "lab")
    theirs = uplink.store.add_command("gw-b", "ping", "{}", ttl_s=60)
    beat = await uplink.transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    assert beat.pending_commands == 1
    commands = await uplink.transport.pull_commands(max_items=10, timeout=5)
    assert [c.id for c in commands] == [mine]
    await uplink.transport.ack_command(pb.CommandAck(command_id=theirs, ok=True), timeout=5)
    await uplink.transport.ack_command(pb.CommandAck(command_id=mine, ok=True), timeout=5)
    states = {c.id: c.state for c in uplink.store.commands()}
    assert states == {mine: "acked", theirs: "pending"}


async def test_uploads_are_stored_once_per_key(uplink: Uplink) -> None:
    """Uploading the same items twice over MQTT stores each key once."""
    items = [pb.OutboxItem(idempotency_key=f"u{n}", kind="rollup", stream="t-1",
                           payload=b'{"n": 1}') for n in range(3)]
    for _ in range(2):
        reply = await uplink.transport.upload(pb.UploadRequest(items=items), timeout=5)
        assert list(reply.accepted) == ["u0", "u1", "u2"]
    row = uplink.store.db.one("SELECT COUNT(*) AS n FROM uploads")
    assert row is not None and row["n"] == 3


async def test_artefact_arrives_whole_in_chunks(uplink: Uplink) -> None:
    """An artefact larger than one chunk is fetched over MQTT with its hash and signature."""
    data = bytes(range(256)) * 10  # 2560 bytes: three chunks of at most 1000
    found = uplink.artefacts.put("config", "site-config", "v2", data)
    with pytest.raises(CloudRejected, match="in a rollout for this gateway"):
        await uplink.transport.fetch_artefact("site-config", "v2", timeout=5)
    RolloutController(uplink.store, uplink.artefacts).create(
        RolloutSpec(artefact="site-config", version="v2", devices=["gw-a"]), uplink.store.now())
    got, sha256, signature = await uplink.transport.fetch_artefact(
        "site-config", "v2", timeout=5)
    assert got == data
    assert sha256 == hashlib.sha256(data).hexdigest() == found.sha256
    assert signature == found.signature
    with pytest.raises(CloudRejected) as info:
        await uplink.transport.fetch_artefact("site-config", "v9", timeout=5)
    assert info.value.code == "not_found"


async def test_probe_is_false_when_no_broker_serves_the_root(uplink: Uplink) -> None:
    """A probe needs a broker's answer, not just a connected MQTT uplink."""
    assert await uplink.transport.probe(timeout=5)
    elsewhere = MqttTransport(_connection(), uplink.root + "-nobody")
    elsewhere.set_identity(uplink.identity)
    assert not await elsewhere.probe(timeout=0.5)
    await elsewhere.close()


async def test_two_replicas_share_the_requests_and_answer_each_once(
        uplink: Uplink, tmp_path: Path) -> None:
    """Two bridges in one shared-subscription group split one gateway's requests."""
    second = MqttBridge(LinkCore(uplink.store, uplink.answerer),
                        MqttUplinkSection(enabled=True, topic_root=uplink.root))
    tasks: list[asyncio.Task[None]] = []
    await _start(second, tasks)
    try:
        replies = await asyncio.gather(*(
            uplink.transport.escalate(_escalation(f"s{n}", f"q{n}"), timeout=10)
            for n in range(20)))
    finally:
        tasks[0].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(r.answer for r in replies) == sorted(f"answer to q{n}" for n in range(20))
    assert not any(r.replayed for r in replies)
    assert sorted(e.text for e in uplink.answerer.calls) == sorted(f"q{n}" for n in range(20))
    counts: dict[str, Any] = {"first": uplink.bridge.served, "second": second.served}
    assert counts["first"] + counts["second"] == 21  # + the enrolment
    assert counts["first"] > 1 and counts["second"] > 0, counts
