"""The escalation router: picks a backend, falls back on failure, keeps budgets, accounts usage.

Order of a request: response cache (escalations only: raw chat, with its own sampling
options, is never cached), budgets, then the backend chain (cheapest backend whose tier suits
the request first), each backend behind a circuit breaker and tried `1 + retries`
times, never past the caller's deadline. A backend that refuses the request itself (a prompt
longer than its context, a body it calls invalid) is neither retried nor held against its
breaker; the next backend may still take it, and when none does the caller hears
`RequestRejected` (OpenAI's 400 `context_length_exceeded`), not "no backend". The walk along
the chain is `cloud_broker.routing.walk`'s; prices, ledger rows and budget checks are
`cloud_broker.routing.accounting`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import structlog

from cloud_broker.backends import DEFAULT_SAMPLING, Backend, Completion, Message, Sampling, Tool
from cloud_broker.backends.worker import WorkerBackend
from cloud_broker.errors import (
    BackendError,
    BackendRateLimited,
    BackendRejected,
    BackendStarting,
    ConfigError,
    OverBudget,
    UnknownModel,
)
from cloud_broker.escalation import Answer, Escalation, ProposedAction
from cloud_broker.routing.accounting import Accounting
from cloud_broker.routing.actions import (
    ActionFilter,
    split_actions,
    tool_call_objects,
    validate_actions,
)
from cloud_broker.routing.breaker import CircuitBreaker
from cloud_broker.routing.cache import AnswerCache, cache_key
from cloud_broker.routing.ledger import UsageLedger
from cloud_broker.routing.policy import (
    Budget,
    RoutingPolicy,
    TierPolicy,
    tier_for,
)
from cloud_broker.routing.prompts import SET_ACTUATOR_TOOL, PromptTemplates
from cloud_broker.routing.walk import Walk

__all__ = ["Budget", "Router", "RoutingPolicy", "TierPolicy", "cache_key"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Request:
    """One request as the router handles it: an escalation, or raw chat messages."""

    key: str
    device: str
    site: str
    model: str
    max_tokens: int
    tier: int
    esc: Escalation | None = None
    messages: tuple[Message, ...] = ()
    sampling: Sampling = DEFAULT_SAMPLING


class Router:
    """Answers escalations and chat requests with the best backend still working."""

    def __init__(
        self,
        backends: Sequence[Backend],
        ledger: UsageLedger,
        policy: RoutingPolicy,
        prompts_dir: Path | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [b.name for b in backends]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"backends need distinct names and at least one; got {names}")
        self._backends = tuple(backends)
        self._policy, self._clock = policy, clock
        self._prompts = PromptTemplates.load(prompts_dir)
        self._breakers = {
            b.name: CircuitBreaker(
                b.name,
                failure_threshold=policy.failure_threshold,
                cooldown_s=policy.cooldown_s,
                clock=clock,
            )
            for b in backends
        }
        self._cache = AnswerCache(policy.cache_ttl_s, policy.cache_max_entries, clock)
        self._accounts = Accounting(ledger, policy)

    def models(self) -> list[str]:
        """The model names callers may ask for, in config order (plus "auto")."""
        return list(dict.fromkeys(b.model for b in self._backends))

    def breaker_states(self) -> dict[str, str]:
        """Each backend's breaker state, by backend name."""
        return {name: breaker.state for name, breaker in self._breakers.items()}

    def backends(self) -> tuple[Backend, ...]:
        """The backends in config order."""
        return self._backends

    def start(self) -> None:
        """Start the worker process of every local model (each reports when it is ready)."""
        for worker in self.workers():
            worker.start()

    def workers(self) -> list[WorkerBackend]:
        """The backends whose model runs in a supervised worker process."""
        return [b for b in self._backends if isinstance(b, WorkerBackend)]

    def breaker_state(self, backend: str) -> str:
        """'closed', 'open' or 'half_open' for one backend."""
        return self._breakers[backend].state

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Answer one escalation; `deadline` is an absolute `time.monotonic()` value."""
        request = self._escalation_request(esc)
        if (cached := await self._cached(request)) is not None:
            return cached
        return await self._complete(request, self._deadline(deadline))

    async def stream(
        self, esc: Escalation, *, deadline: float | None = None
    ) -> AsyncIterator[str | Answer]:
        """Yield text deltas of the answer, then the `Answer` itself."""
        request = self._escalation_request(esc)
        if (cached := await self._cached(request)) is not None:
            yield cached.text
            yield cached
            return
        async for item in self._stream(request, self._deadline(deadline)):
            yield item

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str = "auto",
        max_tokens: int = 256,
        sampling: Sampling = DEFAULT_SAMPLING,
        caller: str = "",
        site: str = "api",
        deadline: float | None = None,
    ) -> Answer:
        """Answer raw chat messages (the OpenAI-compatible API); `caller` is billed as a device."""
        request = _Request(caller, caller, site, model, max_tokens, 0, None, tuple(messages),
                           sampling)
        self._check_budgets(request)
        return await self._complete(request, self._deadline(deadline))

    async def chat_stream(
        self,
        messages: Sequence[Message],
        *,
        model: str = "auto",
        max_tokens: int = 256,
        sampling: Sampling = DEFAULT_SAMPLING,
        caller: str = "",
        site: str = "api",
        deadline: float | None = None,
    ) -> AsyncIterator[str | Answer]:
        """Stream the answer to raw chat messages: deltas, then the `Answer`."""
        request = _Request(caller, caller, site, model, max_tokens, 0, None, tuple(messages),
                           sampling)
        self._check_budgets(request)
        async for item in self._stream(request, self._deadline(deadline)):
            yield item

    def budget_refusal(self, *, device: str = "", site: str = "") -> str | None:
        """Why a request from this device (an API key: ``key:<name>``) or site would be
        refused for budget now, or None (memory only: no database call)."""
        try:
            self._accounts.check(device=device, site=site)
        except OverBudget as exc:
            return str(exc)
        return None

    async def aclose(self) -> None:
        """Close every backend."""
        for backend in self._backends:
            await backend.aclose()

    def _escalation_request(self, esc: Escalation) -> _Request:
        tier = tier_for(esc, self._policy.tiers)
        request = _Request(esc.key, esc.device_id, esc.site, esc.model, esc.max_tokens, tier, esc)
        return request

    async def _cached(self, request: _Request) -> Answer | None:
        """A cached answer (recorded as a free call), or None after checking budgets."""
        assert request.esc is not None
        key = cache_key(request.esc) if self._policy.cache_ttl_s > 0 else None
        if (hit := self._cache.get(key)) is None:
            self._check_budgets(request)
            return None
        await self._record(request, hit.backend, hit.model, Completion("", 0, 0), 0.0, "cached")
        log.info("answer.cached", key=request.key, backend=hit.backend)
        return replace(hit, input_tokens=0, output_tokens=0, cost=0.0, latency_ms=0.0)

    def _deadline(self, deadline: float | None) -> float:
        return self._clock() + self._policy.default_deadline_s if deadline is None else deadline

    async def _complete(self, request: _Request, deadline: float) -> Answer:
        """Walk the chain until a backend answers."""
        walk = self._walk(request, deadline)
        for backend, timeout in walk.attempts():
            messages, tools = self._prompt(request, backend)
            started = self._clock()
            try:
                async with asyncio.timeout(timeout):  # a guard if a backend overruns
                    completion = await backend.complete(
                        messages, max_tokens=request.max_tokens, timeout=timeout, tools=tools,
                        sampling=request.sampling,
                    )
            except (BackendError, TimeoutError) as exc:
                await walk.failed(backend, exc, started, timeout)
                continue
            return await self._finish(request, backend, completion, started)
        raise walk.nobody()

    async def _stream(self, request: _Request, deadline: float) -> AsyncIterator[str | Answer]:
        """Like `_complete`, streaming; no fallback once text has been sent."""
        walk = self._walk(request, deadline)
        for backend, timeout in walk.attempts():
            messages, tools = self._prompt(request, backend)
            started, sent, text_filter = self._clock(), False, ActionFilter()
            try:
                async for item in backend.stream(
                    messages, max_tokens=request.max_tokens, timeout=timeout, tools=tools,
                    sampling=request.sampling,
                ):
                    if isinstance(item, Completion):
                        if rest := text_filter.flush():
                            yield rest
                        yield await self._finish(request, backend, item, started)
                        return
                    if delta := text_filter.feed(item):
                        sent = True
                        yield delta
            except BackendError as exc:
                await walk.failed(backend, exc, started, timeout)
                if sent:
                    walk.said = [f"{backend.name} failed mid-answer: {exc}"]
                    raise walk.nobody() from exc
        raise walk.nobody()

    def _chain(self, request: _Request) -> list[Backend]:
        """Backends in the order to try them."""
        order = {b.name: i for i, b in enumerate(self._backends)}

        def price(b: Backend) -> tuple[float, int, int]:
            return (b.price_in_per_1k + b.price_out_per_1k, b.tier, order[b.name])

        able = sorted((b for b in self._backends if b.tier >= request.tier), key=price)
        weaker = sorted(
            (b for b in self._backends if b.tier < request.tier), key=lambda b: (-b.tier, *price(b))
        )
        auto = able + weaker if self._policy.fallback_to_lower_tiers else able or weaker
        if request.model == "auto":
            return auto
        named = [b for b in self._backends if request.model in (b.model, b.name)]
        if not named:
            known = ", ".join(self.models())
            raise UnknownModel(f"no backend serves model {request.model!r}; known: {known}")
        tail = [b for b in auto if b not in named] if self._policy.named_model_fallback else []
        return named + tail

    def _walk(self, request: _Request, deadline: float) -> Walk:
        """A walk along this request's chain, behind the breakers, within the deadline."""

        async def failed(backend: Backend, exc: Exception, started: float, timeout: float,
                         said: list[str]) -> bool:
            return await self._failed(request, backend, exc, started, timeout, said)

        return Walk(self._chain(request), failed, breakers=self._breakers, policy=self._policy,
                    clock=self._clock, deadline=deadline, key=request.key)

    def _prompt(
        self, request: _Request, backend: Backend
    ) -> tuple[list[Message], list[Tool] | None]:
        if request.esc is None:
            return list(request.messages), None
        tools = [SET_ACTUATOR_TOOL] if backend.supports_tools else None
        return self._prompts.messages(request.esc, tools=backend.supports_tools), tools

    async def _failed(
        self,
        request: _Request,
        backend: Backend,
        exc: Exception,
        started: float,
        timeout: float,
        said: list[str],
    ) -> bool:
        """Account a failed attempt; return whether retrying this backend makes sense."""
        elapsed = self._clock() - started
        limited = isinstance(exc, BackendRateLimited)
        timed_out = isinstance(exc, TimeoutError) or elapsed >= 0.9 * timeout
        reason = str(exc) or f"timed out after {timeout:.1f}s"
        said.append(f"{backend.name}: {reason}")
        if isinstance(exc, BackendStarting):  # its worker's supervisor is on it; not a fault
            self._breakers[backend.name].excused()
            log.info("backend.starting", backend=backend.name, key=request.key)
            return False
        if isinstance(exc, BackendRejected):  # the request's fault: a larger model may take it
            self._breakers[backend.name].excused()
            await self._record(request, backend.name, backend.model, Completion("", 0, 0),
                               elapsed, "rejected")
            log.info("backend.rejected", backend=backend.name, key=request.key, code=exc.code,
                     reason=reason)
            return False
        self._breakers[backend.name].failed()
        outcome = "rate_limited" if limited else "timeout" if timed_out else "error"
        await self._record(request, backend.name, backend.model, Completion("", 0, 0), elapsed,
                           outcome)
        log.warning("backend.failed", backend=backend.name, key=request.key, reason=reason)
        return not (limited or timed_out)

    async def _finish(
        self, request: _Request, backend: Backend, completion: Completion, started: float
    ) -> Answer:
        """Turn a completion into an `Answer`: actions checked, cost accounted, cache filled."""
        self._breakers[backend.name].succeeded()
        elapsed = self._clock() - started
        text, actions = completion.text, tuple[ProposedAction, ...]()
        if request.esc is not None:
            text, blocks = split_actions(completion.text)
            known = frozenset(r.device_id for r in request.esc.context)
            found = tool_call_objects(completion.tool_calls) + blocks
            actions = validate_actions(found, known)
        cost = await self._record(
            request,
            backend.name,
            completion.model or backend.model,
            completion,
            elapsed,
            "ok",
            backend,
        )
        answer = Answer(
            text,
            backend.name,
            completion.model or backend.model,
            completion.input_tokens,
            completion.output_tokens,
            cost,
            elapsed * 1000,
            actions,
        )
        if request.esc is not None and self._policy.cache_ttl_s > 0:
            self._cache.put(cache_key(request.esc), answer)
        # Logged once the caller has sent the answer (the loop's next turn, in this task's
        # context): rendered and written here, the line held each /v1 answer back by about
        # 60 us (a cold path on a busy machine; docs/performance.md).
        asyncio.get_running_loop().call_soon(partial(
            log.info, "escalation.answered", key=request.key, backend=backend.name, cost=cost,
            input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
            latency_ms=round(answer.latency_ms, 1), actions=len(actions)))
        return answer

    async def _record(self, request: _Request, backend: str, model: str,
                      completion: Completion, elapsed: float, outcome: str,
                      priced: Backend | None = None) -> float:
        """Write one ledger row for the request (see `Accounting.record`); its cost."""
        return await self._accounts.record(
            key=request.key, device=request.device, site=request.site, backend=backend,
            model=model, completion=completion, elapsed=elapsed, outcome=outcome,
            priced=priced)

    def _check_budgets(self, request: _Request) -> None:
        self._accounts.check(device=request.device, site=request.site)
