"""Humans in the loop, on real processes: actions held for approval, questions no model answered.

A broker and a gateway run as processes on Mosquitto; the operator acts through the admin API
and the ``cloud-broker queue`` CLI, as a person would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import paho.mqtt.client as paho

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, correlation, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start

TOKEN = "test-admin-token"  # BROKER_TOML's admin token
HARD = "why would a greenhouse get warmer at night than during the day, and what should I check?"


def _running(setup: Setup, processes: list[Daemon], *, approval: bool = False) -> None:
    if approval:  # the last actuator of EDGE_TOML is fan-3, a level from 0 to 100
        with setup.edge_config.open("a") as edge_toml:
            edge_toml.write('require_approval = "always"\n')
    start(processes, setup.broker(), setup.grpc_port)
    start(processes, setup.edge()).wait_log("link.up")


def _ask(probe: MqttProbe, setup: Setup, request_id: str, text: str, reply_topic: str) -> None:
    probe.publish(setup.ask_topic, json.dumps({"id": request_id, "text": text}),
                  response_topic=reply_topic, correlation=f"corr-{request_id}".encode())


def _reply(probe: MqttProbe, timeout: float = 30.0) -> tuple[dict[str, Any], bytes]:
    message: paho.MQTTMessage = probe.next(timeout)
    return json.loads(message.payload), correlation(message) or b""


def _api(setup: Setup, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, f"http://127.0.0.1:{setup.http_port}{path}", json=body,
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


def _queued(setup: Setup, kind: str) -> dict[str, Any]:
    """The one open item of this kind, once the gateway's upload or escalation filed it."""
    def found() -> dict[str, Any] | None:
        items = _api(setup, "GET", f"/api/queue?kind={kind}&state=open").json()
        return items[0] if items else None
    return wait_until(found, timeout=30, what=f"an open {kind} in the queue")


def _cli(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloud_broker", "queue", *args,
         "--url", f"http://127.0.0.1:{setup.http_port}", "--token", TOKEN],
        capture_output=True, text=True, timeout=60, check=False)


def test_held_action_runs_once_after_approval_and_a_rejection_is_answered(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """require_approval: the requester hears "pending" at once; after an operator approves
    through the admin API the actuator command is published once and the final answer follows
    with the same correlation data and id; a rejection (CLI) is answered and sends nothing."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes, approval=True)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    actuator = MqttProbe([f"{setup.prefix}/{setup.site}/actuators/fan-3/set"])

    _ask(probe, setup, "a1", "set fan 3 to 40", reply_topic)
    pending, correlation = _reply(probe)
    assert (pending["id"], pending["route"], correlation) == ("a1", "pending", b"corr-a1"), pending
    assert "approval" in pending["answer"] and pending["data"]["published"] is False
    item = _queued(setup, "approval")
    assert (item["action"]["device"], item["action"]["value"]) == ("fan-3", 40.0), item
    approved = _api(setup, "POST", f"/api/queue/{item['id']}/approve", {"reason": "ok"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"

    final, correlation = _reply(probe)
    assert (final["id"], final["route"], correlation) == ("a1", "local", b"corr-a1"), final
    assert final["data"]["published"] is True and "error" not in final, final
    assert json.loads(actuator.next().payload)["value"] == 40.0
    again = _api(setup, "POST", f"/api/queue/{item['id']}/approve")
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    late = _cli(setup, "approve", item["id"])
    assert late.returncode == 1 and "already approved" in late.stderr and not late.stdout

    _ask(probe, setup, "a2", "set fan 3 to 60", reply_topic)
    assert _reply(probe)[0]["route"] == "pending"
    second = _queued(setup, "approval")
    rejected = _cli(setup, "reject", second["id"], "--reason", "not during the night shift")
    assert rejected.returncode == 0, rejected.stderr
    final, correlation = _reply(probe)
    assert (final["id"], correlation) == ("a2", b"corr-a2"), final
    assert final["error"]["code"] == "approval_rejected", final
    assert "night shift" in final["answer"]
    # The command acks are in: nothing more reached the actuator than the one approved change.
    wait_until(lambda: all(c["state"] == "acked" for c in _api(setup, "GET", "/api/commands")
                           .json() if c["name"] == "approval"), timeout=30, what="acks")
    assert actuator.messages.empty()
    assert _cli(setup, "approve", "q-unknown").returncode == 1
    probe.close()
    actuator.close()


def test_question_no_model_answered_gets_the_operators_answer(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Every backend failing files the request in the queue (the requester hears "queued");
    an operator's answer (CLI) reaches the requester with the same correlation data and id."""
    fake_cloud.mode = "error"
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _running(setup, processes)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    _ask(probe, setup, "h1", HARD, reply_topic)
    queued, correlation = _reply(probe)
    assert (queued["id"], queued["route"], correlation) == ("h1", "queued", b"corr-h1"), queued
    assert "operator" in queued["answer"]
    item = _queued(setup, "question")
    assert item["text"].startswith("why would a greenhouse") and item["reason"] == "no_backend"
    assert any("fake-cloud" in said for said in item["models"]), item
    shown = _cli(setup, "show", item["id"], "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == item["id"]
    answered = _cli(setup, "answer", item["id"], "Check the vents; they stay shut at night.")
    assert answered.returncode == 0, answered.stderr
    final, correlation = _reply(probe)
    assert (final["id"], final["route"], correlation) == ("h1", "escalated", b"corr-h1"), final
    assert final["answer"] == "Check the vents; they stay shut at night."
    assert final["data"]["backend"] == "operator" and "error" not in final
    probe.close()
