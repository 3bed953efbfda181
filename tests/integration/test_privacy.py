"""Privacy by default on real parts: a request full of personal data and device names is
escalated over gRPC or MQTT; none of it leaves the gateway, and the answer has it back."""

from __future__ import annotations

import json
import queue
from collections.abc import Callable

from simulations.netproxy import NetProxy
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe
from tests.support.stack import FAKE_BACKEND, Setup, start

REQUEST = ("Dr. Anna Weber here (anna.weber@example.com, +49 30 1234567): pump-2 in line 2 "
           "stops whenever t-104 in zone 3 runs warm. Refunds to IBAN DE89 3704 0044 0532 "
           "0130 00 or card 4111 1111 1111 1111; the controller is 192.168.1.20, "
           "MAC aa:bb:cc:dd:ee:ff. Why does it stop, and what should I check first?")
# What must never leave the gateway, in the forms it could take on the wire.
PRIVATE = ["Anna", "Weber", "anna.weber@example.com", "+49 30 1234567", "1234567",
           "DE89", "4111 1111 1111 1111", "192.168.1.20", "aa:bb:cc:dd:ee:ff",
           "pump-2", "t-104", "fan-3", "zone 3", "line 2"]
# The fake model answers with placeholders: two it was sent, one it made up.
ANSWER = "Check <DEVICE_1> in <AREA_1> and write to <EMAIL_1>; <DEVICE_9> is fine. #"


def _private_setup(setup: Setup) -> None:
    """Every request escalates; no roll-ups, so device ids go up only if an escalation leaks."""
    text = setup.edge_config.read_text().replace("rollup_interval_s = 0.5",
                                                 "rollup_interval_s = 0")
    setup.edge_config.write_text(text + "\n[triage]\nthreshold = 1.01\n")


def _leaks(raw: bytes | bytearray) -> list[str]:
    return [p for p in PRIVATE if p.encode() in raw]


def _broker_files(setup: Setup) -> bytes:
    """Everything the broker wrote to disk (its database, WAL and logs), less the test's own
    folder name where the broker logs its paths: pytest's 104th run is ``pytest-104``."""
    files = [p for p in (setup.tmp / "broker").rglob("*") if p.is_file()]
    raw = b"".join(p.read_bytes() for p in [*files, setup.tmp / "broker.log"] if p.exists())
    return raw.replace(str(setup.tmp).encode(), b"<tmp>")


def _ask_and_check(setup: Setup, fake_cloud: FakeOpenAI) -> dict[str, object]:
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    probe.publish(setup.ask_topic, json.dumps({"id": "p1", "text": REQUEST}),
                  response_topic=reply_topic, correlation=b"p1")
    reply: dict[str, object] = probe.json(timeout=60)
    probe.close()
    assert reply["route"] == "escalated", reply
    [sent] = fake_cloud.requests
    prompt = json.dumps(sent)
    assert _leaks(prompt.encode()) == []
    assert "<DEVICE_1>" in prompt and "<EMAIL_1>" in prompt and "<CARD_1>" in prompt
    return reply


def _check_answer(reply: dict[str, object]) -> None:
    """Names the cloud was sent come back; the invented placeholder stays and is flagged."""
    assert str(reply["answer"]).startswith(
        "Check pump-2 in line 2 and write to anna.weber@example.com; <DEVICE_9> is fine. #")
    data = reply["data"]
    assert isinstance(data, dict) and data["unknown_placeholders"] == ["<DEVICE_9>"]


def test_nothing_private_crosses_grpc(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Over gRPC: the bytes on the wire, the broker's files and the model's prompt hold none
    of the request's personal data or device names; the requester's answer has them back."""
    fake_cloud.answer_prefix = ANSWER
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    _private_setup(setup)
    proxy = NetProxy(setup.grpc_port, record_up=True).start()
    setup.edge_config.write_text(setup.edge_config.read_text().replace(
        f"127.0.0.1:{setup.grpc_port}", f"127.0.0.1:{proxy.port}"))
    try:
        start(processes, setup.broker(), setup.grpc_port)
        start(processes, setup.edge()).wait_log("link.up")
        _check_answer(_ask_and_check(setup, fake_cloud))
        assert proxy.stats.bytes_up > len(REQUEST)  # the escalation did go through here
        assert _leaks(bytes(proxy.sent_up)) == []
        assert _leaks(_broker_files(setup)) == []
    finally:
        proxy.stop()


def test_nothing_private_crosses_the_mqtt_uplink(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Over the MQTT uplink: every message the gateway published upward is free of it too."""
    fake_cloud.answer_prefix = ANSWER
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), transport="mqtt")
    _private_setup(setup)
    uplink = MqttProbe([f"{setup.prefix}/cloud/#"])
    start(processes, setup.broker(), setup.grpc_port)
    start(processes, setup.edge()).wait_log("link.up")
    _check_answer(_ask_and_check(setup, fake_cloud))
    wire = []
    while True:
        try:
            wire.append(uplink.messages.get_nowait())
        except queue.Empty:
            break
    uplink.close()
    assert any(b"<DEVICE_1>" in m.payload for m in wire)  # the escalation was seen here
    assert [(m.topic, _leaks(m.payload)) for m in wire if _leaks(m.payload)] == []
    assert _leaks(_broker_files(setup)) == []


def test_queued_escalation_is_restored_after_a_restart(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Queued while the cloud is away, across a daemon restart: the mapping stays on the
    gateway with the outbox item, so the late answer still has the names back."""
    fake_cloud.answer_prefix = ANSWER
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url), escalate_timeout=3)
    _private_setup(setup)
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic])
    edge = start(processes, setup.edge())
    edge.wait_log("agent.started")
    probe.publish(setup.ask_topic, json.dumps({"id": "p2", "text": REQUEST}),
                  response_topic=reply_topic, correlation=b"p2")
    assert probe.json(timeout=60)["route"] == "queued"
    edge.kill()
    start(processes, setup.edge())
    start(processes, setup.broker(), setup.grpc_port)
    reply = probe.json(timeout=60)
    probe.close()
    assert reply["route"] == "escalated" and reply["id"] == "p2", reply
    _check_answer(reply)
    assert _leaks(json.dumps(fake_cloud.requests).encode()) == []
