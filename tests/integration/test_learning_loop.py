"""One turn of the learning loop on a tiny simulated fleet (``simulations.learning``): a real
broker process, in-process gateways with the real triage model and rollouts, and a fake
OpenAI-compatible cloud on loopback that labels from the workload's ground truth."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from simulations import learning
from simulations.learngateway import LabellingCloud, LearningGateway, Tally, Truth
from simulations.stack import ADMIN_TOKEN, ENROL_TOKEN, Broker


@pytest.mark.slow
def test_a_tiny_fleet_goes_round_the_loop(tmp_path: Path) -> None:
    """Escalations become labels, a model is trained and A/B tested, and the decision
    reaches every gateway; the report and the plot are written."""
    result = learning.run(learning.Plan(gateways=4, per_gateway=50, ab_min_requests=50,
                                        ab_max_requests=200,
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


@pytest.mark.slow
def test_a_simulated_users_correction_is_a_label_and_counts_for_its_model(
        tmp_path: Path) -> None:
    """A simulated gateway's correction of a local answer reaches the broker as a
    ``correction`` label with the intent the user meant, and its heartbeat counts it against
    the model version that answered."""
    cloud = LabellingCloud(Truth.load()).start()
    broker = Broker(tmp_path / "broker", cloud.url).start()
    text = "gimme the reading off t-104"

    async def correct_once() -> int:
        gw = LearningGateway("learn-00", f"127.0.0.1:{broker.grpc_port}", tmp_path / "gw")
        try:
            await gw.enrol(ENROL_TOKEN)
            await gw.ask(text, "query_state", Tally())  # the model has answered something
            await gw.correct(text, "query_history", 0.91, "query_state")
            await gw.heartbeat()
            return sum(m.corrections for m in gw.stats.messages())
        finally:
            await gw.close()

    try:
        assert asyncio.run(correct_once()) == 1
        reply = httpx.get(f"http://127.0.0.1:{broker.http_port}/api/learning", timeout=30,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reply.json()["labels"]["correction"] == {"query_state": 1}
    finally:
        broker.stop()
        cloud.stop()
