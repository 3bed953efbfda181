"""What the broker does for a gateway, whichever transport carried the call (gRPC or MQTT).

Plain methods over the fleet store and the router: each takes the authenticated gateway and
the request message and returns the response message, or raises ``Unauthenticated``,
``InvalidRequest`` or ``RetryLater``; each transport maps those to its own status codes.
Escalations, answered once per idempotency key, are ``cloud_broker.link.escalations``'.

Every store call runs in the database's threads (``Database.run``), never on the event loop:
a slow statement (a write waiting for SQLite's lock, a PostgreSQL round trip) holds one call,
not every gateway's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

import structlog

from cloud_broker.errors import InvalidRequest, Unauthenticated
from cloud_broker.fleet import ArtefactStore, CommandRecord, FleetStore, Gateway
from cloud_broker.fleet.claims import Replica
from cloud_broker.fleet.store import Heartbeat
from cloud_broker.link.artefacts import ArtefactServing
from cloud_broker.link.escalations import Answerer, Escalations
from cloud_broker.link.heartbeats import Heartbeats
from cloud_broker.queue import OperatorQueue, QueueRules
from nanogate.link import MAX_UPLOAD_ITEMS
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("cloud_broker.link")
P = ParamSpec("P")
T = TypeVar("T")


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
        self._artefacts = artefacts
        self.queue = queue
        self._rules = queue_rules or QueueRules()
        self.replica = replica or Replica.start()
        released = store.release_claims(self.replica.name, self.replica.id)
        if released:
            log.warning("escalation.claims_released", replica=self.replica.name,
                        claims=released)
        self._heartbeats = Heartbeats(self._write_heartbeats)
        self._escalations = Escalations(store, router, self.replica, queue=queue,
                                        rules=self._rules)

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
        return await self._escalations.escalate(gateway, request, deadline=deadline)

    @property
    def escalations(self) -> int:
        """Escalations answered."""
        return self._escalations.answered

    @property
    def replays(self) -> int:
        """Escalations answered again from the store."""
        return self._escalations.replays

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
