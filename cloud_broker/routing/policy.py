"""The router's settings: tiers, retries, circuit breaker, budgets and the response cache.

`RoutingPolicy` is the `[routing]` table of broker.toml.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud_broker.escalation import Escalation


class Budget(BaseModel):
    """A spending or token cap for everyone, one site or one device (each, when `id` is unset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: Literal["global", "site", "device"] = "global"
    id: str | None = None
    period: Literal["day", "month"] = "day"
    max_cost: float | None = Field(default=None, ge=0.0)
    max_tokens: int | None = Field(default=None, ge=0)


class TierPolicy(BaseModel):
    """How hard an escalation looks: the less sure triage was, the higher the tier it needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # tier 0 needs confidence >= min_confidence[0], tier 1 >= min_confidence[1], ... else the next
    min_confidence: tuple[float, ...] = (0.6, 0.3)
    escalate_intent_tier: int = Field(default=1, ge=0)  # open questions need at least this tier


class RoutingPolicy(BaseModel):
    """The router's settings, the `[router]` table of broker.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tiers: TierPolicy = TierPolicy()
    retries: int = Field(default=1, ge=0)  # extra tries per backend on errors (not 429, timeout)
    failure_threshold: int = Field(default=3, ge=1)  # failures in a row that open a breaker
    cooldown_s: float = Field(default=30.0, ge=0.0)  # open breaker lets a probe through after
    budgets: tuple[Budget, ...] = ()
    cache_ttl_s: float = Field(default=0.0, ge=0.0)  # 0 turns the response cache off
    cache_max_entries: int = Field(default=1024, ge=1)
    default_deadline_s: float = Field(default=60.0, gt=0.0)  # when the caller gives none
    min_attempt_s: float = Field(default=0.05, ge=0.0)  # don't start an attempt with less left
    fallback_to_lower_tiers: bool = True  # a weaker answer beats none
    named_model_fallback: bool = False  # if a named model fails, try the automatic chain


def tier_for(esc: Escalation, tiers: TierPolicy) -> int:
    """The lowest backend tier an escalation should go to."""
    tier = next(
        (i for i, floor in enumerate(tiers.min_confidence) if esc.confidence >= floor),
        len(tiers.min_confidence),
    )
    return max(tier, tiers.escalate_intent_tier) if esc.intent == "escalate" else tier


_ADJECTIVE = {"day": "daily", "month": "monthly"}


def over_budget_message(budget: Budget, target: str | None, cost: float, tokens: int) -> str:
    """Say which budget is spent, by how much, and when it resets."""
    who = "the broker" if budget.scope == "global" else f"{budget.scope} {target!r}"
    limit = (
        f"${budget.max_cost:.4f}" if budget.max_cost is not None else f"{budget.max_tokens} tokens"
    )
    now = datetime.now(UTC)
    resets = "tomorrow 00:00 UTC" if budget.period == "day" else "on the 1st of next month, UTC"
    return (
        f"{who} has spent its {_ADJECTIVE[budget.period]} budget of {limit} "
        f"(${cost:.4f}, {tokens} tokens so far on {now:%Y-%m-%d}); it resets {resets}. "
        "Raise the budget in broker.toml or wait."
    )
