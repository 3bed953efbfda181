"""Warm start: the next model continues from the weights of the model the fleet runs now.

The parent's ONNX file holds its weights (``export.load``). Features are hashed into the
card's number of buckets, so a parent with this trainer's buckets and labels shares the
feature space and the output layer, whatever its embedding and hidden sizes; the candidate
keeps the parent's delexicalisation scheme (``delex.SCHEME`` may have moved on since). Fine-tuning
makes a fixed number of updates (about three epochs) at a fifth of the usual learning rate
over the labelled requests (a fifth of the rows) mixed with a replay sample of the template
corpus (the rest), so the model learns the fleet's phrasings without forgetting the ones it
knew. A parent that does not fit (other buckets or labels, unreadable weights) means
training from scratch; ``parent`` says why. Training-only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_agent.triage.decision import INTENTS
from edge_agent.triage.delex import SCHEME
from edge_agent.triage.model import CARD_FILE, MODEL_FILE, Card, ModelError
from training.triage.export import NotOurGraph, load
from training.triage.network import Weights, fit
from training.triage.train import BUCKETS, Tagged, _labels, training_features

REPLAY = 4000  # template examples replayed beside the labelled requests
STEPS = 240  # optimiser updates, whatever the replay size (3 epochs at the quick size)
LR = 0.002  # a fifth of training from scratch: move towards the new phrasings, not away
DROPOUT = 0.4  # as the full-size model was trained
CALIBRATE_ON_UNSEEN = True  # the parent trained on the validation fold: its logits flatter
LABELLED_SHARE = 0.2  # of the rows fine-tuned on: the fleet's requests, the rest replay
MAX_REPEATS = 64


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


def fine_tune(start: Parent, replay: Sequence[Tagged], labelled: Sequence[Tagged], *,
              weight: int, seed: int) -> tuple[Weights, list[float], list[Tagged]]:
    """Continue training ``start`` on ``labelled`` (each ``weight`` times) and a replay
    sample of templates; returns the weights, each epoch's loss and the rows trained on."""
    rng = random.Random(f"{seed}-replay")
    rows = rng.sample(list(replay), min(REPLAY, len(replay)))
    rows += list(labelled) * repeats(len(labelled), len(rows), weight)
    rng.shuffle(rows)
    batch = 64
    epochs = max(1, round(STEPS * batch / len(rows))) if rows else 0
    hyper = start.weights.hyper(epochs=epochs, lr=LR, dropout=DROPOUT, batch=batch)
    weights, losses = fit(training_features(rows, seed, start.scheme), _labels(rows),
                          len(INTENTS), hyper, seed, start=start.weights)
    return weights, losses, rows


def repeats(labelled: int, replayed: int, weight: int) -> int:
    """How often each labelled request is repeated: at least ``weight`` times, and enough for
    the labelled requests to make ``LABELLED_SHARE`` of the rows (at most ``MAX_REPEATS``)."""
    if not labelled:
        return 0
    share = LABELLED_SHARE * replayed / ((1 - LABELLED_SHARE) * labelled)
    return max(weight, min(MAX_REPEATS, round(share)))
