"""What the router owes the ledger and the budgets: each call priced and written, each request
checked against the budgets that apply to it.

Budgets are read from the totals this replica keeps in memory (``SpendTotals``): no database
call on a request's way in. A call's ledger row is committed before the answer goes out: in
the database's threads (never on the event loop), or handed to the caller's ``Charges``,
which commits it with its own writes.
"""

from __future__ import annotations

from cloud_broker.backends import Backend, Completion
from cloud_broker.errors import OverBudget
from cloud_broker.routing.charges import Charges
from cloud_broker.routing.ledger import UsageLedger, UsageRecord
from cloud_broker.routing.policy import RoutingPolicy, over_budget_message


class Accounting:
    """Prices and records the router's calls; refuses requests over a budget."""

    def __init__(self, ledger: UsageLedger, policy: RoutingPolicy) -> None:
        self._ledger, self._policy = ledger, policy
        # Read once here (at start, off any request's path); budget checks read memory.
        self._totals = ledger.totals() if policy.budgets else None

    def check(self, *, device: str, site: str) -> None:
        """Raise `OverBudget` if any budget that applies to this device (an API key:
        ``key:<name>``) or site is spent (memory only: no database call)."""
        if self._totals is None:
            return
        for budget in self._policy.budgets:
            scoped_site = site if budget.scope == "site" else None
            scoped_device = device if budget.scope == "device" else None
            target = scoped_site if scoped_site is not None else scoped_device
            if target is not None and (not target or budget.id not in (None, target)):
                continue
            cost, tokens = self._totals.spent(budget.period, budget.scope, target or "")
            over_cost = budget.max_cost is not None and cost >= budget.max_cost
            if over_cost or (budget.max_tokens is not None and tokens >= budget.max_tokens):
                raise OverBudget(over_budget_message(budget, target, cost, tokens))

    async def record(self, *, key: str, device: str, site: str, backend: str, model: str,
                     completion: Completion, elapsed: float, outcome: str,
                     priced: Backend | None = None) -> float:
        """Write one ledger row (committed when this returns, or held by the caller's
        `Charges`); return its cost (zero unless ``priced`` names the backend's prices)."""
        cost = 0.0
        if priced is not None:
            cost = (
                completion.input_tokens * priced.price_in_per_1k
                + completion.output_tokens * priced.price_out_per_1k
            ) / 1000
        record = UsageRecord(key, device, site, backend, model, completion.input_tokens,
                             completion.output_tokens, cost, elapsed * 1000, outcome)
        if not Charges.defer(self._ledger, record):
            await self._ledger.arecord(record)
        return cost
