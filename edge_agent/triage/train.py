"""Train, calibrate, export and document the triage model: ``python -m edge_agent.triage.train``.

Deterministic for a given ``--seed``, CPU only, no network: the corpus comes from our own
templates and the ``home-assistant-intents`` package sampled with ``hassil``. Writes
``triage.onnx``, ``model_card.json``, ``MODEL_CARD.md`` and ``heldout.jsonl`` to ``--out``.
Training-only: needs the ``train`` extra (onnx, hassil, home-assistant-intents).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from edge_agent.triage import card as card_doc
from edge_agent.triage.corpus import Example, build
from edge_agent.triage.decision import INTENTS, LOCAL_INTENTS, Intent, Route
from edge_agent.triage.export import export
from edge_agent.triage.features import DEFAULT_BUCKETS, feature_ids, pack
from edge_agent.triage.metrics import score
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, SHIPPED_DIR, Model
from edge_agent.triage.network import F32, Hyper, Weights, fit, softmax

log = structlog.get_logger(__name__)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98,
              0.99)
GRID = tuple(round(0.3 + 0.01 * i, 2) for i in range(70))  # where the threshold is chosen
MAX_WRONG_LOCAL = 0.02  # on the pooled out-of-fold predictions
MIN_ESCALATION_RECALL = 0.97


@dataclass(frozen=True, slots=True)
class Plan:
    """How much data and training one run uses."""

    per_template: int
    hass_per_template: int
    hyper: Hyper

    @classmethod
    def for_run(cls, quick: bool) -> Plan:
        """The full plan, or a small one for tests (seconds, lower accuracy)."""
        if quick:
            return cls(6, 1, Hyper(buckets=DEFAULT_BUCKETS, epochs=3))
        return cls(60, 8, Hyper(buckets=DEFAULT_BUCKETS, dim=32, hidden=128, epochs=8,
                                dropout=0.4))


REGISTRY_SHARE = 0.5  # training requests featurised with their names known to the registry


def _logits(weights: Weights, examples: Sequence[Example], buckets: int) -> F32:
    ids, mask = pack([feature_ids(e.text, buckets, e.names()) for e in examples])
    return weights.logits(ids, mask)


def training_features(examples: Sequence[Example], buckets: int, seed: int) -> list[list[int]]:
    """Feature ids; some with registry names delexicalised, the rest generic only."""
    rng = random.Random(seed)
    return [feature_ids(e.text, buckets, e.names() if rng.random() < REGISTRY_SHARE else ())
            for e in examples]


def fit_temperature(logits: F32, labels: np.ndarray) -> float:
    """The temperature minimising validation negative log-likelihood (grid search)."""
    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 161)):
        probs = softmax((logits / t).astype(np.float32))
        nll = float(-np.log(probs[np.arange(len(labels)), labels] + 1e-9).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def route(probs: np.ndarray, threshold: float) -> tuple[list[Intent], list[Route]]:
    """Top intents, and routes under a threshold (local only for confident local intents)."""
    top = probs.argmax(axis=1)
    intents: list[Intent] = [INTENTS[i] for i in top]
    routes: list[Route] = ["local" if i in LOCAL_INTENTS and p >= threshold else "escalate"
                           for i, p in zip(intents, probs.max(axis=1), strict=True)]
    return intents, routes


def curve(probs: np.ndarray, gold: Sequence[Intent],
          thresholds: Sequence[float] = THRESHOLDS) -> list[dict[str, float]]:
    """Local share, wrong-local rate and escalation recall at each candidate threshold."""
    rows = []
    for t in thresholds:
        s = score(gold, *route(probs, t))
        rows.append({"threshold": t, "local_share": round(s.local_share, 4),
                     "wrong_local_rate": round(1 - s.local_precision, 4),
                     "escalation_recall": round(s.escalation_recall, 4),
                     "accuracy": round(s.accuracy, 4)})
    return rows


def pick_threshold(rows: Sequence[dict[str, float]]) -> float:
    """The lowest threshold meeting the wrong-local and escalation-recall limits (else the top)."""
    for row in rows:
        if (row["wrong_local_rate"] <= MAX_WRONG_LOCAL
                and row["escalation_recall"] >= MIN_ESCALATION_RECALL):
            return row["threshold"]
    return rows[-1]["threshold"]


def out_of_fold(pool: Sequence[Example], labels: np.ndarray, plan: Plan,
                seed: int) -> tuple[np.ndarray, F32]:
    """Logits of each templated request from a model trained without its template fold.

    Folds are phrasing-template groups (index % 7, 0-5: the old train and val splits), so each
    prediction is on phrasings its model never saw, as on held-out and real traffic. Requests
    from templates in every split (chit-chat, garbage; fold -1) are always trained on.
    """
    buckets = plan.hyper.buckets
    feats = training_features(pool, buckets, seed)
    folds = np.array([e.fold for e in pool])
    logits = np.zeros((len(pool), len(INTENTS)), np.float32)
    for fold in sorted(set(folds.tolist()) - {-1}):
        fit_rows, test_rows = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        weights, _ = fit([feats[int(i)] for i in fit_rows], labels[fit_rows], len(INTENTS),
                         plan.hyper, seed + 1 + fold)
        logits[test_rows] = _logits(weights, [pool[int(i)] for i in test_rows], buckets)
        log.info("fold.scored", fold=fold, n=len(test_rows))
    return folds >= 0, logits


def write_heldout(examples: Sequence[Example], path: Path, n: int, seed: int) -> None:
    """A stratified sample of the held-out split as JSON lines (text, intent, device, area)."""
    rng = random.Random(seed)
    chosen: list[Example] = []
    for intent in INTENTS:
        group = [e for e in examples if e.intent == intent]
        share = n // 3 if intent == "escalate" else (n - n // 3) // len(LOCAL_INTENTS)
        chosen += rng.sample(group, min(share, len(group)))
    lines = [json.dumps({"text": e.text, "intent": e.intent,
                         **({"device": e.device} if e.device else {}),
                         **({"area": e.area} if e.area else {})}) for e in chosen]
    path.write_text("\n".join(lines) + "\n")


def train(out: Path, seed: int, quick: bool) -> dict[str, Any]:
    """Run the whole pipeline; returns the model card as written."""
    started = time.monotonic()
    plan = Plan.for_run(quick)
    data = {s: build(s, seed=seed, per_template=plan.per_template,
                     hass_per_template=plan.hass_per_template)
            for s in ("train", "val", "heldout")}
    pool, heldout = data["train"] + data["val"], data["heldout"]
    log.info("corpus.built", pool=len(pool), heldout=len(heldout))
    labels = np.array([INTENTS.index(e.intent) for e in pool])
    scored, oof = out_of_fold(pool, labels, plan, seed)
    temperature = fit_temperature(oof[scored], labels[scored])
    crossval = Evaluation([e.intent for e, s in zip(pool, scored, strict=True) if s],
                          softmax((oof[scored] / temperature).astype(np.float32)))
    weights, losses = fit(training_features(pool, plan.hyper.buckets, seed), labels,
                          len(INTENTS), plan.hyper, seed)
    log.info("model.trained", losses=[round(x, 4) for x in losses])
    out.mkdir(parents=True, exist_ok=True)
    size = export(weights, temperature, out / MODEL_FILE, doc="nanogate intent triage")
    card = _card(out, {"pool": pool, "heldout": heldout}, crossval, temperature, size, seed,
                 plan)
    card["training"]["seconds"] = round(time.monotonic() - started, 1)
    card["training"]["epoch_losses"] = [round(x, 4) for x in losses]
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(card_doc.render(card))
    write_heldout(heldout, out / "heldout.jsonl", 60 if quick else 450, seed)
    log.info("model.written", out=str(out), size_bytes=size, threshold=card["threshold"])
    return card


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Gold intents and calibrated probabilities of one evaluated set."""

    gold: list[Intent]
    probs: np.ndarray


def _card(out: Path, data: dict[str, list[Example]], crossval: Evaluation, temperature: float,
          size: int, seed: int, plan: Plan) -> dict[str, Any]:
    """Choose the threshold out of fold; evaluate the exported ONNX file itself on held-out."""
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:12]
    threshold = pick_threshold(curve(crossval.probs, crossval.gold, GRID))
    card: dict[str, Any] = {
        "version": f"triage-1.1-{digest}", "labels": list(INTENTS), "threshold": threshold,
        "features": {"buckets": DEFAULT_BUCKETS, "hash": "crc32(utf-8) mod buckets",
                     "ngrams": "delexicalised tokens (<dev>, <num>, <unit>, <window>), word"
                               " unigrams, word bigrams with ^/$ marks, char 3-4-grams of words,"
                               " sentence cues (features.cues)"},
        "architecture": f"embedding bag (float16, {plan.hyper.dim} dims) -> {plan.hyper.hidden} "
                        "ReLU -> 6-way softmax",
        "calibration": {"method": f"temperature scaling on out-of-fold predictions over "
                                  f"{len(set(e.fold for e in data['pool']) - {-1})} phrasing-"
                                  "template folds", "temperature": round(temperature, 4)},
        "size_bytes": size,
        "training": {"seed": seed, "quick": plan.per_template < 60, "counts": {
            s: dict(Counter(e.intent for e in v)) for s, v in data.items()}},
    }
    (out / CARD_FILE).write_text(json.dumps(card))
    model = Model(out)
    heldout = data["heldout"]
    gold = [e.intent for e in heldout]
    evals = {"crossval": crossval,
             "heldout": Evaluation(gold, model.probabilities(
                 [model.features(e.text, e.names()) for e in heldout])),
             # The same held-out requests on a gateway whose registry knows none of their names.
             "heldout_no_registry": Evaluation(gold, model.probabilities(
                 [model.features(e.text) for e in heldout]))}
    shown = sorted({*THRESHOLDS, threshold})
    card["curve"] = {s: curve(e.probs, e.gold, shown) for s, e in evals.items()}
    card["metrics"] = {s: score(e.gold, *route(e.probs, threshold)).as_dict()
                       for s, e in evals.items()}
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m edge_agent.triage.train",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="model directory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small data, for tests")
    args = parser.parse_args(argv)
    card = train(args.out, args.seed, args.quick)
    sys.stdout.write(json.dumps({"out": str(args.out), "size_bytes": card["size_bytes"],
                                 "threshold": card["threshold"],
                                 "metrics": {s: {k: v for k, v in m.items() if k != "confusion"}
                                             for s, m in card["metrics"].items()}}, indent=2))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
