"""The gateway's side of the link: enrol, drain the outbox, heartbeat and take commands.

While the broker is unreachable the link probes it with exponential backoff and jitter
(capped at ``retry_max_s``); as soon as the channel is ready again it drains the outbox in
priority order, one stream at a time so each requester's answers keep their order.

Each item is delivered inside its own error boundary: a failure backs that item off
(doubling from ``[cloud] retry_min_s`` up to ``[outbox] retry_max_s``); after
``[outbox] max_attempts`` it is dead-lettered, and a waiting requester gets an error reply.
A poison item (an undeliverable reply route, a broken payload) is dead-lettered at once.
An escalation goes up as the ``pb.EscalateRequest`` it was queued as; its reply route and
redaction mapping never leave the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

import structlog

from edge_agent.config import CloudSection, GatewaySection
from edge_agent.errors import CloudRejected, CloudUnavailable, StoreFull
from edge_agent.outbox import NewItem, Outbox, OutboxItem
from edge_agent.sync.transport import Identity, Transport
from nanogate.secret_files import write_secret
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.sync")


def _installed_version() -> str:
    """The installed nanogate's version: what heartbeats report and agent rollouts target."""
    try:
        return importlib.metadata.version("nanogate")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "0.1.0"


AGENT_VERSION = _installed_version()
AnswerHandler = Callable[[OutboxItem, pb.EscalateResponse], Awaitable[None]]
CommandHandler = Callable[[pb.Command], Awaitable[tuple[bool, dict[str, object]]]]
HealthProbe = Callable[[], pb.HeartbeatRequest]
_STREAMS_AT_ONCE = 4
SendOutcome = Literal["answered", "queued", "failed"]


class Link:
    """Owns the transport and everything that travels over it."""

    def __init__(
        self,
        transport: Transport,
        outbox: Outbox,
        cloud: CloudSection,
        gateway: GatewaySection,
        *,
        on_answer: AnswerHandler,
        on_command: CommandHandler,
        health: HealthProbe,
        batch_size: int = 200,
        max_attempts: int = 30,
        retry_max_s: float = 300.0,
    ) -> None:
        self._transport = transport
        self._outbox = outbox
        self._cloud = cloud
        self._gateway = gateway
        self._on_answer = on_answer
        self._on_command = on_command
        self._health = health
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_max_s = retry_max_s
        self._throttle = Throttle(cloud.upload_bytes_per_s)
        self._identity_path = gateway.data_dir / "identity.json"
        self.identity: Identity | None = None
        self.up = asyncio.Event()
        self.heard = asyncio.Event()  # set once the broker answered a heartbeat
        self.enrolled = asyncio.Event()
        self._wake = asyncio.Event()
        self._inflight: set[str] = set()
        self.drained = 0

    async def run(self) -> None:
        """Enrol, then drain, heartbeat and poll for commands until cancelled."""
        await self._enrol()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._drain_forever(), name="link.drain")
            tg.create_task(self._heartbeat_forever(), name="link.heartbeat")

    def wake(self) -> None:
        """Something new waits in the outbox: look now rather than at the next tick."""
        self._wake.set()

    def submit(self, item: OutboxItem) -> asyncio.Task[SendOutcome]:
        """Send a new escalation at once; the task tells how it went.

        The link is the only sender of outbox items. This and the drain share one in-flight
        set, and each takes its items there before its first ``await``, so an item is never
        sent twice. The outcome: ``answered`` (the answer went to its requester), ``queued``
        (the item waits in the outbox; the drain answers it once the link is back) or
        ``failed`` (dead-lettered, and its requester told why). A new request is sent in a
        task of its own rather than in the drain's batch, so it never waits behind a replay.
        """
        claimed = item.key not in self._inflight
        self._inflight.add(item.key)
        return asyncio.get_running_loop().create_task(
            self._send_claimed(item) if claimed else _already("queued"),
            name=f"link.send.{item.key[:8]}")

    async def _send_claimed(self, item: OutboxItem) -> SendOutcome:
        try:
            if self.identity is None or not self.up.is_set():
                return "queued"
            delivered = await self._guarded(item, partial(self._escalate_one, item))
            return "answered" if delivered else "failed"
        except CloudUnavailable as exc:
            self.up.clear()
            log.warning("link.down", error=str(exc))
            return "queued"
        finally:
            self._inflight.discard(item.key)
            self.wake()

    # enrolment ------------------------------------------------------------------------------

    async def _enrol(self) -> None:
        self.identity = _load_identity(self._identity_path)
        delay = self._cloud.retry_min_s
        while self.identity is None:
            if not self._cloud.enrol_token:
                log.error("link.not_enrolled", fix="set [cloud] enrol_token in the config")
                return
            try:
                reply = await self._transport.enrol(pb.EnrolRequest(
                    token=self._cloud.enrol_token, requested_id=self._gateway.id,
                    site=self._gateway.site, agent_version=AGENT_VERSION), timeout=10.0)
            except CloudUnavailable as exc:
                log.info("link.enrol_retrying", error=str(exc), delay_s=round(delay, 2))
                await asyncio.sleep(delay)
                delay = _next_delay(delay, self._cloud.retry_max_s)
                continue
            except CloudRejected as exc:
                log.error("link.enrol_refused", error=str(exc),
                          fix="ask an operator for a new enrolment token")
                return
            self.identity = Identity(reply.device_id, reply.credential, reply.site,
                                     reply.artefact_public_key)
            _save_identity(self._identity_path, self.identity)
            log.info("link.enrolled", device_id=reply.device_id)
        self._transport.set_identity(self.identity)
        structlog.contextvars.bind_contextvars(gateway_id=self.identity.device_id)
        self.enrolled.set()

    # drain ----------------------------------------------------------------------------------

    async def _drain_forever(self) -> None:
        if self.identity is None:
            return
        delay = self._cloud.retry_min_s
        while True:
            if not self.up.is_set():
                if not await self._transport.probe(timeout=delay):
                    log.debug("link.probe_failed", next_delay_s=round(delay, 2))
                    delay = _next_delay(delay, self._cloud.retry_max_s)
                    continue
                self.up.set()
                delay = self._cloud.retry_min_s
                log.info("link.up")
            self._wake.clear()
            try:
                sent = await self.drain_once()
            except CloudUnavailable as exc:
                self.up.clear()
                log.warning("link.down", error=str(exc))
                continue
            except Exception:  # the last boundary: the daemon never dies in the drain
                log.exception("link.drain_failed")
                sent = 0
            if sent == 0:
                await _wait(self._wake, timeout=1.0)

    async def drain_once(self) -> int:
        """Send one batch of due items; returns how many were delivered."""
        items = [i for i in self._outbox.due(self._batch_size) if i.key not in self._inflight]
        if not items:
            return 0
        keys = {i.key for i in items}
        self._inflight |= keys  # taken before the first await: ``submit`` cannot send them
        by_kind: dict[str, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_kind[item.kind].append(item)
        try:
            delivered = await self._send_acks(by_kind.pop("ack", []))
            delivered += await self._send_escalations(by_kind.pop("escalation", []))
            delivered += await self._upload([i for group in by_kind.values() for i in group])
        finally:
            self._inflight -= keys
        self.drained += delivered
        if delivered:
            log.info("outbox.replayed", items=delivered)
        return delivered

    async def answer(self, item: OutboxItem, reply: pb.EscalateResponse) -> bool:
        """Hand a cloud answer to its requester, then forget the item; False if poisoned."""
        return await self._guarded(item, partial(self._answered, item, reply))

    async def _answered(self, item: OutboxItem, reply: pb.EscalateResponse) -> None:
        await self._on_answer(item, reply)
        self._outbox.remove([item.key])

    async def _guarded(self, item: OutboxItem, send: Callable[[], Awaitable[None]]) -> bool:
        """One item's delivery in its own error boundary: a bad item never stops the drain."""
        try:
            await send()
            return True
        except CloudUnavailable as exc:
            await self._back_off(item, str(exc))
            raise  # the link itself may be down: the drain probes it again
        except CloudRejected as exc:
            await self._back_off(item, str(exc))
        except Exception as exc:  # a poison item (a bad reply route, a broken payload)
            log.exception("outbox.item_failed", key=item.key, kind=item.kind)
            await self._give_up(item, f"{type(exc).__name__}: {exc}")
        return False

    async def _back_off(self, item: OutboxItem, error: str) -> None:
        """Hold one item back, longer after each failure; give up after ``max_attempts``."""
        attempts = self._outbox.retry_later(item.key, _item_delay(
            item.attempts + 1, self._cloud.retry_min_s, self._retry_max_s))
        if attempts >= self._max_attempts:
            await self._give_up(item, f"{attempts} attempts failed; the last: {error}")

    async def _give_up(self, item: OutboxItem, error: str) -> None:
        """Dead-letter an item; a requester still waiting hears why."""
        if item.kind == "escalation":
            try:
                await self._on_answer(item, pb.EscalateResponse(
                    error_code="undeliverable",
                    error_message=f"the request could not be answered: {error[:500]}"))
            except Exception:  # its reply route is what is broken
                log.exception("outbox.error_reply_failed", key=item.key)
        self._outbox.dead_letter(item.key, error)
        log.error("outbox.dead_lettered", key=item.key, kind=item.kind, error=error[:500])

    async def _send_acks(self, items: list[OutboxItem]) -> int:
        sent = 0
        for item in items:
            sent += await self._guarded(item, partial(self._ack_one, item))
        return sent

    async def _ack_one(self, item: OutboxItem) -> None:
        await self._transport.ack_command(pb.CommandAck(
            command_id=item.payload["command_id"], ok=item.payload["ok"],
            result_json=json.dumps(item.payload.get("result", {}))), timeout=10.0)
        self._outbox.remove([item.key])

    async def _send_escalations(self, items: list[OutboxItem]) -> int:
        streams: dict[str, list[OutboxItem]] = defaultdict(list)
        for item in items:
            streams[item.stream].append(item)
        gate = asyncio.Semaphore(_STREAMS_AT_ONCE)
        results = await asyncio.gather(
            *(self._send_stream(queue, gate) for queue in streams.values()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(r for r in results if isinstance(r, int))

    async def _send_stream(self, queue: list[OutboxItem], gate: asyncio.Semaphore) -> int:
        sent = 0
        async with gate:
            for item in queue:
                sent += await self._guarded(item, partial(self._escalate_one, item))
        return sent

    async def _escalate_one(self, item: OutboxItem) -> None:
        try:
            reply = await self._transport.escalate(
                escalate_request(item), timeout=self._cloud.escalate_timeout_s)
        except CloudRejected as exc:  # permanent: the requester gets it as an error reply
            reply = pb.EscalateResponse(error_code=exc.code, error_message=exc.message)
        await self._answered(item, reply)

    async def _upload(self, items: list[OutboxItem]) -> int:
        if not items:
            return 0
        request = pb.UploadRequest(items=[
            pb.OutboxItem(idempotency_key=i.key, kind=i.kind, stream=i.stream,
                          payload=json.dumps(i.payload).encode(), created_at=i.created)
            for i in items])
        await self._throttle.take(request.ByteSize())
        try:
            reply = await self._transport.upload(request, timeout=30.0)
        except CloudRejected as exc:
            for item in items:
                await self._back_off(item, str(exc))
            return 0
        return self._outbox.remove(list(reply.accepted))

    # heartbeat and commands -----------------------------------------------------------------

    async def _heartbeat_forever(self) -> None:
        if self.identity is None:
            return
        while True:
            try:
                reply = await self._transport.heartbeat(self._health(), timeout=5.0)
                self.heard.set()
                if reply.pending_commands:
                    await self._take_commands()
            except CloudUnavailable:
                self.up.clear()
            except CloudRejected as exc:
                log.error("link.heartbeat_refused", error=str(exc))
            await asyncio.sleep(self._cloud.heartbeat_s)

    async def _take_commands(self) -> None:
        for command in await self._transport.pull_commands(max_items=50, timeout=5.0):
            ok, result = await self._on_command(command)
            self.ack(command.id, ok, result)

    def ack(self, command_id: str, ok: bool, result: dict[str, Any]) -> None:
        """Queue a command's acknowledgement (durable in the outbox) and wake the drain."""
        try:
            self._outbox.put(NewItem("ack", "acks", {
                "command_id": command_id, "ok": ok, "result": result}, key=f"ack-{command_id}"))
        except StoreFull:
            log.error("command.ack_lost", command_id=command_id)
        self.wake()


class Throttle:
    """Spaces uploads so they average at most ``rate`` bytes a second (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._next_free = 0.0

    async def take(self, nbytes: int) -> None:
        """Wait until ``nbytes`` may be sent."""
        if self._rate <= 0:
            return
        now = time.monotonic()
        start = max(now, self._next_free)
        self._next_free = start + nbytes / self._rate
        if start > now:
            await asyncio.sleep(start - now)


def escalate_request(item: OutboxItem) -> pb.EscalateRequest:
    """The request a queued escalation sends, as it was queued; ``ValueError`` if the item
    holds none. The same item always gives the same key."""
    request = item.queued().request
    if request.idempotency_key != item.key:
        raise ValueError(f"outbox item {item.key} holds the request of "
                         f"{request.idempotency_key!r}")
    return request


async def _already(outcome: SendOutcome) -> SendOutcome:
    return outcome


def _item_delay(attempts: int, first: float, cap: float) -> float:
    """How long one item waits after its ``attempts``-th failure: doubling, with jitter."""
    return min(cap, first * 2.0 ** min(attempts - 1, 30)) * random.uniform(0.8, 1.2)


def _next_delay(delay: float, cap: float) -> float:
    # Jitter only below the cap: the README promises waits of 0.2 s to 2 s.
    return min(cap, delay * 2) * random.uniform(0.8, 1.0)


async def _wait(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)


def _load_identity(path: Path) -> Identity | None:
    try:
        doc = json.loads(path.read_text())
        return Identity(doc["device_id"], doc["credential"], doc.get("site", ""),
                        doc.get("signing_key", ""))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError) as exc:
        log.error("link.identity_unreadable", path=str(path), error=str(exc))
        return None


def _save_identity(path: Path, identity: Identity) -> None:
    write_secret(path, json.dumps({"device_id": identity.device_id,
                                   "credential": identity.credential, "site": identity.site,
                                   "signing_key": identity.signing_key}).encode())
