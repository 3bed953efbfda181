"""What the operator reads: spend by device, site, API key and backend over a window, what
the edge saved, budgets and how much of each is used, and the series the charts draw.

One read-side object over the usage ledger and the journal, shared by ``GET /api/usage``
(and so ``cloud-broker usage``) and the dashboard.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cloud_broker.http.units import CURRENCY
from cloud_broker.journal import Journal
from cloud_broker.routing.ledger import (
    KEY_PREFIX,
    Grouping,
    GroupUsage,
    Spend,
    SpendPoint,
    UsageSummary,
    period_start,
)
from cloud_broker.routing.policy import Budget


class UsageReader(Protocol):
    """The ledger's read side."""

    def spend(self, *, since: float, site: str | None = None, device: str | None = None) -> Spend:
        """Cost and tokens since `since` for one site, one device or everyone."""
        ...

    def summary(self, *, since: float = 0.0, local_answers: int = 0,
                price_in_per_1k: float = 0.0, price_out_per_1k: float = 0.0,
                assumed_input_tokens: int = 400,
                assumed_output_tokens: int = 150) -> UsageSummary:
        """Totals per backend since `since`."""
        ...

    def breakdown(self, by: Grouping, *, since: float = 0.0) -> list[GroupUsage]:
        """Spend grouped by backend, device, site or key."""
        ...

    def series(self, *, since: float, bucket_s: float) -> list[SpendPoint]:
        """Spend per time bucket."""
        ...


@dataclass(frozen=True, slots=True)
class Pricing:
    """How a local answer is priced: as a cloud call of the assumed size."""

    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0
    assumed_input_tokens: int = 400
    assumed_output_tokens: int = 150

    @property
    def per_answer(self) -> float:
        """What one answer from the cloud would have cost."""
        return (self.assumed_input_tokens * self.price_in_per_1k
                + self.assumed_output_tokens * self.price_out_per_1k) / 1000


@dataclass
class Insights:
    """The read side the usage API and the dashboard share."""

    ledger: UsageReader
    local_answers: Callable[[], int]  # answered on gateways, from their last heartbeats
    journal: Journal | None = None
    pricing: Pricing = field(default_factory=Pricing)
    budgets: tuple[Budget, ...] = ()
    currency: str = CURRENCY
    clock: Callable[[], float] = time.time

    def answered_locally(self, since: float) -> int:
        """Requests gateways answered themselves since `since` (0: since they started)."""
        if since > 0 and self.journal is not None:
            return round(self.journal.local_answers(since=since))
        return self.local_answers()

    def usage(self, since: float = 0.0) -> dict[str, Any]:
        """Spend by backend, device, site and API key since `since`, with budgets."""
        local = self.answered_locally(since)
        p = self.pricing
        summary = self.ledger.summary(
            since=since, local_answers=local, price_in_per_1k=p.price_in_per_1k,
            price_out_per_1k=p.price_out_per_1k, assumed_input_tokens=p.assumed_input_tokens,
            assumed_output_tokens=p.assumed_output_tokens)
        doc = dataclasses.asdict(summary)
        doc.update(until=self.clock(), currency=self.currency,
                   calls=sum(b.calls for b in summary.backends),
                   budgets=self.budget_use())
        groups: tuple[tuple[Grouping, str], ...] = (
            ("device", "devices"), ("site", "sites"), ("key", "keys"))
        for by, name in groups:
            doc[name] = [dataclasses.asdict(g) for g in self.ledger.breakdown(by, since=since)]
        return doc

    def budget_use(self) -> list[dict[str, Any]]:
        """Each budget with what its period has spent so far (the busiest one for "each")."""
        rows = []
        for b in self.budgets:
            since = period_start(b.period, self.clock())
            who, spend = self._budget_spend(b, since)
            used = [spend.cost / b.max_cost if b.max_cost else None,
                    spend.tokens / b.max_tokens if b.max_tokens else None]
            rows.append({"scope": b.scope, "id": b.id, "who": who, "period": b.period,
                         "max_cost": b.max_cost, "max_tokens": b.max_tokens,
                         "spent": spend.cost, "tokens": spend.tokens,
                         "used": max((u for u in used if u is not None), default=None)})
        return rows

    def _budget_spend(self, b: Budget, since: float) -> tuple[str, Spend]:
        if b.scope == "global":
            return "everyone", self.ledger.spend(since=since)
        if b.id is not None:
            who = b.id.removeprefix(KEY_PREFIX)
            who = f"API key {who}" if b.id.startswith(KEY_PREFIX) else f"{b.scope} {who}"
            return who, self.ledger.spend(since=since, **{b.scope: b.id})
        groups = self.ledger.breakdown("site" if b.scope == "site" else "device", since=since)
        if not groups:
            return f"each {b.scope}", Spend(0.0, 0)
        top = groups[0]
        return f"each {b.scope} (highest: {top.name})", Spend(top.cost, top.tokens)
