"""Corrections of local answers, on real processes: a broker and a gateway on Mosquitto with
the real triage model. A requester's feedback is answered on its reply topic, counted for the
model version that answered (the heartbeat's ``Health.models``), and reaches the broker's
labels, redacted, with source ``correction``."""

from __future__ import annotations

import contextlib
import json
import sqlite3
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


def _send(probe: MqttProbe, setup: Setup, doc: dict[str, Any], reply_topic: str) -> None:
    probe.publish(setup.ask_topic, json.dumps(doc), response_topic=reply_topic,
                  correlation=f"corr-{doc['id']}".encode())


def _reply(probe: MqttProbe) -> tuple[dict[str, Any], bytes]:
    message: paho.MQTTMessage = probe.next(30.0)
    return json.loads(message.payload), correlation(message) or b""


def _api(setup: Setup, path: str) -> Any:
    return httpx.get(f"http://127.0.0.1:{setup.http_port}{path}", timeout=10,
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()


def _corrections(setup: Setup, version: str) -> int | None:
    health = _api(setup, "/api/gateways/gw-test").get("health") or {}
    found = [m for m in health.get("models", []) if m["version"] == version]
    return int(found[0]["corrections"]) if found else None


def test_feedback_on_a_local_answer_is_counted_and_becomes_a_label(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """"turn on pump 2" is answered here; {"feedback": "wrong", "id": ...} gets a JSON reply
    with id, route, intent and answer on the same response topic, the heartbeat counts one
    correction for the answering model, and the broker stores one redacted label from it.
    Feedback on an id never answered here is refused with a clear error, and counted nowhere."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    start(processes, setup.broker(), setup.grpc_port)
    start(processes, setup.edge()).wait_log("link.up")
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])

    _send(probe, setup, {"id": "c1", "text": "turn on pump 2"}, reply_topic)
    answer, _ = _reply(probe)
    assert (answer["route"], answer["intent"]) == ("local", "set_actuator"), answer
    _send(probe, setup, {"feedback": "wrong", "id": "nobody-asked"}, reply_topic)
    refused, correlation = _reply(probe)
    assert refused["error"]["code"] == "unknown_request" and correlation == b"corr-nobody-asked"
    _send(probe, setup, {"feedback": "wrong", "id": "c1"}, reply_topic)
    thanks, correlation = _reply(probe)
    assert (thanks["id"], thanks["route"], thanks["intent"], correlation) == \
        ("c1", "local", "set_actuator", b"corr-c1"), thanks
    assert thanks["answer"] and "error" not in thanks and thanks["data"]["counted"] is True
    version = thanks["data"]["model_version"]
    assert version.startswith("triage-")

    wait_until(lambda: _corrections(setup, version) == 1, timeout=30,
               what="one correction in the heartbeat's Health.models")
    learning = wait_until(lambda: (doc := _api(setup, "/api/learning"))["labels"].get(
        "correction") and doc, timeout=30, what="the correction label at the broker")
    assert learning["labels"]["correction"] == {"escalate": 1}, learning
    shown = subprocess.run(
        [sys.executable, "-m", "cloud_broker", "model", "labels", "--json",
         "--config", str(setup.broker_config)], capture_output=True, text=True, timeout=60,
        check=False)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["counters"]["corrections"] == 1
    _send(probe, setup, {"feedback": "wrong", "id": "c1"}, reply_topic)
    assert _reply(probe)[0]["data"]["counted"] is False

    _send(probe, setup, {"id": "c2", "text": "turn on pump 2"}, reply_topic)
    assert _reply(probe)[0]["route"] == "local"
    _send(probe, setup, {"id": "c3", "text": "no, that's wrong"}, reply_topic)
    assert _reply(probe)[0]["id"] == "c3"  # answered as any request is
    wait_until(lambda: _corrections(setup, version) == 2, timeout=30,
               what="the follow-up's correction in the heartbeat")
    rows = wait_until(lambda: found if len(found := _labels(setup)) == 2 else None, timeout=30,
                      what="the follow-up's label")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("turn on <DEVICE_1>", "escalate", "feedback"),
        ("turn on <DEVICE_1>", "escalate", "follow_up")], rows  # redacted as escalations are
    probe.close()


def _labels(setup: Setup) -> list[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(setup.tmp / "broker" / "fleet.db")) as db:
        return db.execute("SELECT text, label, method FROM triage_labels "
                          "WHERE source = 'correction' ORDER BY created").fetchall()
