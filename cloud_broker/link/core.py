"""What the broker does for a gateway, whichever transport carried the call (gRPC or MQTT).

Plain methods over the fleet store and the router: each takes the authenticated gateway and
the request message and returns the response message, or raises ``Unauthenticated``,
``InvalidRequest`` or ``RetryLater``; each transport maps those to its own status codes. An
escalation no backend could answer is answered ``backend_unavailable`` (within the deadline),
unless a local model is only (re)starting: then ``RetryLater``, and the gateway asks again.
Escalations are idempotent: a replayed key returns the stored answer and is not routed (or
charged) again, whichever transport or replica the replay arrives on. A claim on a key is a
lease (``cloud_broker.fleet.claims``): a replay that finds it held elsewhere waits at most
until the lease ends, then takes it over and asks the model again.

Every store call runs in the database's threads (``Database.run``), never on the event loop:
a slow statement (a write waiting for SQLite's lock, a PostgreSQL round trip) holds one call,
not every gateway's. An escalation makes two such trips: the claim, and at the end one
transaction holding the router's ledger rows and the claim's finish (``Charges``).
Exactly-once stays the database's decision (the claim is one statement);
the in-flight table keeps a retry arriving while its first attempt is answered on this replica
from asking the database at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

import structlog

from cloud_broker.errors import (
    InvalidRequest,
    ModelsStarting,
    NoBackendAvailable,
    OverBudget,
    RequestRejected,
    RetryLater,
    Unauthenticated,
    UnknownModel,
)
from cloud_broker.escalation import Answer, ContextReading, Escalation
from cloud_broker.fleet import ArtefactStore, CommandRecord, FleetStore, Gateway
from cloud_broker.fleet.claims import DEFAULT_LEASE_S, EscalationRecord, Lease, Replica
from cloud_broker.fleet.store import Heartbeat
from cloud_broker.link.artefacts import ArtefactServing
from cloud_broker.link.heartbeats import Heartbeats
from cloud_broker.queue import OperatorQueue, QueueRules
from cloud_broker.routing.charges import Charges
from nanogate.link import MAX_CONTEXT_READINGS, MAX_TEXT_CHARS, MAX_UPLOAD_ITEMS, OPERATOR_QUEUE
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("cloud_broker.link")
P = ParamSpec("P")
T = TypeVar("T")

# A claim lasts this long past the request's deadline (or DEFAULT_LEASE_S without one),
# and its holder renews it this often while the model works.
LEASE_GRACE_S = 5.0
_RENEW_EVERY_S = 2.0


class Answerer(Protocol):
    """What the link needs from the router."""

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer one escalation before the deadline (a ``time.monotonic()`` value)."""
        ...


class UploadedLabels(Protocol):
    """Where uploaded ``correction`` items go (``cloud_broker.learning.CorrectionLabels``)."""

    def record(self, device_id: str, payload: str) -> None:
        """Store one gateway's correction of a local answer as a label, once per request."""
        ...


class LinkCore(ArtefactServing):
    """The per-method logic of ``nanogate.v1.EdgeLink``, shared by every transport."""

    def __init__(self, store: FleetStore, router: Answerer,
                 artefacts: ArtefactStore | None = None, *,
                 replica: Replica | None = None, queue: OperatorQueue | None = None,
                 queue_rules: QueueRules | None = None,
                 labels: UploadedLabels | None = None) -> None:
        self._store = store
        self._labels = labels
        self._router = router
        self._artefacts = artefacts
        self.queue = queue
        self._rules = queue_rules or QueueRules()
        self.replica = replica or Replica.start()
        released = store.release_claims(self.replica.name, self.replica.id)
        if released:
            log.warning("escalation.claims_released", replica=self.replica.name,
                        claims=released)
        self._inflight: dict[str, asyncio.Task[pb.EscalateResponse]] = {}
        self._heartbeats = Heartbeats(self._write_heartbeats)
        self.escalations = 0
        self.replays = 0

    async def _db(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call off the event loop."""
        return await self._store.db.run(call, *args, **kwargs)

    async def _write_heartbeats(self, beats: Sequence[Heartbeat]) -> dict[str, int]:
        return await self._db(self._store.heartbeats, beats)

    async def authenticate(self, credential: str) -> Gateway:
        """The gateway this credential belongs to; ``Unauthenticated`` otherwise."""
        if (known := self._store.trusted(credential)) is not None:
            return known  # checked a moment ago: no trip to the database's threads
        return await self._db(self._store.authenticate, credential)

    async def enrol(self, request: pb.EnrolRequest) -> pb.EnrolResponse:
        """Exchange a one-time token for a device identity (checked: see fleet.enrolment)."""
        try:
            gateway, credential = await self._db(
                self._store.enrol, request.token, request.requested_id[:64], request.site[:64],
                request.credential[:128])
        except (Unauthenticated, InvalidRequest) as exc:
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
        versions = {"agent": request.agent_version, "model": request.model_version,
                    "config": request.config_version}
        health = {
            "cpu_percent": h.cpu_percent, "memory_mb": h.memory_mb,
            "disk_free_mb": h.disk_free_mb, "outbox_depth": h.outbox_depth,
            "escalation_rate": h.escalation_rate, "local_answer_rate": h.local_answer_rate,
            "errors": h.errors, "requests": h.requests, "restarts": h.restarts,
            "models": [_model_counters(m) for m in h.models[:8]]}
        pending = await self._heartbeats.record(gateway.id, versions, health)
        return pb.HeartbeatResponse(pending_commands=pending, server_time=time.time())

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
        while True:
            running = self._inflight.get(key)
            if running is not None:  # a retry while the first attempt is still being answered
                try:
                    return _replayed(await asyncio.shield(running))
                except Exception as exc:
                    raise RetryLater("the first attempt failed; retry") from exc
            lease = await self._db(self._store.lease_escalation, key, gateway.id,
                                   owner=self.replica.id, lease_s=_lease_s(deadline))
            if lease.held:
                return await self._answer_claimed(key, gateway, request, deadline, lease)
            if lease.record is not None and lease.record.state == "done":
                self.replays += 1
                log.info("escalation.replayed", key=key)
                return _replayed(pb.EscalateResponse.FromString(lease.record.response))
            if key in self._inflight:  # claimed here while this call was at the database
                continue
            if lease.record is not None:
                await self._wait_for_holder(key, lease.record, deadline)

    async def _wait_for_holder(self, key: str, record: EscalationRecord,
                               deadline: float | None) -> None:
        """Wait for a claim held elsewhere: until it changes, its lease ends, or our deadline."""
        wait = (record.lease_until or 0.0) - self._store.now()
        if deadline is not None:
            if deadline - time.monotonic() <= 0:
                self.replays += 1
                raise RetryLater("the same request is still being answered elsewhere; retry")
            wait = min(wait, deadline - time.monotonic())
        await self._store.wait_escalation(key, max(wait, 0.01))

    async def _answer_claimed(self, key: str, gateway: Gateway, request: pb.EscalateRequest,
                              deadline: float | None, lease: Lease) -> pb.EscalateResponse:
        """Answer a key this replica holds, renewing the claim while the model works."""
        esc = _escalation(gateway, request)
        if lease.attempt > 1:  # the ledger shows the second model call as a retry
            esc = dataclasses.replace(esc, key=f"{esc.key}#retry-{lease.attempt}")
            log.warning("escalation.taken_over", key=key, attempt=lease.attempt,
                        previous_owner=lease.record.owner if lease.record else "")
        # The work outlives the call: a gateway that hangs up (killed, timed out) finds the
        # answer stored when it replays, instead of a released claim and a second model call.
        work = asyncio.create_task(self._work(key, esc, deadline), name=f"answer.{key[-12:]}")
        work.add_done_callback(_retrieved)
        self._inflight[key] = work
        return await asyncio.shield(work)

    async def _work(self, key: str, esc: Escalation,
                    deadline: float | None) -> pb.EscalateResponse:
        renewal = asyncio.create_task(self._renew(key, deadline), name=f"renew.{key[-12:]}")
        charges = Charges.open()  # the router's ledger rows, committed with the claim below
        try:
            try:
                response = await self._route(esc, deadline)
            except BaseException:
                # Shielded: the claim is released even if this task is cancelled again.
                await asyncio.shield(self._db(self._settle, key, None, charges.close()))
                raise
            finally:
                renewal.cancel()
            # Stored before the key leaves the in-flight table, so a retry arriving now waits
            # on this task rather than finding a pending claim in the database.
            try:
                await asyncio.shield(self._db(self._settle, key, response, charges.close()))
            except Exception:  # the answer is not stored, but the model was paid: charge it
                await asyncio.shield(self._db(self._charge, charges))
                raise
        finally:
            self._inflight.pop(key, None)
        self.escalations += 1
        return response

    def _settle(self, key: str, response: pb.EscalateResponse | None, charges: Charges) -> None:
        """Commit the work's ledger rows and store its answer (or, with none, release the
        claim for a replay), in one transaction, then journal it: one trip from the loop."""
        with self._store.db.transaction():
            charges.commit()
            if response is None:
                self._store.release_escalation(key)
            else:
                self._store.finish_escalation(key, response.SerializeToString(),
                                              response.error_code or "ok")
        charges.write_notes()  # the operator's journal: its own file, after the commit

    def _charge(self, charges: Charges) -> None:
        """Commit the work's ledger rows alone (its answer could not be stored)."""
        charges.commit()
        charges.write_notes()

    async def _renew(self, key: str, deadline: float | None) -> None:
        """Keep this replica's claim alive while it works (a few seconds past the deadline)."""
        while True:
            await asyncio.sleep(_RENEW_EVERY_S)
            if not await self._db(self._store.renew_escalation, key, self.replica.id,
                                  _lease_s(deadline)):
                log.warning("escalation.lease_lost", key=key)
                return

    async def _route(self, esc: Escalation, deadline: float | None) -> pb.EscalateResponse:
        try:
            answer = await self._router.answer(esc, deadline=deadline)
        except OverBudget as exc:
            log.warning("escalation.over_budget", reason=str(exc))
            if self.queue is not None and self._rules.over_budget == "operator":
                return await self._to_operator(esc, "over_budget", [str(exc)])
            return pb.EscalateResponse(error_code="over_budget", error_message=str(exc))
        except UnknownModel as exc:  # permanent: stored as the answer, never retried
            log.warning("escalation.unknown_model", reason=str(exc))
            return pb.EscalateResponse(error_code="unknown_model", error_message=str(exc))
        except RequestRejected as exc:  # permanent as well: the request itself was refused
            log.warning("escalation.rejected", code=exc.code, reason=str(exc))
            return pb.EscalateResponse(error_code=exc.code, error_message=str(exc))
        except ModelsStarting as exc:  # the gateway keeps it queued and asks again
            log.warning("escalation.models_starting", reason=str(exc))
            raise RetryLater(str(exc)) from exc
        except NoBackendAvailable as exc:  # answered, not retried: the requester hears now
            log.error("escalation.no_backend", reason=str(exc))
            if self.queue is not None:
                return await self._to_operator(esc, "no_backend", [str(exc)])
            return pb.EscalateResponse(error_code="backend_unavailable", error_message=str(exc))
        if self.queue is not None and not answer.actions and self._rules.uncertain(answer.text):
            log.info("escalation.uncertain", backend=answer.backend)
            return await self._to_operator(esc, "uncertain",
                                           [f"{answer.backend}: {answer.text}"])
        log.info("escalation.answered", backend=answer.backend, tokens_in=answer.input_tokens,
                 tokens_out=answer.output_tokens, cost=answer.cost,
                 latency_ms=round(answer.latency_ms, 1))
        return pb.EscalateResponse(
            answer=answer.text, backend=answer.backend, model=answer.model,
            usage=pb.Usage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                           cost=answer.cost, latency_ms=answer.latency_ms),
            actions=[pb.Action(device_id=a.device_id, command=a.command, value=a.value,
                               unit=a.unit, reason=a.reason) for a in answer.actions])

    async def _to_operator(self, esc: Escalation, reason: str,
                           said: list[str]) -> pb.EscalateResponse:
        """File the escalation in the operator queue; the gateway tells the requester so."""
        assert self.queue is not None
        item = await self._db(self.queue.add_question, esc, reason, said)
        return pb.EscalateResponse(
            error_code=OPERATOR_QUEUE, backend="operator", model=item.id,
            error_message="No model could answer this with confidence; it waits for an "
                          "operator, whose answer will follow here.")

    async def upload(self, gateway: Gateway, request: pb.UploadRequest) -> pb.UploadResponse:
        """Store outbox items once each; an ``approval`` item also files a queue item, a
        ``correction`` a label (a replayed one is not stored twice)."""
        if len(request.items) > MAX_UPLOAD_ITEMS:
            raise InvalidRequest(f"at most {MAX_UPLOAD_ITEMS} items per upload")
        items = [{"key": i.idempotency_key, "kind": i.kind, "stream": i.stream,
                  "payload": i.payload.decode("utf-8", "replace"), "created": i.created_at}
                 for i in request.items if i.idempotency_key]
        return pb.UploadResponse(accepted=await self._db(self._store_upload, gateway, items))

    def _store_upload(self, gateway: Gateway, items: list[dict[str, Any]]) -> list[str]:
        """Store the items, then file the approvals among them (in the store's threads)."""
        accepted = self._store.store_uploads(gateway.id, items)
        for item in items:
            if item["kind"] == "approval" and self.queue is not None:
                self._file_approval(gateway, str(item["payload"]))
            elif item["kind"] == "correction" and self._labels is not None:
                self._labels.record(gateway.id, str(item["payload"]))
        return accepted

    def _file_approval(self, gateway: Gateway, payload: str) -> None:
        try:
            doc = json.loads(payload)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            log.warning("queue.approval_refused", device_id=gateway.id, reason="not a JSON object")
            return
        assert self.queue is not None
        self.queue.add_approval(gateway.id, gateway.site, doc)

    async def pull_commands(self, gateway: Gateway,
                      request: pb.PullCommandsRequest) -> pb.PullCommandsResponse:
        """Hand out this gateway's waiting commands."""
        records = await self._db(self._store.take_commands, gateway.id,
                                 max(1, min(request.max or 50, 500)))
        return pb.PullCommandsResponse(commands=[_command(r) for r in records])

    async def ack_command(self, gateway: Gateway, request: pb.CommandAck) -> pb.AckResponse:
        """Record a command's result, only for the gateway it was sent to."""
        recorded = await self._db(self._store.ack_command, gateway.id, request.command_id,
                                  request.ok, request.result_json[:65536])
        if recorded:
            log.info("command.acked", device_id=gateway.id, command_id=request.command_id,
                     ok=request.ok)
        return pb.AckResponse(recorded=recorded)


def _command(record: CommandRecord) -> pb.Command:
    """A stored command as it goes down the link; a rollout's arguments go typed."""
    command = pb.Command(id=record.id, name=record.name, args_json=record.args_json,
                         expires_at=record.expires_at)
    if record.name == "rollout":
        doc = json.loads(record.args_json)
        fields = pb.RolloutArgs.DESCRIPTOR.fields_by_name
        command.rollout.CopyFrom(pb.RolloutArgs(**{k: v for k, v in doc.items() if k in fields}))
    return command


def _model_counters(m: pb.ModelCounters) -> dict[str, object]:
    """One triage model's counters as the registry keeps them (for A/B tests)."""
    return {"version": m.model_version[:64], "requests": m.requests,
            "local_answers": m.local_answers, "escalations": m.escalations,
            "clarifications": m.clarifications, "corrections": m.corrections,
            "triage_p50_ms": m.triage_p50_ms, "triage_p99_ms": m.triage_p99_ms}


def _retrieved(task: asyncio.Task[pb.EscalateResponse]) -> None:
    """Mark a failed answer task's error as seen: the caller that awaited it handled it."""
    if not task.cancelled():
        task.exception()


def _lease_s(deadline: float | None) -> float:
    """How long a claim lasts from now: a few seconds past the request's deadline."""
    if deadline is None:
        return DEFAULT_LEASE_S
    return max(deadline - time.monotonic(), 0.0) + LEASE_GRACE_S


def _replayed(response: pb.EscalateResponse) -> pb.EscalateResponse:
    copy = pb.EscalateResponse()
    copy.CopyFrom(response)
    copy.replayed = True
    return copy


def _escalation(gateway: Gateway, request: pb.EscalateRequest) -> Escalation:
    return Escalation(
        key=request.idempotency_key, text=request.text[:MAX_TEXT_CHARS], device_id=gateway.id,
        site=gateway.site, request_id=request.request_id[:64], intent=request.intent[:32],
        confidence=request.confidence,
        context=tuple(ContextReading(r.device_id[:64], r.kind[:32], r.area[:64], r.value[:64],
                                     r.unit[:16], r.ts)
                      for r in request.context[:MAX_CONTEXT_READINGS]),
        alerts=tuple(a[:200] for a in request.alerts[:20]), model=request.model or "auto",
        max_tokens=max(16, min(request.max_tokens or 256, 1024)))
