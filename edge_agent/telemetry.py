"""Sensor readings as they arrive on the telemetry topics, and how to parse them.

Telemetry arrives as plain JSON (``{"value": 21.4, "unit": "Cel", "ts": ...}``, with optional
``kind`` and ``area``), as a bare value (``21.7``, ``true``, ``ON``), or as SenML (RFC 8428).
``typed_value`` then holds a reading to its sensor's kind: numbers for numeric kinds
(``"hot"`` on a temperature sensor is refused), true/false for binary ones (``ON``/``OFF``,
``open``/``closed``, ``1``/``0`` are understood). A payload that cannot be used raises
``BadPayload`` with a code and a reason.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
)

from edge_agent.normalise import AREA_MAX_CHARS, KIND_MAX_CHARS, clean_label, has_invisible
from edge_agent.payloads import BadPayload, describe, load_json

MAX_SENML_RECORDS = 1000
MAX_UNIT_CHARS = 16
MAX_STRING_VALUE_CHARS = 256
# No sensor measures past this; larger values are junk, and sums of them (a history's mean)
# would overflow to infinity.
MAX_ABS_READING = 1e15

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


def parse_telemetry(
    sensor_id: str, payload: bytes, now: float | None = None
) -> list[TelemetryPoint]:
    """Parse plain JSON, a bare value or SenML telemetry into readings."""
    now = time.time() if now is None else now
    try:
        doc = load_json(payload)
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
        raise BadPayload("bad_telemetry", describe(exc)) from exc
    ts = float(reading.ts) if reading.ts is not None else now
    return [TelemetryPoint(sensor_id, reading.value, reading.unit, ts, reading.kind,
                           reading.area, dated=reading.ts is not None)]


_PLAIN_KEYS = frozenset({"value", "unit", "ts"})


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
