"""The broker's gRPC service for gateways (grpc.aio, on the broker's one event loop).

Every call but Enrol is authenticated by the gateway's credential. Escalations are
idempotent: a replayed key returns the stored answer and is not routed (or charged) again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc
import structlog

from cloud_broker.errors import NoBackendAvailable, OverBudget, Unauthenticated
from cloud_broker.escalation import Answer, ContextReading, Escalation
from cloud_broker.fleet import ArtefactStore, FleetStore, Gateway
from nanogate.v1 import edge_pb2 as pb
from nanogate.v1 import edge_pb2_grpc as pb_grpc

log = structlog.get_logger("cloud_broker.server")

_MAX_TEXT = 4000
_MAX_CONTEXT = 50
_MAX_UPLOAD_ITEMS = 5000


class Answerer(Protocol):
    """What the server needs from the router."""

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer one escalation before the deadline (a ``time.monotonic()`` value)."""
        ...


class EdgeLinkService(pb_grpc.EdgeLinkServicer):
    """Implements ``nanogate.v1.EdgeLink``."""

    def __init__(self, store: FleetStore, router: Answerer,
                 artefacts: ArtefactStore | None = None) -> None:
        self._store = store
        self._router = router
        self._artefacts = artefacts
        self._inflight: dict[str, asyncio.Future[pb.EscalateResponse]] = {}
        self.escalations = 0
        self.replays = 0

    async def Enrol(self, request: pb.EnrolRequest, context: grpc.aio.ServicerContext[Any, Any]
                    ) -> pb.EnrolResponse:
        """Exchange a one-time token for a device identity."""
        try:
            gateway, credential = self._store.enrol(
                request.token, request.requested_id[:64], request.site[:64])
        except Unauthenticated as exc:
            log.warning("gateway.enrol_refused", requested_id=request.requested_id[:64],
                        reason=str(exc))
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        log.info("gateway.enrolled", device_id=gateway.id, site=gateway.site)
        return pb.EnrolResponse(
            device_id=gateway.id, credential=credential, site=gateway.site,
            tags=list(gateway.tags),
            artefact_public_key=self._artefacts.public_key if self._artefacts else "")

    async def Heartbeat(self, request: pb.HeartbeatRequest,
                        context: grpc.aio.ServicerContext[Any, Any]) -> pb.HeartbeatResponse:
        """Record health; tell the gateway how many commands wait."""
        gateway = await self._caller(context)
        h = request.health
        self._store.heartbeat(gateway.id, {
            "agent": request.agent_version, "model": request.model_version,
            "config": request.config_version}, {
            "cpu_percent": h.cpu_percent, "memory_mb": h.memory_mb,
            "disk_free_mb": h.disk_free_mb, "outbox_depth": h.outbox_depth,
            "escalation_rate": h.escalation_rate, "local_answer_rate": h.local_answer_rate,
            "errors": h.errors, "requests": h.requests, "restarts": h.restarts})
        return pb.HeartbeatResponse(pending_commands=self._store.pending_commands(gateway.id),
                                    server_time=time.time())

    async def Escalate(self, request: pb.EscalateRequest,
                       context: grpc.aio.ServicerContext[Any, Any]) -> pb.EscalateResponse:
        """Answer a hard request once per idempotency key."""
        gateway = await self._caller(context)
        if not request.idempotency_key or not request.text.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "an escalation needs an idempotency_key and a text")
        structlog.contextvars.bind_contextvars(gateway_id=gateway.id,
                                               request_id=request.request_id[:64])
        try:
            return await self._escalate_once(gateway, request, context)
        finally:
            structlog.contextvars.unbind_contextvars("gateway_id", "request_id")

    async def _escalate_once(self, gateway: Gateway, request: pb.EscalateRequest,
                             context: grpc.aio.ServicerContext[Any, Any]) -> pb.EscalateResponse:
        key = f"{gateway.id}/{request.idempotency_key[:128]}"
        running = self._inflight.get(key)
        if running is not None:  # a retry while the first attempt is still being answered
            try:
                return _replayed(await asyncio.shield(running))
            except Exception:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "the first attempt failed; retry")
        record = self._store.claim_escalation(key, gateway.id)
        if record is not None:
            return await self._replay(key, record.state, record.response, context)
        future: asyncio.Future[pb.EscalateResponse] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            response = await self._route(gateway, request, context)
        except BaseException as exc:
            self._store.release_escalation(key)
            future.set_exception(exc)
            future.exception()  # retrieved: a waiting duplicate re-raises it, nobody else
            raise
        finally:
            self._inflight.pop(key, None)
        self._store.finish_escalation(key, response.SerializeToString(),
                                      response.error_code or "ok")
        future.set_result(response)
        self.escalations += 1
        return response

    async def _replay(self, key: str, state: str, stored: bytes,
                      context: grpc.aio.ServicerContext[Any, Any]) -> pb.EscalateResponse:
        self.replays += 1
        if state == "done":
            log.info("escalation.replayed", key=key)
            return _replayed(pb.EscalateResponse.FromString(stored))
        # Another replica is answering this key right now: wait for its answer.
        deadline = time.monotonic() + (context.time_remaining() or 30.0)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            record = self._store.escalation(key)
            if record is None:
                break
            if record.state == "done":
                return _replayed(pb.EscalateResponse.FromString(record.response))
        await context.abort(grpc.StatusCode.UNAVAILABLE, "the same request is still being "
                            "answered elsewhere; retry")
        raise AssertionError("unreachable")

    async def _route(self, gateway: Gateway, request: pb.EscalateRequest,
                     context: grpc.aio.ServicerContext[Any, Any]) -> pb.EscalateResponse:
        remaining = context.time_remaining()
        deadline = time.monotonic() + remaining if remaining is not None else None
        try:
            answer = await self._router.answer(_escalation(gateway, request), deadline=deadline)
        except OverBudget as exc:
            log.warning("escalation.over_budget", reason=str(exc))
            return pb.EscalateResponse(error_code="over_budget", error_message=str(exc))
        except NoBackendAvailable as exc:
            log.error("escalation.no_backend", reason=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"no model backend: {exc}")
        log.info("escalation.answered", backend=answer.backend, tokens_in=answer.input_tokens,
                 tokens_out=answer.output_tokens, cost=answer.cost,
                 latency_ms=round(answer.latency_ms, 1))
        return pb.EscalateResponse(
            answer=answer.text, backend=answer.backend, model=answer.model,
            usage=pb.Usage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                           cost=answer.cost, latency_ms=answer.latency_ms),
            actions=[pb.Action(device_id=a.device_id, command=a.command, value=a.value,
                               unit=a.unit, reason=a.reason) for a in answer.actions])

    async def Upload(self, request: pb.UploadRequest,
                     context: grpc.aio.ServicerContext[Any, Any]) -> pb.UploadResponse:
        """Store outbox items once each."""
        gateway = await self._caller(context)
        if len(request.items) > _MAX_UPLOAD_ITEMS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"at most {_MAX_UPLOAD_ITEMS} items per upload")
        items = [{"key": i.idempotency_key, "kind": i.kind, "stream": i.stream,
                  "payload": i.payload.decode("utf-8", "replace"), "created": i.created_at}
                 for i in request.items if i.idempotency_key]
        accepted = self._store.store_uploads(gateway.id, items)
        return pb.UploadResponse(accepted=accepted)

    async def PullCommands(self, request: pb.PullCommandsRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> pb.PullCommandsResponse:
        """Hand out this gateway's waiting commands."""
        gateway = await self._caller(context)
        records = self._store.take_commands(gateway.id, max(1, min(request.max or 50, 500)))
        return pb.PullCommandsResponse(commands=[
            pb.Command(id=r.id, name=r.name, args_json=r.args_json, expires_at=r.expires_at)
            for r in records])

    async def AckCommand(self, request: pb.CommandAck,
                         context: grpc.aio.ServicerContext[Any, Any]) -> pb.AckResponse:
        """Record a command's result, only for the gateway it was sent to."""
        gateway = await self._caller(context)
        recorded = self._store.ack_command(gateway.id, request.command_id, request.ok,
                                           request.result_json[:65536])
        if recorded:
            log.info("command.acked", device_id=gateway.id, command_id=request.command_id,
                     ok=request.ok)
        return pb.AckResponse(recorded=recorded)

    async def FetchArtefact(self, request: pb.ArtefactRequest,
                            context: grpc.aio.ServicerContext[Any, Any]
                            ) -> AsyncIterator[pb.ArtefactChunk]:
        """Stream an artefact in chunks; the first carries its SHA-256 and signature."""
        await self._caller(context)
        store = self._artefacts
        found = store.get(request.name, request.version) if store else None
        if store is None or found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"no artefact {request.name} {request.version}")
            return
        for seq, data in enumerate(store.chunks(found.name, found.version)):
            yield pb.ArtefactChunk(data=data, sha256=found.sha256 if seq == 0 else "",
                                   signature=found.signature if seq == 0 else "")

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any]) -> Gateway:
        metadata = dict(context.invocation_metadata() or ())
        header = str(metadata.get("authorization", ""))
        if not header.startswith("Bearer "):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                "missing credential: send 'authorization: Bearer <credential>'")
        try:
            return self._store.authenticate(header.removeprefix("Bearer ").strip())
        except Unauthenticated as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
            raise AssertionError("unreachable") from exc


def _replayed(response: pb.EscalateResponse) -> pb.EscalateResponse:
    copy = pb.EscalateResponse()
    copy.CopyFrom(response)
    copy.replayed = True
    return copy


def _escalation(gateway: Gateway, request: pb.EscalateRequest) -> Escalation:
    return Escalation(
        key=request.idempotency_key, text=request.text[:_MAX_TEXT], device_id=gateway.id,
        site=gateway.site, request_id=request.request_id[:64], intent=request.intent[:32],
        confidence=request.confidence,
        context=tuple(ContextReading(r.device_id[:64], r.kind[:32], r.area[:64], r.value[:64],
                                     r.unit[:16], r.ts) for r in request.context[:_MAX_CONTEXT]),
        alerts=tuple(a[:200] for a in request.alerts[:20]), model=request.model or "auto",
        max_tokens=max(16, min(request.max_tokens or 256, 1024)))


async def add_health(server: grpc.aio.Server) -> None:
    """The standard gRPC health service (load balancers and Kubernetes probes ask it)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

    servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    for name in ("", "nanogate.v1.EdgeLink"):
        await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)


async def start_grpc(service: EdgeLinkService, listen: str) -> tuple[grpc.aio.Server, int]:
    """Start the gRPC server; returns it and the bound port (``listen`` may use port 0)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_EdgeLinkServicer_to_server(service, server)  # type: ignore[no-untyped-call]
    await add_health(server)
    port = server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    await server.start()
    log.info("grpc.listening", address=listen.rsplit(":", 1)[0], port=port)
    return server, port

