"""The nano model's weights and their training, in plain numpy (no deep-learning framework).

A fastText-style network: the mean of hashed feature embeddings (an "embedding bag"), one ReLU
hidden layer, and a softmax over the intents. Trained with Adam (sparse for the embedding
rows a batch touches) and feature dropout. Training-only; inference runs the ONNX export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from edge_agent.triage.features import pack

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Hyper:
    """Training hyper-parameters."""

    buckets: int
    dim: int = 24
    hidden: int = 32
    epochs: int = 3
    batch: int = 64
    lr: float = 0.01
    dropout: float = 0.6
    l2: float = 1e-5
    smoothing: float = 0.0  # label smoothing: the gold class gets 1 - s, the rest share s
    dense_lr: float = 1.0  # the layers every request passes through learn at lr times this


@dataclass(slots=True)
class Weights:
    """The network's parameters: embedding table, hidden layer, output layer."""

    emb: F32
    w1: F32
    b1: F32
    w2: F32
    b2: F32

    @classmethod
    def init(cls, hyper: Hyper, classes: int, rng: np.random.Generator) -> Weights:
        """Small random weights; the embedding rows start near zero like fastText's."""
        def normal(shape: tuple[int, ...], scale: float) -> F32:
            return (rng.standard_normal(shape) * scale).astype(np.float32)

        return cls(
            emb=normal((hyper.buckets, hyper.dim), 0.1),
            w1=normal((hyper.dim, hyper.hidden), np.sqrt(2.0 / hyper.dim)),
            b1=np.zeros(hyper.hidden, np.float32),
            w2=normal((hyper.hidden, classes), np.sqrt(1.0 / hyper.hidden)),
            b2=np.zeros(classes, np.float32),
        )

    def copy(self) -> Weights:
        """An independent copy (fine-tuning must not change its parent's arrays)."""
        return Weights(*(np.array(a, dtype=np.float32) for a in
                         (self.emb, self.w1, self.b1, self.w2, self.b2)))

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each parameter's shape, for error messages and model cards."""
        return {"emb": self.emb.shape, "w1": self.w1.shape, "w2": self.w2.shape}

    def hyper(self, **changes: float | int) -> Hyper:
        """Hyper-parameters whose shapes are these weights' (for fine-tuning them)."""
        buckets, dim = self.emb.shape
        return Hyper(buckets=buckets, dim=dim, hidden=self.w1.shape[1], **changes)  # type: ignore[arg-type]

    def logits(self, ids: I64, weights: F32) -> F32:
        """Forward pass to unnormalised scores, for a padded batch."""
        pooled = _pool(self.emb, ids, weights)
        hidden = np.maximum(pooled @ self.w1 + self.b1, 0.0)
        return cast(F32, hidden @ self.w2 + self.b2)


def _pool(emb: F32, ids: I64, weights: F32) -> F32:
    count = np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
    return cast(F32, np.einsum("bld,bl->bd", emb[ids], weights) / count)


def softmax(logits: F32) -> F32:
    """Row-wise softmax."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return cast(F32, (e / e.sum(axis=1, keepdims=True)).astype(np.float32))


@dataclass(slots=True)
class _Adam:
    m: list[F32]
    v: list[F32]
    step: int = 0

    @classmethod
    def like(cls, params: list[F32]) -> _Adam:
        return cls([np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])

    def update(self, i: int, param: F32, grad: F32, lr: float, rows: I64 | None = None) -> None:
        """One Adam step on a parameter, or only on some of its rows (lazy Adam)."""
        b1, b2 = 0.9, 0.999
        m, v = (self.m[i], self.v[i]) if rows is None else (self.m[i][rows], self.v[i][rows])
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        scale = lr * np.sqrt(1 - b2**self.step) / (1 - b1**self.step)
        delta = (scale * m / (np.sqrt(v) + 1e-8)).astype(np.float32)
        if rows is None:
            self.m[i][...], self.v[i][...] = m, v
            param -= delta
        else:
            self.m[i][rows], self.v[i][rows] = m, v
            param[rows] -= delta


def _step(w: Weights, opt: _Adam, ids: I64, mask: F32, labels: I64, hyper: Hyper,
          class_weight: F32, targets: F32 | None = None) -> float:
    """Forward, backward and update on one batch; returns the batch's mean loss.
    ``targets``: the batch's target distributions, else its one-hot ``labels``."""
    n = len(labels)
    count = np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
    pooled = np.einsum("bld,bl->bd", w.emb[ids], mask) / count
    pre = pooled @ w.w1 + w.b1
    hidden = np.maximum(pre, 0.0)
    probs = softmax(hidden @ w.w2 + w.b2)
    if targets is None:
        loss = float(-np.log(probs[np.arange(n), labels] + 1e-9).mean())
        d_out = probs - hyper.smoothing / probs.shape[1]
        d_out[np.arange(n), labels] -= 1.0 - hyper.smoothing
        d_out *= (class_weight[labels] / n)[:, None]
    else:
        loss = float(-(targets * np.log(probs + 1e-9)).sum(axis=1).mean())
        d_out = (probs - targets) * (class_weight[labels] / n)[:, None]
    d_hidden = (d_out @ w.w2.T) * (pre > 0)
    d_pooled = d_hidden @ w.w1.T / count
    rows, inverse = np.unique(ids, return_inverse=True)
    g_emb = np.zeros((len(rows), w.emb.shape[1]), np.float32)
    np.add.at(g_emb, inverse.reshape(-1), (mask[..., None] * d_pooled[:, None, :]).reshape(
        -1, w.emb.shape[1]))
    opt.step += 1
    opt.update(0, w.emb, g_emb, hyper.lr, rows)
    dense = hyper.lr * hyper.dense_lr
    if dense:  # a warm start holds these layers (dense_lr 0): no gradients to compute
        opt.update(1, w.w1, pooled.T @ d_hidden + hyper.l2 * w.w1, dense)
        opt.update(2, w.b1, d_hidden.sum(axis=0), dense)
        opt.update(3, w.w2, hidden.T @ d_out + hyper.l2 * w.w2, dense)
        opt.update(4, w.b2, d_out.sum(axis=0), dense)
    return loss


def fit(feats: Sequence[Sequence[int]], labels: I64, classes: int, hyper: Hyper,
        seed: int, start: Weights | None = None, targets: F32 | None = None,
        dropout: F32 | None = None) -> tuple[Weights, list[float]]:
    """Train on feature id lists, from scratch or from a copy of ``start`` (fine-tuning);
    returns the weights and each epoch's loss. ``start`` must have ``hyper``'s shapes;
    ``targets`` (rows x classes, each row a distribution) replaces the one-hot ``labels``,
    which still balance the classes: distillation from a parent's probabilities.
    ``dropout``: each row's feature dropout, instead of ``hyper.dropout`` for all."""
    rng = np.random.default_rng(seed)
    w = Weights.init(hyper, classes, rng) if start is None else start.copy()
    if w.emb.shape != (hyper.buckets, hyper.dim) or w.w1.shape != (hyper.dim, hyper.hidden) \
            or w.b2.shape != (classes,):
        raise ValueError(f"start weights {w.shapes()} do not fit {hyper} with {classes} classes")
    opt = _Adam.like([w.emb, w.w1, w.b1, w.w2, w.b2])
    counts = np.bincount(labels, minlength=classes).astype(np.float32)
    # Square-root balancing: small local classes count more, without drowning escalate.
    class_weight = np.sqrt(counts.mean() / np.maximum(counts, 1.0)).astype(np.float32)
    return w, [_epoch(w, opt, feats, labels, hyper, class_weight, rng, targets, dropout)
               for _ in range(hyper.epochs)]


def _epoch(w: Weights, opt: _Adam, feats: Sequence[Sequence[int]], labels: I64, hyper: Hyper,
           class_weight: F32, rng: np.random.Generator,
           targets: F32 | None = None, dropout: F32 | None = None) -> float:
    """One pass over the data in a random order, with feature dropout; its mean batch loss."""
    order = rng.permutation(len(labels))
    total = 0.0
    for first in range(0, len(order), hyper.batch):
        batch = order[first : first + hyper.batch]
        ids, mask = pack([feats[i] for i in batch])
        rate = hyper.dropout if dropout is None else dropout[batch][:, None]
        keep = mask * (rng.random(mask.shape) >= rate)
        keep = np.where(keep.sum(axis=1, keepdims=True) > 0, keep, mask)
        total += _step(w, opt, ids, keep.astype(np.float32), labels[batch], hyper,
                       class_weight, None if targets is None else targets[batch])
    return total / max(1, -(-len(order) // hyper.batch))
