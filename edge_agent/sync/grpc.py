"""The gRPC transport to the cloud broker (the default)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
import structlog

from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.sync.transport import Identity
from nanogate.v1 import edge_pb2 as pb
from nanogate.v1 import edge_pb2_grpc as pb_grpc

log = structlog.get_logger("edge_agent.sync.grpc")
T = TypeVar("T")

_RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
}
# Reconnect fast: the outbox drain should start within two seconds of the link returning.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


class GrpcTransport:
    """Calls the broker's ``EdgeLink`` service over one channel, created in the running loop."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.EdgeLinkStub | None = None
        self._identity: Identity | None = None

    def set_identity(self, identity: Identity) -> None:
        """Send this identity's credential with every call."""
        self._identity = identity

    def _ensure(self) -> pb_grpc.EdgeLinkStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address, options=_CHANNEL_OPTIONS)
            self._stub = pb_grpc.EdgeLinkStub(self._channel)  # type: ignore[no-untyped-call]
        return self._stub

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        if self._identity is None:
            return ()
        return (("authorization", f"Bearer {self._identity.credential}"),)

    async def _call(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            return await fn()
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code in _RETRYABLE:
                raise CloudUnavailable(f"{name}: {code.name}: {exc.details()}") from exc
            raise CloudRejected(code.name.lower(), exc.details() or code.name) from exc

    async def enrol(self, request: pb.EnrolRequest, *, timeout: float) -> pb.EnrolResponse:
        """Exchange an enrolment token for an identity."""
        stub = self._ensure()
        return await self._call("enrol", lambda: stub.Enrol(request, timeout=timeout))

    async def heartbeat(
        self, request: pb.HeartbeatRequest, *, timeout: float
    ) -> pb.HeartbeatResponse:
        """Report health."""
        stub = self._ensure()
        return await self._call("heartbeat", lambda: stub.Heartbeat(
            request, timeout=timeout, metadata=self._metadata()))

    async def escalate(
        self, request: pb.EscalateRequest, *, timeout: float
    ) -> pb.EscalateResponse:
        """Ask a larger model; the timeout travels to the broker as the gRPC deadline."""
        stub = self._ensure()
        return await self._call("escalate", lambda: stub.Escalate(
            request, timeout=timeout, metadata=self._metadata()))

    async def upload(self, request: pb.UploadRequest, *, timeout: float) -> pb.UploadResponse:
        """Upload a batch of outbox items."""
        stub = self._ensure()
        return await self._call("upload", lambda: stub.Upload(
            request, timeout=timeout, metadata=self._metadata()))

    async def pull_commands(self, *, max_items: int, timeout: float) -> list[pb.Command]:
        """Commands waiting for this gateway."""
        stub = self._ensure()
        reply = await self._call("pull_commands", lambda: stub.PullCommands(
            pb.PullCommandsRequest(max=max_items), timeout=timeout, metadata=self._metadata()))
        return list(reply.commands)

    async def ack_command(self, ack: pb.CommandAck, *, timeout: float) -> None:
        """Report a command's result."""
        stub = self._ensure()
        await self._call("ack_command", lambda: stub.AckCommand(
            ack, timeout=timeout, metadata=self._metadata()))

    async def fetch_artefact(self, name: str, version: str, *,
                             timeout: float) -> tuple[bytes, str, str]:
        """Download an artefact's chunks; the first names its SHA-256 and signature."""
        stub = self._ensure()

        async def fetch() -> tuple[bytes, str, str]:
            parts: list[bytes] = []
            sha256 = signature = ""
            async for chunk in stub.FetchArtefact(
                    pb.ArtefactRequest(name=name, version=version), timeout=timeout,
                    metadata=self._metadata()):
                if not parts:
                    sha256, signature = chunk.sha256, chunk.signature
                parts.append(chunk.data)
            return b"".join(parts), sha256, signature

        return await self._call("fetch_artefact", fetch)

    async def probe(self, *, timeout: float) -> bool:
        """Whether the channel connects within the timeout."""
        self._ensure()
        assert self._channel is not None
        try:
            await asyncio.wait_for(self._channel.channel_ready(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Close the channel."""
        if self._channel is not None:
            await self._channel.close(grace=None)
            self._channel = self._stub = None

