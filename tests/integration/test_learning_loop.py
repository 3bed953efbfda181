"""One turn of the learning loop on a tiny simulated fleet (``simulations.learning``): a real
broker process, in-process gateways with the real triage model and rollouts, and a fake
OpenAI-compatible cloud on loopback that labels from the workload's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulations import learning


@pytest.mark.slow
def test_a_tiny_fleet_goes_round_the_loop(tmp_path: Path) -> None:
    """Escalations become labels, a model is trained and A/B tested, and the decision
    reaches every gateway; the report and the plot are written."""
    result = learning.run(learning.Plan(gateways=4, per_gateway=50, ab_min_requests=50,
                                        min_labels=10, size="tiny"), tmp_path)
    assert json.loads((tmp_path / learning.REPORT).read_text())["plan"]["gateways"] == 4
    assert (tmp_path / learning.PLOT).stat().st_size > 10_000
    before = result["before"]
    assert before["requests"] == 200 and before["escalations"] > 0
    assert sum(sum(by.values()) for by in result["labels"].values()) >= before["escalations"]
    assert result["dropped"] == {}  # the fake cloud always names a known intent
    training = result["training"]
    assert training["accepted"], training["reasons"]
    frozen = training["evaluation"]["frozen"]
    assert frozen["candidate"]["local_precision"] >= frozen["current"]["local_precision"]
    state = result["ab_test"]["state"]
    assert state in ("promoted", "rolled_back"), result["ab_test"]
    final = training["version"] if state == "promoted" else result["shipped_model"]
    assert result["models_after"] == [final]
    assert result["after"]["requests"] == 200
