"""Hostile payloads in process: parsers and a real AskHandler never raise; one reply each."""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from edge_agent.agent import build_policy, build_registry
from edge_agent.ask import AskHandler, Publish
from edge_agent.config import CloudSection, EdgeConfig, GatewaySection
from edge_agent.history import History
from edge_agent.ingest import Ingest
from edge_agent.normalise import has_invisible
from edge_agent.outbox import Outbox
from edge_agent.payloads import BadPayload, Reply, parse_ask
from edge_agent.registry import Registry
from edge_agent.skills import Skills
from edge_agent.sync import GrpcTransport, Link, escalate_request
from edge_agent.telemetry import MAX_SENML_RECORDS, MAX_UNIT_CHARS, parse_telemetry
from edge_agent.triage import Triage
from edge_agent.triage.decision import LOCAL_INTENTS
from nanogate.mqtt import Connection, MqttClient
from nanogate.v1 import edge_pb2 as pb
from tests.support.oracle import REQUEST_CODES, expected, gateway_topic
from tests.support.payloads import ask_payloads, dump, telemetry_payloads
from tests.support.processes import MqttProbe
from tests.support.processes import correlation as correlation_of

FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DEFAULT_REPLIES = "fz/lab/replies"

@settings(FUZZ, max_examples=1500)
@given(payload=ask_payloads)
def test_parse_ask_raises_only_bad_payload(payload: bytes) -> None:
    """parse_ask accepts a request or raises BadPayload with a code; nothing else."""
    try:
        request = parse_ask(payload)
    except BadPayload as exc:
        assert exc.code in {"bad_json", "bad_request", "bad_reply_topic"} and exc.message
        return
    assert 1 <= len(request.text) <= 2000
    assert request.reply_to is None or not any(c in request.reply_to for c in "+#")
    assert not isinstance(request.id, str) or not has_invisible(request.id)


@settings(FUZZ, max_examples=1500)
@given(payload=telemetry_payloads)
def test_parse_telemetry_yields_bounded_finite_points(payload: bytes) -> None:
    """parse_telemetry yields at most a pack's worth of finite, labelled points or BadPayload."""
    try:
        points = parse_telemetry("t-104", payload, now=1_700_000_000.0)
    except BadPayload as exc:
        assert exc.code in {"bad_json", "bad_telemetry", "foreign_sensor"} and exc.message
        return
    assert 1 <= len(points) <= MAX_SENML_RECORDS
    for point in points:
        assert point.sensor_id == "t-104"  # a pack speaks only for its topic's sensor
        assert math.isfinite(point.ts)
        assert not isinstance(point.value, float) or math.isfinite(point.value)
        assert not isinstance(point.value, str) or not has_invisible(point.value)
        assert len(point.unit) <= MAX_UNIT_CHARS and not has_invisible(point.unit)
        assert len(point.kind) <= 32 and len(point.area) <= 40
        assert "." not in point.area and not has_invisible(point.area)


@pytest.mark.parametrize("records, ok", [
    pytest.param(MAX_SENML_RECORDS, True, id="at-the-cap"),
    pytest.param(MAX_SENML_RECORDS + 1, False, id="one-over"),
    pytest.param(20_000, False, id="20k"),
])
def test_senml_pack_size_is_capped(records: int, ok: bool) -> None:
    """A SenML pack of more records than the cap is refused as a whole, with the reason."""
    pack = dump([{"bn": "t-104", "v": 1.0}] + [{"v": float(n)} for n in range(records - 1)])
    if ok:
        assert len(parse_telemetry("t-104", pack)) == records
        return
    with pytest.raises(BadPayload, match="the limit is 1000") as info:
        parse_telemetry("t-104", pack)
    assert info.value.code == "bad_telemetry"


@dataclass
class Gateway:
    """A real AskHandler and Ingest over SQLite in a temp dir, with the cloud link down."""

    handler: AskHandler
    triage: Triage
    ingest: Ingest
    registry: Registry
    outbox: Outbox
    replies: list[tuple[str, bytes, bytes | None]]
    commands: list[tuple[str, float | str]]


_CONFIG: dict[str, Any] = {  # as read from a config file
    "gateway": {"id": "gw-fz", "site": "lab"},
    "sensors": [{"id": "t-104", "kind": "temperature", "area": "zone 3", "unit": "Cel"}],
    "actuators": [{"id": "pump-2", "kind": "pump", "area": "line 2"},
                  {"id": "fan-3", "kind": "fan", "area": "zone 3", "control": "level",
                   "min": 0, "max": 100}]}


@contextlib.contextmanager
def build_gateway(data: Path, per_min: int = 0, *, publish: Publish | None = None,
                  default_topic: str = DEFAULT_REPLIES) -> Iterator[Gateway]:
    """A gateway as edge_agent.agent builds one; replies are kept in a list and, given
    ``publish``, also sent (through real paho); closed on leaving the block."""
    config = EdgeConfig(**{**_CONFIG, "gateway": {**_CONFIG["gateway"], "data_dir": data}})
    registry = build_registry(config)
    history = History(data / "history.db", max_rows=10_000, max_age_s=3600)
    outbox = Outbox(data / "outbox.db", max_items=100_000, max_bytes=64 * 1024 * 1024)
    link = Link(GrpcTransport("127.0.0.1:9"), outbox, CloudSection(),
                GatewaySection(id="gw-fz", site="lab", data_dir=data),
                on_answer=_never, on_command=_never, health=pb.HeartbeatRequest)
    replies: list[tuple[str, bytes, bytes | None]] = []
    commands: list[tuple[str, float | str]] = []
    skills = Skills(registry, history, build_policy(config),
                    lambda device, value: commands.append((device, value)))
    triage = Triage(registry)
    handler = AskHandler(
        triage=triage, skills=skills, registry=registry, outbox=outbox, link=link,
        publish=lambda topic, body, corr, qos=1: _keep(replies, publish, topic, body, corr, qos),
        default_reply_topic=default_topic, escalation_ttl_s=60, max_payload_bytes=MAX_PAYLOAD,
        max_requests_per_min=per_min)
    yield Gateway(handler, triage, Ingest(registry, history, 64 * 1024), registry, outbox, replies,
                  commands)
    history.close()
    outbox.close()


def _keep(replies: list[tuple[str, bytes, bytes | None]], publish: Publish | None,
          topic: str, body: bytes, corr: bytes | None, qos: int) -> None:
    replies.append((topic, body, corr))
    if publish is not None:
        publish(topic, body, corr, qos)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway for a module's worth of examples (building one takes a model load)."""
    with build_gateway(tmp_path_factory.mktemp("fuzz-gw")) as gw:
        yield gw


async def _never(*args: Any) -> Any:
    raise AssertionError("the link is down: nothing should arrive from the cloud")


def _ask(gw: Gateway, payload: bytes, response_topic: str | None,
         correlation: bytes | None) -> list[tuple[str, bytes, bytes | None]]:
    """Hand one request to the handler and wait for every task it started."""

    async def run() -> None:
        gw.handler.handle(payload, response_topic, correlation)
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        await asyncio.wait_for(asyncio.gather(*pending), 10)

    gw.replies.clear()
    asyncio.run(run())
    return list(gw.replies)


def _assert_sendable(gw: Gateway, reply: Reply) -> pb.EscalateRequest:
    """A queued escalation's outbox item converts to a serialisable EscalateRequest."""
    item = gw.outbox.get(str((reply.data or {})["key"]))
    assert item is not None
    request = escalate_request(item)
    assert request.SerializeToString()
    return request


def _valid_reply(topic: str, body: bytes) -> Reply:
    """A reply is a well-formed Reply on a publishable topic."""
    reply = Reply.model_validate_json(body)
    assert topic and not any(c in topic for c in "+#\x00")
    assert not gateway_topic(topic, "fz")
    return reply


MAX_PAYLOAD = 64 * 1024  # what build_gateway gives the handler


def _own_device_answer(reply: Reply) -> bool:
    """A below-threshold request the gateway still answers itself: one about its own devices
    (a clarifying question for a device it lacks, or the one device it names)."""
    return (reply.route == "local" and reply.intent in LOCAL_INTENTS
            and (reply.error is None or reply.error.code not in REQUEST_CODES))


@settings(FUZZ, max_examples=1200)
@given(payload=ask_payloads, topic=st.none() | st.sampled_from(
    ["app/replies", "fz/lab/actuators/pump-2/set", "fz/lab/ask", "fz/other/sensors/x/telemetry"]))
def test_ask_handler_answers_every_payload_exactly_once(
        gateway: Gateway, payload: bytes, topic: str | None) -> None:
    """Whatever arrives, the handler never raises and sends exactly the reply it should."""
    correlation = uuid.uuid4().bytes  # a fresh request each time, never a redelivery
    [(reply_topic, body, corr)] = _ask(gateway, payload, topic, correlation)
    reply = _valid_reply(reply_topic, body)
    assert corr == correlation
    route, code = expected(gateway.triage, payload, topic, prefix="fz", max_payload=MAX_PAYLOAD)
    if route == "local":
        assert reply.route == "local", reply
    else:  # link down: queued, unless it is about this gateway's own devices
        assert reply.route == "queued" or _own_device_answer(reply), reply
    if code is not None:
        assert reply.error is not None and reply.error.code == code, reply
    else:
        assert reply.error is None or reply.error.code not in REQUEST_CODES, reply
    if reply.route == "queued":  # what waits in the outbox must go up the link as it is
        assert reply.error is None
        _assert_sendable(gateway, reply)
    if topic is not None and gateway_topic(topic, "fz"):
        assert reply_topic == DEFAULT_REPLIES


@settings(FUZZ, max_examples=500)
@given(payload=telemetry_payloads, sensor=st.sampled_from(["t-104", "pump-2", "x-9", "b/d"]))
def test_ingest_never_raises(gateway: Gateway, payload: bytes, sensor: str) -> None:
    """Telemetry of any shape is taken or rejected with a count; declared labels stay put."""
    before = gateway.ingest.accepted + gateway.ingest.rejected
    taken = gateway.ingest.handle(sensor, payload)
    assert gateway.ingest.accepted + gateway.ingest.rejected == before + max(taken, 1)
    pump, t104 = gateway.registry.get("pump-2"), gateway.registry.get("t-104")
    assert pump is not None and (pump.role, pump.kind, pump.area) == ("actuator", "pump", "line 2")
    assert t104 is not None and (t104.kind, t104.area) == ("temperature", "zone 3")


def test_requester_over_its_limit_hears_rate_limited(tmp_path: Path) -> None:
    """Past its allowance a requester gets `rate_limited` replies; others are still answered."""
    request = dump({"id": "r", "text": "list devices"})
    with build_gateway(tmp_path, per_min=3) as gw:
        codes = [Reply.model_validate_json(body).error
                 for _ in range(5) for _, body, _ in _ask(gw, request, "app/greedy", None)]
        [(_, body, _)] = _ask(gw, request, "app/polite", None)
    assert [e.code if e else None for e in codes] == [None] * 3 + ["rate_limited"] * 2
    assert "3 requests a minute" in codes[-1].message  # type: ignore[union-attr]
    assert Reply.model_validate_json(body).intent == "list_devices"


def test_request_text_is_normalised_before_triage_and_escalation(tmp_path: Path) -> None:
    """Zero-width and full-width tricks are undone: the escalation carries the clean text."""
    text = "ｗｈｙ\u200b would a green\u200dhouse  get warmer at night\x1b than by day?"
    with build_gateway(tmp_path) as gw:
        [(_, body, _)] = _ask(gw, dump({"id": "r1", "text": text}), "app/r", None)
        reply = Reply.model_validate_json(body)
        assert reply.route == "queued"
        item = gw.outbox.get(reply.data["key"])  # type: ignore[index]
    assert item is not None
    assert item.queued().request.text == "why would a greenhouse get warmer at night than by day?"


def test_replies_never_go_where_actuators_listen(tmp_path: Path) -> None:
    """A response topic on an actuator's command topic gets an error on the default topic."""
    with build_gateway(tmp_path) as gw:
        [(topic, body, _)] = _ask(gw, dump({"id": "r1", "text": "turn on pump 2"}),
                                  "fz/lab/actuators/pump-2/set", b"c1")
    reply = Reply.model_validate_json(body)
    assert topic == DEFAULT_REPLIES
    assert reply.error is not None and reply.error.code == "bad_reply_topic"
    assert gw.commands == []


@settings(FUZZ, max_examples=300)
@given(payload=telemetry_payloads)
def test_any_accepted_reading_can_travel_in_an_escalation(gateway: Gateway,
                                                         payload: bytes) -> None:
    """Whatever a sensor got accepted still converts into the escalation's gRPC context."""
    gateway.ingest.handle("t-104", payload)
    ask = dump({"id": "q", "text": "why does t-104 read so oddly at night, and what should I "
                                    "check first?"})
    [(_, body, _)] = _ask(gateway, ask, f"app/{uuid.uuid4().hex}", None)
    reply = Reply.model_validate_json(body)
    assert reply.route == "queued", reply
    request = _assert_sendable(gateway, reply)
    assert [r.device_id for r in request.context] == ["t-104"]


@dataclass
class Wired:
    """A gateway whose replies go out through real paho to the real Mosquitto, and a probe."""

    gateway: Gateway
    probe: MqttProbe
    prefix: str

    @property
    def default_topic(self) -> str:
        """Where refused replies go."""
        return f"{self.prefix}/lab/replies"


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wired]:
    """One gateway publishing through the edge's own MQTT client, for a module of examples."""
    prefix = f"fzp-{uuid.uuid4().hex[:10]}"
    client = MqttClient(Connection(client_id=f"edge-{prefix}"), [])
    asyncio.run(client.start())
    probe = MqttProbe([f"{prefix}/#"])

    def publish(topic: str, payload: bytes, correlation: bytes | None, qos: int = 1) -> None:
        client.publish(topic, payload, qos=qos, correlation_data=correlation)

    with build_gateway(tmp_path_factory.mktemp("fuzz-paho"), publish=publish,
                       default_topic=f"{prefix}/lab/replies") as gw:
        yield Wired(gw, probe, prefix)
    probe.close()
    asyncio.run(client.stop())


# What Mosquitto delivers as a response topic: no controls, surrogates or non-characters
# (it disconnects a client that sends them), but wildcards, "$" and any other text.
_topic_tails = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn")),
                       max_size=40) | st.sampled_from(
    ["+", "#", "a/+/b", "x/#", "", "/", "lab/ask", "lab/actuators/pump-2/set",
     "lab/sensors/t-104/telemetry"])
_HARD = "why would a greenhouse get warmer at night than by day, and what should I check?"


@settings(FUZZ, max_examples=200, phases=[Phase.generate])  # no shrinking: fail fast
@given(tail=_topic_tails, text=st.sampled_from(["list devices", _HARD]),
       outside=st.none() | st.sampled_from(["$SYS/x", "+", "#", "x/#", "a/+/b", "$share/g/x"]))
def test_any_response_topic_goes_through_real_paho(wired: Wired, tail: str, text: str,
                                                   outside: str | None) -> None:
    """Any MQTT 5 response topic: the reply reaches Mosquitto on that topic, or is refused
    with an error on the site's replies topic; the handler never raises."""
    topic = outside or f"{wired.prefix}/{tail}"
    correlation = uuid.uuid4().bytes
    _ask(wired.gateway, dump({"id": "t", "text": text}), topic, correlation)
    message = wired.probe.next(timeout=5)
    assert correlation_of(message) == correlation
    reply = Reply.model_validate_json(message.payload)
    if message.topic != topic:
        assert message.topic == wired.default_topic and reply.error is not None, reply

