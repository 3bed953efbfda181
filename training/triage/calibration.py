"""Calibration and the shipped threshold: temperature scaling, ECE, and a cost model.

The model's scores are made honest by temperature scaling fitted on requests from phrasing
templates the model never trained on. The threshold then minimises the expected cost of a
request: a wrong local answer (wrong reading, wrong actuation, a user misled) costs
``wrong_local`` units; escalating a request the gateway could have answered costs one unit
(the cloud's price plus a few hundred milliseconds of the user's time). Escalating a request
that needs the cloud costs nothing extra: it had to go anyway.

The threshold rule (``CostModel.choose_steady``; triage-2.1 to 2.7 were chosen by ``choose``
alone): least expected cost on the mean of the validation and development cost curves, where
the development set's wrong local answers are counted per 0.01 band of confidence as a Beta
posterior that leans on the validation fold's rate in that band. Training-only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_agent.triage.decision import INTENTS, LOCAL_INTENTS, Intent, Route

F32 = npt.NDArray[np.float32]
GRID = tuple(round(0.30 + 0.01 * i, 2) for i in range(70))
# Pseudo-requests at the validation fold's rate in each band of the development curve: a band
# speaks for itself only once it holds more development requests than this.
PRIOR_REQUESTS = 10.0
RULE = ("least expected cost on the mean of the validation and development cost curves, the "
        "development set's wrong local answers per 0.01 band of confidence counted as "
        "(wrong + k * r) / (local + k) of its local answers there, r the validation fold's "
        "wrong-local rate in the band, k = {k:g}")


def softmax(logits: F32) -> F32:
    """Row-wise softmax."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: F32 = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out


def fit_temperature(logits: F32, labels: npt.NDArray[np.int64]) -> float:
    """The temperature minimising negative log-likelihood (grid search, log-spaced)."""
    return fit_pooled_temperature([(logits, labels)])


def fit_pooled_temperature(parts: Sequence[tuple[F32, npt.NDArray[np.int64]]]) -> float:
    """The temperature minimising the mean of each part's negative log-likelihood.

    Each part (templated validation, hand-written development requests) weighs the same,
    whatever its size.
    """
    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 161)):
        nll = 0.0
        for logits, labels in parts:
            probs = softmax((logits / t).astype(np.float32))
            nll += float(-np.log(probs[np.arange(len(labels)), labels] + 1e-9).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def mean_curve(curves: Sequence[Sequence[dict[str, float]]]) -> list[dict[str, float]]:
    """Cost curves of several sets averaged row by row (same thresholds), each set weighing
    the same; ``n`` is their total."""
    out = []
    for rows in zip(*curves, strict=True):
        row = {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]}
        row.update(threshold=rows[0]["threshold"], n=sum(r["n"] for r in rows))
        out.append(row)
    return out


def ece(probs: F32, labels: npt.NDArray[np.int64], bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence, equal-width bins."""
    confidence = probs.max(axis=1)
    right = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(float(right[inside].mean() - confidence[inside].mean()))
    return float(total)


def reliability(probs: F32, labels: npt.NDArray[np.int64],
                bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per confidence bin, for the reliability plot."""
    confidence = probs.max(axis=1)
    right = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            out.append((float(confidence[inside].mean()), float(right[inside].mean()),
                        int(inside.sum())))
    return out


def route(probs: F32, threshold: float) -> tuple[list[Intent], list[Route]]:
    """Top intents, and routes under a threshold (local only for confident local intents)."""
    top = probs.argmax(axis=1)
    intents: list[Intent] = [INTENTS[i] for i in top]
    routes: list[Route] = ["local" if i in LOCAL_INTENTS and p >= threshold else "escalate"
                           for i, p in zip(intents, probs.max(axis=1), strict=True)]
    return intents, routes


@dataclass(frozen=True, slots=True)
class CostModel:
    """Relative costs of the two mistakes a threshold trades against each other."""

    wrong_local: float = 10.0  # a wrong local answer: noticed, asked again, and escalated then
    needless_escalation: float = 1.0  # cloud price + latency for a locally answerable request

    def row(self, gold: Sequence[Intent], probs: F32, threshold: float) -> dict[str, float]:
        """Rates and expected cost per request at one threshold."""
        intents, routes = route(probs, threshold)
        n = max(1, len(gold))
        local = [r == "local" for r in routes]
        wrong = sum(1 for g, i, loc in zip(gold, intents, local, strict=True) if loc and g != i)
        needless = sum(1 for g, loc in zip(gold, local, strict=True)
                       if not loc and g != "escalate")
        should = sum(1 for g in gold if g == "escalate")
        leaked = sum(1 for g, loc in zip(gold, local, strict=True) if loc and g == "escalate")
        right = sum(1 for g, i, loc in zip(gold, intents, local, strict=True)
                    if (loc and g == i) or (not loc and g == "escalate"))
        return {"threshold": threshold, "n": len(gold), "local": sum(local), "wrong_local": wrong,
                "needless_escalations": needless, "local_share": round(sum(local) / n, 4),
                "wrong_local_rate": round(wrong / max(1, sum(local)), 4),
                "escalation_recall": round(1 - leaked / max(1, should), 4),
                "accuracy": round(right / n, 4),
                "cost": round((self.wrong_local * wrong
                               + self.needless_escalation * needless) / n, 4)}

    def curve(self, gold: Sequence[Intent], probs: F32,
              thresholds: Sequence[float] = GRID) -> list[dict[str, float]]:
        """One row per threshold."""
        return [self.row(gold, probs, t) for t in thresholds]

    def choose(self, rows: Sequence[dict[str, float]], tolerance: float = 0.0) -> float:
        """The threshold of least expected cost (the lowest, on a tie).

        With ``tolerance`` > 0, the lowest threshold whose cost is within that share of the
        least (triage-2.0 used 5% on templates alone: with a flat curve that picks the bottom
        of the band, far from the least cost; since 2.1 the curve includes hand-written
        requests and the least cost itself is chosen).
        """
        least = min(r["cost"] for r in rows)
        return min(r["threshold"] for r in rows if r["cost"] <= least * (1 + tolerance))

    def choose_precise(self, rows: Sequence[dict[str, float]], min_precision: float,
                       each: Sequence[Sequence[dict[str, float]]] = ()) -> float:
        """The threshold of least expected cost on ``rows`` among those where local precision
        (1 - ``wrong_local_rate``) is at least ``min_precision`` on ``rows`` and on each curve
        of ``each`` (same thresholds); the highest threshold if none is."""
        ok = [all(1 - r["wrong_local_rate"] >= min_precision for r in (row, *others))
              for row, *others in zip(rows, *each, strict=True)]
        precise = [r for r, good in zip(rows, ok, strict=True) if good]
        return self.choose(precise) if precise else max(r["threshold"] for r in rows)

    def smoothed(self, rows: Sequence[dict[str, float]], prior: Sequence[dict[str, float]],
                 strength: float = PRIOR_REQUESTS) -> list[dict[str, float]]:
        """``rows`` (one set's curve) with its wrong local answers Beta-smoothed per band.

        In the band between two thresholds of the grid, a set with ``m`` local answers of
        which ``w`` are wrong is taken to have ``m * (w + strength * r) / (m + strength)``
        wrong, ``r`` being the rate in the same band of ``prior`` (a larger set's curve, same
        thresholds). With a handful of requests in a band, no wrong answer there is not proof
        of none, and one is not proof of many; with many, the set speaks for itself.
        """
        local, wrong = bands(rows)
        prior_local, prior_wrong = bands(prior)
        rate = np.divide(prior_wrong, prior_local, out=np.zeros_like(prior_wrong),
                         where=prior_local > 0)
        expected = np.divide(local * (wrong + strength * rate), local + strength,
                             out=np.zeros_like(local), where=local > 0)
        above = expected[::-1].cumsum()[::-1]  # a threshold answers every band from it up
        return [{**row, "wrong_local": round(float(w), 4),
                 "wrong_local_rate": round(float(w) / max(1.0, _local(row)), 4),
                 "cost": round((self.wrong_local * float(w) + self.needless_escalation
                                * row["needless_escalations"]) / max(1, row["n"]), 4)}
                for row, w in zip(rows, above, strict=True)]

    def choose_steady(self, validation: Sequence[dict[str, float]],
                      development: Sequence[dict[str, float]],
                      strength: float = PRIOR_REQUESTS) -> float:
        """The threshold of least expected cost on the mean of the validation curve and the
        development curve smoothed towards it (``smoothed``); see ``RULE``.

        The plain least cost of the mean curve (``choose``) moved by several hundredths when
        one development request was added or removed: each wrong local answer there is 0.026
        of mean cost, more than the whole curve varies around its least.
        """
        return self.choose(mean_curve([validation, self.smoothed(development, validation,
                                                                 strength)]))


def _local(row: dict[str, float]) -> float:
    """Local answers at a curve row's threshold (older cards keep only the rounded share)."""
    return float(row["local"]) if "local" in row else round(row["local_share"] * row["n"])


def bands(rows: Sequence[dict[str, float]]) -> tuple[npt.NDArray[np.float64],
                                                       npt.NDArray[np.float64]]:
    """Local answers and wrong local answers in each band from one threshold of a curve up to
    the next (the last band up to 1)."""
    local = np.array([_local(r) for r in rows], np.float64)
    wrong = np.array([r["wrong_local"] for r in rows], np.float64)
    in_band = np.maximum(local - np.append(local[1:], 0.0), 0.0)  # a rounded share can dip
    return in_band, np.minimum(wrong - np.append(wrong[1:], 0.0), in_band)
