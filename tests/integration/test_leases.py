"""A broker killed in the middle of a model call: its claim is a lease, and the request is
answered after the restart (or by the surviving replica), once, with at most two model calls.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulations.netproxy import NetProxy
from tests.support.gated_model import GatedModel
from tests.support.processes import (
    Daemon,
    MqttProbe,
    free_port,
    wait_for_port,
    wait_until,
    write_toml,
)
from tests.support.stack import FAKE_BACKEND, Setup, start

TEXTS = [f"explain the trade-offs of replacing the chillers at plant {n} with newer models"
         for n in range(60)]

PG_BROKER_TOML = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "test-admin-token"

[store]
kind = "postgres"
dsn = "{dsn}"

[[enrol_tokens]]
token = "test-token"
site = "lab"
tags = ["test"]
reusable = true

{backends}
"""


@pytest.fixture
def model() -> Iterator[GatedModel]:
    """The broker's only model: an OpenAI-compatible fake that answers when let."""
    server = GatedModel()
    yield server
    server.close()


def ask(probe: MqttProbe, setup: Setup, reply_topic: str, n: int) -> str:
    """Send request n (a hard question the gateway escalates); returns its id."""
    probe.publish(setup.ask_topic, json.dumps({"id": f"r{n}", "text": TEXTS[n]}),
                  response_topic=reply_topic, correlation=f"c{n}".encode())
    return f"r{n}"


def finals(probe: MqttProbe, want: set[str], timeout: float,
           arrived: dict[str, float] | None = None) -> Counter[str]:
    """Count final answers per id until every wanted id has one (``arrived``: when)."""
    seen: Counter[str] = Counter()
    while not want <= set(seen):
        message = probe.next(timeout=timeout)
        reply: dict[str, Any] = json.loads(message.payload)
        if reply["route"] == "queued":
            continue
        assert reply["route"] == "escalated" and "error" not in reply, reply
        seen[reply["id"]] += 1
        if arrived is not None:
            arrived[reply["id"]] = message.timestamp  # paho's time.monotonic() at receipt
    return seen


def stragglers(probe: MqttProbe, setup: Setup, reply_topic: str) -> Counter[str]:
    """A local round trip: any duplicate sent before it has arrived by then."""
    probe.publish(setup.ask_topic, json.dumps({"id": "fence", "text": "list devices"}),
                  response_topic=reply_topic)
    late: Counter[str] = Counter()
    while (reply := probe.json(timeout=60))["id"] != "fence":
        if reply["route"] != "queued":
            late[reply["id"]] += 1
    return late


def restart(daemon: Daemon, log_path: Path, port: int) -> float:
    """Start a killed daemon again with a fresh log; returns when its port answered."""
    daemon.log_path = log_path
    daemon.start()
    wait_for_port(port, timeout=60)
    return time.monotonic()


def link_ups(edge: Daemon) -> int:
    """How often the gateway's link came up, in its current log."""
    return sum(1 for line in edge.logs() if line.get("event") == "link.up")


@pytest.mark.slow
def test_broker_killed_mid_call_answers_the_replay_after_restart(
        make_setup: Callable[..., Setup], model: GatedModel, processes: list[Daemon]) -> None:
    """SIGKILL between calling the model and storing the answer: answered once after restart."""
    setup = make_setup(FAKE_BACKEND.format(base_url=model.base_url), escalate_timeout=3)
    broker = start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up", timeout=60)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    request_id = ask(probe, setup, reply_topic, 0)
    model.wait_for_calls(1)
    broker.kill()  # the model has the question; the answer is never stored
    model.gate.set()
    restarted = restart(broker, setup.tmp / "broker-2.log", setup.grpc_port)
    arrived: dict[str, float] = {}
    answers = finals(probe, {request_id}, timeout=90, arrived=arrived)
    answers += stragglers(probe, setup, reply_topic)
    assert answers == Counter({request_id: 1})
    assert model.calls_per(TEXTS[:1]) == Counter({TEXTS[0]: 2})  # once before, once after
    assert any(e.get("event") == "escalation.taken_over" for e in broker.logs())
    print(f"\nrestart -> answer: {arrived[request_id] - restarted:.2f} s")
    probe.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_surviving_replica_takes_over_a_dead_replicas_claim(
        make_setup: Callable[..., Setup], model: GatedModel, processes: list[Daemon],
        pg_dsn: str) -> None:
    """Two replicas on PostgreSQL: the one that dies mid-call is taken over by the other."""
    setup = make_setup(FAKE_BACKEND.format(base_url=model.base_url), escalate_timeout=3)
    replicas = []
    for name in ("a", "b"):
        grpc_port, http_port = free_port(), free_port()
        config = write_toml(setup.tmp / f"broker-{name}.toml", PG_BROKER_TOML.format(
            grpc_port=grpc_port, http_port=http_port, data=setup.tmp / f"broker-{name}",
            dsn=pg_dsn, backends=FAKE_BACKEND.format(base_url=model.base_url)))
        daemon = Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                        setup.tmp / f"broker-{name}.log")
        replicas.append((start(processes, daemon, grpc_port), grpc_port))
    (first, first_port), (survivor, survivor_port) = replicas
    proxy = NetProxy(first_port).start()
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        f"127.0.0.1:{setup.grpc_port}", f"127.0.0.1:{proxy.port}"))
    edge = start(processes, setup.edge())
    edge.wait_log("link.up", timeout=60)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    request_id = ask(probe, setup, reply_topic, 1)
    model.wait_for_calls(1)
    first.kill()
    killed = time.monotonic()
    proxy.target_port = survivor_port  # the load balancer sends the gateway to the survivor
    proxy.reset_all()
    model.gate.set()
    arrived: dict[str, float] = {}
    answers = finals(probe, {request_id}, timeout=90, arrived=arrived)
    answers += stragglers(probe, setup, reply_topic)
    assert answers == Counter({request_id: 1})
    assert model.calls_per(TEXTS[1:2]) == Counter({TEXTS[1]: 2})
    [taken] = [e for e in survivor.logs() if e.get("event") == "escalation.taken_over"]
    assert taken["attempt"] == 2
    assert taken["previous_owner"].startswith(f"{socket.gethostname()}:{first_port}#")
    print(f"\nkill -> answer by the survivor: {arrived[request_id] - killed:.2f} s")
    proxy.stop()
    probe.close()


@pytest.mark.slow
def test_chaos_kills_of_edge_and_broker_answer_everything_exactly_once(
        make_setup: Callable[..., Setup], processes: list[Daemon]) -> None:
    """48 requests while edge and broker are each SIGKILLed 3 times: once each, <= 2 calls."""
    rng = random.Random(22)
    model = GatedModel(open_gate=True, delay_s=0.3)  # slow enough for kills to land mid-call
    setup = make_setup(FAKE_BACKEND.format(base_url=model.base_url), escalate_timeout=3)
    broker = start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started", timeout=60)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    pause = threading.Event()  # never set: the waits below pace the fault injection
    kills = {8: "broker", 14: "edge", 20: "broker", 28: "edge", 36: "broker", 42: "edge"}
    sent: list[str] = []
    outages: list[tuple[float, float, list[str]]] = []  # killed, restarted, asked the model
    for n in range(48):
        sent.append(ask(probe, setup, reply_topic, n))
        pause.wait(rng.uniform(0.05, 0.2))
        victim = kills.get(n)
        if victim == "broker":
            broker.kill()
            killed = time.monotonic()
            pause.wait(rng.uniform(0.2, 1.0))
            ups = link_ups(edge)
            restarted = restart(broker, setup.tmp / f"broker-{n}.log", setup.grpc_port)
            asked = model.calls_per(TEXTS[:n + 1])  # the model had these when it died
            outages.append((killed, restarted, [f"r{i}" for i in range(n + 1) if asked[TEXTS[i]]]))
            wait_until(lambda ups=ups: link_ups(edge) > ups, 60, "the gateway's link back up")
        elif victim == "edge":
            edge.kill()
            edge.log_path = setup.tmp / f"edge-{n}.log"
            edge.start()
    arrived: dict[str, float] = {}
    answers = finals(probe, set(sent), timeout=120, arrived=arrived)
    answers += stragglers(probe, setup, reply_topic)
    calls = model.calls_per(TEXTS[:48])
    figures = {"requests": len(sent), "answered": len(answers),
               "duplicated": sum(1 for c in answers.values() if c > 1),
               "lost": len(set(sent) - set(answers)),
               "model_calls_per_question": dict(Counter(calls.values())),
               "restart_to_last_stuck_answer_s": [
                   round(max([arrived[i] for i in before if arrived[i] > killed] + [restarted])
                         - restarted, 2) for killed, restarted, before in outages]}
    print("\nchaos:", json.dumps(figures))
    assert answers == Counter({request_id: 1 for request_id in sent})
    assert set(calls) == set(TEXTS[:48]) and max(calls.values()) <= 2
    probe.close()
    model.close()
