"""Escalations answered once per idempotency key, whichever transport or replica carried them.

A replayed key returns the stored answer and is not routed (or charged) again. A claim on a
key is a lease (``cloud_broker.fleet.claims``): this replica renews it while the model works
(one task renews all it holds, in one trip, not a task per escalation), and a replay that
finds it held elsewhere waits at most until the lease ends, then takes it over and asks the
model again. Exactly-once stays the database's decision (the claim is one statement); the
in-flight table keeps a retry arriving while its first attempt is answered on this replica
from asking the database at all.

Store calls run in the database's threads, not on the event loop, with one exception: an
escalation's two writes, the claim and at the end its ledger rows with the claim's finish
(``Charges``), go through ``GroupCommit``, which on SQLite runs a write on the loop itself
when SQLite can take it without waiting for a lock or syncing a file (saving two thread
wake-ups a write), and otherwise sends it to the database's thread, where the writes of the
escalations in flight at the same moment share one trip and one transaction (each in its own
savepoint, so one that fails fails alone). Either way each commits before the escalation
goes on: the claim before the model is called, the ledger rows before the answer goes out.

An escalation no backend could answer is answered ``backend_unavailable`` (within the
deadline), or filed in the operator queue, unless a local model is only (re)starting: then
``RetryLater``, and the gateway asks again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from functools import partial
from typing import ParamSpec, Protocol, TypeVar

import structlog

from cloud_broker.errors import (
    InvalidRequest,
    ModelsStarting,
    NoBackendAvailable,
    OverBudget,
    RequestRejected,
    RetryLater,
    UnknownModel,
)
from cloud_broker.escalation import Answer, ContextReading, Escalation
from cloud_broker.fleet import FleetStore, Gateway
from cloud_broker.fleet.claims import DEFAULT_LEASE_S, EscalationRecord, Lease, Replica
from cloud_broker.fleet.groupcommit import GroupCommit, retrieved
from cloud_broker.queue import OperatorQueue, QueueRules
from cloud_broker.routing.charges import Charges
from nanogate.link import MAX_CONTEXT_READINGS, MAX_TEXT_CHARS, OPERATOR_QUEUE
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


class Escalations:
    """The escalation half of ``LinkCore``: claims, answers, stores and charges each key once."""

    def __init__(self, store: FleetStore, router: Answerer, replica: Replica, *,
                 queue: OperatorQueue | None, rules: QueueRules) -> None:
        self._store, self._router, self.replica = store, router, replica
        self._queue, self._rules = queue, rules
        self._inflight: dict[str, asyncio.Task[pb.EscalateResponse]] = {}
        self._held: dict[str, float | None] = {}  # claims being worked on: key -> deadline
        self._renewer: asyncio.Task[None] | None = None
        self._writes = GroupCommit(store.db)
        self.answered = 0
        self.replays = 0

    async def _db(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call off the event loop."""
        return await self._store.db.run(call, *args, **kwargs)

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
            lease = await self._writes.write(partial(
                self._store.lease_escalation, key, gateway.id, owner=self.replica.id,
                lease_s=_lease_s(deadline)))
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
        work.add_done_callback(retrieved)
        self._inflight[key] = work
        return await asyncio.shield(work)

    async def _work(self, key: str, esc: Escalation,
                    deadline: float | None) -> pb.EscalateResponse:
        self._hold(key, deadline)
        charges = Charges.open()  # the router's ledger rows, committed with the claim below
        try:
            try:
                response = await self._route(esc, deadline)
            except BaseException:
                # Written even if this task is cancelled again: the claim is released.
                await self._writes.write(partial(self._settle, key, None, charges.close()),
                                         charges.write_notes, charges.write_notes_now)
                raise
            finally:
                self._held.pop(key, None)
            # Stored before the key leaves the in-flight table, so a retry arriving now waits
            # on this task rather than finding a pending claim in the database.
            try:
                await self._writes.write(partial(self._settle, key, response, charges.close()),
                                         charges.write_notes, charges.write_notes_now)
            except Exception:  # the answer is not stored, but the model was paid: charge it
                await asyncio.shield(self._db(self._charge, charges))
                raise
        finally:
            self._inflight.pop(key, None)
        self.answered += 1
        return response

    def _settle(self, key: str, response: pb.EscalateResponse | None, charges: Charges) -> None:
        """Write the work's ledger rows and store its answer (or, with none, release the
        claim for a replay), in the transaction ``GroupCommit`` holds: one trip from the loop,
        shared with the other escalations ending now; the journal's notes follow the commit."""
        charges.commit()
        if response is None:
            self._store.release_escalation(key)
        else:
            self._store.finish_escalation(key, response.SerializeToString(),
                                          response.error_code or "ok")

    def _charge(self, charges: Charges) -> None:
        """Commit the work's ledger rows alone (its answer could not be stored)."""
        charges.commit()
        charges.write_notes()

    def _hold(self, key: str, deadline: float | None) -> None:
        """Renew this claim while it is worked on, with the others (see ``_renew_held``)."""
        self._held[key] = deadline
        renewer, loop = self._renewer, asyncio.get_running_loop()
        if renewer is None or renewer.done() or renewer.get_loop() is not loop:
            self._renewer = asyncio.create_task(self._renew_held(), name="escalation.renew")

    async def _renew_held(self) -> None:
        """Keep this replica's claims alive while it works (each a few seconds past its
        deadline): every ``_RENEW_EVERY_S``, all of them in one trip; ends when none is held."""
        while self._held:
            await asyncio.sleep(_RENEW_EVERY_S)
            held = dict(self._held)
            lost = await self._db(self._renew, held) if held else []
            for key in lost:
                if key in self._held:  # not answered meanwhile: another replica took it
                    del self._held[key]
                    log.warning("escalation.lease_lost", key=key)

    def _renew(self, held: dict[str, float | None]) -> list[str]:
        """Renew each claim; the keys no longer held by this replica (or answered)."""
        return [key for key, deadline in held.items()
                if not self._store.renew_escalation(key, self.replica.id, _lease_s(deadline))]

    async def _route(self, esc: Escalation, deadline: float | None) -> pb.EscalateResponse:
        try:
            answer = await self._router.answer(esc, deadline=deadline)
        except OverBudget as exc:
            log.warning("escalation.over_budget", reason=str(exc))
            if self._queue is not None and self._rules.over_budget == "operator":
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
            if self._queue is not None:
                return await self._to_operator(esc, "no_backend", [str(exc)])
            return pb.EscalateResponse(error_code="backend_unavailable", error_message=str(exc))
        if self._queue is not None and not answer.actions and self._rules.uncertain(answer.text):
            log.info("escalation.uncertain", backend=answer.backend)
            return await self._to_operator(esc, "uncertain",
                                           [f"{answer.backend}: {answer.text}"])
        # No line of its own here: the router logs ``escalation.answered`` (``answer.cached``
        # for a cached answer) with the same fields; a second line cost each escalation a
        # rendered JSON line at the info level.
        return pb.EscalateResponse(
            answer=answer.text, backend=answer.backend, model=answer.model,
            usage=pb.Usage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                           cost=answer.cost, latency_ms=answer.latency_ms),
            actions=[pb.Action(device_id=a.device_id, command=a.command, value=a.value,
                               unit=a.unit, reason=a.reason) for a in answer.actions])

    async def _to_operator(self, esc: Escalation, reason: str,
                           said: list[str]) -> pb.EscalateResponse:
        """File the escalation in the operator queue; the gateway tells the requester so."""
        assert self._queue is not None
        item = await self._db(self._queue.add_question, esc, reason, said)
        return pb.EscalateResponse(
            error_code=OPERATOR_QUEUE, backend="operator", model=item.id,
            error_message="No model could answer this with confidence; it waits for an "
                          "operator, whose answer will follow here.")


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
