"""The router: fallback, circuit breaker, budgets, accounting, cache, tiers, deadlines."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from cloud_broker.backends import DEFAULT_SAMPLING, Backend, Completion, Sampling
from cloud_broker.errors import (
    BackendStarting,
    ModelsStarting,
    NoBackendAvailable,
    OverBudget,
    RequestRejected,
)
from cloud_broker.escalation import Answer, ContextReading, Escalation, ProposedAction
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.router import Budget, Router, RoutingPolicy
from tests.support.fake_openai import FakeOpenAI

HEATER = ContextReading("heater-1", "heater", "kitchen", "off", "", 0.0)
ESC = Escalation(
    key="k1",
    text="Is the kitchen warm?",
    device_id="gw-1",
    site="s1",
    intent="escalate",
    confidence=0.9,
    context=(HEATER,),
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0  # the deadlines the tests pass are on this clock too

    def __call__(self) -> float:
        return self.now


def _router(tmp_path: Path, backends: Sequence[Backend], **policy: object) -> Router:
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    return Router(backends, ledger, RoutingPolicy.model_validate(policy))


def _answer(router: Router, esc: Escalation = ESC, deadline: float | None = None) -> Answer:
    async def run() -> Answer:
        try:
            return await router.answer(esc, deadline=deadline)
        finally:
            await router.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["error", "rate_limited", "hang"])
def test_failing_backend_falls_back_to_the_next(
    tmp_path: Path, endpoints: list[FakeOpenAI], mode: str
) -> None:
    """A backend that fails, is rate-limited or hangs past its timeout hands over to the next."""
    first, second = endpoints
    first.mode = mode
    router = _router(tmp_path, [first.backend("a", timeout_s=0.5), second.backend("b", price_in=1)])
    answer = _answer(router, deadline=time.monotonic() + 10)
    assert (answer.backend, answer.text) == ("b", "The kitchen is at 21 degrees.")


def test_errors_are_retried_but_429_is_not(tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """A 5xx is retried `retries` times on the same backend; a 429 moves on at once."""
    endpoints[0].mode = "error"
    router = _router(
        tmp_path, [endpoints[0].backend("a"), endpoints[1].backend("b", price_in=1)], retries=2
    )
    _answer(router)
    assert len(endpoints[0].requests) == 3
    endpoints[0].mode, endpoints[0].requests = "rate_limited", []
    router = _router(
        tmp_path, [endpoints[0].backend("a"), endpoints[1].backend("b", price_in=1)], retries=2
    )
    _answer(router)
    assert len(endpoints[0].requests) == 1


def test_all_failing_lists_what_each_backend_said(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """NoBackendAvailable names every backend and its failure."""
    endpoints[0].mode, endpoints[1].mode = "error", "rate_limited"
    router = _router(tmp_path, [endpoints[0].backend("a"), endpoints[1].backend("b")], retries=0)
    with pytest.raises(NoBackendAvailable, match=r"a: backend 'a' answered 500.*b: .*429"):
        _answer(router)


def test_deadline_stops_the_chain(tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """When the first backend eats the deadline, the next one is not started."""
    endpoints[0].mode = "hang"
    router = _router(tmp_path, [endpoints[0].backend("a", timeout_s=30), endpoints[1].backend("b")])
    with pytest.raises(NoBackendAvailable, match="b: not tried, deadline reached"):
        _answer(router, deadline=time.monotonic() + 0.3)
    assert endpoints[1].requests == []


def test_breaker_opens_after_failures_and_closes_after_cooldown(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """N failures open a's breaker (a is skipped); after the cooldown one probe closes it."""
    clock = FakeClock()
    policy = RoutingPolicy(retries=0, failure_threshold=2, cooldown_s=30)
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    backends = [endpoints[0].backend("a"), endpoints[1].backend("b", price_in=1)]
    router = Router(backends, ledger, policy, clock=clock)
    endpoints[0].mode = "error"

    async def run() -> list[str]:
        seen = []
        for step in range(4):
            if step == 3:
                clock.now += 31
                endpoints[0].mode = "ok"
            seen.append((await router.answer(ESC, deadline=clock.now + 10)).backend)
            seen.append(router.breaker_state("a"))
        await router.aclose()
        return seen

    with capture_logs() as logs:
        seen = asyncio.run(run())
    assert seen == ["b", "closed", "b", "open", "b", "open", "a", "closed"]
    assert len(endpoints[0].requests) == 3  # two failures, then the probe
    events = [e["event"] for e in logs if e["event"].startswith("breaker.")]
    assert events == ["breaker.opened", "breaker.closed"]


def test_accounting_adds_up_to_reported_tokens(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """Ledger tokens and cost are what backends reported, priced per 1k tokens."""
    backend = endpoints[0].backend("a", price_in=2.0, price_out=6.0)
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    router = Router([backend], ledger, RoutingPolicy())

    async def run() -> list[Answer]:
        answers = [await router.answer(ESC) for _ in range(3)]
        await router.aclose()
        return answers

    answers = asyncio.run(run())
    assert {a.cost for a in answers} == {(42 * 2.0 + 9 * 6.0) / 1000}
    summary = ledger.summary(
        local_answers=10,
        price_in_per_1k=2.0,
        price_out_per_1k=6.0,
        assumed_input_tokens=100,
        assumed_output_tokens=50,
    )
    (row,) = summary.backends
    assert (row.calls, row.input_tokens, row.output_tokens) == (3, 126, 27)
    assert summary.cost == pytest.approx(sum(a.cost for a in answers))
    assert summary.saved_by_edge == pytest.approx(10 * (100 * 2.0 + 50 * 6.0) / 1000)


@pytest.mark.parametrize(
    "budget",
    [
        {"scope": "device", "max_tokens": 100},
        {"scope": "device", "id": "gw-1", "max_cost": 0.05},
        {"scope": "site", "id": "s1", "max_tokens": 100},
        {"scope": "global", "period": "month", "max_tokens": 100},
    ],
    ids=["each-device", "one-device-cost", "site", "global-month"],
)
def test_spent_budget_refuses_before_calling(
    tmp_path: Path, endpoints: list[FakeOpenAI], budget: dict[str, object]
) -> None:
    """Once a budget is spent the router raises OverBudget and calls no backend."""
    backend = endpoints[0].backend("a", price_in=1.0)
    router = _router(tmp_path, [backend], budgets=[budget])
    _answer(router)  # 51 tokens, $0.042 a call: the third call finds each budget spent
    router = _router(tmp_path, [endpoints[0].backend("a", price_in=1.0)], budgets=[budget])
    _answer(router)
    with pytest.raises(OverBudget, match=r"budget of .*resets"):
        _answer(_router(tmp_path, [endpoints[0].backend("a")], budgets=[budget]))
    assert len(endpoints[0].requests) == 2


def test_a_running_router_counts_its_own_spend_without_reading_it_back(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """One router, no restart: the totals it keeps in memory grow with each call it makes, so
    the third call of a device over its 100 tokens is refused without a backend call."""
    router = _router(tmp_path, [endpoints[0].backend("a")],
                     budgets=[{"scope": "device", "max_tokens": 100}])

    async def run() -> list[str]:
        outcomes = []
        for _ in range(3):
            try:
                outcomes.append((await router.answer(ESC)).backend)
            except OverBudget:
                outcomes.append("refused")
        await router.aclose()
        return outcomes

    assert asyncio.run(run()) == ["a", "a", "refused"]
    assert len(endpoints[0].requests) == 2
    assert router.budget_refusal(device="gw-1") is not None
    assert router.budget_refusal(device="gw-2") is None


def test_budget_of_another_device_does_not_apply(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """A budget for one device leaves other devices alone."""
    budget = Budget(scope="device", id="gw-2", max_tokens=0)
    router = _router(tmp_path, [endpoints[0].backend("a")], budgets=[budget.model_dump()])
    assert _answer(router).backend == "a"


def test_identical_escalations_hit_the_cache(tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """The same text and context within the TTL is answered without a backend call, for free."""
    router = _router(tmp_path, [endpoints[0].backend("a", price_in=1)], cache_ttl_s=60)

    async def run() -> list[Answer]:
        again = Escalation(
            key="k2",
            text="is the  KITCHEN warm?",
            context=(HEATER,),
            device_id="gw-1",
            intent="escalate",
            confidence=0.9,
        )
        answers = [await router.answer(ESC), await router.answer(again)]
        await router.aclose()
        return answers

    first, second = asyncio.run(run())
    assert second.text == first.text and second.cost == 0.0
    assert len(endpoints[0].requests) == 1


@pytest.mark.parametrize(
    ("intent", "confidence", "backend"),
    [("query_state", 0.8, "cheap"), ("query_state", 0.1, "strong"), ("escalate", 0.9, "strong")],
    ids=["confident-local", "unsure", "open-question"],
)
def test_harder_requests_go_to_a_higher_tier(
    tmp_path: Path, endpoints: list[FakeOpenAI], intent: str, confidence: float, backend: str
) -> None:
    """Low confidence or an `escalate` intent skips the cheap tier-0 backend."""
    cheap = endpoints[0].backend("cheap", tier=0)
    strong = endpoints[1].backend("strong", tier=2, price_in=1.0)
    esc = Escalation(key="k", text="warm?", intent=intent, confidence=confidence)
    assert _answer(_router(tmp_path, [strong, cheap]), esc).backend == backend


def test_named_model_is_used_even_if_dearer(tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """`model` naming a backend's model picks that backend."""
    backends = [endpoints[0].backend("cheap", tier=5), endpoints[1].backend("dear", price_in=9)]
    esc = Escalation(key="k", text="hi", model="dear-model")
    assert _answer(_router(tmp_path, backends), esc).backend == "dear"
    with pytest.raises(NoBackendAvailable, match="no backend serves model 'nope'"):
        _answer(_router(tmp_path, backends), Escalation(key="k", text="hi", model="nope"))


def test_actions_from_tool_calls_are_validated(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """A valid set_actuator call becomes an action; one on an unknown device is dropped."""
    calls = [{"device_id": "heater-1", "command": "on"}, {"device_id": "door-1", "command": "open"}]
    endpoints[0].tool_calls = [
        {
            "id": f"c{i}",
            "type": "function",
            "function": {"name": "set_actuator", "arguments": json.dumps(c)},
        }
        for i, c in enumerate(calls)
    ]
    with capture_logs() as logs:
        answer = _answer(_router(tmp_path, [endpoints[0].backend("a")]))
    assert answer.actions == (ProposedAction("heater-1", "on"),)
    assert any(e["event"] == "action.dropped" for e in logs)
    assert endpoints[0].requests[0]["tools"][0]["function"]["name"] == "set_actuator"


def test_stream_yields_deltas_then_the_answer(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """Streaming falls back like `answer`, then yields text pieces and the final Answer."""
    endpoints[0].mode = "error"
    router = _router(tmp_path, [endpoints[0].backend("a"), endpoints[1].backend("b", price_in=1)])

    async def run() -> list[str | Answer]:
        items = [i async for i in router.stream(ESC, deadline=time.monotonic() + 10)]
        await router.aclose()
        return items

    items = asyncio.run(run())
    final = items[-1]
    assert isinstance(final, Answer) and final.backend == "b"
    assert "".join(i for i in items if isinstance(i, str)).strip() == final.text
    assert final.input_tokens == 42


class StartingBackend:
    """A local model whose worker is still starting (our own `Backend` seam)."""

    name, model, tier, timeout_s, supports_tools = "local", "gemma", 0, 5.0, False
    price_in_per_1k = price_out_per_1k = 0.0

    async def complete(self, messages: list[dict[str, str]], *, max_tokens: int,
                       timeout: float, tools: list[dict[str, object]] | None,
                       sampling: Sampling = DEFAULT_SAMPLING) -> Completion:
        raise BackendStarting("backend 'local' worker is restarting: worker died (SIGKILL)")

    async def stream(self, messages: list[dict[str, str]], *, max_tokens: int, timeout: float,
                     tools: list[dict[str, object]] | None,
                     sampling: Sampling = DEFAULT_SAMPLING) -> AsyncIterator[str | Completion]:
        raise BackendStarting("backend 'local' worker is starting")
        yield ""  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        return None


def test_a_starting_model_asks_for_a_retry_and_keeps_its_breaker_closed(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """Only a (re)starting local model left: `ModelsStarting`; its breaker never opens."""
    endpoints[0].mode = "error"
    router = _router(tmp_path, [StartingBackend(), endpoints[0].backend("a")],
                     failure_threshold=1, retries=0)

    async def run() -> list[str]:
        for _ in range(3):
            with pytest.raises(ModelsStarting, match="restarting: worker died"):
                await router.answer(ESC)
        return [router.breaker_state("local"), router.breaker_state("a")]

    assert asyncio.run(run()) == ["closed", "open"]


LONG = [{"role": "user", "content": "word " * 500}]
SHORT = [{"role": "user", "content": "Hello?"}]


def test_oversized_prompts_neither_open_the_breaker_nor_are_retried(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """A backend's 400 `context_length_exceeded` is the request's fault: `RequestRejected`
    each time, one call each, the breaker stays closed and the next request is answered."""
    endpoints[0].context_words = 100
    router = _router(tmp_path, [endpoints[0].backend("a")], failure_threshold=2, retries=2)

    async def run() -> tuple[list[str], str, Answer]:
        codes = []
        for _ in range(4):
            with pytest.raises(RequestRejected, match="maximum context length") as refused:
                await router.chat(LONG)
            codes.append(refused.value.code)
        state = router.breaker_state("a")
        answer = await router.chat(SHORT)
        await router.aclose()
        return codes, state, answer

    codes, state, answer = asyncio.run(run())
    assert codes == ["context_length_exceeded"] * 4
    assert (state, answer.backend) == ("closed", "a")
    assert len(endpoints[0].requests) == 5


def test_a_prompt_too_long_for_one_model_goes_to_the_next(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """The cheap model refuses a prompt over its context; the larger one answers it."""
    endpoints[0].context_words = 100
    router = _router(tmp_path, [endpoints[0].backend("small"),
                                endpoints[1].backend("large", price_in=1)], failure_threshold=1)

    async def run() -> tuple[str, str]:
        answer = await router.chat(LONG)
        state = router.breaker_state("small")
        await router.aclose()
        return answer.backend, state

    assert asyncio.run(run()) == ("large", "closed")
    assert len(endpoints[0].requests) == 1


def test_a_refusal_beside_a_failure_is_no_backend_not_a_rejection(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """When another backend failed (and might take it later), the caller hears "no backend"."""
    endpoints[0].context_words, endpoints[1].mode = 100, "error"
    router = _router(tmp_path, [endpoints[0].backend("small"),
                                endpoints[1].backend("large", price_in=1)], retries=0)

    async def run() -> None:
        try:
            await router.chat(LONG)
        finally:
            await router.aclose()

    with pytest.raises(NoBackendAvailable, match="no backend could answer") as refused:
        asyncio.run(run())
    assert not isinstance(refused.value, RequestRejected)


def test_a_refused_probe_frees_the_half_open_breaker(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """An oversized request that lands as a half-open breaker's probe does not keep the
    breaker from letting the next probe through."""
    clock = FakeClock()
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    policy = RoutingPolicy(retries=0, failure_threshold=1, cooldown_s=30)
    router = Router([endpoints[0].backend("a")], ledger, policy, clock=clock)
    endpoints[0].mode = "error"

    async def run() -> str:
        with pytest.raises(NoBackendAvailable):
            await router.chat(SHORT, deadline=clock.now + 10)
        clock.now += 31
        endpoints[0].mode, endpoints[0].context_words = "ok", 100
        with pytest.raises(RequestRejected):
            await router.chat(LONG, deadline=clock.now + 10)
        answer = await router.chat(SHORT, deadline=clock.now + 10)
        await router.aclose()
        return answer.backend

    assert asyncio.run(run()) == "a"
