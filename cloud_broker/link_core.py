"""What the broker does for a gateway, whichever transport carried the call (gRPC or MQTT).

Plain methods over the fleet store and the router: each takes the authenticated gateway and
the request message and returns the response message, or raises ``Unauthenticated``,
``InvalidRequest`` or ``RetryLater``; each transport maps those to its own status codes. An
escalation no backend could answer is answered ``backend_unavailable`` (within the deadline),
unless a local model is only (re)starting: then ``RetryLater``, and the gateway asks again.
Escalations are idempotent: a replayed key returns the stored answer and is not routed (or
charged) again, whichever transport or replica the replay arrives on.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Protocol

import structlog

from cloud_broker.errors import (
    InvalidRequest,
    ModelsStarting,
    NoBackendAvailable,
    NotFound,
    OverBudget,
    RetryLater,
    Unauthenticated,
)
from cloud_broker.escalation import Answer, ContextReading, Escalation
from cloud_broker.fleet import ArtefactStore, FleetStore, Gateway
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("cloud_broker.link")

_MAX_TEXT = 4000
_MAX_CONTEXT = 50
_MAX_UPLOAD_ITEMS = 5000
_REPLAY_WAIT_S = 30.0  # how long a replay waits for another replica without a deadline


class Answerer(Protocol):
    """What the link needs from the router."""

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer one escalation before the deadline (a ``time.monotonic()`` value)."""
        ...


class LinkCore:
    """The per-method logic of ``nanogate.v1.EdgeLink``, shared by every transport."""

    def __init__(self, store: FleetStore, router: Answerer,
                 artefacts: ArtefactStore | None = None) -> None:
        self._store = store
        self._router = router
        self._artefacts = artefacts
        self._inflight: dict[str, asyncio.Future[pb.EscalateResponse]] = {}
        self.escalations = 0
        self.replays = 0

    def authenticate(self, credential: str) -> Gateway:
        """The gateway this credential belongs to; ``Unauthenticated`` otherwise."""
        return self._store.authenticate(credential)

    async def enrol(self, request: pb.EnrolRequest) -> pb.EnrolResponse:
        """Exchange a one-time token for a device identity."""
        try:
            gateway, credential = self._store.enrol(
                request.token, request.requested_id[:64], request.site[:64])
        except Unauthenticated as exc:
            log.warning("gateway.enrol_refused", requested_id=request.requested_id[:64],
                        reason=str(exc))
            raise
        log.info("gateway.enrolled", device_id=gateway.id, site=gateway.site)
        return pb.EnrolResponse(
            device_id=gateway.id, credential=credential, site=gateway.site,
            tags=list(gateway.tags),
            artefact_public_key=self._artefacts.public_key if self._artefacts else "")

    async def heartbeat(self, gateway: Gateway,
                        request: pb.HeartbeatRequest) -> pb.HeartbeatResponse:
        """Record health; tell the gateway how many commands wait."""
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

    async def escalate(self, gateway: Gateway, request: pb.EscalateRequest, *,
                       deadline: float | None) -> pb.EscalateResponse:
        """Answer a hard request once per idempotency key (``deadline``: monotonic)."""
        if not request.idempotency_key or not request.text.strip():
            raise InvalidRequest("an escalation needs an idempotency_key and a text")
        structlog.contextvars.bind_contextvars(gateway_id=gateway.id,
                                               request_id=request.request_id[:64])
        try:
            return await self._escalate_once(gateway, request, deadline)
        finally:
            structlog.contextvars.unbind_contextvars("gateway_id", "request_id")

    async def _escalate_once(self, gateway: Gateway, request: pb.EscalateRequest,
                             deadline: float | None) -> pb.EscalateResponse:
        key = f"{gateway.id}/{request.idempotency_key[:128]}"
        running = self._inflight.get(key)
        if running is not None:  # a retry while the first attempt is still being answered
            try:
                return _replayed(await asyncio.shield(running))
            except Exception as exc:
                raise RetryLater("the first attempt failed; retry") from exc
        record = self._store.claim_escalation(key, gateway.id)
        if record is not None:
            return await self._replay(key, record.state, record.response, deadline)
        future: asyncio.Future[pb.EscalateResponse] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            response = await self._route(gateway, request, deadline)
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
                      deadline: float | None) -> pb.EscalateResponse:
        self.replays += 1
        if state == "done":
            log.info("escalation.replayed", key=key)
            return _replayed(pb.EscalateResponse.FromString(stored))
        # Another replica is answering this key right now: wait for its answer.
        until = deadline if deadline is not None else time.monotonic() + _REPLAY_WAIT_S
        while time.monotonic() < until:
            await asyncio.sleep(0.1)
            record = self._store.escalation(key)
            if record is None:
                break
            if record.state == "done":
                return _replayed(pb.EscalateResponse.FromString(record.response))
        raise RetryLater("the same request is still being answered elsewhere; retry")

    async def _route(self, gateway: Gateway, request: pb.EscalateRequest,
                     deadline: float | None) -> pb.EscalateResponse:
        try:
            answer = await self._router.answer(_escalation(gateway, request), deadline=deadline)
        except OverBudget as exc:
            log.warning("escalation.over_budget", reason=str(exc))
            return pb.EscalateResponse(error_code="over_budget", error_message=str(exc))
        except ModelsStarting as exc:  # the gateway keeps it queued and asks again
            log.warning("escalation.models_starting", reason=str(exc))
            raise RetryLater(str(exc)) from exc
        except NoBackendAvailable as exc:  # answered, not retried: the requester hears now
            log.error("escalation.no_backend", reason=str(exc))
            return pb.EscalateResponse(error_code="backend_unavailable", error_message=str(exc))
        log.info("escalation.answered", backend=answer.backend, tokens_in=answer.input_tokens,
                 tokens_out=answer.output_tokens, cost=answer.cost,
                 latency_ms=round(answer.latency_ms, 1))
        return pb.EscalateResponse(
            answer=answer.text, backend=answer.backend, model=answer.model,
            usage=pb.Usage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                           cost=answer.cost, latency_ms=answer.latency_ms),
            actions=[pb.Action(device_id=a.device_id, command=a.command, value=a.value,
                               unit=a.unit, reason=a.reason) for a in answer.actions])

    async def upload(self, gateway: Gateway, request: pb.UploadRequest) -> pb.UploadResponse:
        """Store outbox items once each."""
        if len(request.items) > _MAX_UPLOAD_ITEMS:
            raise InvalidRequest(f"at most {_MAX_UPLOAD_ITEMS} items per upload")
        items = [{"key": i.idempotency_key, "kind": i.kind, "stream": i.stream,
                  "payload": i.payload.decode("utf-8", "replace"), "created": i.created_at}
                 for i in request.items if i.idempotency_key]
        return pb.UploadResponse(accepted=self._store.store_uploads(gateway.id, items))

    async def pull_commands(self, gateway: Gateway,
                      request: pb.PullCommandsRequest) -> pb.PullCommandsResponse:
        """Hand out this gateway's waiting commands."""
        records = self._store.take_commands(gateway.id, max(1, min(request.max or 50, 500)))
        return pb.PullCommandsResponse(commands=[
            pb.Command(id=r.id, name=r.name, args_json=r.args_json, expires_at=r.expires_at)
            for r in records])

    async def ack_command(self, gateway: Gateway, request: pb.CommandAck) -> pb.AckResponse:
        """Record a command's result, only for the gateway it was sent to."""
        recorded = self._store.ack_command(gateway.id, request.command_id, request.ok,
                                           request.result_json[:65536])
        if recorded:
            log.info("command.acked", device_id=gateway.id, command_id=request.command_id,
                     ok=request.ok)
        return pb.AckResponse(recorded=recorded)


    async def artefact_chunk(self, gateway: Gateway, request: pb.ArtefactRequest,
                             seq: int) -> tuple[pb.ArtefactChunk, bool]:
        """Chunk ``seq`` of an artefact and whether it is the last; chunk 0 names its hash."""
        store = self._artefacts
        found = store.get(request.name, request.version) if store else None
        if store is None or found is None:
            raise NotFound(f"no artefact {request.name[:64]} {request.version[:64]}")
        if seq < 0:
            raise InvalidRequest("a chunk number is 0 or more")
        pair = list(itertools.islice(store.chunks(found.name, found.version), seq, seq + 2))
        if not pair:
            raise InvalidRequest(f"artefact {found.name} {found.version} has no chunk {seq}")
        return pb.ArtefactChunk(data=pair[0], sha256=found.sha256 if seq == 0 else "",
                                signature=found.signature if seq == 0 else ""), len(pair) == 1


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
