"""A broker killed in the middle of a model call: its claim is a lease, and the request is
answered after the restart (or by the surviving replica), once, with at most two model calls.
A replica killed in the middle of a rollout's tick: once its lease runs out another replica
carries the rollout on, and no gateway gets its command twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from edge_agent.errors import CloudUnavailable
from simulations.learngateway import LearningGateway
from simulations.netproxy import NetProxy
from tests.support.bundles import model_archive
from tests.support.fake_openai import FakeOpenAI
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

[rollouts]
signing_key_file = "{signing_key}"  # replicas share one
tick_s = {tick_s}
lease_s = {lease_s}

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


@dataclass(frozen=True)
class Replica:
    """A broker replica on PostgreSQL (not started) and its ports."""

    daemon: Daemon
    grpc_port: int
    http_port: int

    @property
    def name(self) -> str:
        """The name it records on the leases it holds, before its per-start incarnation."""
        return f"{socket.gethostname()}:{self.grpc_port}"


def pg_replica(setup: Setup, name: str, dsn: str, backends: str, *, tick_s: float = 5.0,
               lease_s: float = 60.0) -> Replica:
    """Broker replica ``name`` on the database ``dsn``: own ports and data dir, shared key."""
    grpc_port, http_port = free_port(), free_port()
    config = write_toml(setup.tmp / f"broker-{name}.toml", PG_BROKER_TOML.format(
        grpc_port=grpc_port, http_port=http_port, data=setup.tmp / f"broker-{name}", dsn=dsn,
        signing_key=setup.tmp / "signing_key.pem", tick_s=tick_s, lease_s=lease_s,
        backends=backends))
    daemon = Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                    setup.tmp / f"broker-{name}.log")
    return Replica(daemon, grpc_port, http_port)


def restart(daemon: Daemon, log_path: Path, port: int) -> float:
    """Start a killed daemon again with a fresh log; returns when its port answered."""
    daemon.log_path = log_path
    daemon.start()
    wait_for_port(port, timeout=60)
    return time.monotonic()


def link_ups(edge: Daemon) -> int:
    """How often the gateway's link came up, in its current log."""
    return sum(1 for line in edge.logs() if line.get("event") == "link.up")


def link_ups_above(edge: Daemon, ups: int) -> bool:
    """Whether the gateway's link came up more than ``ups`` times."""
    return link_ups(edge) > ups


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
        replica = pg_replica(setup, name, pg_dsn, FAKE_BACKEND.format(base_url=model.base_url))
        replicas.append((start(processes, replica.daemon, replica.grpc_port), replica.grpc_port))
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
            wait_until(functools.partial(link_ups_above, edge, ups), 60,
                       "the gateway's link back up")
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
    # A model call is repeated only when a broker died during it: once per such death, and at
    # most once in all unless two deaths both caught the question unanswered.
    interrupted = {TEXTS[i]: sum(1 for killed, _up, before in outages
                                 if f"r{i}" in before and arrived.get(f"r{i}", math.inf) > killed)
                   for i in range(48)}
    assert set(calls) == set(TEXTS[:48])
    assert all(n <= max(2, 1 + interrupted[text]) for text, n in calls.items()), (
        calls, interrupted)
    probe.close()
    model.close()


async def _enrolled(proxy: NetProxy, tmp: Path, tokens: list[str]) -> list[LearningGateway]:
    """Simulated gateways enrolled through the load balancer, one token each."""
    gateways = [LearningGateway(f"gw-{n}", f"127.0.0.1:{proxy.port}", tmp / f"gw-{n}")
                for n in range(1, len(tokens) + 1)]
    for gw, token in zip(gateways, tokens, strict=True):
        await gw.enrol(token)
        await gw.heartbeat()
    return gateways


async def _heartbeats(gateways: list[LearningGateway]) -> None:
    """One heartbeat each, running and acking its waiting commands; a broker away is retried."""
    for gw in gateways:
        with contextlib.suppress(CloudUnavailable):
            await gw.heartbeat()


@pytest.mark.slow
@pytest.mark.postgres
def test_surviving_replica_carries_on_a_rollout_whose_replica_died_mid_wave(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI, processes: list[Daemon],
        pg_dsn: str, tmp_path: Path) -> None:
    """A started a two-wave rollout and died holding its lease mid-wave; B carries it on.

    Gateways: four simulated gateways in this process (simulations.learngateway), each with
    the real triage model and the real Updates over real gRPC through a load balancer
    (NetProxy): they fetch, verify, smoke-test and swap the model and ack the command.
    To die holding the lease, A is stopped inside its tick: this test holds gw-2's
    rollout_targets row locked, so A's tick waits there after marking gw-1 installed.
    """
    backends = FAKE_BACKEND.format(base_url=fake_cloud.base_url)
    setup = make_setup(backends)
    a, b = (pg_replica(setup, name, pg_dsn, backends, tick_s=0.2, lease_s=2.0)
            for name in ("a", "b"))
    start(processes, a.daemon, a.grpc_port)
    wait_for_port(a.http_port, timeout=60)
    api_a, api_b = (httpx.Client(base_url=f"http://127.0.0.1:{r.http_port}/api", timeout=30.0,
                                 headers={"Authorization": "Bearer test-admin-token"})
                    for r in (a, b))
    tokens = [api_a.post("/tokens", json={"site": "sim"}).raise_for_status().json()["token"]
              for _ in range(4)]
    proxy = NetProxy(a.grpc_port).start()
    loop = asyncio.new_event_loop()
    gateways = loop.run_until_complete(_enrolled(proxy, tmp_path, tokens))
    version = "triage-wave-test"
    api_a.put(f"/artefacts/model/triage/{version}",
              content=model_archive(tmp_path, version)).raise_for_status()
    created = api_a.post("/rollouts", json={
        "artefact": "triage", "version": version, "devices": [gw.name for gw in gateways],
        "waves": [2], "soak_s": 1.0, "deadline_s": 300.0, "gate": {"min_requests": 0}})
    rollout_id = created.raise_for_status().json()["id"]
    a.daemon.wait_log("rollout.wave_started", rollout_id=rollout_id, wave=0)
    with psycopg.connect(pg_dsn) as lock, psycopg.connect(pg_dsn, autocommit=True) as watch:
        lock.execute("SELECT 1 FROM rollout_targets WHERE rollout_id = %s AND device_id = "
                     "'gw-2' FOR UPDATE", (rollout_id,))
        loop.run_until_complete(_heartbeats(gateways[:2]))  # both run it and ack to A
        wait_until(lambda: watch.execute(
            "SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (lock.info.backend_pid,)).fetchone(), 60, "A's tick waiting on gw-2's row")
        owner = watch.execute("SELECT lease_owner FROM rollouts WHERE id = %s",
                              (rollout_id,)).fetchone()
        assert owner is not None and owner[0].startswith(a.name + "#")
        a.daemon.kill()
        lock.rollback()
    start(processes, b.daemon, b.grpc_port)
    wait_for_port(b.http_port, timeout=60)
    proxy.target_port = b.grpc_port  # the load balancer sends the gateways to B
    proxy.reset_all()

    def finished() -> dict[str, Any] | None:
        loop.run_until_complete(_heartbeats(gateways))
        doc: dict[str, Any] = api_b.get(f"/rollouts/{rollout_id}").json()
        return doc if doc["state"] not in ("running", "paused") else None

    status = wait_until(finished, 120, f"rollout {rollout_id} ended on B")
    assert status["state"] == "succeeded", status["reason"]
    assert [w["state"] for w in status["waves"]] == ["passed", "passed"]
    [taken] = [e for e in b.daemon.logs() if e.get("event") == "rollout.taken_over"]
    assert taken["previous_owner"].startswith(a.name + "#")
    by_b = {(e["event"], e.get("wave")) for e in b.daemon.logs()
             if e.get("rollout_id") == rollout_id}
    assert {("rollout.wave_installed", 0), ("rollout.wave_started", 1),
            ("rollout.succeeded", None)} <= by_b
    assert not [e for e in a.daemon.logs() if e.get("event") == "rollout.wave_installed"]
    for gw in gateways:
        commands = api_b.get("/commands", params={"device": gw.name}).json()
        assert [(c["name"], c["state"], c["ok"]) for c in commands] == [
            ("rollout", "acked", True)], gw.name
        assert gw.triage.version == version
    for gw in gateways:
        loop.run_until_complete(gw.close())
    loop.close()
    proxy.stop()
