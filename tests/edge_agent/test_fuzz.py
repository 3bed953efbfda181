"""Hostile payloads in process: parsers and a real AskHandler never raise; one reply each."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_agent.agent import build_policy, build_registry
from edge_agent.ask import AskHandler
from edge_agent.config import CloudSection, EdgeConfig, GatewaySection
from edge_agent.history import History
from edge_agent.ingest import Ingest
from edge_agent.normalise import has_invisible
from edge_agent.outbox import Outbox
from edge_agent.payloads import (
    MAX_SENML_RECORDS,
    MAX_UNIT_CHARS,
    BadPayload,
    Reply,
    parse_ask,
    parse_telemetry,
)
from edge_agent.registry import Registry
from edge_agent.skills import Skills
from edge_agent.sync import GrpcTransport, Link, escalate_request
from edge_agent.triage import Triage
from nanogate.v1 import edge_pb2 as pb

FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DEFAULT_REPLIES = "fz/lab/replies"

# Any character, lone surrogates and controls included (JSON can carry all of them).
_chars = st.characters(exclude_categories=())
_text = st.text(_chars, max_size=80) | st.sampled_from([
    "", " ", "\u200b\u200d\ufeff", "turn on pump 2", "set fan 3 to 1e999", "set fan 3 to nan",
    "what is the temperature in zone 3?", "ｔｕｒｎ ｏｆｆ ｐｕｍｐ ２", "\u202eevil",
    "\x00\x1b[2J",
    "why is it warm?" * 100, "list devices", "fz/lab/actuators/pump-2/set", "a/+/#", "$SYS/x"])
_scalars = (st.none() | st.booleans() | st.integers() | _text
            | st.floats(allow_nan=True, allow_infinity=True))
_json = st.recursive(_scalars, lambda kids: st.lists(kids, max_size=6)
                     | st.dictionaries(_text, kids, max_size=6), max_leaves=30)
_ask_doc = st.fixed_dictionaries({}, optional={
    "id": _scalars | st.integers(min_value=2**62, max_value=2**70),
    "text": _text | _json, "reply_to": _text | _scalars, "model": _text | _scalars})
_reading_doc = st.fixed_dictionaries({"value": _scalars}, optional={
    "unit": _text | _scalars, "ts": _scalars, "kind": _text | _scalars, "area": _text | _scalars})
_senml_record = st.fixed_dictionaries({}, optional={
    k: _scalars for k in ("bn", "bt", "bu", "n", "t", "u", "v", "vb", "vs")})
# Names that try to speak for another sensor (or the topic's own, split between bn and n).
_senml_names = st.sampled_from(["", "t-104", "t-", "104", "t-201", "t-104/x", "T-104", "t-1040",
                                "../t-201", "+", "#", "\u0000t-104"]) | _text
_named_senml = st.lists(st.fixed_dictionaries(
    {"v": st.floats(-1e6, 1e6)}, optional={"bn": _senml_names, "n": _senml_names}),
    min_size=1, max_size=6)


def _dump(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@st.composite
def _nasty(draw: st.DrawFn) -> bytes:
    """Payloads json.dumps cannot make: huge integers, deep nesting, raw NaN, broken UTF-8."""
    depth = draw(st.integers(1, 30_000))
    digits = draw(st.integers(1, 6_000))
    return draw(st.sampled_from([
        b"[" * depth + b"]" * depth,
        b'{"id": "d", "text": ' + b"[" * depth + b"]" * depth + b"}",
        b'{"id": ' + b"9" * digits + b', "text": "hi", "value": 1}',
        b'{"value": ' + b"9" * digits + b"}",
        b'{"value": 1, "ts": ' + b"9" * min(digits, 400) + b"}",
        b'[{"n": "t-104", "bt": 1e308, "t": 1e308, "v": 1}]',
        b'{"value": NaN}', b'{"value": Infinity, "unit": "Cel"}', b'{"id": 1, "text": NaN}',
        b'{"id": "x", "text": "\xff\xfe"}', b'{"id": "x", "text": "\\ud800 lone"}',
        b'{"value": "\\udfff on"}', b'[{"n": "t-104", "vs": "\\ud800"}]',
        b"\xef\xbb\xbf{}", b"\x00" * depth, b'{"text": "' + b"a" * 70_000 + b'"}',
    ]))


_plausible_ask = st.fixed_dictionaries({"id": st.text(max_size=12), "text": _text})
_ask_payloads = (st.binary(max_size=300) | _json.map(_dump) | _ask_doc.map(_dump)
                 | _plausible_ask.map(_dump) | _nasty())
_telemetry_payloads = (st.binary(max_size=300) | _json.map(_dump) | _reading_doc.map(_dump)
                       | st.lists(_senml_record, max_size=8).map(_dump)
                       | _named_senml.map(_dump) | _nasty())


@settings(FUZZ, max_examples=1500)
@given(payload=_ask_payloads)
def test_parse_ask_raises_only_bad_payload(payload: bytes) -> None:
    """parse_ask accepts a request or raises BadPayload with a code; nothing else."""
    try:
        request = parse_ask(payload)
    except BadPayload as exc:
        assert exc.code in {"bad_json", "bad_request"} and exc.message
        return
    assert 1 <= len(request.text) <= 2000
    assert request.reply_to is None or not any(c in request.reply_to for c in "+#")
    assert not isinstance(request.id, str) or not has_invisible(request.id)


@settings(FUZZ, max_examples=1500)
@given(payload=_telemetry_payloads)
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
    pack = _dump([{"bn": "t-104", "v": 1.0}] + [{"v": float(n)} for n in range(records - 1)])
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
    ingest: Ingest
    registry: Registry
    outbox: Outbox
    replies: list[tuple[str, bytes, bytes | None]]
    commands: list[tuple[str, float | str]]


_CONFIG = {
    "gateway": {"id": "gw-fz", "site": "lab"},
    "sensors": [{"id": "t-104", "kind": "temperature", "area": "zone 3", "unit": "Cel"}],
    "actuators": [{"id": "pump-2", "kind": "pump", "area": "line 2"},
                  {"id": "fan-3", "kind": "fan", "area": "zone 3", "control": "level",
                   "min": 0, "max": 100}]}


@contextlib.contextmanager
def build_gateway(data: Path, per_min: int = 0) -> Iterator[Gateway]:
    """A gateway as edge_agent.agent builds one, minus MQTT; closed on leaving the block."""
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
    handler = AskHandler(
        triage=Triage(registry), skills=skills, registry=registry, outbox=outbox, link=link,
        publish=lambda topic, body, corr, qos=1: replies.append((topic, body, corr)),
        default_reply_topic=DEFAULT_REPLIES, escalation_ttl_s=60, max_payload_bytes=64 * 1024,
        max_requests_per_min=per_min)
    yield Gateway(handler, Ingest(registry, history, 64 * 1024), registry, outbox, replies,
                  commands)
    history.close()
    outbox.close()


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


def _gateway_topic(topic: str) -> bool:
    """Whether sensors, requests or actuators of a gateway under our prefix listen here."""
    parts = topic.split("/")
    return parts[0] == "fz" and len(parts) > 2 and parts[2] in {"sensors", "ask", "actuators"}


def _valid_reply(topic: str, body: bytes) -> Reply:
    """A reply is a well-formed Reply on a publishable topic."""
    reply = Reply.model_validate_json(body)
    assert topic and not any(c in topic for c in "+#\x00")
    assert not _gateway_topic(topic)
    assert reply.error is not None or reply.route in ("local", "queued")
    return reply


@settings(FUZZ, max_examples=1200)
@given(payload=_ask_payloads, topic=st.none() | st.sampled_from(
    ["app/replies", "fz/lab/actuators/pump-2/set", "fz/lab/ask", "fz/other/sensors/x/telemetry"]))
def test_ask_handler_answers_every_payload_exactly_once(
        gateway: Gateway, payload: bytes, topic: str | None) -> None:
    """Whatever arrives, the handler never raises and sends exactly one well-formed reply."""
    correlation = uuid.uuid4().bytes  # a fresh request each time, never a redelivery
    [(reply_topic, body, corr)] = _ask(gateway, payload, topic, correlation)
    reply = _valid_reply(reply_topic, body)
    assert corr == correlation
    if reply.route == "queued":  # what waits in the outbox must go up the link as it is
        _assert_sendable(gateway, reply)
    if topic is not None and _gateway_topic(topic):
        assert reply_topic == DEFAULT_REPLIES
        assert reply.error is not None and reply.error.code == "bad_reply_topic"


@settings(FUZZ, max_examples=500)
@given(payload=_telemetry_payloads, sensor=st.sampled_from(["t-104", "pump-2", "x-9", "b/d"]))
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
    request = _dump({"id": "r", "text": "list devices"})
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
        [(_, body, _)] = _ask(gw, _dump({"id": "r1", "text": text}), "app/r", None)
        reply = Reply.model_validate_json(body)
        assert reply.route == "queued"
        item = gw.outbox.get(reply.data["key"])  # type: ignore[index]
    assert item is not None
    assert item.payload["text"] == "why would a greenhouse get warmer at night than by day?"


def test_replies_never_go_where_actuators_listen(tmp_path: Path) -> None:
    """A response topic on an actuator's command topic gets an error on the default topic."""
    with build_gateway(tmp_path) as gw:
        [(topic, body, _)] = _ask(gw, _dump({"id": "r1", "text": "turn on pump 2"}),
                                  "fz/lab/actuators/pump-2/set", b"c1")
    reply = Reply.model_validate_json(body)
    assert topic == DEFAULT_REPLIES
    assert reply.error is not None and reply.error.code == "bad_reply_topic"
    assert gw.commands == []


@settings(FUZZ, max_examples=300)
@given(payload=_telemetry_payloads)
def test_any_accepted_reading_can_travel_in_an_escalation(gateway: Gateway,
                                                         payload: bytes) -> None:
    """Whatever a sensor got accepted still converts into the escalation's gRPC context."""
    gateway.ingest.handle("t-104", payload)
    ask = _dump({"id": "q", "text": "why does t-104 read so oddly at night, and what should I "
                                    "check first?"})
    [(_, body, _)] = _ask(gateway, ask, f"app/{uuid.uuid4().hex}", None)
    reply = Reply.model_validate_json(body)
    assert reply.route == "queued", reply
    request = _assert_sendable(gateway, reply)
    assert [r.device_id for r in request.context] == ["t-104"]
