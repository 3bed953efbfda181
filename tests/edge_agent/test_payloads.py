"""Parsing what sensors and apps publish: plain JSON, SenML, requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog

from edge_agent.history import History
from edge_agent.ingest import Ingest
from edge_agent.payloads import BadPayload, load_json, parse_ask
from edge_agent.registry import Device, Registry
from edge_agent.telemetry import parse_telemetry, typed_value


def test_plain_json_reading() -> None:
    """A plain JSON reading keeps value, unit, timestamp, kind and area."""
    [p] = parse_telemetry("t-1", b'{"value": 21.4, "unit": "Cel", "ts": 1700000000, '
                                 b'"kind": "temperature", "area": "zone 3"}')
    assert (p.sensor_id, p.value, p.unit, p.ts, p.kind, p.area) == (
        "t-1", 21.4, "Cel", 1700000000.0, "temperature", "zone 3")


def test_senml_pack_resolves_base_fields() -> None:
    """SenML base name, time and unit apply to the records that follow (RFC 8428)."""
    pack = [{"bn": "dev1:", "bt": 1700000000, "bu": "Cel", "n": "t", "v": 20.5},
            {"n": "t", "t": 10, "v": 21.0}, {"n": "t", "vb": True}]
    points = parse_telemetry("dev1:t", json.dumps(pack).encode())
    assert [(p.sensor_id, p.value, p.ts) for p in points] == [
        ("dev1:t", 20.5, 1700000000.0), ("dev1:t", 21.0, 1700000010.0),
        ("dev1:t", True, 1700000000.0)]
    assert points[0].unit == "Cel"


@pytest.mark.parametrize("pack", [
    pytest.param([{"bn": "t-104", "v": 30.0}], id="bn-names-another-sensor"),
    pytest.param([{"n": "t-104", "v": 30.0}], id="n-names-another-sensor"),
    pytest.param([{"bn": "t-", "n": "104", "v": 30.0}], id="bn-plus-n"),
    pytest.param([{"v": 20.0}, {"n": "t-104", "v": 30.0}], id="second-record"),
    pytest.param([{"bn": "t-201", "n": "/x", "v": 30.0}], id="suffix"),
])
def test_senml_cannot_speak_for_another_sensor(pack: list[dict[str, object]]) -> None:
    """A pack on t-201's topic that names any other sensor is refused whole (issue 13.7)."""
    with pytest.raises(BadPayload, match="not this topic's sensor 't-201'") as info:
        parse_telemetry("t-201", json.dumps(pack).encode())
    assert info.value.code == "foreign_sensor"


def test_senml_may_name_its_own_sensor() -> None:
    """A name that resolves to the topic's own id, or no name, is the topic's sensor."""
    pack = [{"bn": "t-", "n": "201", "v": 20.0}, {"bn": "", "v": 21.0}, {"n": "t-201", "v": 22}]
    points = parse_telemetry("t-201", json.dumps(pack).encode())
    assert [(p.sensor_id, p.value) for p in points] == [
        ("t-201", 20.0), ("t-201", 21.0), ("t-201", 22.0)]


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


# telemetry as sensors send it ---------------------------------------------------------------

@pytest.mark.parametrize("payload, value", [
    pytest.param(b"21.7", 21.7, id="bare-number"),
    pytest.param(b"  -4 ", -4.0, id="bare-integer"),
    pytest.param(b"true", True, id="bare-true"),
    pytest.param(b"ON", "ON", id="bare-ON-text"),
    pytest.param(b'"off"', "off", id="bare-off-json-string"),
])
def test_bare_values_are_readings(payload: bytes, value: object) -> None:
    """A bare number, boolean or on/off word is one reading, stamped now."""
    [p] = parse_telemetry("t-1", payload, now=1700000000.0)
    assert (p.sensor_id, p.value, p.ts) == ("t-1", value, 1700000000.0)


@pytest.mark.parametrize("kind, value, typed", [
    pytest.param("temperature", "21.5", 21.5, id="numeric-string"),
    pytest.param("temperature", 21, 21, id="number"),
    pytest.param("motion", "ON", True, id="ON"),
    pytest.param("door", "closed", False, id="closed"),
    pytest.param("Water leak", 1, True, id="one"),
    pytest.param("contact", False, False, id="bool"),
    pytest.param("mode", "eco", "eco", id="free-text-kind"),
])
def test_values_take_their_kinds_type(kind: str, value: object, typed: object) -> None:
    """Numeric kinds get numbers; binary kinds get true/false from the usual words."""
    assert typed_value(kind, value) == typed  # type: ignore[arg-type]


@pytest.mark.parametrize("kind, value, code", [
    pytest.param("temperature", "hot", "not_a_number", id="hot"),
    pytest.param("humidity", True, "not_a_number", id="bool-humidity"),
    pytest.param("motion", "maybe", "not_binary", id="maybe"),
    pytest.param("door", 7, "not_binary", id="seven"),
])
def test_values_that_do_not_suit_the_kind_are_refused(kind: str, value: object,
                                                      code: str) -> None:
    """``{"value": "hot"}`` on a temperature sensor is refused with a reason."""
    with pytest.raises(BadPayload) as info:
        typed_value(kind, value)  # type: ignore[arg-type]
    assert info.value.code == code


def test_ingest_counts_bad_values_and_logs_once_a_minute(tmp_path: Path) -> None:
    """Each refused reading counts; the log gets one line per sensor and reason a minute."""
    registry = Registry()
    registry.add(Device("t-104", "sensor", "temperature", "zone 3", "Cel"))
    registry.add(Device("door-1", "sensor", "door", "hall"))
    clock = [1000.0]
    ingest = Ingest(registry, History(tmp_path / "h.db", max_rows=100, max_age_s=3600), 65536,
                    clock=lambda: clock[0])
    with structlog.testing.capture_logs() as logs:
        assert [ingest.handle("t-104", b'{"value": "hot"}') for _ in range(5)] == [0] * 5
        clock[0] += 61
        assert ingest.handle("t-104", b'{"value": "hot"}') == 0
        assert ingest.handle("t-104", b"21.7") == 1 and ingest.handle("door-1", b"OFF") == 1
    refused = [e for e in logs if e["event"] == "telemetry.rejected"]
    assert [(e["code"], e["held_back"]) for e in refused] == [("not_a_number", 0),
                                                              ("not_a_number", 4)]
    assert refused[0]["error"] == "t-104: a temperature reading must be a number, not 'hot'"
    assert ingest.rejected == 6 and ingest.rejected_by_code == {"not_a_number": 6}
    assert registry.latest("t-104").value == 21.7  # type: ignore[union-attr]
    assert registry.latest("door-1").value is False  # type: ignore[union-attr]


def test_a_self_announcing_sensor_with_a_bad_value_is_not_registered(tmp_path: Path) -> None:
    """A new sensor announcing kind temperature with "hot" is refused and not learned."""
    registry = Registry()
    ingest = Ingest(registry, History(tmp_path / "h.db", max_rows=100, max_age_s=3600), 65536)
    body = json.dumps({"value": "hot", "kind": "temperature", "area": "roof"}).encode()
    assert ingest.handle("t-9", body) == 0 and registry.get("t-9") is None


@pytest.mark.parametrize("doc", [
    {"value": 21, "unit": "Cel"}, {"value": 21.5}, {"value": -0.0, "unit": "", "ts": 1700000000},
    {"value": 3.25, "unit": "%RH", "ts": 1700000000.5}, {"value": 1e308, "unit": "W"},
    {"value": True, "unit": "Cel"}, {"value": "21.5"}, {"value": 1, "unit": "x" * 17},
    {"value": 1, "unit": "C\u200bel"}, {"value": 1, "ts": "now"}, {"value": 1, "ts": True},
    {"value": 1, "unit": 5}, {"value": 1, "extra": 2}, {"value": 1e309}, {"unit": "Cel"},
    {"value": 1, "kind": "temperature", "area": "zone 3"},
], ids=lambda doc: json.dumps(doc)[:40])
def test_plain_readings_parse_as_the_full_model_does(doc: dict[str, object]) -> None:
    """The fast path for plain readings gives the model's points, or the model's refusal."""
    from edge_agent.telemetry import _JsonReading, _plain_reading

    payload = json.dumps(doc).encode()
    try:
        reading = _JsonReading.model_validate(doc)
    except ValueError:
        with pytest.raises(BadPayload) as refused:
            parse_telemetry("t-1", payload, now=5.0)
        assert refused.value.code == "bad_telemetry"
        assert _plain_reading("t-1", doc, 5.0) is None
        return
    [point] = parse_telemetry("t-1", payload, now=5.0)
    ts = 5.0 if reading.ts is None else float(reading.ts)
    assert (point.value, point.unit, point.ts, point.kind, point.area) == (
        reading.value, reading.unit, ts, reading.kind, reading.area)
    assert type(point.value) is type(reading.value)


@pytest.mark.parametrize("payload", [
    b'{"value": 1}', b"21.5", b"7", b"[1, 2]", '{"unit": "°C"}'.encode(),
    '\ufeff{"value": 2}'.encode(), '{"value": 3}'.encode("utf-16"),
    '{"value": 4}'.encode("utf-16-le"), '{"value": 5}'.encode("utf-32"), b"\xff\xfe{}",
    b"{\xff}", b'"\xed\xa0\x80"', b"x\x00", b"{", b"1\x00\x00\x00",
], ids=["object", "float", "int", "array", "utf8", "utf8-bom", "utf16-bom", "utf16-le",
        "utf32", "utf16-bom-odd", "bad-utf8", "surrogate", "nul-second", "cut", "utf32-le"])
def test_json_is_read_as_json_loads_reads_bytes(payload: bytes) -> None:
    """The UTF-8 shortcut reads every payload as json.loads does, or refuses what it refuses."""
    from edge_agent.payloads import load_json

    try:
        expected: object = json.loads(payload)
    except ValueError:
        with pytest.raises(BadPayload):
            load_json(payload)
        return
    assert load_json(payload) == expected


@pytest.mark.parametrize("payload, text", [
    pytest.param(b"turn off pump 2", "turn off pump 2", id="words"),
    pytest.param("  ¿cuál es la temperatura?\n".encode(), "¿cuál es la temperatura?", id="utf8"),
    pytest.param(b"42 degrees in zone 3?", "42 degrees in zone 3?", id="starts-with-a-number"),
])
def test_a_plain_text_request_is_its_text(payload: bytes, text: str) -> None:
    """A payload that is not JSON and does not start like it is the request's words."""
    request = parse_ask(payload)
    assert (request.id, request.text) == ("", text)


@pytest.mark.parametrize("payload", [
    pytest.param(b'{"id": "r1", "text": "turn off pump 2"', id="cut-off-object"),
    pytest.param(b'["turn off pump 2"', id="cut-off-list"),
    pytest.param(b'"turn off pump 2', id="cut-off-string"),
    pytest.param(b"\xff\xfeturn off pump 2", id="not-utf8"),
])
def test_a_payload_that_starts_like_json_must_be_json(payload: bytes) -> None:
    """A payload cut off inside its JSON is refused as bad JSON, never read as words."""
    with pytest.raises(BadPayload) as info:
        parse_ask(payload)
    assert info.value.code == "bad_json"


def _at_stack_depth(frames: int, payload: bytes) -> object:
    """load_json called from ``frames`` frames deeper than here."""
    return load_json(payload) if frames == 0 else _at_stack_depth(frames - 1, payload)


@pytest.mark.parametrize("frames", [0, 700], ids=["shallow-stack", "deep-stack"])
def test_nesting_has_one_limit_whatever_the_readers_stack(frames: int) -> None:
    """64 levels of nesting parse and 65 or 30,000 are refused with the same reason, however
    deep the reader's stack already is (json's own limit moves with it)."""
    assert isinstance(_at_stack_depth(frames, b"[" * 64 + b"]" * 64), list)
    assert isinstance(_at_stack_depth(frames, b'{"a": ' * 63 + b"[]" + b"}" * 63), dict)
    for depth in (65, 900, 30_000):
        with pytest.raises(BadPayload, match="more than 64 levels deep") as info:
            _at_stack_depth(frames, b"[" * depth + b"]" * depth)
        assert info.value.code == "bad_json"
