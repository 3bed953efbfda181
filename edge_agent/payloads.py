"""The JSON documents that cross the gateway's MQTT topics, and how to parse them.

Telemetry arrives as plain JSON (``{"value": 21.4, "unit": "Cel", "ts": ...}``, with optional
``kind`` and ``area``), as a bare value (``21.7``, ``true``, ``ON``), or as SenML (RFC 8428).
``typed_value`` then holds a reading to its sensor's kind: numbers for numeric kinds
(``"hot"`` on a temperature sensor is refused), true/false for binary ones (``ON``/``OFF``,
``open``/``closed``, ``1``/``0`` are understood). Requests arrive as ``{"id": ..., "text": ...}``
with an optional ``reply_to`` for MQTT 3.1.1 clients; ``{"feedback": "wrong", "id": ...}`` on the
same topic says a local answer was wrong (``Feedback``). Every reply is a ``Reply``.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from edge_agent.normalise import AREA_MAX_CHARS, KIND_MAX_CHARS, clean_label, has_invisible

MAX_TEXT_CHARS = 2000
MAX_ID_CHARS = 128
MAX_SENML_RECORDS = 1000
MAX_UNIT_CHARS = 16
MAX_STRING_VALUE_CHARS = 256
# No sensor measures past this; larger values are junk, and sums of them (a history's mean)
# would overflow to infinity.
MAX_ABS_READING = 1e15
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}")

# Kinds whose readings are numbers, and kinds whose readings are on/off. Other kinds take
# whatever the sensor sends (a number, true/false or a short text such as "wet").
NUMERIC_KINDS = frozenset({
    "temperature", "humidity", "pressure", "level", "co2", "voc", "pm25", "pm10",
    "illuminance", "lux", "power", "energy", "voltage", "current", "flow", "speed", "rpm",
    "battery", "moisture", "noise", "sound", "weight", "distance", "rssi", "ph", "frequency",
})
BINARY_KINDS = frozenset({
    "motion", "occupancy", "presence", "door", "window", "contact", "leak", "water_leak",
    "smoke", "gas", "vibration", "tamper", "switch", "button", "binary",
})
_TRUE_WORDS = frozenset({"on", "true", "yes", "open", "opened", "detected", "active", "1"})
_FALSE_WORDS = frozenset({"off", "false", "no", "closed", "close", "clear", "inactive", "0"})


class BadPayload(ValueError):
    """A payload that cannot be used; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _plain_id(value: str | int) -> str | int:
    """A request id that fits in 64 bits, or a short visible text."""
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise ValueError("a numeric id must fit in 64 bits")
    elif len(value) > MAX_ID_CHARS or has_invisible(value):
        raise ValueError(f"the id must be at most {MAX_ID_CHARS} visible characters")
    return value


def _publishable(value: str | None) -> str | None:
    """A reply topic a client may name: plain, no wildcards, not a $ topic."""
    if value and (value.startswith("$") or any(c in value for c in "+#")
                  or has_invisible(value)):
        raise ValueError(f"replies cannot go to {value[:200]!r}: it must be a plain topic "
                         "name: no wildcards (+ #), no control characters, not a $ topic")
    return value


def _named(value: str | int) -> str | int:
    if value == "":
        raise ValueError("name the id of the request whose answer was wrong")
    return value


RequestId = Annotated[StrictStr | StrictInt, AfterValidator(_plain_id)]  # no true, 1.0
ReplyTopic = Annotated[str | None, AfterValidator(_publishable)]


class AskRequest(BaseModel):
    """A question or command for the gateway."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: RequestId = Field(default="")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    reply_to: ReplyTopic = Field(default=None, max_length=512)
    model: str | None = None

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str | None) -> str | None:
        if value is not None and not _MODEL_NAME.fullmatch(value):
            raise ValueError("model must be a model name like 'auto' or 'gpt-4o-mini'")
        return value


class Feedback(BaseModel):
    """A requester saying the gateway's answer to one of its requests (``id``) was wrong;
    optionally what it should have been (``intent``) and what was meant (``text``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feedback: Literal["wrong"]
    id: Annotated[RequestId, AfterValidator(_named)]
    intent: Literal["query_state", "query_history", "set_actuator", "list_devices",
                    "list_alerts", "escalate"] | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    reply_to: ReplyTopic = Field(default=None, max_length=512)


class ErrorInfo(BaseModel):
    """What went wrong, for a person and for a program."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class Reply(BaseModel):
    """The answer to a request, sent to the requester's response topic."""

    model_config = ConfigDict(frozen=True)

    id: str
    # "pending": an action waits for an operator's approval; the final answer follows.
    route: Literal["local", "escalated", "queued", "pending"]
    intent: str
    answer: str
    data: dict[str, Any] | None = None
    error: ErrorInfo | None = None

    def to_bytes(self) -> bytes:
        """Serialise without the optional fields that are unset."""
        return self.model_dump_json(exclude_none=True).encode()


class _JsonReading(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: StrictFloat | StrictInt | bool | str
    unit: str = Field(default="", max_length=MAX_UNIT_CHARS)
    ts: StrictFloat | StrictInt | None = None
    kind: str = Field(default="", max_length=4 * KIND_MAX_CHARS)
    area: str = Field(default="", max_length=4 * AREA_MAX_CHARS)

    @field_validator("value")
    @classmethod
    def _bounded_value(cls, value: float | int | bool | str) -> float | bool | str:
        if isinstance(value, str):
            return _text_value(value)
        return value if isinstance(value, bool) else _reading(value)

    @field_validator("ts")
    @classmethod
    def _finite_ts(cls, value: float | int | None) -> float | None:
        return None if value is None else _number(value)

    @field_validator("unit")
    @classmethod
    def _plain_unit(cls, value: str) -> str:
        return _unit(value)

    @field_validator("kind")
    @classmethod
    def _safe_kind(cls, value: str) -> str:
        return clean_label("kind", value, KIND_MAX_CHARS)

    @field_validator("area")
    @classmethod
    def _safe_area(cls, value: str) -> str:
        return clean_label("area", value, AREA_MAX_CHARS)


@dataclass(frozen=True, slots=True)
class TelemetryPoint:
    """One reading parsed from a telemetry payload."""

    sensor_id: str
    value: float | str | bool
    unit: str
    ts: float
    kind: str = ""
    area: str = ""
    # False: the payload gave no absolute time (none, or SenML's time relative to when it was
    # sent), so ``ts`` counts from when it was parsed; a retained copy's age is unknown.
    dated: bool = True


def parse_ask(payload: bytes) -> AskRequest:
    """Parse a request payload, raising BadPayload with a clear reason."""
    return _ask(_load_json(payload))


def _ask(doc: Any) -> AskRequest:
    if not isinstance(doc, dict):
        raise BadPayload("bad_request", 'expected a JSON object like {"id": "r1", "text": "..."}')
    try:
        return AskRequest.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload(_request_code(exc), _describe(exc)) from exc


def parse_request(payload: bytes) -> AskRequest | Feedback:
    """A request, or feedback on an answer when the object has a ``feedback`` field."""
    doc = _load_json(payload)
    if not isinstance(doc, dict) or "feedback" not in doc:
        return _ask(doc)
    try:
        return Feedback.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload(_request_code(exc), _describe(exc)) from exc


def _request_code(exc: ValidationError) -> str:
    """``bad_reply_topic`` when only the reply topic is wrong (as for an MQTT 5 response
    topic), else ``bad_request``."""
    errors = exc.errors()
    if all(e["loc"][:1] == ("reply_to",) and e["type"] != "string_type" for e in errors):
        return "bad_reply_topic"
    return "bad_request"


def parse_telemetry(
    sensor_id: str, payload: bytes, now: float | None = None
) -> list[TelemetryPoint]:
    """Parse plain JSON, a bare value or SenML telemetry into readings."""
    now = time.time() if now is None else now
    try:
        doc = _load_json(payload)
    except BadPayload:
        if (word := _bare_word(payload)) is None:
            raise
        doc = word
    if isinstance(doc, list):
        return _parse_senml(sensor_id, doc, now)
    if isinstance(doc, bool | int | float) or (isinstance(doc, str) and _is_word(doc)):
        value = doc if isinstance(doc, bool | str) else _reading(doc)
        return [TelemetryPoint(sensor_id, value, "", now, dated=False)]
    if not isinstance(doc, dict):
        raise BadPayload("bad_telemetry", "expected a JSON object, a SenML array, or a bare "
                         "value such as 21.7, true or ON")
    if (point := _plain_reading(sensor_id, doc, now)) is not None:
        return [point]
    try:
        reading = _JsonReading.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload("bad_telemetry", _describe(exc)) from exc
    ts = float(reading.ts) if reading.ts is not None else now
    return [TelemetryPoint(sensor_id, reading.value, reading.unit, ts, reading.kind,
                           reading.area, dated=reading.ts is not None)]


_PLAIN_KEYS = frozenset({"value", "unit", "ts"})
_JSON = json.JSONDecoder()  # what json.loads uses, without its per-call checks


def _plain_reading(sensor_id: str, doc: dict[str, Any], now: float) -> TelemetryPoint | None:
    """``{"value": <finite number>, "unit": ..., "ts": ...}``, the common reading, checked as
    ``_JsonReading`` would and without its cost; None: anything else, for the full model."""
    value, unit, ts = doc.get("value"), doc.get("unit", ""), doc.get("ts")
    if (not doc.keys() <= _PLAIN_KEYS or type(value) not in (int, float)
            or type(unit) is not str or (ts is not None and type(ts) not in (int, float))):
        return None
    try:
        return TelemetryPoint(sensor_id, _reading(value), _unit(unit),
                              now if ts is None else _number(ts), dated=ts is not None)
    except ValueError:  # BadPayload is one: let the model say what is wrong, as it always has
        return None


def _parse_senml(sensor_id: str, records: list[Any], now: float) -> list[TelemetryPoint]:
    """RFC 8428 resolution: base name/time/unit carry over to the records that follow."""
    if len(records) > MAX_SENML_RECORDS:
        raise BadPayload("bad_telemetry", f"the SenML pack holds {len(records)} records; "
                         f"the limit is {MAX_SENML_RECORDS}: split it")
    points: list[TelemetryPoint] = []
    base_name, base_time, base_unit = "", 0.0, ""
    for record in records:
        if not isinstance(record, dict):
            raise BadPayload("bad_telemetry", "every SenML record must be an object")
        base_name = str(record.get("bn", base_name))
        base_time = _number(record.get("bt", base_time))
        base_unit = _senml_unit(record.get("bu", base_unit))
        value = _senml_value(record)
        if value is None:
            continue
        _check_senml_name(sensor_id, base_name + str(record.get("n", "")))
        t = _number(base_time + _number(record.get("t", 0.0)))
        # RFC 8428: times below 2**28 are relative to now.
        ts = _number(now + t) if t < 2**28 else t
        points.append(  # a relative time counts from when the pack was sent, not received
            TelemetryPoint(sensor_id, value, _senml_unit(record.get("u", base_unit)), ts,
                           dated=t >= 2**28)
        )
    if not points:
        raise BadPayload("bad_telemetry", "the SenML pack holds no value")
    return points


def _check_senml_name(sensor_id: str, name: str) -> None:
    """A pack speaks only for its topic's sensor: per-topic ACLs must mean something."""
    if name and name != sensor_id:
        raise BadPayload("foreign_sensor", f"the SenML name {name[:64]!r} is not this topic's "
                         f"sensor {sensor_id[:64]!r}; publish each sensor on its own topic")


def _senml_value(record: dict[str, Any]) -> float | str | bool | None:
    if "v" in record:
        return _reading(record["v"])
    if "vb" in record:
        if not isinstance(record["vb"], bool):
            raise BadPayload("bad_telemetry", "SenML 'vb' must be true or false")
        return bool(record["vb"])
    if "vs" in record:
        try:
            return _text_value(str(record["vs"]))
        except ValueError as exc:
            raise BadPayload("bad_telemetry", f"SenML 'vs': {exc}") from exc
    return None


@functools.lru_cache(maxsize=1024)  # a gateway has a handful of kinds, read millions of times
def _kind_key(kind: str) -> str:
    return kind.strip().lower().replace(" ", "_").replace("-", "_")


def typed_value(kind: str, value: float | str | bool) -> float | str | bool:
    """A reading as its kind wants it; BadPayload (``not_a_number``, ``not_binary``) if not."""
    kind = _kind_key(kind) if len(kind) <= 64 else _kind_key.__wrapped__(kind)
    if kind in NUMERIC_KINDS:
        if isinstance(value, str):
            try:
                return _reading(float(value.strip()))
            except ValueError:  # BadPayload is one too
                pass
        elif not isinstance(value, bool):
            return value
        raise BadPayload("not_a_number",
                         f"a {kind} reading must be a number, not {str(value)[:40]!r}")
    if kind in BINARY_KINDS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            if (word := value.strip().lower()) in _TRUE_WORDS | _FALSE_WORDS:
                return word in _TRUE_WORDS
        elif value in (0, 1):
            return bool(value)
        raise BadPayload("not_binary", f"a {kind} reading must be on/off or true/false, "
                         f"not {str(value)[:40]!r}")
    return value


def _is_word(text: str) -> bool:
    return text.strip().lower() in _TRUE_WORDS | _FALSE_WORDS


def _bare_word(payload: bytes) -> str | None:
    """``ON``, ``off``, ``open`` sent as plain text rather than JSON, else None."""
    try:
        text = payload.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return text if len(text) <= 16 and _is_word(text) else None


def _text_value(value: str) -> str:
    """A text reading ("on", "wet"): short, visible, and encodable for the uplink."""
    if len(value) > MAX_STRING_VALUE_CHARS or has_invisible(value):
        raise ValueError(f"a text value is at most {MAX_STRING_VALUE_CHARS} visible characters")
    return value


def _senml_unit(value: Any) -> str:
    if not isinstance(value, str):
        raise BadPayload("bad_telemetry", "SenML 'u' and 'bu' must be strings")
    try:
        return _unit(value)
    except ValueError as exc:
        raise BadPayload("bad_telemetry", str(exc)) from exc


def _unit(value: str) -> str:
    if len(value) > MAX_UNIT_CHARS or not _visible(value):
        raise ValueError(f"a unit is at most {MAX_UNIT_CHARS} visible characters")
    return value


@functools.lru_cache(maxsize=1024)  # a gateway sees a handful of units, millions of times
def _visible(short_text: str) -> bool:
    return not has_invisible(short_text)


def _number(value: Any) -> float:
    """A finite float, or BadPayload (a ValueError, so pydantic validators can raise it)."""
    try:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OverflowError
        number = float(value)
        if not math.isfinite(number):
            raise OverflowError
    except OverflowError:
        raise BadPayload("bad_telemetry",
                         f"expected a finite number, got {str(value)[:40]!r}") from None
    return number


def _reading(value: Any) -> float:
    """A finite number no larger than any sensor measures, else BadPayload."""
    number = _number(value)
    if abs(number) > MAX_ABS_READING:
        raise BadPayload("bad_telemetry", f"{number:g} is out of range: a reading is at most "
                         f"{MAX_ABS_READING:g} in size")
    return number


def _load_json(payload: bytes) -> Any:
    if not payload.strip():
        raise BadPayload("bad_json", "the payload is empty")
    try:
        if payload[0] and payload[0] < 0x80 and (len(payload) == 1 or payload[1]):
            # What json.loads does with bytes it takes for UTF-8 (no BOM, no NUL in the first
            # two), without its detection of the encoding.
            return _JSON.decode(payload.decode("utf-8", "surrogatepass"))
        return json.loads(payload)
    except RecursionError:
        raise BadPayload("bad_json", "payload nests too deeply") from None
    except ValueError as exc:  # also UnicodeDecodeError and ints of more than 4300 digits
        raise BadPayload("bad_json", f"payload is not valid UTF-8 JSON: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        # pydantic puts "Value error, " before the message of a ValueError a validator raised
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
