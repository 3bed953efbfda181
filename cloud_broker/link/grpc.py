"""The broker's gRPC service for gateways (grpc.aio, on the broker's one event loop).

A thin adapter over ``cloud_broker.link.core.LinkCore``, which the MQTT bridge shares: every
call but Enrol is authenticated, then handed to the core, whose errors become gRPC status codes.
Store calls (authentication, certificates, artefact chunks) run in the database's threads,
never on the event loop.

Authentication follows ``[server] tls``. With "off" and "tls" the gateway's bearer credential
names it. With "mtls" its client certificate does: the device it names must exist, not be
revoked, and present the serial the store holds for it (so a renewed or re-enrolled
certificate replaces the old one at once); a credential sent as well must be the same
device's. Enrol has its own TLS-only listener under mtls, because grpc's Python server
credentials either require a client certificate or never ask for one: a single listener that
accepts both would never see the certificates it must check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any, TypeVar

import grpc
import structlog

from cloud_broker.backends.worker import WorkerBackend, WorkerStatus
from cloud_broker.errors import (
    BrokerError,
    ConfigError,
    InvalidRequest,
    NotFound,
    Unauthenticated,
    link_status,
)
from cloud_broker.fleet import ArtefactStore, FleetStore, Gateway
from cloud_broker.fleet.certificates import DeviceCertificates
from cloud_broker.fleet.claims import Replica
from cloud_broker.link.core import LinkCore, UploadedLabels
from cloud_broker.link.escalations import Answerer
from cloud_broker.pki import BrokerTls, IssuedCertificate, load_csr, peer_certificate
from cloud_broker.queue import OperatorQueue, QueueRules
from nanogate.link import is_loopback, next_port
from nanogate.v1 import edge_pb2 as pb
from nanogate.v1 import edge_pb2_grpc as pb_grpc

log = structlog.get_logger("cloud_broker.link.grpc")

T = TypeVar("T")


class EdgeLinkService(pb_grpc.EdgeLinkServicer):
    """Implements ``nanogate.v1.EdgeLink`` over the shared ``LinkCore``."""

    def __init__(self, store: FleetStore, router: Answerer,
                 artefacts: ArtefactStore | None = None, *,
                 tls: BrokerTls | None = None, replica: Replica | None = None,
                 queue: OperatorQueue | None = None,
                 queue_rules: QueueRules | None = None,
                 labels: UploadedLabels | None = None) -> None:
        self._store = store
        self.core = LinkCore(store, router, artefacts, replica=replica, queue=queue,
                             queue_rules=queue_rules, labels=labels)
        self.tls = tls or BrokerTls()
        self.certificates = DeviceCertificates(store.db, store.now)
        self.enrol_port = 0  # mtls: the bound port of the Enrol listener (start_grpc sets it)
        self.health: Any = None  # the gRPC health servicer (start_grpc sets it)

    @property
    def escalations(self) -> int:
        """Escalations answered (by any transport sharing the core)."""
        return self.core.escalations

    @property
    def replays(self) -> int:
        """Escalations answered again from the store."""
        return self.core.replays

    async def Enrol(self, request: pb.EnrolRequest, context: grpc.aio.ServicerContext[Any, Any]
                    ) -> pb.EnrolResponse:
        """Exchange a one-time token for a device identity (and a CSR for a certificate)."""
        if request.csr:
            await _check_csr(context, request.csr)
        response = await _guarded(context, self.core.enrol(request))
        if request.csr and self.tls.ca is not None:
            issued = await self._store.db.run(self._issue, response.device_id, request.csr)
            response.certificate = issued.pem
            response.ca_certificate = self.tls.ca.certificate_pem
        else:  # a certificate from an earlier enrolment must not outlive this one
            await self._store.db.run(self.certificates.forget, response.device_id)
        return response

    async def RenewCertificate(self, request: pb.RenewCertificateRequest,
                               context: grpc.aio.ServicerContext[Any, Any]
                               ) -> pb.RenewCertificateResponse:
        """Issue a new certificate for the caller; its current one stops working."""
        gateway = await self._caller(context)
        if self.tls.ca is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "this broker issues no certificates: its [server] tls is off")
        await _check_csr(context, request.csr)
        issued = await self._store.db.run(self._issue, gateway.id, request.csr)
        assert self.tls.ca is not None
        return pb.RenewCertificateResponse(certificate=issued.pem, not_after=issued.not_after,
                                           ca_certificate=self.tls.ca.certificate_pem)

    def _issue(self, device_id: str, csr: bytes) -> IssuedCertificate:
        assert self.tls.ca is not None
        issued = self.tls.ca.issue_device(csr, device_id, self.tls.client_cert_days)
        self.certificates.record(device_id, issued.serial, issued.not_after)
        log.info("certificate.issued", device_id=device_id, serial=issued.serial,
                 not_after=round(issued.not_after))
        return issued

    async def Heartbeat(self, request: pb.HeartbeatRequest,
                        context: grpc.aio.ServicerContext[Any, Any]) -> pb.HeartbeatResponse:
        """Record health; tell the gateway how many commands wait."""
        gateway = await self._caller(context)
        return await _guarded(context, self.core.heartbeat(gateway, request))

    async def Escalate(self, request: pb.EscalateRequest,
                       context: grpc.aio.ServicerContext[Any, Any]) -> pb.EscalateResponse:
        """Answer a hard request once per idempotency key; the deadline travels on."""
        gateway = await self._caller(context)
        remaining = context.time_remaining()
        deadline = None if remaining is None else time.monotonic() + reply_margin(remaining)
        return await _guarded(context, self.core.escalate(gateway, request, deadline=deadline))

    async def Upload(self, request: pb.UploadRequest,
                     context: grpc.aio.ServicerContext[Any, Any]) -> pb.UploadResponse:
        """Store outbox items once each."""
        gateway = await self._caller(context)
        return await _guarded(context, self.core.upload(gateway, request))

    async def PullCommands(self, request: pb.PullCommandsRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> pb.PullCommandsResponse:
        """Hand out this gateway's waiting commands."""
        gateway = await self._caller(context)
        return await _guarded(context, self.core.pull_commands(gateway, request))

    async def AckCommand(self, request: pb.CommandAck,
                         context: grpc.aio.ServicerContext[Any, Any]) -> pb.AckResponse:
        """Record a command's result, only for the gateway it was sent to."""
        gateway = await self._caller(context)
        return await _guarded(context, self.core.ack_command(gateway, request))

    async def FetchArtefact(self, request: pb.ArtefactRequest,
                            context: grpc.aio.ServicerContext[Any, Any]
                            ) -> AsyncIterator[pb.ArtefactChunk]:
        """Stream an artefact in chunks; the first carries its SHA-256 and signature."""
        gateway = await self._caller(context)
        run = self._store.db.run
        try:
            chunks = await run(self.core.artefact_chunks, gateway, request)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            return
        while (chunk := await run(next, chunks, None)) is not None:
            yield chunk

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any]) -> Gateway:
        metadata = dict(context.invocation_metadata() or ())
        header = str(metadata.get("authorization", ""))
        bearer = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        try:
            if self.tls.mode == "mtls":
                pems = list(context.auth_context().get("x509_pem_cert", ()))
                return await self._store.db.run(self._by_certificate, pems, bearer)
            if not bearer:
                raise Unauthenticated(
                    "missing credential: send 'authorization: Bearer <credential>'")
            return await self.core.authenticate(bearer)
        except _WrongDevice as exc:
            log.warning("gateway.impersonation_refused", reason=str(exc))
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
            raise AssertionError("unreachable") from exc
        except Unauthenticated as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            raise AssertionError("unreachable") from exc

    def _by_certificate(self, pems: list[bytes], bearer: str) -> Gateway:
        peer = peer_certificate(pems[0]) if pems else None
        if peer is None:
            raise Unauthenticated("this call needs the gateway's client certificate (mtls)")
        gateway = self._store.gateway(peer.device_id)
        if gateway is None or gateway.revoked:
            raise Unauthenticated(f"gateway {peer.device_id} is unknown or revoked")
        self.certificates.check(peer.device_id, peer.serial)
        if bearer and self._store.authenticate(bearer).id != gateway.id:
            raise _WrongDevice(f"the credential sent is not {gateway.id}'s, "
                               "but the certificate is")
        return gateway


class _WrongDevice(Unauthenticated):
    """A certificate and a credential that name different gateways."""


async def _check_csr(context: grpc.aio.ServicerContext[Any, Any], csr: bytes) -> None:
    """Refuse an unusable CSR before anything (an enrolment token) is spent."""
    try:
        load_csr(csr)
    except InvalidRequest as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))


async def _guarded(context: grpc.aio.ServicerContext[Any, Any], call: Awaitable[T]) -> T:
    """Await the core; its errors become the matching gRPC status."""
    try:
        return await call
    except BrokerError as exc:
        status = link_status(exc)
        if status is None:
            raise
        await context.abort(grpc.StatusCode[status[0].upper()], status[1])
        raise AssertionError("unreachable") from exc


async def add_health(server: grpc.aio.Server) -> Any:
    """The standard gRPC health service (load balancers and Kubernetes probes ask it)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

    servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    for name in ("", "nanogate.v1.EdgeLink"):
        await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return servicer


MODEL_HEALTH_PREFIX = "nanogate.v1.Model/"


async def publish_worker_health(health: Any, workers: Sequence[WorkerBackend]) -> None:
    """Each model worker as health service ``nanogate.v1.Model/<backend>``: SERVING when ready.

    The broker itself ("") stays SERVING: a model that is down is a backend failure, and
    the router falls back to the next backend.
    """
    from grpc_health.v1 import health_pb2

    serving = health_pb2.HealthCheckResponse.SERVING
    down = health_pb2.HealthCheckResponse.NOT_SERVING

    def code(status: WorkerStatus) -> Any:
        return serving if status.state == "ready" else down

    updates: asyncio.Queue[WorkerStatus] = asyncio.Queue()
    for worker in workers:
        worker.add_listener(updates.put_nowait)
        await health.set(MODEL_HEALTH_PREFIX + worker.name, code(worker.status()))
    while True:
        status = await updates.get()
        await health.set(MODEL_HEALTH_PREFIX + status.backend, code(status))


async def start_grpc(service: EdgeLinkService, listen: str) -> tuple[grpc.aio.Server, int]:
    """Start the gRPC server as ``service.tls`` says; returns it and the bound port.

    ``listen`` may use port 0. Under mtls a second, TLS-only listener serves Enrol; its port
    is left in ``service.enrol_port``.
    """
    tls = service.tls
    if tls.mode == "off" and not tls.allow_insecure and not is_loopback(listen):
        raise ConfigError(
            f"refusing to serve gRPC in plaintext on {listen}: set [server] tls = \"mtls\" "
            "(or \"tls\"), listen on 127.0.0.1, or set [server] allow_insecure = true")
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_EdgeLinkServicer_to_server(service, server)  # type: ignore[no-untyped-call]
    service.health = await add_health(server)
    port = _bind(server, listen, tls, client_auth=tls.mode == "mtls")
    if tls.mode == "mtls":
        enrol_listen = tls.enrol_listen or next_port(listen)
        service.enrol_port = _bind(server, enrol_listen, tls, client_auth=False)
    await server.start()
    log.info("grpc.listening", address=listen.rsplit(":", 1)[0], port=port, tls=tls.mode,
             enrol_port=service.enrol_port or None)
    return server, port


def reply_margin(remaining: float) -> float:
    """The part of a caller's time the router may spend: the rest carries the reply back.

    Without it, a router that gives up exactly at the deadline (every backend down or still
    starting) answers `backend_unavailable` to a caller that has already stopped waiting.
    """
    return max(0.0, remaining - min(1.0, 0.1 * remaining))



def _bind(server: grpc.aio.Server, listen: str, tls: BrokerTls, *, client_auth: bool) -> int:
    if tls.mode == "off":
        port = server.add_insecure_port(listen)
    else:
        assert tls.ca is not None
        port = server.add_secure_port(listen, grpc.ssl_server_credentials(
            [(tls.server_key, tls.server_cert)], root_certificates=tls.ca.certificate_pem,
            require_client_auth=client_auth))
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    return port
