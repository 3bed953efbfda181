"""Temperature and threshold from templated validation and hand-written requests together."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edge_agent.triage.decision import INTENTS
from training.triage.calibration import (
    CostModel,
    fit_pooled_temperature,
    fit_temperature,
    mean_curve,
    softmax,
)


def _overconfident(n: int, seed: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Logits three times too sharp for how often their top class is right (about 70%)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, n)
    top = np.where(rng.random(n) < 0.7, labels, (labels + 1) % 6)
    logits = np.zeros((n, 6), np.float32)
    logits[np.arange(n), top] = 3.0 * np.log(0.7 / 0.06)
    return logits, labels


def test_a_pooled_temperature_of_one_set_is_that_sets_temperature() -> None:
    """With one part, pooling changes nothing; over-confident logits get a temperature > 1."""
    logits, labels = _overconfident(600, 1)
    alone = fit_temperature(logits, labels)
    assert alone == fit_pooled_temperature([(logits, labels)])
    assert 2.4 < alone < 3.6


def test_each_part_weighs_the_same_whatever_its_size() -> None:
    """A small hand-written set moves the temperature as much as a large templated one."""
    sharp, sharp_labels = _overconfident(5000, 2)
    honest = sharp / np.float32(3.0)
    honest_labels = sharp_labels.copy()
    pooled = fit_pooled_temperature([(sharp, sharp_labels), (honest[:200], honest_labels[:200])])
    assert fit_temperature(honest, honest_labels) < pooled < fit_temperature(sharp, sharp_labels)
    assert 1.4 < pooled < 2.6


def test_mean_curve_averages_costs_row_by_row() -> None:
    """The threshold is chosen on the mean of both sets' expected cost per request."""
    logits, labels = _overconfident(300, 3)
    gold = [INTENTS[i] for i in labels]
    costs = CostModel()
    a = costs.curve(gold, softmax(logits))
    b = costs.curve(gold[:100], softmax(logits[:100] / np.float32(3)))
    mean = mean_curve([a, b])
    assert [r["threshold"] for r in mean] == [r["threshold"] for r in a]
    assert all(abs(m["cost"] - (x["cost"] + y["cost"]) / 2) < 1e-3
               for m, x, y in zip(mean, a, b, strict=True))
    assert mean[0]["n"] == 400


def test_the_precise_threshold_is_the_cheapest_that_keeps_precision_on_every_set() -> None:
    """Least cost on the mean curve, among thresholds where the mean and each set keep local
    precision at the floor; the highest threshold when none does."""
    def rows(rates: list[float], costs: list[float]) -> list[dict[str, float]]:
        return [{"threshold": t, "wrong_local_rate": r, "cost": c}
                for t, r, c in zip((0.8, 0.9, 0.95), rates, costs, strict=True)]

    mean = rows([0.005, 0.004, 0.0], [0.1, 0.2, 0.3])
    development = rows([0.02, 0.0, 0.0], [0.1, 0.2, 0.3])
    costs = CostModel()
    assert costs.choose(mean) == 0.8
    assert costs.choose_precise(mean, 0.99) == 0.8
    assert costs.choose_precise(mean, 0.99, [development]) == 0.9
    assert costs.choose_precise(mean, 1.0, [rows([0.1] * 3, [0.0] * 3)]) == 0.95
