"""How much one development request moves the threshold: ``python -m training.triage.steadiness``.

For each model directory given, the model scores the hand-written development requests as
training did (no registry names); its card's validation curve (at the model's temperature)
stays fixed. The development requests are resampled with replacement, and each threshold rule
picks a threshold on every resample, the same resamples for every rule. Also reported: how far
one added wrong local answer at each confidence 0.80-0.97 moves each rule's threshold, and
what each rule's threshold costs on the development requests (local precision, local share)
and the validation templates (wrong-local rate). Training-only; no model is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_agent.triage.decision import INTENTS, Intent
from edge_agent.triage.model import CARD_FILE, Model
from training.triage import evaluation
from training.triage.calibration import F32, GRID, CostModel, mean_curve

Rule = Callable[[Sequence[dict[str, float]], Sequence[dict[str, float]]], float]
Rows = list[dict[str, float]]


def rules(costs: CostModel) -> dict[str, Rule]:
    """The rules compared: the plain least cost of the mean curve (triage-2.1 to 2.7), and the
    least cost with the development curve smoothed towards the validation rates."""
    return {"least_cost": lambda val, dev: costs.choose(mean_curve([val, dev])),
            "steady": costs.choose_steady}


@dataclass(frozen=True, slots=True)
class Scored:
    """A model's development requests, their gold intents and calibrated probabilities, and
    the card's validation curve."""

    gold: list[Intent]
    probs: F32
    validation: Rows


def scored(model_dir: Path) -> Scored:
    """Score the development requests with the model in ``model_dir``."""
    model = Model(model_dir)
    rows = evaluation.development_rows()
    probs = model.probabilities([model.features(str(r["text"])) for r in rows])
    card = json.loads((model_dir / CARD_FILE).read_text())
    gold: list[Intent] = [r["intent"] for r in rows]  # type: ignore[misc]
    return Scored(gold, probs, card["cost_model"]["curves"]["validation"])


def bootstrap(data: Scored, costs: CostModel, resamples: int, seed: int) -> dict[str, list[float]]:
    """Each rule's threshold on ``resamples`` resamples (with replacement) of the development
    requests; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    chosen: dict[str, list[float]] = {name: [] for name in rules(costs)}
    n = len(data.gold)
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        dev = costs.curve([data.gold[i] for i in pick], data.probs[pick])
        for name, rule in rules(costs).items():
            chosen[name].append(rule(data.validation, dev))
    return chosen


def one_wrong(data: Scored, costs: CostModel) -> dict[str, dict[str, float]]:
    """Per rule, how far one added wrong local answer at each confidence 0.80-0.97 (a request
    that should escalate, read as ``query_state``) moves the threshold."""
    base = costs.curve(data.gold, data.probs)
    out: dict[str, dict[str, float]] = {name: {} for name in rules(costs)}
    for c in (round(0.80 + 0.01 * i, 2) for i in range(18)):
        row = np.zeros((1, len(INTENTS)), np.float32)
        row[0, INTENTS.index("query_state")], row[0, INTENTS.index("escalate")] = c, 1 - c
        dev = costs.curve([*data.gold, "escalate"], np.vstack([data.probs, row]))
        for name, rule in rules(costs).items():
            out[name][f"{c:.2f}"] = round(rule(data.validation, dev)
                                          - rule(data.validation, base), 2)
    return out


def report(model_dir: Path, costs: CostModel, resamples: int, seed: int) -> dict[str, Any]:
    """Every figure for one model, rule beside rule."""
    data = scored(model_dir)
    dev = costs.curve(data.gold, data.probs)
    boot, moves = bootstrap(data, costs, resamples, seed), one_wrong(data, costs)
    out: dict[str, Any] = {"model": str(model_dir), "resamples": resamples, "seed": seed}
    for name, rule in rules(costs).items():
        t = rule(data.validation, dev)
        at = GRID.index(t)
        chosen = np.array(boot[name])
        out[name] = {
            "threshold": t,
            "development": {"local_precision": round(1 - dev[at]["wrong_local_rate"], 4),
                            "local_share": dev[at]["local_share"],
                            "wrong_local": dev[at]["wrong_local"],
                            "needless_escalations": dev[at]["needless_escalations"]},
            "validation_wrong_local_rate": data.validation[at]["wrong_local_rate"],
            "bootstrap": {"median": float(np.median(chosen)),
                          "p5": float(np.percentile(chosen, 5)),
                          "p95": float(np.percentile(chosen, 95)),
                          "sd": round(float(chosen.std()), 4),
                          "shares": {f"{k:.2f}": round(v / resamples, 3)
                                     for k, v in sorted(Counter(boot[name]).items())}},
            "one_wrong_local": {"largest_move": max(abs(v) for v in moves[name].values()),
                                "moves": moves[name]}}
    return out


def _line(r: dict[str, Any], name: str) -> str:
    x = r[name]
    b = x["bootstrap"]
    return (f"{Path(r['model']).name:>12} {name:>10}  {x['threshold']:.2f}  "
            f"median {b['median']:.2f}  5-95% {b['p5']:.2f}-{b['p95']:.2f}  sd {b['sd']:.3f}  "
            f"one wrong moves <= {x['one_wrong_local']['largest_move']:.2f}  "
            f"dev precision {x['development']['local_precision']:.4f} "
            f"share {x['development']['local_share']:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m training.triage.steadiness",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("models", type=Path, nargs="+", help="model directories")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON object per model")
    args = parser.parse_args(argv)
    costs = CostModel()
    for model_dir in args.models:
        r = report(model_dir, costs, args.resamples, args.seed)
        text = json.dumps(r) if args.json else "\n".join(_line(r, n) for n in rules(costs))
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
