"""A local answer goes back at the request's own QoS (why: README, Performance)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from simulations.harness import Daemon, MqttProbe
from tests.support.stack import FAKE_BACKEND, Setup, start


@pytest.mark.parametrize("qos", [0, 1], ids=["qos0-request", "qos1-request"])
def test_local_answer_comes_back_at_the_requests_qos(
        make_setup: Callable[..., Setup], processes: list[Daemon], qos: int) -> None:
    """A QoS 0 ask is answered at QoS 0 (no PUBACK to stall on), a QoS 1 ask at QoS 1."""
    setup = make_setup(FAKE_BACKEND.format(base_url="http://127.0.0.1:9"))
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])  # subscribed at QoS 1: delivery is min(publish, subscribe)
    try:
        edge = start(processes, setup.edge())
        edge.wait_log("agent.started", timeout=60)
        probe.publish(setup.ask_topic, json.dumps({"id": "r1", "text": "turn on pump 2"}),
                      response_topic=reply_topic, correlation=b"c1", qos=qos)
        message = probe.next(timeout=30)
        reply = json.loads(message.payload)
        assert (reply["id"], reply["route"]) == ("r1", "local")
        assert message.qos == qos
    finally:
        probe.close()
