"""Warm start: the next model continues from the weights of the model the fleet runs now.

The parent's ONNX file holds its weights (``export.load``). Features are hashed into the
card's number of buckets, so a parent with this trainer's buckets and labels shares the
feature space and the output layer, whatever its embedding and hidden sizes; the candidate
keeps the parent's delexicalisation scheme (``delex.SCHEME`` may have moved on since).

Fine-tuning (since 2026-12-07) changes what words mean, not how the model decides: only the
embedding rows of the features a batch holds move, the hidden and output layers stay the
parent's. Only the labelled requests are trained with feature dropout; the replay is not.
Each labelled request is repeated ``REPEATS`` times (Adam moves an embedding row
about one learning rate per batch it appears in, whatever its weight in the loss, so
repeats, not loss weights, make a phrasing stick) beside a replay sample of the template
corpus trained towards the parent's own probabilities (distillation), which holds the words
the labelled requests share with the templates where the parent had them. Before, the whole
network was fine-tuned on the templates' labels with the labelled requests as a fifth of
the rows, and a child of triage-2.4 lost precision that only a threshold of 0.97 bought back.
A parent that does not fit (other buckets or labels, unreadable weights) means training
from scratch; ``parent`` says why. Training-only.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from edge_agent.triage.decision import INTENTS
from edge_agent.triage.delex import SCHEME
from edge_agent.triage.features import pack
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, Card, ModelError
from training.triage.export import NotOurGraph, load
from training.triage.network import F32, Weights, fit, softmax
from training.triage.train import BUCKETS, Tagged, _labels, training_features

REPLAY = 4000  # template examples replayed beside the labelled requests
REPEATS = 32  # copies of each labelled request (at least ``weight``): about 15% of the rows
STEPS = 480  # optimiser updates, whatever the replay size (about 6 epochs at the quick size)
LR = 0.002  # a fifth of training from scratch, and only for the embedding rows
DENSE_LR = 0.0  # the hidden and output layers, which every request passes through, stay
DROPOUT = 0.4  # as the full-size model was trained; the labelled requests need it to carry
# over to how a gateway featurises them (registry names delexicalised)
REPLAY_DROPOUT = 0.0  # the replayed rows' dropout. Their targets are the parent's
# probabilities from all their features; with dropout 0.4 a dropped-out row was pulled towards
# the full-feature prediction, a self-distillation that moved the shared rows (cues, language)
# and flipped the parent's unsure requests: with triage-2.6 as the parent the child named its
# parent's intent on 96.9-98.0% of the frozen set, 99.3% without (2.4: 99.3 -> 99.6%)
CALIBRATE_ON_UNSEEN = True  # the parent trained on the validation fold: its logits flatter


@dataclass(frozen=True, slots=True)
class Parent:
    """The model to continue from: its version, weights and calibrated temperature."""

    version: str
    weights: Weights
    temperature: float
    scheme: int  # its delexicalisation scheme: the candidate keeps it (same features)
    threshold: float = 0.0  # its card's threshold: the candidate's is at least this


def parent(model_dir: Path) -> tuple[Parent | None, str]:
    """The parent's weights if the next model can start from them, else None; and why."""
    try:
        card = Card.load(model_dir / CARD_FILE)
        weights, temperature = load(model_dir / MODEL_FILE)
    except (ModelError, NotOurGraph, OSError, ValueError) as exc:
        return None, f"from scratch: the parent is unreadable ({exc})"
    if card.buckets != BUCKETS or card.labels != INTENTS:
        return None, (f"from scratch: parent {card.version} hashes into {card.buckets} buckets "
                      f"with labels {list(card.labels)}; this trainer uses {BUCKETS} and "
                      f"{list(INTENTS)}")
    if card.delex > SCHEME:
        return None, (f"from scratch: parent {card.version} uses delexicalisation scheme "
                      f"{card.delex}, newer than this trainer's {SCHEME}")
    if weights.emb.shape[0] != BUCKETS or weights.b2.shape != (len(INTENTS),):
        return None, f"from scratch: parent {card.version}'s weights are {weights.shapes()}"
    return (Parent(card.version, weights, temperature, card.delex, card.threshold),
            f"warm start from {card.version} (delexicalisation scheme {card.delex})")


def recipe() -> dict[str, float | int | str]:
    """How ``fine_tune`` trains, for the model card."""
    return {"replay": REPLAY, "replay_targets": "the parent's probabilities",
            "repeats": REPEATS, "steps": STEPS, "lr": LR, "dense_lr": DENSE_LR,
            "dropout": DROPOUT, "replay_dropout": REPLAY_DROPOUT}


def fine_tune(start: Parent, replay: Sequence[Tagged], labelled: Sequence[Tagged], *,
              weight: int, seed: int) -> tuple[Weights, list[float], list[Tagged]]:
    """Continue training ``start`` on ``labelled`` and a replay sample of templates; returns
    the weights, each epoch's loss and the rows trained on.

    A replay row is trained towards its parent's own probabilities (distillation), a labelled
    request towards its label; only the embedding rows of the features a batch holds move
    (``DENSE_LR``), so what changes is what the labelled requests' words mean, and the replay
    holds the words they share with the templates where the parent had them."""
    rng = random.Random(f"{seed}-replay")
    rows = rng.sample(list(replay), min(REPLAY, len(replay)))
    is_replay = [True] * len(rows) + [False] * (len(labelled) * max(weight, REPEATS))
    rows += list(labelled) * max(weight, REPEATS)
    order = list(range(len(rows)))
    rng.shuffle(order)
    rows, kept = [rows[i] for i in order], np.array([is_replay[i] for i in order], bool)
    feats, labels = training_features(rows, seed, start.scheme), _labels(rows)
    batch = 64
    epochs = max(1, round(STEPS * batch / len(rows))) if rows else 0
    hyper = start.weights.hyper(epochs=epochs, lr=LR, dropout=DROPOUT, batch=batch,
                                dense_lr=DENSE_LR)
    weights, losses = fit(feats, labels, len(INTENTS), hyper, seed, start=start.weights,
                          targets=_targets(start.weights, feats, labels, kept),
                          dropout=np.where(kept, REPLAY_DROPOUT, DROPOUT).astype(np.float32))
    return weights, losses, rows


def _targets(parent: Weights, feats: Sequence[Sequence[int]], labels: np.ndarray,
             replayed: np.ndarray) -> F32:
    """Each row's target: the parent's probabilities for a replayed row (all its features,
    no dropout), the one-hot label for a labelled request."""
    gold = np.eye(len(INTENTS), dtype=np.float32)[labels]
    if not len(feats):
        return cast(F32, gold)
    probs = np.concatenate([softmax(parent.logits(*pack(feats[i:i + 512])))
                            for i in range(0, len(feats), 512)])
    return cast(F32, np.where(replayed[:, None], probs, gold).astype(np.float32))
