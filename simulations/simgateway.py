"""A lightweight simulated gateway: the real ``EdgeLink`` calls through ``GrpcTransport``.

No MQTT, no model, no SQLite: just the link a gateway keeps to the broker (enrol, heartbeat,
pull and ack commands, escalate), one gRPC channel each, so a thousand fit in one process.
Every call's latency is kept; an escalation that fails waits in a small in-memory outbox.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.sync.grpc import GrpcTransport
from edge_agent.sync.transport import Identity
from nanogate.v1 import edge_pb2 as pb

TIMEOUT_S = 10.0


@dataclass
class CallLog:
    """Latencies (seconds) of the calls made, by method, with the time each ended."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    ends: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    acked: set[str] = field(default_factory=set)
    all_acked: asyncio.Event = field(default_factory=asyncio.Event)
    fleet_size: int = 0

    def note_ack(self, gateway: str) -> None:
        """A gateway acked a command; the event fires once ``fleet_size`` gateways have."""
        self.acked.add(gateway)
        if self.fleet_size and len(self.acked) >= self.fleet_size:
            self.all_acked.set()

    def add(self, method: str, seconds: float) -> None:
        """Record one successful call."""
        self.latencies.setdefault(method, []).append(seconds)
        self.ends.setdefault(method, []).append(time.monotonic())


@dataclass
class Pending:
    """An escalation waiting in the simulated outbox."""

    request: pb.EscalateRequest
    asked_at: float


class SimGateway:
    """One simulated gateway speaking gRPC to the broker (or the echo baseline)."""

    def __init__(self, name: str, address: str, calls: CallLog) -> None:
        self.name = name
        self.transport = GrpcTransport(address)
        self.calls = calls
        self.outbox: list[Pending] = []
        self.acked_at: float | None = None
        self.escalated = self.local = 0
        self.spent = 0.0

    async def _timed(self, method: str, call: object) -> object:
        started = time.perf_counter()
        try:
            result = await call  # type: ignore[misc]
        except (CloudUnavailable, CloudRejected):
            self.calls.failures += 1
            raise
        self.calls.add(method, time.perf_counter() - started)
        return result

    async def enrol(self, token: str) -> None:
        """Enrol with the token and use the identity from then on."""
        request = pb.EnrolRequest(token=token, requested_id=self.name, site="sim",
                                  agent_version="sim-0.1")
        reply = await self._timed("enrol", self.transport.enrol(request, timeout=TIMEOUT_S))
        assert isinstance(reply, pb.EnrolResponse)
        self.transport.set_identity(Identity(reply.device_id, reply.credential, reply.site))

    async def heartbeat(self) -> int:
        """One heartbeat; pulls and acks the commands it announces. Returns its pending count."""
        health = pb.Health(outbox_depth=len(self.outbox), requests=self.escalated + self.local,
                           local_answer_rate=self.local / max(1, self.escalated + self.local))
        request = pb.HeartbeatRequest(agent_version="sim-0.1", health=health,
                                      sent_at=time.time())
        reply = await self._timed("heartbeat", self.transport.heartbeat(request,
                                                                        timeout=TIMEOUT_S))
        assert isinstance(reply, pb.HeartbeatResponse)
        if reply.pending_commands:
            await self.take_commands()
        return reply.pending_commands

    async def take_commands(self) -> None:
        """Pull waiting commands and acknowledge each."""
        commands = await self._timed("pull", self.transport.pull_commands(
            max_items=50, timeout=TIMEOUT_S))
        assert isinstance(commands, list)
        for command in commands:
            ack = pb.CommandAck(command_id=command.id, ok=True, result_json='{"pong": true}')
            await self._timed("ack", self.transport.ack_command(ack, timeout=TIMEOUT_S))
            self.acked_at = time.monotonic()
            self.calls.note_ack(self.name)

    async def escalate(self, text: str, context: list[pb.Reading]) -> pb.EscalateResponse:
        """Ask the cloud; the answer's cost is added to ``spent``."""
        request = pb.EscalateRequest(idempotency_key=uuid.uuid4().hex, request_id=self.name,
                                     text=text, intent="escalate", confidence=0.9,
                                     context=context, created_at=time.time(), max_tokens=128)
        return await self.send(Pending(request, time.monotonic()))

    async def send(self, item: Pending) -> pb.EscalateResponse:
        """Send one escalation (new or from the outbox)."""
        reply = await self._timed("escalate", self.transport.escalate(item.request,
                                                                      timeout=TIMEOUT_S))
        assert isinstance(reply, pb.EscalateResponse)
        if not reply.replayed:
            self.spent += reply.usage.cost
        return reply

    async def close(self) -> None:
        """Close the channel."""
        await self.transport.close()


async def enrol_all(gateways: list[SimGateway], token: str, concurrency: int = 32) -> float:
    """Enrol every gateway, a few at a time; returns the seconds it took."""
    gate = asyncio.Semaphore(concurrency)

    async def one(gw: SimGateway) -> None:
        async with gate:
            await gw.enrol(token)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for gw in gateways:
            tg.create_task(one(gw), name=f"enrol.{gw.name}")
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank), or 0 with no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)
