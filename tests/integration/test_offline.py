"""Offline is normal: queued while the cloud is away, answered exactly once when it returns."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, correlation
from tests.support.stack import FAKE_BACKEND, Setup, start

HARD = [
    "why is the compressor cycling more often than it did last month?",
    "write a maintenance plan for the cooling towers before summer",
    "what are the pros and cons of variable frequency drives for our pumps?",
    "explain how humidity affects the drying time of concrete",
    "should we replace the old boilers or repair them, and why?",
]


def _ask(probe: MqttProbe, setup: Setup, n: int, text: str, reply_topic: str) -> None:
    probe.publish(setup.ask_topic, json.dumps({"id": f"q{n}", "text": text}),
                  response_topic=reply_topic, correlation=f"corr-{n}".encode())


@pytest.mark.parametrize("transport", ["grpc", "mqtt"])
def test_queued_requests_survive_a_crash_and_are_answered_once(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], transport: str) -> None:
    """Broker down → queued; SIGKILL the edge; broker up → every request answered exactly once."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=5,
                       transport=transport)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")

    for n, text in enumerate(HARD[:3]):
        _ask(probe, setup, n, text, reply_topic)
    queued = [probe.next() for _ in range(3)]
    assert [json.loads(m.payload)["route"] for m in queued] == ["queued"] * 3

    edge.kill()
    # Sent while the daemon is down: the persistent session keeps them for it.
    for n, text in enumerate(HARD[3:], start=3):
        _ask(probe, setup, n, text, reply_topic)
    edge = start(processes, setup.edge())
    queued += [probe.next() for _ in range(2)]
    assert all(json.loads(m.payload)["route"] == "queued" for m in queued)

    start(processes, setup.broker(), setup.grpc_port)
    answers: dict[str, bytes | None] = {}
    for _ in range(len(HARD)):
        message = probe.next(timeout=60)
        reply = json.loads(message.payload)
        assert reply["route"] == "escalated", reply
        answers[reply["id"]] = correlation(message)
    assert answers == {f"q{n}": f"corr-{n}".encode() for n in range(len(HARD))}

    # A local round trip after the answers: anything duplicated would have arrived by now.
    probe.publish(setup.ask_topic, json.dumps({"id": "last", "text": "list devices"}),
                  response_topic=reply_topic)
    assert probe.json()["id"] == "last"
    assert probe.messages.empty()
    assert len(fake_cloud.requests) == len(HARD)
    with sqlite3.connect(setup.tmp / "broker" / "fleet.db") as db:
        assert db.execute("SELECT COUNT(*) FROM escalations").fetchone()[0] == len(HARD)
    probe.close()


def test_outbox_status_cli_shows_queued_items(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """`edge-agent outbox status` shows what waits for the cloud."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=2)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")
    _ask(probe, setup, 0, HARD[0], reply_topic)
    assert probe.json()["route"] == "queued"
    out = subprocess.run(
        [sys.executable, "-m", "edge_agent", "outbox", "--config", str(setup.edge_config),
         "status", "--json"], capture_output=True, text=True, check=True)
    status = json.loads(out.stdout)
    assert status["items"] == {"escalation": 1}
    assert status["depth"] == 1
    probe.close()
