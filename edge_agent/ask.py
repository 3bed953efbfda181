"""Requests that arrive on ``<prefix>/<site>/ask``: triage, answer locally or escalate, reply.

Replies go to the MQTT 5 response topic with the request's correlation data, or to the
``reply_to`` topic an MQTT 3.1.1 client put in its JSON, or else to ``<prefix>/<site>/replies``.
An escalation is committed to the outbox before the MQTT message is acknowledged; if the
cloud does not answer in time the requester hears ``queued`` at once and the real answer later.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from edge_agent.approvals import Approvals
from edge_agent.cloud_actions import DEFAULT_CLOUD_ACTION_MAX_AGE_S, CloudActions
from edge_agent.corrections import Corrections
from edge_agent.errors import StoreFull
from edge_agent.escalations import MAX_TOKENS, Escalation, ReplyRoute
from edge_agent.floors import answer_here_after_all
from edge_agent.model_stats import ModelStats
from edge_agent.normalise import normalise_text
from edge_agent.outbox import NewItem, Outbox, OutboxItem, new_key
from edge_agent.payloads import (
    MAX_TEXT_CHARS,
    AskRequest,
    BadPayload,
    ErrorInfo,
    Feedback,
    Reply,
    parse_request,
)
from edge_agent.ratelimit import RequesterLimit
from edge_agent.redact import Redactor, restore_response
from edge_agent.registry import Registry
from edge_agent.reply_topics import ReplyTopics, topic_matches
from edge_agent.skill_result import SkillResult
from edge_agent.skills import Skills
from edge_agent.sync import Link, SendOutcome
from edge_agent.triage.decision import Classifier, Decision
from nanogate.link import OPERATOR_QUEUE
from nanogate.v1 import edge_pb2 as pb

log = structlog.get_logger("edge_agent.ask")
__all__ = ["AskHandler", "Counters", "Publish", "ReplyRoute", "topic_matches"]


class Publish(Protocol):
    """Publishes a reply."""

    def __call__(self, topic: str, payload: bytes, correlation: bytes | None,
                 qos: int = 1) -> None:
        """Send one reply at this QoS."""
_CONTEXT_DEVICES = 20
RETAINED = ("the MQTT broker kept this request as a retained message and replays it at every "
            "reconnect, so it is not acted on; publish requests without the retain flag, and "
            "clear this one with an empty retained message on the ask topic")


@dataclass
class Counters:
    """What the gateway did with requests, for heartbeats and metrics."""

    requests: int = 0
    local: int = 0
    escalated: int = 0
    queued: int = 0
    errors: int = 0
    by_intent: dict[str, int] = field(default_factory=dict)
    models: ModelStats = field(default_factory=ModelStats)


class AskHandler:
    """Turns one request into one reply (and, when queued, a second one later)."""

    def __init__(self, *, triage: Classifier, skills: Skills, registry: Registry,
                 outbox: Outbox, link: Link, publish: Publish, default_reply_topic: str,
                 escalation_ttl_s: float, max_payload_bytes: int = 64 * 1024,
                 max_requests_per_min: int = 120, max_escalations_per_min: int = 0,
                 model_choice_topics: tuple[str, ...] = (),
                 reserved_topics: tuple[str, ...] = (),
                 cloud_action_max_age_s: float = DEFAULT_CLOUD_ACTION_MAX_AGE_S,
                 redactor: Redactor | None = None, below_threshold: bool = True,
                 approvals: Approvals | None = None) -> None:
        self._triage = triage
        self._skills = skills
        self._registry = registry
        self._outbox = outbox
        self._link = link
        self._publish = publish
        self._default_topic = default_reply_topic
        self._ttl = escalation_ttl_s
        self._max_bytes = max_payload_bytes
        self._limit = RequesterLimit(max_requests_per_min)
        # One allowance for every requester together: reply topics cost nothing to invent.
        self._escalations = RequesterLimit(max_escalations_per_min, max_requesters=1)
        self._model_choice_topics = model_choice_topics
        self._reply_topics = ReplyTopics(default_reply_topic, reserved_topics)
        self._actions = CloudActions(skills, triage, approvals, cloud_action_max_age_s)
        # False when the operator sends everything to the cloud (a threshold above 1): then
        # no read or command is done here below the threshold (floors.py).
        self._below_threshold = below_threshold
        self._redactor = redactor  # None: escalations leave as they are (tests, bench)
        self._approvals = approvals  # None: no actuator requires approval (tests, bench)
        self.counters = Counters()
        self.corrections = Corrections(outbox, self.counters.models, redactor, wake=link.wake)
        self._tasks: set[asyncio.Task[None]] = set()

    def handle(self, payload: bytes, response_topic: str | None, correlation: bytes | None,
               qos: int = 1, *, retained: bool = False) -> None:
        """Answer a request; returns once its reply is sent or it is durably queued.

        A ``retained`` request (replayed from the MQTT broker's store at each reconnect) is
        refused: acting on it would run the same command again at every restart.
        """
        self.counters.requests += 1
        try:
            request = self._parse(payload)
        except BadPayload as exc:
            route = self._route(response_topic, correlation, _loose_id(payload), qos)
            if route is not None and self._admit(route, _loose_id(payload)):
                self._fail(route, _loose_id(payload), exc.code, exc.message)
            return
        request_id = str(request.id) or uuid.uuid4().hex[:12]
        route = self._route(response_topic or request.reply_to, correlation, request_id, qos)
        if route is None or not self._admit(route, request_id):
            return
        if retained:
            self._fail(route, request_id, "retained", RETAINED)
            return
        if isinstance(request, Feedback):
            self._send(route, self.corrections.feedback(route.topic, request))
            return
        request = self._model_allowed(request, route)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            self._answer(request, request_id, route)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")

    def _parse(self, payload: bytes) -> AskRequest | Feedback:
        if len(payload) > self._max_bytes:
            raise BadPayload("too_large",
                             f"the request is {len(payload)} bytes; the limit is {self._max_bytes}")
        return parse_request(payload)

    def _route(self, topic: str | None, correlation: bytes | None,
               request_id: str, qos: int = 1) -> ReplyRoute | None:
        """Where to reply; None (after an error reply to the default topic) if not there."""
        qos = min(max(qos, 0), 1)
        default = ReplyRoute(self._default_topic, correlation, qos)
        if not topic:
            return default
        problem = self._reply_topics.problem(topic)
        if problem is None:
            return ReplyRoute(topic, correlation, qos)
        if self._admit(default, request_id):
            self._fail(default, request_id, "bad_reply_topic",
                       f"replies cannot go to {topic[:200]!r}: {problem}")
        return None

    def _admit(self, route: ReplyRoute, request_id: str) -> bool:
        """Take a request from its requester's allowance; refuse it with a reply if spent."""
        if self._limit.allow(route.topic):
            return True
        self._fail(route, request_id, "rate_limited",
                   f"more than {self._limit.per_minute} requests a minute for {route.topic[:200]}"
                   "; wait a little and send it again")
        return False

    def _model_allowed(self, request: AskRequest, route: ReplyRoute) -> AskRequest:
        """The request with its ``model`` dropped unless this requester may choose one."""
        if request.model is None or any(
                topic_matches(f, route.topic) for f in self._model_choice_topics):
            return request
        log.info("request.model_ignored", model=request.model[:64])
        return request.model_copy(update={"model": None})

    def _answer(self, request: AskRequest, request_id: str, route: ReplyRoute) -> None:
        text = normalise_text(request.text, MAX_TEXT_CHARS)
        if not text:
            self._fail(route, request_id, "bad_request",
                       "text: the text is empty (only spaces, control or invisible characters)")
            return
        self.corrections.follow_up(route.topic, text)
        started = time.perf_counter()
        decision = self._triage.classify(text)
        triage_ms = (time.perf_counter() - started) * 1000
        version = getattr(self._triage, "version", "")
        by_intent = self.counters.by_intent
        by_intent[decision.intent] = by_intent.get(decision.intent, 0) + 1
        local = decision.route == "local" or answer_here_after_all(
            decision, self._skills, below_threshold=self._below_threshold)
        if local and not request.model:
            key = _request_key(request, route, text) or new_key()
            result = self._skills.answer(decision, key=key)
            if result.data.get("pending"):
                self._hold(result, key, request_id, decision.intent, route, text)
                return
            self._reply_local(route, request_id, decision, result, started)
            clarify = bool(result.data.get("clarify"))
            self.counters.models.record(version, local=True, clarify=clarify,
                                        latency_ms=triage_ms)
            if not clarify and not result.error_code:
                self.corrections.remember(route.topic, request_id, key, text, decision, version,
                                          result.data)
            return
        self.counters.models.record(version, local=False, clarify=False, latency_ms=triage_ms)
        self._escalate(request, text, request_id, decision, route)

    def _hold(self, result: SkillResult, key: str, request_id: str, intent: str,
              route: ReplyRoute, text: str) -> None:
        """Hold a change for an operator's approval and answer ``pending`` now."""
        assert self._approvals is not None, "an actuator requires approval: wire Approvals"
        try:
            held = self._approvals.hold_action(result, request_key=key, request_id=request_id,
                                               intent=intent, route=route.to_json(), text=text)
        except StoreFull as exc:
            self._fail(route, request_id, "store_full", str(exc), intent=intent)
            return
        self._link.wake()
        self._send(route, Reply(id=request_id, route="pending", intent=intent,
                                answer=result.answer, data={**result.data, "approval": held}))
        log.info("request.pending", approval=held, device=result.data.get("device"))

    def send_to(self, route: dict[str, str], reply: Reply) -> None:
        """Send a later reply to a stored route (``ReplyRoute.to_json``), at QoS 1."""
        self._send(ReplyRoute.from_json(route), reply)

    def _reply_local(self, route: ReplyRoute, request_id: str, decision: Decision,
                     result: SkillResult, started: float) -> None:
        self.counters.local += 1
        error = ErrorInfo(code=result.error_code, message=result.answer) \
            if result.error_code and result.error_code != "unresolved" else None
        data = {**result.data, "confidence": round(decision.confidence, 3),
                "slots": decision.slots.as_dict()}
        self._send(route, Reply(id=request_id, route="local", intent=decision.intent,
                                answer=result.answer, data=data, error=error))
        log.info("request.answered", route="local", intent=decision.intent,
                 confidence=round(decision.confidence, 3),
                 latency_ms=round((time.perf_counter() - started) * 1000, 3))

    def _escalate(self, request: AskRequest, text: str, request_id: str, decision: Decision,
                  route: ReplyRoute) -> None:
        key = _request_key(request, route, text)
        if key is not None and self._outbox.get(key) is not None:
            # MQTT delivered the same request again (the daemon died before acknowledging it):
            # it is already queued, and the drain will answer it once.
            log.info("request.redelivered", key=key)
            return
        if not self._escalations.allow("all"):
            self._fail(route, request_id, "busy",
                       f"the gateway already sent {self._escalations.per_minute} requests to "
                       "the cloud this minute; send it again in a minute",
                       intent=decision.intent)
            return
        escalation = self._escalation(key or new_key(), request, text, request_id, decision,
                                      route)
        try:
            item = self._outbox.put(NewItem.escalating(escalation, ttl_s=self._ttl))
        except StoreFull as exc:
            self._fail(route, request_id, "store_full", str(exc), intent=decision.intent)
            return
        log.info("request.escalating", intent=decision.intent,
                 confidence=round(decision.confidence, 3), key=item.key)
        sending = self._link.submit(item)  # the link sends it, once, from now
        task = asyncio.get_running_loop().create_task(
            self._reply_when_sent(sending, item, route, request_id, decision),
            name=f"escalate.{item.key[:8]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _escalation(self, key: str, request: AskRequest, text: str, request_id: str,
                    decision: Decision, route: ReplyRoute) -> Escalation:
        """The escalation to queue: the request as the cloud will see it (redacted), where its
        answer goes, and the redaction mapping, which stays here."""
        up = pb.EscalateRequest(
            idempotency_key=key, request_id=request_id, text=text, intent=decision.intent,
            confidence=decision.confidence, context=self._context(decision),
            alerts=[a["message"] for a in self._skills.alerts()][:20],
            model=request.model or "auto", created_at=time.time(), max_tokens=MAX_TOKENS)
        if self._redactor is None:
            return Escalation(up, route)
        redacted, mapping = self._redactor.request(up)
        return Escalation(redacted, route, mapping)

    async def _reply_when_sent(self, sending: asyncio.Task[SendOutcome], item: OutboxItem,
                               route: ReplyRoute, request_id: str, decision: Decision) -> None:
        """Tell the requester its request is queued when the link could not answer it now
        (an answer, or a dead letter's error, has already reached it otherwise)."""
        if await sending != "queued":
            return
        self.counters.queued += 1
        self._send(route, Reply(
            id=request_id, route="queued", intent=decision.intent,
            answer="The cloud is unreachable; your request is queued and will be answered "
                   "when the link returns.", data={"key": item.key}))
        log.info("request.queued", key=item.key)

    async def deliver(self, item: OutboxItem, response: pb.EscalateResponse) -> None:
        """Send a cloud answer to its requester, applying the actions it may apply.

        Actions run only for a ``set_actuator`` request answered within the freshness window,
        only on actuators the request named, through the policy and the actuation journal (so
        a replayed answer never actuates twice); otherwise they come back as proposals.
        """
        self.counters.escalated += 1
        escalation = item.queued()
        route = escalation.route
        if response.error_code == OPERATOR_QUEUE and self._approvals is not None:
            self._approvals.hold_question(item, response)
            self._send(route, Reply(id=escalation.request_id, route="queued",
                                    intent=escalation.intent, answer=response.error_message,
                                    data={"key": item.key, "operator_queue": response.model}))
            log.info("request.queued", key=item.key, reason="operator_queue")
            return
        data: dict[str, Any] = {"backend": response.backend, "model": response.model,
                                "replayed": response.replayed}
        response, invented = restore_response(response, dict(escalation.redaction))
        if invented:  # placeholders the model made up stay as they are: no device has them
            data["unknown_placeholders"] = invented
            log.warning("redaction.unknown_placeholders", key=item.key, placeholders=invented)
        answer = response.answer
        if response.actions:
            notes = self._actions.apply(item, response, data)
            answer = " ".join([answer, *notes]).strip()
        error = ErrorInfo(code=response.error_code, message=response.error_message) \
            if response.error_code else None
        held = any(a.get("pending") for a in data.get("actions", []))
        self._send(route, Reply(id=escalation.request_id,
                                route="pending" if held else "escalated",
                                intent=escalation.intent,
                                answer=answer or response.error_message, data=data, error=error))
        log.info("request.answered", route="escalated", key=item.key, backend=response.backend,
                 replayed=response.replayed, request_id=escalation.request_id)

    def _context(self, decision: Decision) -> list[pb.Reading]:
        ids = [d.id for d in self._skills.resolver.related(decision.slots, _CONTEXT_DEVICES)]
        context = []
        for device_id in ids[:_CONTEXT_DEVICES]:
            device = self._registry.get(device_id)
            reading = self._registry.latest(device_id)
            if device is None:
                continue
            context.append(pb.Reading(
                device_id=device.id, kind=device.kind, area=device.area,
                value="" if reading is None else str(reading.value), unit=device.unit,
                ts=0.0 if reading is None or reading.ts is None else reading.ts))
        return context

    def _fail(self, route: ReplyRoute, request_id: str, code: str, message: str,
              intent: str = "unknown") -> None:
        self.counters.errors += 1
        log.warning("request.rejected", code=code, error=message, request_id=request_id)
        self._send(route, Reply(id=request_id, route="local", intent=intent,
                                answer=f"Sorry, I could not take that request: {message}",
                                error=ErrorInfo(code=code, message=message)))

    def _send(self, route: ReplyRoute, reply: Reply) -> None:
        self._publish(route.topic, reply.to_bytes(), route.correlation, route.qos)


def _request_key(request: AskRequest, route: ReplyRoute, text: str) -> str | None:
    """A stable key for a request that names its id, so a redelivery is recognised."""
    if request.id == "":
        return None
    digest = hashlib.sha256("\x1f".join(
        [str(request.id), route.topic, (route.correlation or b"").hex(), text]).encode())
    return "rq-" + digest.hexdigest()[:40]


def _loose_id(payload: bytes) -> str:
    """The request id from a payload that failed validation, if one can be found."""
    match = re.search(rb'"id"\s*:\s*"?([\w.:-]{1,64})', payload[:4096])
    return match.group(1).decode() if match else ""
