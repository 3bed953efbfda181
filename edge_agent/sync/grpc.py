"""The gRPC transport to the cloud broker (the default), in plaintext, TLS or mTLS.

Under mtls the transport looks after the gateway's certificate itself: it sends a CSR with
Enrol (to the broker's TLS-only enrolment listener), keeps the certificate it gets back, and
renews it before a heartbeat once two thirds of its lifetime have passed. Each new
certificate opens a new channel, so later calls present it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import grpc
import structlog

from edge_agent.config import CloudSection
from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.sync.tls import ClientTls
from edge_agent.sync.transport import Identity
from nanogate.link import MAX_MESSAGE_BYTES, RETRYABLE, is_loopback, next_port
from nanogate.v1 import edge_pb2 as pb
from nanogate.v1 import edge_pb2_grpc as pb_grpc

log = structlog.get_logger("edge_agent.sync.grpc")
T = TypeVar("T")

# After a renewal, calls already under way on the old channel get this long to finish.
_DRAIN_S = 30.0
# Reconnect fast: the outbox drain should start within two seconds of the link returning.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


class GrpcTransport:
    """Calls the broker's ``EdgeLink`` service over one channel, created in the running loop."""

    def __init__(self, address: str, *, tls: ClientTls | None = None,
                 enrol_address: str = "") -> None:
        self._address = address
        self._tls = tls or ClientTls()
        # Under mtls, Enrol goes to the broker's TLS-only listener (default: the next port).
        self._enrol_address = enrol_address or (
            next_port(address) if self._tls.mode == "mtls" else address)
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.EdgeLinkStub | None = None
        self._identity: Identity | None = None

    @classmethod
    def from_config(cls, cloud: CloudSection, data_dir: Path) -> GrpcTransport:
        """The transport ``[cloud]`` describes; TLS files default to ``<data_dir>/tls``."""
        if cloud.tls == "off" and not is_loopback(cloud.address):
            log.warning("link.plaintext", address=cloud.address,
                        fix='set [cloud] tls = "mtls" and ca_file to the broker\'s CA')
        tls = ClientTls.from_config(cloud, data_dir)
        if tls.mode != "off":
            tls.root_certificates()  # a missing ca_file is an error at start, not mid-run
        return cls(cloud.address, tls=tls, enrol_address=cloud.enrol_address)

    def set_identity(self, identity: Identity) -> None:
        """Send this identity's credential with every call."""
        self._identity = identity

    def _ensure(self) -> pb_grpc.EdgeLinkStub:
        if self._stub is None:
            self._channel = self._open(self._address, with_certificate=True)
            self._stub = pb_grpc.EdgeLinkStub(self._channel)  # type: ignore[no-untyped-call]
        return self._stub

    def _open(self, address: str, *, with_certificate: bool) -> grpc.aio.Channel:
        tls = self._tls
        if tls.mode == "off":
            return grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
        pair = tls.client_pair() if with_certificate else None
        if with_certificate and tls.mode == "mtls" and pair is None:
            log.error("tls.certificate_missing", path=str(tls.cert_file),
                      fix="enrol again: remove identity.json and set a new [cloud] enrol_token")
        credentials = grpc.ssl_channel_credentials(
            tls.root_certificates(), *(pair or (None, None)))
        options: list[tuple[str, str | int]] = list(_CHANNEL_OPTIONS)
        if tls.server_name:
            options.append(("grpc.ssl_target_name_override", tls.server_name))
        return grpc.aio.secure_channel(address, credentials, options=options)

    async def _reopen(self, *, grace: float | None) -> None:
        """Later calls use a new channel (with the new certificate); the old one drains."""
        old = self._channel
        self._channel = self._stub = None
        self._ensure()
        if old is not None:
            await old.close(grace=grace)

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        if self._identity is None:
            return ()
        return (("authorization", f"Bearer {self._identity.credential}"),)

    async def _call(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            return await fn()
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code.name.lower() in RETRYABLE:
                raise CloudUnavailable(f"{name}: {code.name}: {exc.details()}") from exc
            raise CloudRejected(code.name.lower(), exc.details() or code.name) from exc

    async def enrol(self, request: pb.EnrolRequest, *, timeout: float) -> pb.EnrolResponse:
        """Exchange an enrolment token for an identity (and, under mtls, a certificate)."""
        if self._tls.mode != "mtls":
            stub = self._ensure()
            return await self._call("enrol", lambda: stub.Enrol(request, timeout=timeout))
        signed = pb.EnrolRequest()
        signed.CopyFrom(request)
        signed.csr = self._tls.csr()
        channel = self._open(self._enrol_address, with_certificate=False)
        try:
            enrol = pb_grpc.EdgeLinkStub(channel).Enrol  # type: ignore[no-untyped-call]
            reply: pb.EnrolResponse = await self._call(
                "enrol", lambda: enrol(signed, timeout=timeout))
        finally:
            await channel.close(grace=None)
        if not reply.certificate:
            raise CloudRejected("no_certificate", "the broker issued no certificate; "
                                'its [server] tls must be "mtls" too')
        self._keep(reply.certificate, reply.ca_certificate)
        await self._reopen(grace=None)
        return reply

    async def renew_certificate(self, *, timeout: float) -> float:
        """Swap the certificate for a new one from the broker; returns its expiry (unix s)."""
        stub = self._ensure()
        reply = await self._call("renew_certificate", lambda: stub.RenewCertificate(
            pb.RenewCertificateRequest(csr=self._tls.csr()), timeout=timeout,
            metadata=self._metadata()))
        self._keep(reply.certificate, reply.ca_certificate)
        await self._reopen(grace=_DRAIN_S)
        log.info("certificate.renewed", not_after=round(reply.not_after))
        return float(reply.not_after)

    def _keep(self, certificate: bytes, ca_certificate: bytes) -> None:
        try:
            self._tls.save(certificate, ca_certificate)
        except ValueError as exc:  # not PEM, or not for our key: the broker's mistake
            raise CloudRejected("bad_certificate", str(exc)) from exc

    async def heartbeat(
        self, request: pb.HeartbeatRequest, *, timeout: float
    ) -> pb.HeartbeatResponse:
        """Report health, renewing the certificate first when it is due."""
        if self._tls.renewal_due():
            if self._tls.expired():  # the broker will refuse the handshake: say what to do
                log.error("tls.certificate_expired", path=str(self._tls.cert_file),
                          fix="enrol again: remove identity.json, set a new [cloud] enrol_token")
            await self.renew_certificate(timeout=timeout)
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
