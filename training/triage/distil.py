"""The next triage model from the templates plus labelled traffic, and how to compare models.

``train_next`` fine-tunes the parent model (the one the fleet runs now, ``warm``) on the
labelled requests mixed with a replay sample of the templates distilled from the parent;
without a parent that fits it is ``train.train`` with the labelled requests mixed into the
training split. Either way each labelled request is repeated (``weight`` times, at least
``warm.REPEATS`` for a warm start), so a few hundred real requests count beside thousands of
template ones, and temperature and threshold come from the validation templates and the
hand-written development requests as ``train.train``'s do.
``frozen_set`` is the evaluation set no training run sees: the held-out templates (fold 6,
device names and areas of their own) sampled in ``data/heldout.jsonl``; ``development_set``
the hand-written development requests (``data/development.jsonl``), real phrasings no run
trains on. ``evaluate`` scores a model directory at its own threshold. Training-only: needs
the ``train`` extra.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from edge_agent.triage.decision import INTENTS, Intent
from edge_agent.triage.delex import SCHEME
from edge_agent.triage.languages import detect
from edge_agent.triage.metrics import score
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, SHIPPED_DIR, Card, Model
from training.triage import card as card_doc
from training.triage import evaluation, warm
from training.triage.calibration import GRID, CostModel, route, softmax
from training.triage.corpus import Example, build
from training.triage.export import export
from training.triage.network import Hyper, Weights, fit
from training.triage.train import (
    BUCKETS,
    DATA_DIR,
    SERIES,
    Plan,
    Tagged,
    _card,
    _labels,
    _logits,
    calibrate,
    calibrate_on_development,
    corpus,
    scored,
    training_features,
)

FROZEN_FILE = DATA_DIR / "heldout.jsonl"
MIN_PRECISION = 0.99  # the threshold keeps local precision at least this on each set it is
# chosen on (validation templates, hand-written development requests) and on their mean
PRECISE_RULE = ("least expected cost on the mean of the validation and development cost curves "
                "among thresholds with local precision at least {p:g} on each (a fine-tune: "
                "no lower than its parent's, nor less precise than its parent on held-out "
                "templates)")
__all__ = ["FROZEN_FILE", "SHIPPED_DIR", "Request", "development_set", "evaluate", "frozen_set",
           "shipped_version", "train_next", "write_card"]


def shipped_version() -> str:
    """The version of the model shipped with the gateway."""
    return Card.load(SHIPPED_DIR / CARD_FILE).version


@dataclass(frozen=True, slots=True)
class Request:
    """A labelled request to train or evaluate on; ``names`` are registry names it uses."""

    text: str
    intent: str
    names: frozenset[str] = frozenset()


def plan(size: str) -> Plan:
    """``full`` (as shipped), ``quick`` (tests of the trainer) or ``tiny`` (seconds)."""
    if size == "tiny":
        return Plan(3, 0, 0, Hyper(buckets=BUCKETS, epochs=3), True)
    return Plan.for_run(size == "quick")


def templates(split: str, run: Plan, seed: int, size: str) -> list[Tagged]:
    """The template corpus of one split; ``tiny``: our English templates only."""
    if size == "tiny":
        return [Tagged(e, "en") for e in build(split, seed=seed,  # type: ignore[arg-type]
                                               per_template=run.per_template, with_hass=False)]
    return corpus(split, run, seed)


def frozen_set(path: Path = FROZEN_FILE) -> list[Request]:
    """The frozen evaluation set: held-out templates with their own device names."""
    return [Request(t.example.text, t.example.intent, t.example.names()) for t in _frozen(path)]


def development_set() -> list[Request]:
    """The hand-written development requests, scored as a gateway without a registry would."""
    return [Request(str(r["text"]), str(r["intent"])) for r in evaluation.development_rows()]


def _frozen(path: Path = FROZEN_FILE) -> list[Tagged]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            doc = json.loads(line)
            rows.append(Tagged(Example(doc["text"], doc["intent"], doc.get("device", ""),
                                       doc.get("area", "")), doc.get("lang", "en")))
    return rows


def evaluate(model_dir: Path, rows: Sequence[Request]) -> dict[str, Any]:
    """Routing scores of a model at its own threshold (no confusion matrix)."""
    model = Model(model_dir)
    if not rows:
        return {"n": 0}
    probs = model.probabilities([model.features(r.text, r.names) for r in rows])
    gold = [cast(Intent, r.intent) for r in rows]
    scores = score(gold, *route(probs, model.card.threshold)).as_dict()
    return {k: v for k, v in scores.items() if k != "confusion"}


def train_next(out: Path, extra: Sequence[Request], *, seed: int = 7, size: str = "quick",
               weight: int = 4, costs: CostModel | None = None,
               parent: Path | None = None, min_precision: float = MIN_PRECISION) -> dict[str, Any]:
    """Train, calibrate and export a model on templates plus ``extra``; returns its card.

    With ``parent`` (a model directory) whose features and labels fit, the model is the
    parent fine-tuned (``warm``); otherwise it is trained from scratch. The card's
    ``training.warm_start`` names the parent version it started from, or is null.
    """
    started = time.monotonic()
    costs = costs or CostModel()
    run = plan(size)
    data = {s: templates(s, run, seed, size) for s in ("train", "val")}
    # In text order: the same labelled set makes the same model, however the labels arrived.
    labelled = [Tagged(Example(r.text, r.intent), detect(r.text))
                for r in sorted(extra, key=lambda r: (r.text, r.intent)) if r.intent in INTENTS]
    start, how = warm.parent(parent) if parent is not None else (None, "from scratch")
    if start is not None:
        weights, losses, train = warm.fine_tune(start, data["train"], labelled,
                                                weight=weight, seed=seed)
        # Never bolder than the parent: its temperature and threshold were fitted on requests
        # it had not trained on, while the candidate's validation fold is its parent's
        # training data and the development requests alone are few. (From triage-2.3, whose
        # development-only temperature is 1.6 against its 2.0, a fine-tune without any new
        # label answered held-out "comment fonctionne une R-423 ?" locally.)
        cal = calibrate_on_development(weights, scored(weights, data["val"], costs,
                                                       start.scheme), costs,
                                       unseen_only=warm.CALIBRATE_ON_UNSEEN,
                                       scheme=start.scheme,
                                       least_temperature=start.temperature)
    else:
        weights, losses, train, cal = _from_scratch(data, labelled, run, seed, weight, costs)
    least_cost = cal.get("least_cost_threshold", cal["threshold"])
    cal["threshold"] = max(costs.choose_precise(cal["curve"], min_precision,
                                                list((cal.get("curves") or {}).values())),
                           start.threshold if start is not None else 0.0)
    if start is not None and parent is not None:
        cal["threshold"] = _as_precise_as(parent, weights, cal["temperature"], start.scheme,
                                          _calibration_heldout(seed), cal["threshold"])
    out.mkdir(parents=True, exist_ok=True)
    size_bytes = export(weights, cal["temperature"], out / MODEL_FILE,
                        doc="nanogate intent triage, distilled from fleet traffic")
    card = _card(out, {"train": train, "val": data["val"], "heldout": _frozen()}, cal, costs,
                 size_bytes, seed, run, start.scheme if start else SCHEME)
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:12]
    card["version"] = f"{SERIES}-{digest}"
    if start is not None:
        card["architecture"] = (f"embedding bag (float16, {weights.emb.shape[1]} dims) -> "
                                f"{weights.w1.shape[1]} ReLU -> 6-way softmax")
        card["calibration"]["method"] = WARM_CALIBRATION
    card["cost_model"].update(min_local_precision=min_precision, least_cost_threshold=least_cost,
                              rule=PRECISE_RULE.format(p=min_precision))
    card["training"].update(seconds=round(time.monotonic() - started, 1), size=size,
                            warm_start=start.version if start else None, start=how,
                            fine_tune=warm.recipe() if start else None,
                            labelled=len(labelled), labelled_weight=_repeats(train, labelled),
                            epoch_losses=[round(x, 4) for x in losses])
    # What it learned: how the labelled requests it trained on are routed now.
    card["training"]["labelled_scores"] = evaluate(out, [r for r in extra if r.intent in INTENTS])
    write_card(out, card)
    return card


CALIBRATION_ROWS = 6000  # held-out templates a fine-tune's threshold is checked on


def _calibration_heldout(seed: int) -> list[Tagged]:
    """Held-out templates of the full-size corpus (the frozen sample's kind), the frozen
    sample itself left out: the gate scores on that one alone."""
    frozen = {t.example.text for t in _frozen()}
    rows = [t for t in corpus("heldout", Plan.for_run(False), seed)
            if t.example.text not in frozen]
    return random.Random(seed).sample(rows, min(CALIBRATION_ROWS, len(rows)))


def _as_precise_as(parent: Path, weights: Weights, temperature: float, scheme: int,
                   rows: Sequence[Tagged], threshold: float) -> float:
    """The lowest threshold from ``threshold`` up at which the fine-tuned model answers
    ``rows`` locally at least as precisely as its parent does at its own threshold.

    A fine-tune on a few labelled phrasings can make a model bolder on everything else, and
    the gate refuses a candidate less precise than the model the fleet runs on the frozen
    set; held-out templates of the frozen sample's kind, never trained on, say how much
    stricter the candidate must be. The parent's precision is the target, not the 99 % the
    threshold keeps on the development requests: templates are harder than what users type
    (triage-2.7: 96.9 % here at 0.85, 100 % on hand-written requests), and a 99 % target
    here held every child of 2.7 to 0.98."""
    if not rows:
        return threshold
    gold = [r.example.intent for r in rows]
    model = Model(parent)
    before = model.probabilities([model.features(r.example.text, r.example.names())
                                  for r in rows])
    want = score(gold, *route(before, model.card.threshold)).local_precision
    after = softmax((_logits(weights, rows, scheme) / temperature).astype(np.float32))
    for t in (t for t in GRID if t >= threshold):
        if score(gold, *route(after, t)).local_precision >= want:
            return t
    return max(threshold, GRID[-1])


def _repeats(train: Sequence[Tagged], labelled: Sequence[Tagged]) -> int:
    texts = {t.example.text for t in labelled}
    return round(sum(t.example.text in texts for t in train) / max(1, len(labelled)))


WARM_CALIBRATION = ("temperature scaling of the fine-tuned model: mean log-loss of validation "
                    "templates (fold 5, which its parent trained on) and of hand-written "
                    "development requests (never trained on), each set weighing the same")


def _from_scratch(data: dict[str, list[Tagged]], labelled: list[Tagged], run: Plan, seed: int,
                  weight: int, costs: CostModel) -> tuple[Weights, list[float], list[Tagged],
                                                          dict[str, Any]]:
    """As ``train.train``: calibrate on a model without fold 5, then train on everything."""
    train = data["train"] + labelled * weight
    random.Random(f"{seed}-distil").shuffle(train)
    cal = calibrate(train, data["val"], run, seed, costs)
    pool = train + data["val"]
    weights, losses = fit(training_features(pool, seed), _labels(pool), len(INTENTS),
                          run.hyper, seed)
    return weights, losses, train, calibrate_on_development(weights, cal, costs)


def write_card(out: Path, card: dict[str, Any]) -> None:
    """Write ``model_card.json`` and ``MODEL_CARD.md``."""
    (out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    (out / "MODEL_CARD.md").write_text(card_doc.render(card))
