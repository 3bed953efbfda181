"""Crashes and partitions: every request acknowledged as queued is answered exactly once."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from simulations.netproxy import NetProxy
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe
from tests.support.stack import FAKE_BACKEND, Setup, start

SUBJECTS = ["the chillers", "the boilers", "conveyor line 4", "the cooling towers",
            "the air compressors", "the greenhouse vents"]
QUESTIONS = [
    "why might {s} use more energy in winter than in summer?",
    "write a short maintenance checklist for {s}",
    "what are common causes of vibration in {s}, and how do we diagnose them?",
    "explain the trade-offs of replacing {s} with newer models",
    "how should we plan a safe shutdown of {s} for an inspection?",
]
TEXTS = [q.format(s=s) for q in QUESTIONS for s in SUBJECTS]


def _finals(probe: MqttProbe, want: set[str], timeout: float) -> Counter[str]:
    """Count final (non-queued) answers per request id until every wanted id has one."""
    finals: Counter[str] = Counter()
    while not want <= set(finals):
        reply: dict[str, Any] = probe.json(timeout=timeout)
        if reply["route"] != "queued":
            assert reply["route"] == "escalated", reply
            finals[reply["id"]] += 1
    return finals


def _no_stragglers(probe: MqttProbe, setup: Setup, reply_topic: str) -> Counter[str]:
    """A local round trip; any duplicate answer sent before it has arrived by now."""
    probe.publish(setup.ask_topic, json.dumps({"id": "fence", "text": "list devices"}),
                  response_topic=reply_topic)
    late: Counter[str] = Counter()
    while True:
        reply = probe.json(timeout=30)
        if reply["id"] == "fence":
            return late
        if reply["route"] != "queued":
            late[reply["id"]] += 1


def _crash_while_asking(setup: Setup, probe: MqttProbe, edge: Daemon, rng: random.Random,
                        kills: int, sent: list[str]) -> None:
    """SIGKILL the daemon ``kills`` times, each time after one or two new requests."""
    reply_topic = f"{setup.prefix}/app/replies"
    pause = threading.Event()  # never set: waits below are fault-injection delays
    for kill in range(kills):
        edge.wait_log("agent.started", timeout=60)
        for _ in range(rng.choice([1, 1, 2])):
            n = len(sent)
            probe.publish(setup.ask_topic, json.dumps({"id": f"q{n}", "text": TEXTS[n]}),
                          response_topic=reply_topic, correlation=f"c{n}".encode())
            sent.append(f"q{n}")
        pause.wait(rng.uniform(0.0, 0.3))
        edge.kill()
        edge.log_path = setup.tmp / f"edge-{kill}.log"
        edge.start()
    edge.wait_log("agent.started", timeout=60)


# Twenty crashes in all, in four parts of five, so each part stays well inside the timeout.
@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 8, 9, 10])
def test_crashes_lose_nothing_and_double_nothing(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], seed: int) -> None:
    """SIGKILL the daemon 5 times while requests arrive; each is answered exactly once."""
    rng = random.Random(seed)
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=3)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    sent: list[str] = []
    _crash_while_asking(setup, probe, start(processes, setup.edge()), rng, 5, sent)
    start(processes, setup.broker(), setup.grpc_port)

    finals = _finals(probe, set(sent), timeout=90)
    finals += _no_stragglers(probe, setup, reply_topic)
    assert finals == Counter({request_id: 1 for request_id in sent})
    assert len(fake_cloud.requests) == len(sent)
    with sqlite3.connect(setup.tmp / "broker" / "fleet.db") as db:
        assert db.execute("SELECT COUNT(*) FROM escalations").fetchone()[0] == len(sent)
    probe.close()


@pytest.mark.slow
def test_partition_drops_stalls_and_resets(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Through a proxy that stalls, resets and refuses, the drain completes once per request."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=2)
    start(processes, setup.broker(), setup.grpc_port)
    proxy = NetProxy(setup.grpc_port).start()
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        f"127.0.0.1:{setup.grpc_port}", f"127.0.0.1:{proxy.port}"))
    edge = start(processes, setup.edge())
    edge.wait_log("link.up", timeout=60)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    sent: list[str] = []

    def ask(count: int) -> None:
        for _ in range(count):
            n = len(sent)
            probe.publish(setup.ask_topic, json.dumps({"id": f"p{n}", "text": TEXTS[n]}),
                          response_topic=reply_topic, correlation=f"c{n}".encode())
            sent.append(f"p{n}")

    ask(3)
    proxy.set_mode("stall")
    ask(4)
    edge.wait_log("request.queued", timeout=30)
    proxy.reset_all()
    proxy.set_mode("refuse")
    proxy.reset_all()
    ask(4)
    proxy.set_mode("pass")
    ask(3)
    finals = _finals(probe, set(sent), timeout=90)
    finals += _no_stragglers(probe, setup, reply_topic)
    assert finals == Counter({request_id: 1 for request_id in sent})
    assert len(fake_cloud.requests) == len(sent)
    assert proxy.stats.resets >= 1
    proxy.stop()
    probe.close()
