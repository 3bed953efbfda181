"""The numpy network's two fine-tuning controls: soft targets (distillation from a parent's
probabilities) and held dense layers (only the embedding rows of the features seen move)."""

from __future__ import annotations

import numpy as np

from edge_agent.triage.features import pack
from training.triage.network import Hyper, Weights, fit, softmax


def test_soft_targets_teach_a_distribution_not_a_class() -> None:
    """Rows trained towards distributions end near those distributions, not at their
    one-hot labels (what distillation from a parent's probabilities relies on)."""
    hyper = Hyper(buckets=32, dim=8, hidden=16, epochs=300, batch=2, lr=0.02, dropout=0.0)
    feats, labels = [[1, 2], [3, 4]], np.array([0, 1])
    targets = np.array([[0.6, 0.4, 0.0], [0.1, 0.9, 0.0]], np.float32)
    weights, _ = fit(feats, labels, 3, hyper, seed=0, targets=targets)
    probs = softmax(weights.logits(*pack(feats)))
    assert np.abs(probs - targets).max() < 0.05, probs


def test_held_dense_layers_move_only_the_embeddings_of_features_seen() -> None:
    """With ``dense_lr=0`` the hidden and output layers keep the start's values exactly,
    and so does every embedding row no training row uses; the rows used do move."""
    hyper = Hyper(buckets=32, dim=8, hidden=16, epochs=5, batch=2, dropout=0.0, dense_lr=0.0)
    start = Weights.init(hyper, 3, np.random.default_rng(1))
    weights, _ = fit([[1, 2], [3]], np.array([0, 1]), 3, hyper, seed=0, start=start)
    for name in ("w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(weights, name), getattr(start, name)), name
    unused = [i for i in range(32) if i not in (1, 2, 3)]
    assert np.array_equal(weights.emb[unused], start.emb[unused])
    assert not np.allclose(weights.emb[[1, 2, 3]], start.emb[[1, 2, 3]])
