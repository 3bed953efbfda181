"""Scores of a triage run against labelled requests: what the model card and ``--eval`` print.

A request counts as right when a local-intent request is answered locally with its intent, or
an ``escalate`` request is escalated. A local request that is escalated is safe but not right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edge_agent.triage.decision import INTENTS, LOCAL_INTENTS, Intent, Route


@dataclass(frozen=True, slots=True)
class Scores:
    """Accuracy and routing quality of a set of decisions."""

    n: int
    accuracy: float  # routed outcome right (see module docstring)
    intent_accuracy: float  # the model's top intent, ignoring the threshold
    escalation_recall: float  # should-escalate requests that were escalated
    escalation_precision: float  # escalated requests that should have been
    local_precision: float  # locally answered requests whose intent was right
    local_share: float  # share of all requests answered locally
    confusion: dict[str, dict[str, int]]  # gold -> routed outcome -> count

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rates rounded to 4 places."""
        return {k: round(v, 4) if isinstance(v, float) else v
                for k, v in ((f, getattr(self, f)) for f in self.__slots__)}


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def score(gold: Sequence[Intent], predicted: Sequence[Intent],
          routes: Sequence[Route]) -> Scores:
    """Compare gold intents with predicted intents and routes."""
    outcome = [p if r == "local" else "escalate" for p, r in zip(predicted, routes, strict=True)]
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(INTENTS, 0) for g in INTENTS}
    for g, o in zip(gold, outcome, strict=True):
        confusion[g][o] += 1
    should = [g == "escalate" for g in gold]
    escalated = [o == "escalate" for o in outcome]
    local_right = sum(1 for g, o in zip(gold, outcome, strict=True)
                      if o in LOCAL_INTENTS and o == g)
    return Scores(
        n=len(gold),
        accuracy=_ratio(sum(g == o for g, o in zip(gold, outcome, strict=True)), len(gold)),
        intent_accuracy=_ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)),
                               len(gold)),
        escalation_recall=_ratio(sum(s and e for s, e in zip(should, escalated, strict=True)),
                                 sum(should)),
        escalation_precision=_ratio(sum(s and e for s, e in zip(should, escalated, strict=True)),
                                    sum(escalated)),
        local_precision=_ratio(local_right, len(gold) - sum(escalated)),
        local_share=_ratio(len(gold) - sum(escalated), len(gold)),
        confusion=confusion,
    )
