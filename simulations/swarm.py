"""Thousands of simulated gateways in one process, over a pool of gRPC channels.

The fleet bench at 10,000 gateways runs a few of these workers as child processes (one
grpc-python client process cannot drive 10,000 channels on two cores). Each gateway sends its
own bearer credential in the call metadata, exactly as ``GrpcTransport`` does, with the
transport's channel options; what is shared is the HTTP/2 connection: gateway ``i`` uses
channel ``i % connections``. A heartbeat that announces commands is followed, as on a real
gateway, by ``PullCommands`` and one ``AckCommand`` per command.

The parent drives a worker with one JSON object a line on stdin and reads one reply a line on
stdout (``op``: enrol, beat, window, report, arm, acks, stop); see ``Swarm.handle``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import grpc

from edge_agent.sync.grpc import _CHANNEL_OPTIONS  # the real transport's, so keepalive matches
from nanogate.v1 import edge_pb2 as pb
from nanogate.v1 import edge_pb2_grpc as pb_grpc

TIMEOUT_S = 10.0
ENROL_ATTEMPTS = 5  # an overloaded loopback can drop a connection attempt


@dataclass
class Gateway:
    """One simulated gateway: its id, credential and the stub of the channel it shares."""

    name: str
    stub: Any
    credential: str = ""
    acked_at: float | None = None

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """What ``GrpcTransport`` sends with every call after enrolment."""
        return (("authorization", f"Bearer {self.credential}"),)


@dataclass
class Swarm:
    """A slice of the fleet: gateways ``first`` .. ``first + count - 1``."""

    address: str
    first: int
    count: int
    connections: int
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    gateways: list[Gateway] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)  # status code name -> calls
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    all_acked: asyncio.Event = field(default_factory=asyncio.Event)
    acked: int = 0

    def open(self) -> None:
        """Open the channels and give every gateway its stub."""
        # A local subchannel pool per channel: otherwise grpc shares one TCP connection
        # between every channel to the same address, and the broker would see one peer.
        options = [*_CHANNEL_OPTIONS, ("grpc.use_local_subchannel_pool", 1)]
        self.channels = [grpc.aio.insecure_channel(self.address, options=options)
                         for _ in range(min(self.connections, self.count))]
        stubs = [pb_grpc.EdgeLinkStub(c) for c in self.channels]  # type: ignore[no-untyped-call]
        self.gateways = [Gateway(f"sim-{self.first + i:05d}", stubs[i % len(stubs)])
                         for i in range(self.count)]

    async def enrol(self, token: str, concurrency: int) -> dict[str, Any]:
        """Enrol every gateway through the real ``Enrol`` call, a few at a time."""
        gate = asyncio.Semaphore(concurrency)

        async def one(gw: Gateway) -> None:
            request = pb.EnrolRequest(token=token, requested_id=gw.name, site="sim",
                                      agent_version="sim-0.1")
            for attempt in range(ENROL_ATTEMPTS):  # a gateway retries, as the edge link does
                async with gate:
                    try:
                        reply = await gw.stub.Enrol(request, timeout=60)
                    except grpc.aio.AioRpcError as exc:
                        if exc.code() != grpc.StatusCode.UNAVAILABLE or \
                                attempt == ENROL_ATTEMPTS - 1:
                            raise
                        self.failures[f"enrol.{exc.code().name}"] += 1
                        continue
                gw.credential = reply.credential
                return

        started = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            for gw in self.gateways:
                tg.create_task(one(gw))
        return {"enrol_s": time.perf_counter() - started, "retries": sum(self.failures.values())}

    async def heartbeat(self, gw: Gateway) -> None:
        """One heartbeat; pull and ack what it announces."""
        request = pb.HeartbeatRequest(agent_version="sim-0.1", sent_at=time.time(),
                                      health=pb.Health(outbox_depth=0, requests=10,
                                                       local_answer_rate=0.7))
        started = time.perf_counter()
        try:
            reply = await gw.stub.Heartbeat(request, timeout=TIMEOUT_S, metadata=gw.metadata())
        except grpc.aio.AioRpcError as exc:
            self.failures[exc.code().name] += 1
            return
        self.latencies.append(time.perf_counter() - started)
        if reply.pending_commands:
            await self.take_commands(gw)

    async def take_commands(self, gw: Gateway) -> None:
        """Pull the waiting commands and ack each, as the edge link does."""
        try:
            pulled = await gw.stub.PullCommands(pb.PullCommandsRequest(max=50),
                                                timeout=TIMEOUT_S, metadata=gw.metadata())
            for command in pulled.commands:
                ack = pb.CommandAck(command_id=command.id, ok=True, result_json='{"pong":1}')
                await gw.stub.AckCommand(ack, timeout=TIMEOUT_S, metadata=gw.metadata())
                if gw.acked_at is None:
                    gw.acked_at = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
                    self.acked += 1
                    if self.acked >= len(self.gateways):
                        self.all_acked.set()
        except grpc.aio.AioRpcError as exc:
            self.failures[exc.code().name] += 1

    async def beat(self, gw: Gateway, interval: float) -> None:
        """Heartbeat every ``interval`` seconds, from a random phase in the first one."""
        await asyncio.sleep(random.uniform(0, interval))
        next_at = time.monotonic()
        while not self.stop.is_set():
            await self.heartbeat(gw)
            next_at += interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), max(0.0, next_at - time.monotonic()))

    async def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        """One control message from the parent; returns the reply."""
        op = msg["op"]
        if op == "enrol":
            return await self.enrol(msg["token"], int(msg.get("concurrency", 32)))
        if op == "beat":
            self.tasks = [asyncio.create_task(self.beat(gw, float(msg["interval_s"])))
                          for gw in self.gateways]
            return {}
        if op == "window":
            self.latencies, self.failures = [], Counter()
            return {"cpu_s": time.process_time()}
        if op == "report":
            return {"latencies": self.latencies, "failures": self.failures,
                    "cpu_s": time.process_time()}
        if op == "arm":
            for gw in self.gateways:
                gw.acked_at = None
            self.acked, self.all_acked = 0, asyncio.Event()
            return {}
        if op == "acks":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_acked.wait(), float(msg["timeout_s"]))
            return {"acked_at": [gw.acked_at for gw in self.gateways if gw.acked_at]}
        if op == "stop":
            self.stop.set()
            await asyncio.gather(*self.tasks)
            await asyncio.gather(*(c.close() for c in self.channels))
            return {}
        raise ValueError(f"unknown op {op!r}")


async def _serve(swarm: Swarm) -> None:
    """Read control lines from stdin until ``stop`` (or end of input)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    swarm.open()
    while line := await reader.readline():
        msg = json.loads(line)
        reply = await swarm.handle(msg)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if msg["op"] == "stop":
            return
    await swarm.handle({"op": "stop"})


if __name__ == "__main__":
    address, first, count, connections = sys.argv[1], *map(int, sys.argv[2:5])
    asyncio.run(_serve(Swarm(address, first, count, connections)))
