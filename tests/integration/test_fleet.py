"""The fleet end to end: broker and gateways as processes, driven by the admin API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulations.harness import ROOT
from tests.support.bundles import model_archive
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, free_port, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start

ROLLOUTS = "\n[rollouts]\ntick_s = 0.2\n"


class Admin:
    """The broker's admin API, as an operator's script calls it."""

    def __init__(self, setup: Setup) -> None:
        self._client = httpx.Client(base_url=f"http://127.0.0.1:{setup.http_port}/api",
                                    headers={"Authorization": "Bearer test-admin-token"},
                                    timeout=30.0)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call; fails the test on an HTTP error."""
        reply = self._client.request(method, path, **kwargs)
        assert reply.status_code < 400, reply.text
        return reply.json()

    def gateway(self, device: str = "gw-test") -> dict[str, Any]:
        """One gateway's record."""
        return dict(self.call("GET", f"/gateways/{device}"))

    def rollout(self, version: str, *, deadline_s: float = 60.0) -> str:
        """Start a one-wave rollout of the triage model to gw-test; returns its id."""
        doc = self.call("POST", "/rollouts", json={
            "artefact": "triage", "version": version, "devices": ["gw-test"], "waves": [1],
            "soak_s": 1.0, "deadline_s": deadline_s, "gate": {"min_requests": 0}})
        return str(doc["id"])

    def finished(self, rollout_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until the rollout ends; its final status."""
        return dict(wait_until(lambda: _final(self.call("GET", f"/rollouts/{rollout_id}")),
                               timeout, what=f"rollout {rollout_id} ended"))


def _final(doc: dict[str, Any]) -> dict[str, Any] | None:
    return doc if doc["state"] in ("succeeded", "rolled_back", "failed") else None


def _running(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
             processes: list[Daemon]) -> tuple[Setup, Daemon, Admin]:
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    setup.broker_config.write_text(setup.broker_config.read_text() + ROLLOUTS)
    start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up")
    admin = Admin(setup)
    wait_until(lambda: admin.gateway()["last_seen"], 30, what="a heartbeat")
    return setup, edge, admin


def _cli(setup: Setup, *args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "cloud_broker", *args, "--config",
                           str(setup.broker_config)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout)


def test_enrolled_gateway_heartbeats_and_answers_ping(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """The gateway enrols, shows up with its versions, and acks a ping the operator sees."""
    setup, _, admin = _running(make_setup, fake_cloud, processes)
    listed = {g["id"]: g for g in admin.call("GET", "/gateways")}
    assert listed["gw-test"]["online"] is True
    assert listed["gw-test"]["versions"]["model"].startswith("triage-")
    results = _cli(setup, "fleet", "exec", "ping", "--device", "gw-test", "--wait", "60",
                   "--json")
    assert [(r["state"], r["ok"], r["result"]) for r in results] == [
        ("acked", True, {"pong": True})]


def test_model_rollout_succeeds_without_dropping_requests(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], tmp_path: Path) -> None:
    """A signed model reaches the gateway, swaps while requests flow, and survives a restart."""
    setup, edge, admin = _running(make_setup, fake_cloud, processes)
    version = f"triage-it-{uuid.uuid4().hex[:6]}"
    artefact = tmp_path / "triage.tar.gz"
    artefact.write_bytes(model_archive(tmp_path, version))
    pushed = _cli(setup, "fleet", "artefact", "push", str(artefact), "--kind", "model",
                  "--version", version, "--name", "triage", "--json")
    assert pushed["signature"]
    rollout_id = admin.rollout(version)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    asked = answered = 0
    for _ in range(2000):  # ask one at a time until the rollout is over
        probe.publish(setup.ask_topic, json.dumps({"id": f"r{asked}", "text": "list devices"}),
                      response_topic=reply_topic)
        asked += 1
        reply = probe.json(timeout=30)
        answered += reply["id"] == f"r{asked - 1}" and reply["route"] == "local"
        if _final(admin.call("GET", f"/rollouts/{rollout_id}")):
            break
    probe.close()
    status = admin.finished(rollout_id)
    assert status["state"] == "succeeded", status["reason"]
    assert answered == asked
    edge.wait_log("triage.swapped", version=version)
    assert admin.gateway()["versions"]["model"] == version
    edge.stop()
    start(processes, setup.edge()).wait_log("model.restored", version=version, timeout=60)


def test_model_failing_its_smoke_test_is_rolled_back(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], tmp_path: Path) -> None:
    """A model that does not load fails on the gateway; the rollout ends rolled_back."""
    _, edge, admin = _running(make_setup, fake_cloud, processes)
    before = admin.gateway()["versions"]["model"]
    admin.call("PUT", "/artefacts/model/triage/triage-broken",
               content=model_archive(tmp_path, "triage-broken", broken=True))
    status = admin.finished(admin.rollout("triage-broken"))
    assert status["state"] == "rolled_back"
    assert "does not load" in status["reason"]
    [target] = status["targets"]
    assert target["state"] == "rolled_back"
    edge.wait_log("rollout.refused", stage="smoke")
    rollback = wait_until(lambda: [c for c in admin.gateway()["commands"]
                                   if c["id"] == target["rollback_command"]
                                   and c["state"] == "acked"], 60, what="rollback acked")
    assert rollback[0]["result"]["restored"] == before
    assert admin.gateway()["versions"]["model"] == before


def test_rollout_to_an_offline_gateway_fails_naming_it(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], tmp_path: Path) -> None:
    """A gateway that stays away past the deadline makes the rollout fail, and says which."""
    _, edge, admin = _running(make_setup, fake_cloud, processes)
    edge.stop()
    admin.call("PUT", "/artefacts/model/triage/triage-late",
               content=model_archive(tmp_path, "triage-late"))
    status = admin.finished(admin.rollout("triage-late", deadline_s=2.0))
    assert status["state"] == "failed"
    assert "gw-test" in status["reason"]


@pytest.mark.postgres
def test_gateway_moves_between_replicas_on_one_postgres(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon], pg_dsn: str) -> None:
    """Two brokers on one PostgreSQL: a moved gateway keeps its identity; answers come once."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    store = f'\n[store]\nkind = "postgres"\ndsn = {json.dumps(pg_dsn)}\n'
    text = setup.broker_config.read_text().replace("[server]", store + "\n[server]", 1)
    setup.broker_config.write_text(text)
    second, second_port = _second_replica(setup)
    start(processes, setup.broker(), setup.grpc_port)
    edge = start(processes, setup.edge())
    edge.wait_log("link.up")
    identity = json.loads((setup.tmp / "edge" / "identity.json").read_text())
    edge.stop()
    processes[0].stop()  # the first replica goes away while requests wait
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")
    ids = [f"q{i}" for i in range(3)]
    for request_id in ids:
        probe.publish(setup.ask_topic, json.dumps(
            {"id": request_id, "text": "explain how a heat pump works in winter"}),
            response_topic=reply_topic)
    queued = [probe.json(timeout=60) for _ in ids]
    assert {r["route"] for r in queued} == {"queued"}
    edge.stop()
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        f"127.0.0.1:{setup.grpc_port}", f"127.0.0.1:{second_port}"))
    start(processes, second, second_port)
    start(processes, setup.edge()).wait_log("outbox.replayed", timeout=60)
    answers = [probe.json(timeout=60) for _ in ids]
    assert sorted(r["id"] for r in answers) == ids
    assert {r["route"] for r in answers} == {"escalated"}
    with pytest.raises(TimeoutError):
        probe.next(timeout=2)  # and nothing twice
    probe.close()
    assert json.loads((setup.tmp / "edge" / "identity.json").read_text()) == identity
    assert len(fake_cloud.requests) == len(ids)


def _second_replica(setup: Setup) -> tuple[Daemon, int]:
    """Another broker process on the same database: own ports, own data dir."""
    grpc_port, http_port = free_port(), free_port()
    text = setup.broker_config.read_text()
    text = text.replace(f"127.0.0.1:{setup.grpc_port}", f"127.0.0.1:{grpc_port}")
    text = text.replace(f"127.0.0.1:{setup.http_port}", f"127.0.0.1:{http_port}")
    text = text.replace(str(setup.tmp / "broker"), str(setup.tmp / "broker-2"))
    config = setup.tmp / "broker-2.toml"
    config.write_text(text)
    return Daemon(["-m", "cloud_broker", "serve", "--config", str(config)],
                  setup.tmp / "broker-2.log"), grpc_port
