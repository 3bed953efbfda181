"""Never the wrong device, never twice: properties against the running daemon over real MQTT.

One client listens on the reply topic and on every actuator topic (``actuators/#``), so it sees
each command the gateway publishes before the reply that reports it. Local commands, actions a
cloud model proposes (a fake OpenAI-compatible server on loopback, proposing every actuator it
can name), and an operator's broker commands are all checked the same way: a request naming a
device, kind or area this gateway lacks publishes nothing and gets a question or a refusal; a
request naming a real device moves exactly that device, once.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start
from tests.support.watched_gateway import (
    REAL,
    SEE_NAMES,
    Gateway,
    propose_everything,
    watched_gateway,
)

ALL_ESCALATE = "\n[triage]\nthreshold = 1.01\n"  # every request goes to the cloud model
KINDS = ["pump", "fan", "valve", "heater", "boiler", "chiller", "damper", "motor"]
PAIRS = {(kind, area) for _, kind, _, area, _ in REAL}
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture
def gateway(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
            processes: list[Daemon]) -> Iterator[Gateway]:
    """The gateway answering locally; the cloud model proposes moving every actuator."""
    propose_everything(fake_cloud)
    gw = watched_gateway(make_setup, fake_cloud, processes)
    yield gw
    gw.probe.close()


COMPOUNDS = ["schalte die {}pumpe aus", "{}pumpe einschalten", "öffne das {}ventil",
             "mach den {}lüfter an", "zet de {}pomp uit", "{}klep openen",
             "zet de {}ventilator aan"]


@st.composite
def unknown_commands(draw: st.DrawFn) -> str:
    """A command naming a kind/number, kind/area or device/area combination not here."""
    form = draw(st.sampled_from(["number", "kind-area", "device-area", "place", "compound"]))
    if form == "compound":  # German and Dutch write "the backup pump" as one word
        return draw(st.sampled_from(COMPOUNDS)).format(
            draw(st.sampled_from(["Reserve", "Haupt", "Gülle", "Not", "Abwasser", "Hoofd"])))
    if form == "number":
        kind = draw(st.sampled_from(KINDS))
        n = draw(st.integers(0, 99).filter(
            lambda n: not any(k == kind and m == n for _, k, m, _, _ in REAL)))
        name = draw(st.sampled_from([f"{kind} {n}", f"{kind}-{n}", f"{kind.upper()} {n}"]))
    elif form == "kind-area":
        kind = draw(st.sampled_from(KINDS))
        area = draw(st.sampled_from(["zone", "line", "tank", "room"]).flatmap(
            lambda w: st.integers(0, 20).map(lambda n: f"{w} {n}")) | st.just("hall"))
        if (kind, area) in PAIRS:
            area = f"{area.split()[0]} 77"
        name = f"the {kind} in {area}"
    elif form == "place":  # a place with no number that this gateway does not have
        kind = draw(st.sampled_from(KINDS))
        place = draw(st.sampled_from(["basement", "barn", "boiler room", "north wing",
                                      "paint shop", "cold store", "attic"]))
        name = draw(st.sampled_from([f"the {kind} in the {place}", f"the {kind} at the {place}",
                                     f"the {place} {kind}"]))
    else:
        device, _, _, home, _ = draw(st.sampled_from(REAL))
        area = draw(st.sampled_from(["zone 3", "line 2", "line 3", "tank 7", "zone 42"])
                    .filter(lambda a: a != home))
        name = f"{device} in {area}"
    template = draw(st.sampled_from(["turn on {}", "switch {} off", "please start {}",
                                     "close {}", "set {} to 25 %", "turn off {} now"]))
    return template.format(name)


def _clarify_or_refusal(reply: dict[str, Any]) -> bool:
    data = reply.get("data") or {}
    if data.get("clarify") is True:
        return True
    if (reply.get("error") or {}).get("code") == "policy_violation":
        return True
    actions = data.get("actions", [])
    return reply["route"] == "escalated" and not any(a["published"] for a in actions)


def test_unknown_devices_never_move_anything(gateway: Gateway) -> None:
    """Any command naming a kind/number/area this gateway lacks: nothing published, a question."""
    outcomes: dict[str, int] = {}

    @SETTINGS
    @given(text=unknown_commands())
    def check(text: str) -> None:
        reply, commands = gateway.ask(text)
        assert commands == [], (text, reply)
        assert _clarify_or_refusal(reply), (text, reply)
        kind = "clarify" if (reply.get("data") or {}).get("clarify") else \
            (reply.get("error") or {}).get("code") or reply["route"]
        outcomes[kind] = outcomes.get(kind, 0) + 1

    check()
    assert sum(outcomes.values()) >= 30 and outcomes.get("clarify", 0) >= 20, outcomes
    print(f"unknown-device cases: {gateway.asked} ({outcomes})")
    assert gateway.edge.alive()


def _phrasings(device: str, kind: str, n: int, area: str, value: object) -> list[str]:
    said = f"{value:g} %" if isinstance(value, float) else str(value)
    verb = f"set {{}} to {said}" if isinstance(value, float) else f"turn {said} {{}}" \
        if value in ("on", "off") else f"{value} {{}}"
    names = [device, f"{kind} {n}", f"{kind.upper()}_{n:02d}"]
    if sum(1 for _, k, _, a, _ in REAL if (k, a) == (kind, area)) == 1:
        names.append(f"the {kind} in {area}")
    return [verb.format(name) for name in names]


def test_every_real_device_is_reached_exactly_once(gateway: Gateway) -> None:
    """For every actuator and several ways to name it, one command on exactly its topic."""
    cases = 0
    for device, kind, n, area, value in REAL:
        for text in _phrasings(device, kind, n, area, value):
            reply, commands = gateway.ask(text)
            assert commands == [(device, value)], (text, reply)
            assert reply["data"]["device"] == device and reply["data"]["published"] is True
            cases += 1
    print(f"real-device cases: {cases}")
    assert cases >= 20


def test_cloud_actions_move_only_the_device_the_request_named(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """Every command goes to the cloud model, which proposes every actuator (and pump-9):
    only the named device moves, once; an unknown device gets a question and moves nothing.

    With this model nothing that names an unknown device reaches the cloud: the gateway asks
    its question first. tests/edge_agent/test_cloud_actions.py hands the gateway answers that
    propose other and unknown devices directly."""
    propose_everything(fake_cloud)
    gw = watched_gateway(make_setup, fake_cloud, processes, ALL_ESCALATE)
    for device, kind, n, _, value in REAL:
        text = _phrasings(device, kind, n, "", value)[1]
        reply, commands = gw.ask(text)
        assert reply["route"] == "escalated", reply
        assert commands == [(device, value)], (text, reply)
        moved = [a["device"] for a in reply["data"]["actions"] if a["published"]]
        assert moved == [device]
        # The broker drops actions on devices outside the escalation's context; what gets
        # through for another device is refused here.
        assert all("did not name" in a["result"] or "not a declared actuator" in a["result"]
                   for a in reply["data"]["actions"] if not a["published"])

    @settings(SETTINGS, max_examples=15)
    @given(text=unknown_commands())
    def check(text: str) -> None:
        reply, commands = gw.ask(text)
        assert commands == [], (text, reply)
        assert _clarify_or_refusal(reply), (text, reply)

    check()
    print(f"cloud-path cases: {gw.asked}")
    gw.probe.close()


@pytest.mark.parametrize(("env", "text", "reason"), [
    pytest.param({"NANOGATE_EDGE_POLICY__CLOUD_ACTION_MAX_AGE_S": "0"}, "turn on pump 2",
                 "cloud actions run only within 0 s", id="stale"),
    pytest.param({}, "why would a greenhouse get warmer at night than during the day, and "
                 "what should I check first?", "the request was not a command", id="question"),
])
def test_cloud_actions_that_may_not_run_come_back_as_proposals(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI, processes: list[Daemon],
        env: dict[str, str], text: str, reason: str) -> None:
    """A stale answer, or an answer to a question, proposes actions and moves nothing."""
    propose_everything(fake_cloud)
    gw = watched_gateway(make_setup, fake_cloud, processes, ALL_ESCALATE, env)
    reply, commands = gw.ask(text)
    assert reply["route"] == "escalated" and commands == []
    assert reply["data"]["proposals"]  # those the broker let through (its context filter)
    assert "actions" not in reply["data"] and reason in reply["answer"]
    gw.probe.close()


def test_a_replayed_cloud_answer_after_a_crash_actuates_once(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """SIGKILL after the answer was applied but before its outbox item was acknowledged:
    after the restart the broker replays the answer, and the actuator sees one command."""
    fake_cloud.proposals = [{"device_id": "pump-2", "command": "on"}]
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    with setup.edge_config.open("a") as fh:
        fh.write(ALL_ESCALATE + SEE_NAMES)
    data = setup.tmp / "edge"
    env = {"NANOGATE_EDGE_POLICY__CLOUD_ACTION_MAX_AGE_S": "600"}
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic, f"{setup.prefix}/{setup.site}/actuators/#"])
    edge = _edge(setup, processes, env)  # the broker is down: the command is queued
    gw = Gateway(setup, edge, probe, reply_topic)
    request_id = uuid.uuid4().hex[:10]
    probe.publish(setup.ask_topic, json.dumps({"id": request_id, "text": "turn on pump 2"}),
                  response_topic=reply_topic, correlation=request_id.encode())
    assert probe.json()["route"] == "queued"
    edge.kill()
    unacknowledged = _copy_outbox(data, setup.tmp / "outbox-before-ack")
    start(processes, setup.broker(), setup.grpc_port)
    edge = _edge(setup, processes, env)
    first, commands = gw.reply(request_id)
    assert commands == [("pump-2", "on")] and first["data"]["actions"][0]["published"]
    edge.kill()  # the crash: the answer was applied, its outbox item is not acknowledged
    _copy_outbox(unacknowledged, data)
    edge = _edge(setup, processes, env)
    again, commands = gw.reply(request_id)
    assert commands == [], again
    assert again["data"]["replayed"] is True
    [action] = again["data"]["actions"]
    assert action["published"] is False and "Already done" in action["result"]
    edge.wait_log("actuation.skipped", device="pump-2")
    assert probe.messages.empty()
    probe.close()


def _edge(setup: Setup, processes: list[Daemon], env: dict[str, str]) -> Daemon:
    edge = setup.edge()
    edge.env.update(env)
    start(processes, edge)
    edge.wait_log("agent.started")
    return edge


def _copy_outbox(source: Any, target: Any) -> Any:
    """Copy outbox.db and its WAL files (the daemon is not running)."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("outbox.db*"):
        old.unlink()
    for path in source.glob("outbox.db*"):
        shutil.copy2(path, target / path.name)
    return target


def test_broker_commands_resolve_exactly_and_run_once(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """An operator's actuate command: unknown or ambiguous devices are refused with the
    question, a real one moves once."""
    gw = watched_gateway(make_setup, fake_cloud, processes)
    api = httpx.Client(base_url=f"http://127.0.0.1:{gw.setup.http_port}/api", timeout=30.0,
                       headers={"Authorization": "Bearer test-admin-token"})

    def run(args: dict[str, Any]) -> dict[str, Any]:
        sent = api.post("/commands", json={"device": "gw-test", "name": "actuate", "args": args})
        assert sent.status_code == 200, sent.text
        [command] = sent.json()["commands"]
        return dict(wait_until(lambda: next(
            (c for c in api.get("/gateways/gw-test").json()["commands"]
             if c["id"] == command["id"] and c["state"] == "acked"), None),
            60, what="command acknowledged"))

    for args, says in [({"device": "pump-9", "value": "on"}, "There is no pump-9 here"),
                       ({"text": "turn on pump 9"}, "There is no pump 9 here"),
                       ({"text": "turn on the pump"}, "Which one do you mean"),
                       ({"text": "turn off all pumps"}, "group actions are off"),
                       ({"device": "t-104", "value": "on"}, "not a declared actuator")]:
        done = run(args)
        assert done["ok"] is False and says in done["result"]["error"], done
    done = run({"text": "turn on pump 2"})
    assert done["ok"] is True and done["result"]["published"] is True
    message = gw.probe.next(timeout=30)
    assert (message.topic.split("/")[-2], json.loads(message.payload)["value"]) == \
        ("pump-2", "on")
    assert gw.probe.messages.empty()
    api.close()
    gw.probe.close()


def test_a_registration_flood_is_capped_and_the_daemon_keeps_answering(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """2,600 new sensor ids in a burst: at most 600 per area and 1,500 in all register; the
    rest are refused; requests asked during and after the flood are answered, briefly."""
    gw = watched_gateway(make_setup, fake_cloud, processes, env={
        "NANOGATE_EDGE_TELEMETRY__MAX_LEARNED_SENSORS": "1500",
        "NANOGATE_EDGE_TELEMETRY__MAX_LEARNED_PER_AREA": "600"})
    sender = MqttProbe([])
    areas = ["hall a"] * 1500 + ["hall b"] * 500 + ["hall c"] * 600
    for n, area in enumerate(areas):
        sender.publish(gw.setup.telemetry_topic(f"f-{n}"), json.dumps(
            {"value": 20.0, "unit": "Cel", "kind": "temperature", "area": area}))
        if n % 250 == 249:  # asked during the flood; also keeps it under Mosquitto's queue
            during, _ = gw.ask("list the devices")  # limit of 1,000 unacknowledged messages
            assert during["route"] == "local" and during["data"]["total"] > 7
    declared = 1 + 2 + 4  # t-104; pump-2, fan-3; the four added actuators
    wait_until(lambda: gw.ask("list the devices")[0]["data"].get("total") == declared + 1500,
               60, what="the flood ingested")
    hall, _ = gw.ask("what is the temperature in hall a?")
    assert len(hall["data"]["readings"]) == 20 and "580 more" in hall["answer"]
    first, _ = gw.ask("what is the temperature of f-0?")
    assert "20 °C" in first["answer"]
    refused, _ = gw.ask("what is the temperature of f-2599?")
    assert refused["data"].get("clarify") is True, refused
    gw.edge.wait_log("telemetry.rejected", code="too_many_sensors")
    assert gw.edge.alive()
    sender.close()
    gw.probe.close()
