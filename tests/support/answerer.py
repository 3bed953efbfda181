"""A hand-written ``Answerer`` for the broker's link: no model, just counted calls."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from cloud_broker.errors import ModelsStarting, NoBackendAvailable, OverBudget
from cloud_broker.escalation import Answer, Escalation, ProposedAction


@dataclass
class CountingAnswerer:
    """A hand-written Answerer: counts calls, answers after an optional gate opens."""

    calls: list[Escalation] = field(default_factory=list)
    gate: asyncio.Event | None = None
    over_budget: bool = False
    no_backend: bool = False
    wait_out: bool = False  # use the whole deadline (a worker still starting), then give up
    starting: bool = False
    called: asyncio.Event = field(default_factory=asyncio.Event)

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        """Count the call; refuse as configured, or answer once the gate (if any) opens."""
        self.calls.append(esc)
        self.called.set()
        if self.over_budget:
            raise OverBudget("site lab spent 1.00 of its 1.00 daily budget")
        if self.wait_out and deadline is not None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            raise NoBackendAvailable("local: backend 'local' still starting")
        if self.starting:
            raise ModelsStarting("local: backend 'local' worker is restarting")
        if self.no_backend:
            raise NoBackendAvailable("local: backend 'local': worker died (SIGSEGV)")
        if self.gate is not None:
            await self.gate.wait()
        return Answer(text=f"answer to {esc.text}", backend="b1", model="m1", input_tokens=10,
                      output_tokens=5, cost=0.01, actions=(ProposedAction("pump-2", "off"),))


class NoAnswers:
    """An Answerer for a service whose escalations a test never uses."""

    async def answer(self, esc: Escalation, *, deadline: float | None = None) -> Answer:
        raise AssertionError("no escalation expected")
