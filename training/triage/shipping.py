"""The rule for shipping a triage model: a paired test on pooled sets, with safety floors.

A candidate replaces the shipped model only if, on the same requests scored by both (without a
registry, each at its own card's threshold):

1. **routed accuracy improves**, pooled over all languages, by an exact one-sided McNemar test
   at ``ALPHA`` = 0.05: of the requests exactly one model routes right (the discordant pairs),
   the candidate gets so many that a coin would do as well with probability under 5%;
2. **pooled local precision** does not fall below the shipped model's, or is at least 99%;
3. **pooled escalation recall** is at least 97%;
4. **no language loses more than one request's worth** of safety: per language, at most one
   more wrong local answer and at most one more escalation let through than the shipped model;
5. the tests asserting the routes of the product's own requests (``tests/edge_agent/
   test_triage*.py``) pass unchanged: checked by the test suite, not here, and before the
   evaluation sets are scored.

Sets of 35-60 requests per language move by one request in 2-3 points, so "every set of every
language improves or holds" rejected pooled improvements on the strength of one request; the
rule above pools for accuracy (where power comes from counts) and bounds each language's
safety loss in requests, not points. Choose between candidate models on the development set
(``evaluation.development_rows``); score the evaluation sets (``unseen_rows``) once, for the
final candidate. The unseen sets have been read for years and the shipped model routes 97 % of
them right, so few requests are left to win there; sets written blind after the shipped model
(``--set fresh6,fresh7``: ``blind_rows``) are where a better model can show it, scored once.
Training-only.

    python -m training.triage.shipping CANDIDATE_DIR [--against DIR]
        [--set development|unseen|fresh6,fresh7,...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from math import comb
from pathlib import Path

from nanogate.logging import configure_logging
from training.triage import evaluation

ALPHA = 0.05
ESCALATION_RECALL_FLOOR = 0.97
LOCAL_PRECISION_FLOOR = 0.99
SLACK = 1  # requests a language may lose on local precision or escalation recall


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request as one model handled it."""

    lang: str
    gold: str
    intent: str
    route: str

    @property
    def right(self) -> bool:
        """Routed right: an escalation escalated, a local request answered with its intent."""
        if self.gold == "escalate":
            return self.route == "escalate"
        return self.route == "local" and self.intent == self.gold

    @property
    def wrong_local(self) -> bool:
        """Answered on the gateway with the wrong intent (or when it needed the cloud)."""
        return self.route == "local" and self.intent != self.gold

    @property
    def let_through(self) -> bool:
        """An escalation answered locally."""
        return self.gold == "escalate" and self.route == "local"


@dataclass(frozen=True, slots=True)
class Tally:
    """Pooled counts of one model on one set."""

    n: int
    right: int
    local: int
    wrong_local: int
    escalations: int
    let_through: int

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Tally:
        """Count a model's outcomes."""
        return cls(len(outcomes), sum(o.right for o in outcomes),
                   sum(o.route == "local" for o in outcomes),
                   sum(o.wrong_local for o in outcomes),
                   sum(o.gold == "escalate" for o in outcomes),
                   sum(o.let_through for o in outcomes))

    @property
    def accuracy(self) -> float:
        """Routed accuracy."""
        return self.right / self.n if self.n else 0.0

    @property
    def local_precision(self) -> float:
        """Share of local answers with the right intent (1.0 when nothing went local)."""
        return 1.0 - self.wrong_local / self.local if self.local else 1.0

    @property
    def escalation_recall(self) -> float:
        """Share of escalations escalated (1.0 when there were none)."""
        return 1.0 - self.let_through / self.escalations if self.escalations else 1.0


def mcnemar(candidate: Sequence[Outcome], shipped: Sequence[Outcome]) -> tuple[int, int, float]:
    """Discordant pairs (candidate only right, shipped only right) and the one-sided exact p.

    p = P(X >= b) for X ~ Binomial(b + c, 1/2): how likely a coin does as well as the candidate.
    """
    b = sum(x.right and not y.right for x, y in zip(candidate, shipped, strict=True))
    c = sum(y.right and not x.right for x, y in zip(candidate, shipped, strict=True))
    n = b + c
    p = sum(comb(n, k) for k in range(b, n + 1)) / 2**n if n else 1.0
    return b, c, p


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rule's answer and the figures behind it."""

    ships: bool
    reasons: tuple[str, ...]  # each failed condition, empty when it ships
    candidate: Tally
    shipped: Tally
    discordant: tuple[int, int]
    p_value: float


def judge(candidate: Sequence[Outcome], shipped: Sequence[Outcome]) -> Verdict:
    """Apply the shipping rule to two models' outcomes on the same requests, in the same order."""
    new, old = Tally.of(candidate), Tally.of(shipped)
    b, c, p = mcnemar(candidate, shipped)
    reasons = []
    if p >= ALPHA:
        reasons.append(f"accuracy: {b} won, {c} lost, one-sided McNemar p = {p:.3g} >= {ALPHA}")
    if new.local_precision < min(old.local_precision, LOCAL_PRECISION_FLOOR):
        reasons.append(f"local precision {new.local_precision:.3f} < shipped "
                       f"{old.local_precision:.3f} and < {LOCAL_PRECISION_FLOOR}")
    if new.escalation_recall < ESCALATION_RECALL_FLOOR:
        reasons.append(f"escalation recall {new.escalation_recall:.3f} "
                       f"< {ESCALATION_RECALL_FLOOR}")
    for lang in sorted({o.lang for o in candidate}):
        mine = Tally.of([o for o in candidate if o.lang == lang])
        theirs = Tally.of([o for o in shipped if o.lang == lang])
        if mine.wrong_local > theirs.wrong_local + SLACK:
            reasons.append(f"{lang}: {mine.wrong_local} wrong local answers, shipped "
                           f"{theirs.wrong_local}")
        if mine.let_through > theirs.let_through + SLACK:
            reasons.append(f"{lang}: {mine.let_through} escalations let through, shipped "
                           f"{theirs.let_through}")
    return Verdict(not reasons, tuple(reasons), new, old, (b, c), p)


def unseen_rows() -> list[dict[str, object]]:
    """The hand-written evaluation requests marked unseen (the targets' set), all languages."""
    return [r for r in evaluation.rows(evaluation.HANDWRITTEN) if r.get("unseen")]


def blind_rows(names: Sequence[str]) -> list[dict[str, object]]:
    """Every row of the named blind sets (``triage_<name>_<lang>.jsonl``), all languages."""
    found = [evaluation.rows(f"triage_{name}_*.jsonl") for name in names]
    missing = [name for name, rows in zip(names, found, strict=True) if not rows]
    if missing:
        raise SystemExit(f"no evaluation set named {', '.join(missing)} in {evaluation.DATA}")
    return [row for rows in found for row in rows]


def outcomes(model_dir: Path | None, rows: Sequence[dict[str, object]]) -> list[Outcome]:
    """A model's outcomes on rows, without a registry, at its own card's threshold."""
    from edge_agent.registry import Registry
    from edge_agent.triage import Triage

    triage = Triage(Registry(), model_dir=model_dir)
    decisions = triage.classify_many([str(r["text"]) for r in rows])
    return [Outcome(str(r.get("lang", "en")), str(r["intent"]), d.intent, d.route)
            for r, d in zip(rows, decisions, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: print the verdict as JSON; exit 0 if it ships, 1 if not."""
    parser = argparse.ArgumentParser(prog="python -m training.triage.shipping",
                                     description="Does a candidate triage model ship?")
    parser.add_argument("candidate", type=Path, help="the candidate's model directory")
    parser.add_argument("--against", type=Path, default=None,
                        help="the model to beat (default: the shipped one)")
    parser.add_argument("--set", default="development",
                        help="development: to choose between candidates; unseen, or blind sets "
                             "by name (fresh6,fresh7): once, at the end")
    args = parser.parse_args(argv)
    configure_logging("warning")  # logs go to stderr; stdout carries only the verdict
    rows = (evaluation.development_rows() if args.set == "development" else
            unseen_rows() if args.set == "unseen" else blind_rows(args.set.split(",")))
    verdict = judge(outcomes(args.candidate, rows), outcomes(args.against, rows))
    report = asdict(verdict)
    for name, tally in (("candidate", verdict.candidate), ("shipped", verdict.shipped)):
        report[name].update(accuracy=round(tally.accuracy, 4),
                            local_precision=round(tally.local_precision, 4),
                            escalation_recall=round(tally.escalation_recall, 4))
    sys.stdout.write(json.dumps({"set": args.set, **report}, indent=2) + "\n")
    return 0 if verdict.ships else 1


if __name__ == "__main__":
    raise SystemExit(main())
