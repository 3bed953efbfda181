"""Parsing what sensors and apps publish: plain JSON, SenML, requests."""

from __future__ import annotations

import json

import pytest

from edge_agent.payloads import BadPayload, parse_ask, parse_telemetry


def test_plain_json_reading() -> None:
    """A plain JSON reading keeps value, unit, timestamp, kind and area."""
    [p] = parse_telemetry("t-1", b'{"value": 21.4, "unit": "Cel", "ts": 1700000000, '
                                 b'"kind": "temperature", "area": "zone 3"}')
    assert (p.sensor_id, p.value, p.unit, p.ts, p.kind, p.area) == (
        "t-1", 21.4, "Cel", 1700000000.0, "temperature", "zone 3")


def test_senml_pack_resolves_base_fields() -> None:
    """SenML base name, time and unit apply to the records that follow (RFC 8428)."""
    pack = [{"bn": "dev1:", "bt": 1700000000, "bu": "Cel", "n": "t", "v": 20.5},
            {"n": "t", "t": 10, "v": 21.0}, {"n": "door", "vb": True}]
    points = parse_telemetry("dev1", json.dumps(pack).encode())
    assert [(p.sensor_id, p.value, p.ts) for p in points] == [
        ("dev1:t", 20.5, 1700000000.0), ("dev1:t", 21.0, 1700000010.0),
        ("dev1:door", True, 1700000000.0)]
    assert points[0].unit == "Cel"


@pytest.mark.parametrize("payload, code", [
    pytest.param(b"nope", "bad_json", id="not-json"),
    pytest.param(b"\xff\xfe", "bad_json", id="not-utf8"),
    pytest.param(b'"just a string"', "bad_telemetry", id="scalar"),
    pytest.param(b'{"value": 1, "extra": 2}', "bad_telemetry", id="unknown-field"),
    pytest.param(b'{"unit": "Cel"}', "bad_telemetry", id="no-value"),
    pytest.param(b'{"value": [1, 2]}', "bad_telemetry", id="list-value"),
    pytest.param(b'[{"n": "x", "v": "hot"}]', "bad_telemetry", id="senml-string-v"),
    pytest.param(b'[{"n": "x"}]', "bad_telemetry", id="senml-no-value"),
])
def test_bad_telemetry_is_refused_with_a_code(payload: bytes, code: str) -> None:
    """Malformed telemetry raises BadPayload with a machine-readable code."""
    with pytest.raises(BadPayload) as info:
        parse_telemetry("t-1", payload)
    assert info.value.code == code


def test_request_accepts_numeric_id_and_reply_to() -> None:
    """A request may carry a numeric id and an MQTT 3.1.1 reply topic."""
    request = parse_ask(b'{"id": 7, "text": "hi", "reply_to": "app/replies"}')
    assert (request.id, request.text, request.reply_to) == (7, "hi", "app/replies")


@pytest.mark.parametrize("payload", [
    pytest.param(b'{"id": "x"}', id="no-text"),
    pytest.param(b'{"text": ""}', id="empty-text"),
    pytest.param(b'{"text": {"a": 1}}', id="object-text"),
    pytest.param(b'{"text": "' + b"a" * 5000 + b'"}', id="text-too-long"),
])
def test_bad_requests_are_refused(payload: bytes) -> None:
    """Requests without a usable text are refused with a reason."""
    with pytest.raises(BadPayload) as info:
        parse_ask(payload)
    assert info.value.code == "bad_request"
    assert "text" in info.value.message
