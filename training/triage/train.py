"""Train, calibrate, export and document the triage model: ``python -m training.triage.train``.

One multilingual model for English, German, French, Spanish and Dutch. Deterministic for a
given ``--seed``, CPU only, no network: the corpus comes from our own templates (English, and
hand-translated ones per language, ``i18n/``) and the ``home-assistant-intents`` package of
each language sampled with ``hassil``. Phrasing templates fall in folds by index: 0-4 train,
5 validates, 6 is held out with unseen device names and areas.

1. A model trained on folds 0-4 scores fold 5 (validation templates).
2. The shipped model is trained on folds 0-5 and scores the hand-written development requests
   (``data/development.jsonl``, never trained on). The temperature minimises the mean
   log-loss of the two sets, each weighing the same; ECE is reported before and after; the
   threshold is the one of least expected cost under the cost model
   (``calibration.CostModel``) on the mean of the two sets' cost curves, the development
   set's wrong local answers Beta-smoothed per band of confidence (``choose_steady``). The
   model is exported with that temperature and evaluated on fold 6 per language. Writes
   ``triage.onnx``, ``model_card.json`` and ``MODEL_CARD.md`` to ``--out``, and a sample of
   fold 6 to ``training/triage/data``.
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

from edge_agent.triage.decision import INTENTS, LOCAL_INTENTS
from edge_agent.triage.delex import SCHEME
from edge_agent.triage.features import feature_ids, pack
from edge_agent.triage.metrics import score
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, SHIPPED_DIR, Model
from training.triage import card as card_doc
from training.triage import evaluation, i18n
from training.triage.calibration import (
    PRIOR_REQUESTS,
    RULE,
    CostModel,
    ece,
    fit_pooled_temperature,
    fit_temperature,
    mean_curve,
    reliability,
    route,
    softmax,
)
from training.triage.corpus import Example, build
from training.triage.export import export
from training.triage.network import F32, Hyper, Weights, fit

log = structlog.get_logger(__name__)
LANGS = ("en", *i18n.LANGS)
BUCKETS = 1 << 16
DATA_DIR = Path(__file__).parent / "data"
REGISTRY_SHARE = 0.5  # training requests featurised with their names known to the registry
SERIES = "triage-2.8"  # a model's version is this and a digest of its file


@dataclass(frozen=True, slots=True)
class Plan:
    """How much data and training one run uses."""

    per_template: int
    other_per_template: int
    hass_per_template: int
    hyper: Hyper
    quick: bool

    @classmethod
    def for_run(cls, quick: bool, hidden: int = 128) -> Plan:
        """The full plan, or a small one for tests (seconds, lower accuracy)."""
        if quick:
            return cls(4, 3, 1, Hyper(buckets=BUCKETS, epochs=2), True)
        return cls(60, 40, 8, Hyper(buckets=BUCKETS, dim=32, hidden=hidden, epochs=8,
                                    dropout=0.4), False)


@dataclass(frozen=True, slots=True)
class Tagged:
    """An example and its language."""

    example: Example
    lang: str


def corpus(split: str, plan: Plan, seed: int) -> list[Tagged]:
    """Every language's examples of one split (``train``, ``val`` or ``heldout``)."""
    out = [Tagged(e, "en") for e in build(split, seed=seed, per_template=plan.per_template,  # type: ignore[arg-type]
                                           hass_per_template=plan.hass_per_template)]
    for lang in i18n.LANGS:
        out += [Tagged(e, lang) for e in i18n.build(
            lang, split, seed=seed, per_template=plan.other_per_template,  # type: ignore[arg-type]
            hass_per_template=plan.hass_per_template)]
    random.Random(f"{seed}-{split}-mix").shuffle(out)
    allowed = evaluation.keep_out(r.example.text for r in out)
    dropped = len(out) - sum(allowed)
    log.info("corpus.evaluation_kept_out", split=split, dropped=dropped)
    return [r for r, keep in zip(out, allowed, strict=True) if keep]


def training_features(rows: Sequence[Tagged], seed: int,
                      scheme: int = SCHEME) -> list[list[int]]:
    """Feature ids; some with registry names delexicalised, the rest generic only."""
    rng = random.Random(seed)
    return [feature_ids(r.example.text, BUCKETS,
                        r.example.names() if rng.random() < REGISTRY_SHARE else (),
                        scheme=scheme)
            for r in rows]


def _labels(rows: Sequence[Tagged]) -> np.ndarray:
    return np.array([INTENTS.index(r.example.intent) for r in rows])


def _logits(weights: Weights, rows: Sequence[Tagged], scheme: int = SCHEME) -> F32:
    ids, mask = pack([feature_ids(r.example.text, BUCKETS, r.example.names(), scheme=scheme)
                      for r in rows])
    return weights.logits(ids, mask)


def calibrate(train: Sequence[Tagged], val: Sequence[Tagged], plan: Plan, seed: int,
              costs: CostModel) -> dict[str, Any]:
    """Temperature, ECE and threshold from a model that never saw the validation templates."""
    weights, _ = fit(training_features(train, seed), _labels(train), len(INTENTS),
                     plan.hyper, seed + 1)
    return scored(weights, val, costs)


def scored(weights: Weights, val: Sequence[Tagged], costs: CostModel,
           scheme: int = SCHEME) -> dict[str, Any]:
    """Temperature, ECE, cost curve and threshold of ``weights`` on the validation templates."""
    logits, labels = _logits(weights, val, scheme), _labels(val)
    temperature = fit_temperature(logits, labels)
    probs = softmax((logits / temperature).astype(np.float32))
    gold = [r.example.intent for r in val]
    rows = costs.curve(gold, probs)
    return {"temperature": temperature, "logits": logits, "labels": labels, "probs": probs,
            "gold": gold, "curve": rows,
            "threshold": costs.choose(rows),
            "ece_before": round(ece(softmax(logits), labels), 4),
            "ece_after": round(ece(probs, labels), 4),
            "reliability_before": reliability(softmax(logits), labels),
            "reliability_after": reliability(probs, labels)}


def calibrate_on_development(weights: Weights, cal: dict[str, Any], costs: CostModel,
                             *, unseen_only: bool = False, scheme: int = SCHEME,
                             least_temperature: float = 0.0) -> dict[str, Any]:
    """Temperature and threshold from templates and hand-written requests, weighed equally.

    The validation fold is templated; real phrasings differ more from the templates than one
    fold from another. The hand-written development requests (never trained on, never
    evaluated on) are scored by the shipped model as a gateway without a registry would; the
    temperature minimises the two sets' mean log-loss, and the threshold the mean of their
    cost curves. Without the development file, the validation fold alone decides.
    ``unseen_only``: the temperature from the development requests alone (for a fine-tuned
    model, whose parent trained on the validation fold); ``least_temperature``: no lower
    than this (a fine-tuned model is never bolder than its parent's calibration).
    """
    rows = evaluation.development_rows()
    if not rows:
        return {**cal, "validation_temperature": cal["temperature"]}
    ids, mask = pack([feature_ids(str(r["text"]), BUCKETS, scheme=scheme) for r in rows])
    logits = weights.logits(ids, mask)
    labels = np.array([INTENTS.index(str(r["intent"])) for r in rows])
    gold = [r["intent"] for r in rows]
    parts = [(logits, labels)] if unseen_only else [(cal["logits"], cal["labels"]),
                                                    (logits, labels)]
    temperature = max(fit_pooled_temperature(parts), least_temperature)
    val_probs = softmax((cal["logits"] / temperature).astype(np.float32))
    dev_probs = softmax((logits / temperature).astype(np.float32))
    curves = [costs.curve(cal["gold"], val_probs), costs.curve(gold, dev_probs)]  # type: ignore[arg-type]
    curve = mean_curve(curves)
    return {**cal, "validation_temperature": cal["temperature"], "temperature": temperature,
            "curve": curve, "curves": {"validation": curves[0], "development": curves[1]},
            "threshold": costs.choose_steady(curves[0], curves[1]),
            "least_cost_threshold": costs.choose(curve),
            "validation_threshold": costs.choose(curves[0]),
            "development": {"n": len(rows), "threshold_alone": costs.choose(curves[1]),
                            "ece_before": round(ece(softmax(logits), labels), 4),
                            "ece_after": round(ece(dev_probs, labels), 4)},
            "ece_after": round(ece(val_probs, cal["labels"]), 4),
            "reliability_after": reliability(val_probs, cal["labels"])}


def write_heldout(rows: Sequence[Tagged], path: Path, per_lang: int, seed: int) -> None:
    """A stratified sample of the held-out split per language as JSON lines."""
    rng = random.Random(seed)
    lines = []
    for lang in LANGS:
        for intent in INTENTS:
            group = [r.example for r in rows if r.lang == lang and r.example.intent == intent]
            share = per_lang // 3 if intent == "escalate" else \
                (per_lang - per_lang // 3) // len(LOCAL_INTENTS)
            for e in rng.sample(group, min(share, len(group))):
                lines.append(json.dumps({"text": e.text, "intent": e.intent, "lang": lang,
                                         **({"device": e.device} if e.device else {}),
                                         **({"area": e.area} if e.area else {})},
                                        ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def train(out: Path, seed: int, quick: bool, costs: CostModel,
          hidden: int = 128) -> dict[str, Any]:
    """Run the whole pipeline; returns the model card as written."""
    started = time.monotonic()
    plan = Plan.for_run(quick, hidden)
    data = {s: corpus(s, plan, seed) for s in ("train", "val", "heldout")}
    log.info("corpus.built", **{s: len(v) for s, v in data.items()})
    cal = calibrate(data["train"], data["val"], plan, seed, costs)
    log.info("model.calibrated", temperature=round(cal["temperature"], 4),
             threshold=cal["threshold"], ece_after=cal["ece_after"])
    pool = data["train"] + data["val"]
    weights, losses = fit(training_features(pool, seed), _labels(pool), len(INTENTS),
                          plan.hyper, seed)
    cal = calibrate_on_development(weights, cal, costs)
    log.info("model.recalibrated", temperature=round(cal["temperature"], 4),
             threshold=cal["threshold"], development=cal.get("development"))
    out.mkdir(parents=True, exist_ok=True)
    size = export(weights, cal["temperature"], out / MODEL_FILE,
                  doc="nanogate intent triage, en de fr es nl")
    card = _card(out, data, cal, costs, size, seed, plan)
    card["training"]["seconds"] = round(time.monotonic() - started, 1)
    card["training"]["epoch_losses"] = [round(x, 4) for x in losses]
    (out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    (out / "MODEL_CARD.md").write_text(card_doc.render(card))
    heldout_file = DATA_DIR / "heldout.jsonl" if out == SHIPPED_DIR else out / "heldout.jsonl"
    write_heldout(data["heldout"], heldout_file, 24 if quick else 150, seed)
    log.info("model.written", out=str(out), size_bytes=size, threshold=card["threshold"])
    return card


def recard(out: Path, seed: int, quick: bool, costs: CostModel) -> dict[str, Any]:
    """Re-pick the threshold from the card's cost curves and re-score held-out (no training).

    For a changed cost model or threshold rule; the model file and its version stay.
    """
    card: dict[str, Any] = json.loads((out / CARD_FILE).read_text())
    parts = card["cost_model"].get("curves") or {"validation": card["cost_model"]["curve"]}
    parts = {name: [{**row, "cost": round((costs.wrong_local * row["wrong_local"]
                                           + costs.needless_escalation
                                           * row["needless_escalations"]) / row["n"], 4)}
                    for row in rows] for name, rows in parts.items()}
    card["cost_model"]["curve"] = mean_curve(list(parts.values()))
    if "curves" in card["cost_model"]:
        card["cost_model"]["curves"] = parts
    card["cost_model"].update(wrong_local=costs.wrong_local,
                              needless_escalation=costs.needless_escalation)
    card["threshold"], card["cost_model"]["rule"] = _rule(card["cost_model"], costs)
    card["cost_model"]["least_cost_threshold"] = costs.choose(card["cost_model"]["curve"])
    heldout = corpus("heldout", Plan.for_run(quick), seed)
    card["metrics"] = _scores(Model(out), heldout, card["threshold"])
    (out / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    (out / "MODEL_CARD.md").write_text(card_doc.render(card))
    return card


def _rule(cost_model: dict[str, Any], costs: CostModel) -> tuple[float, str]:
    """A card's threshold from its stored curves, and the rule that chose it."""
    parts = cost_model.get("curves") or {}
    if "development" not in parts:
        return costs.choose(cost_model["curve"]), "least expected cost on the validation curve"
    return (costs.choose_steady(parts["validation"], parts["development"]),
            RULE.format(k=PRIOR_REQUESTS))


def _scores(model: Model, heldout: Sequence[Tagged], threshold: float) -> dict[str, Any]:
    """Routing scores per language on held-out, with each request's names in the registry."""
    out = {}
    for lang in LANGS:
        rows = [r.example for r in heldout if r.lang == lang]
        probs = model.probabilities([model.features(e.text, e.names()) for e in rows])
        out[lang] = score([e.intent for e in rows], *route(probs, threshold)).as_dict()
    return out


def _card(out: Path, data: dict[str, list[Tagged]], cal: dict[str, Any], costs: CostModel,
          size: int, seed: int, plan: Plan, scheme: int = SCHEME) -> dict[str, Any]:
    """The card's facts; the exported ONNX file itself is evaluated on held-out per language."""
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:12]
    threshold = cal["threshold"]
    card: dict[str, Any] = {
        "version": f"{SERIES}-{digest}", "labels": list(INTENTS), "languages": list(LANGS),
        "threshold": threshold,
        "features": {"buckets": BUCKETS, "hash": "crc32(utf-8) mod buckets", "delex": scheme,
                     "ngrams": "delexicalised tokens (<dev>, <num>, <unit>, <window>), word"
                               " unigrams, word bigrams with ^/$ marks, char 3-4-grams of words,"
                               " sentence cues in five languages (features.cues)"},
        "architecture": f"embedding bag (float16, {plan.hyper.dim} dims) -> {plan.hyper.hidden} "
                        "ReLU -> 6-way softmax",
        "calibration": {"method": "temperature scaling: mean log-loss of validation templates "
                                  "(fold 5, scored by a model trained on folds 0-4) and of "
                                  "hand-written development requests (scored by this model), "
                                  "each set weighing the same",
                        "temperature": round(cal["temperature"], 4),
                        "validation_temperature": round(cal["validation_temperature"], 4),
                        "development": cal.get("development"),
                        "ece_before": cal["ece_before"], "ece_after": cal["ece_after"],
                        "reliability_before": cal["reliability_before"],
                        "reliability_after": cal["reliability_after"]},
        "cost_model": {"wrong_local": costs.wrong_local,
                       "needless_escalation": costs.needless_escalation,
                       "rule": RULE.format(k=PRIOR_REQUESTS) if cal.get("curves") else
                       "least expected cost on the validation curve",
                       "least_cost_threshold": cal.get("least_cost_threshold"),
                       "validation_threshold": cal.get("validation_threshold"),
                       "curve": cal["curve"], "curves": cal.get("curves")},
        "size_bytes": size,
        "training": {"seed": seed, "quick": plan.quick, "counts": {
            s: dict(Counter(r.example.intent for r in v)) for s, v in data.items()}},
    }
    (out / CARD_FILE).write_text(json.dumps(card))
    card["metrics"] = _scores(Model(out), data["heldout"], threshold)
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m training.triage.train",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="model directory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small data, for tests")
    parser.add_argument("--wrong-local-cost", type=float, default=10.0,
                        help="cost of a wrong local answer, in needless escalations")
    parser.add_argument("--recard", action="store_true",
                        help="keep the trained model: re-pick the threshold, re-score held-out")
    parser.add_argument("--hidden", type=int, default=128, help="hidden layer width")
    args = parser.parse_args(argv)
    costs = CostModel(wrong_local=args.wrong_local_cost)
    card = recard(args.out, args.seed, args.quick, costs) if args.recard else \
        train(args.out, args.seed, args.quick, costs, args.hidden)
    sys.stdout.write(json.dumps({"out": str(args.out), "size_bytes": card["size_bytes"],
                                 "threshold": card["threshold"],
                                 "ece": {k: card["calibration"][k]
                                         for k in ("ece_before", "ece_after")},
                                 "metrics": {s: {k: v for k, v in m.items() if k != "confusion"}
                                             for s, m in card["metrics"].items()}}, indent=2))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
