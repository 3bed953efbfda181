"""The broker's gRPC service over a real loopback socket, called by the edge's real transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.sync import GrpcTransport, Identity
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer


@dataclass
class Link:
    """A running service and a transport enrolled against it."""

    store: SqliteFleetStore
    answerer: CountingAnswerer
    transport: GrpcTransport
    address: str


@pytest.fixture
async def link(tmp_path: Path) -> AsyncIterator[Link]:
    """A broker service on 127.0.0.1:<free port> with one enrolled gateway."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok-1")
    answerer = CountingAnswerer()
    server, port = await start_grpc(EdgeLinkService(store, answerer), "127.0.0.1:0")
    transport = GrpcTransport(f"127.0.0.1:{port}")
    reply = await transport.enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-a"), timeout=5)
    transport.set_identity(Identity(reply.device_id, reply.credential))
    yield Link(store, answerer, transport, f"127.0.0.1:{port}")
    await transport.close()
    await server.stop(None)
    store.close()


def _escalation(key: str, text: str = "why?") -> pb.EscalateRequest:
    return pb.EscalateRequest(idempotency_key=key, request_id="r1", text=text)


async def test_enrol_token_works_once(link: Link) -> None:
    """A one-time enrolment token cannot be used a second time."""
    with pytest.raises(CloudRejected, match="already used"):
        await link.transport.enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-b"),
                                   timeout=5)


async def test_replayed_escalation_is_answered_once(link: Link) -> None:
    """The same idempotency key returns the stored answer without routing again."""
    first = await link.transport.escalate(_escalation("k1"), timeout=5)
    second = await link.transport.escalate(_escalation("k1"), timeout=5)
    assert first.answer == second.answer == "answer to why?"
    assert (first.replayed, second.replayed) == (False, True)
    assert len(link.answerer.calls) == 1
    assert [a.device_id for a in second.actions] == ["pump-2"]


async def test_concurrent_duplicates_share_one_answer(link: Link) -> None:
    """A retry that arrives while the first attempt is still answered waits for it."""
    link.answerer.gate = asyncio.Event()
    first = asyncio.create_task(link.transport.escalate(_escalation("k2"), timeout=5))
    await asyncio.wait_for(link.answerer.called.wait(), 5)
    second = asyncio.create_task(link.transport.escalate(_escalation("k2"), timeout=5))
    link.answerer.gate.set()
    results = await asyncio.gather(first, second)
    assert len(link.answerer.calls) == 1
    assert {r.answer for r in results} == {"answer to why?"}


async def test_over_budget_is_a_clear_answer(link: Link) -> None:
    """Over budget is an answer with a code and message, not a transport failure."""
    link.answerer.over_budget = True
    reply = await link.transport.escalate(_escalation("k3"), timeout=5)
    assert reply.error_code == "over_budget"
    assert "budget" in reply.error_message


async def test_no_backend_left_is_a_clear_answer_given_once(link: Link) -> None:
    """No backend left: `backend_unavailable` with the reason; a replay is not routed again."""
    link.answerer.no_backend = True
    reply = await link.transport.escalate(_escalation("k4"), timeout=5)
    again = await link.transport.escalate(_escalation("k4"), timeout=5)
    assert reply.error_code == "backend_unavailable" and "SIGSEGV" in reply.error_message
    assert again.replayed and again.error_code == "backend_unavailable"
    assert len(link.answerer.calls) == 1


async def test_giving_up_at_the_deadline_still_reaches_the_gateway(link: Link) -> None:
    """A router that waits out the deadline answers `backend_unavailable` before it ends."""
    link.answerer.wait_out = True
    reply = await link.transport.escalate(_escalation("k5"), timeout=2)
    assert reply.error_code == "backend_unavailable" and "starting" in reply.error_message


async def test_a_restarting_model_is_retried_later_not_answered(link: Link) -> None:
    """While a local model restarts, the gateway is told to retry, and nothing is stored."""
    link.answerer.starting = True
    with pytest.raises(CloudUnavailable, match="restarting"):
        await link.transport.escalate(_escalation("k6"), timeout=5)
    link.answerer.starting = False
    reply = await link.transport.escalate(_escalation("k6"), timeout=5)
    assert reply.answer == "answer to why?" and not reply.replayed


async def test_wrong_credential_is_refused(link: Link) -> None:
    """A call with an unknown credential is refused as unauthenticated."""
    stranger = GrpcTransport(link.address)
    stranger.set_identity(Identity("gw-a", "ngc_forged"))
    with pytest.raises(CloudRejected) as info:
        await stranger.escalate(_escalation("k4"), timeout=5)
    assert info.value.code == "unauthenticated"
    await stranger.close()


async def test_revoked_gateway_is_refused_at_once(link: Link) -> None:
    """Revoking a gateway's credential stops its very next call."""
    link.store.revoke("gw-a")
    with pytest.raises(CloudRejected, match="revoked"):
        await link.transport.heartbeat(pb.HeartbeatRequest(), timeout=5)


async def test_uploads_are_stored_once_per_key(link: Link) -> None:
    """Uploading the same items twice stores each key once."""
    items = [pb.OutboxItem(idempotency_key=f"u{n}", kind="rollup", stream="t-1",
                           payload=json.dumps({"n": n}).encode()) for n in range(3)]
    for _ in range(2):
        reply = await link.transport.upload(pb.UploadRequest(items=items), timeout=5)
        assert list(reply.accepted) == ["u0", "u1", "u2"]
    row = link.store.db.one("SELECT COUNT(*) AS n FROM uploads")
    assert row is not None and row["n"] == 3


async def test_commands_reach_only_their_gateway(link: Link) -> None:
    """A gateway sees its own commands, acks them, and cannot ack another's."""
    mine = link.store.add_command("gw-a", "ping", "{}", ttl_s=60)
    link.store.create_enrol_token(site="lab", tags=[], token="tok-2")
    link.store.enrol("tok-2", "gw-b", "lab")
    theirs = link.store.add_command("gw-b", "ping", "{}", ttl_s=60)
    beat = await link.transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    assert beat.pending_commands == 1
    commands = await link.transport.pull_commands(max_items=10, timeout=5)
    assert [c.id for c in commands] == [mine]
    await link.transport.ack_command(pb.CommandAck(command_id=theirs, ok=True), timeout=5)
    await link.transport.ack_command(pb.CommandAck(command_id=mine, ok=True,
                                                   result_json='{"pong": true}'), timeout=5)
    states = {c.id: c.state for c in link.store.commands()}
    assert states == {mine: "acked", theirs: "pending"}
