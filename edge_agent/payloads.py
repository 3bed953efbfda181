"""The JSON documents that cross the gateway's MQTT topics, and how to parse them.

Telemetry arrives as plain JSON (``{"value": 21.4, "unit": "Cel", "ts": ...}``, with optional
``kind`` and ``area``) or as SenML (RFC 8428). Requests arrive as ``{"id": ..., "text": ...}``
with an optional ``reply_to`` for MQTT 3.1.1 clients. Every reply is a ``Reply``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

MAX_TEXT_CHARS = 2000


class BadPayload(ValueError):
    """A payload that cannot be used; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AskRequest(BaseModel):
    """A question or command for the gateway."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | int = Field(default="")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    reply_to: str | None = Field(default=None, max_length=512)
    model: str | None = None


class ErrorInfo(BaseModel):
    """What went wrong, for a person and for a program."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class Reply(BaseModel):
    """The answer to a request, sent to the requester's response topic."""

    model_config = ConfigDict(frozen=True)

    id: str
    route: Literal["local", "escalated", "queued"]
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
    unit: str = ""
    ts: StrictFloat | StrictInt | None = None
    kind: str = Field(default="", max_length=64)
    area: str = Field(default="", max_length=64)


@dataclass(frozen=True, slots=True)
class TelemetryPoint:
    """One reading parsed from a telemetry payload."""

    sensor_id: str
    value: float | str | bool
    unit: str
    ts: float
    kind: str = ""
    area: str = ""


def parse_ask(payload: bytes) -> AskRequest:
    """Parse a request payload, raising BadPayload with a clear reason."""
    doc = _load_json(payload)
    if not isinstance(doc, dict):
        raise BadPayload("bad_request", 'expected a JSON object like {"id": "r1", "text": "..."}')
    try:
        return AskRequest.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload("bad_request", _describe(exc)) from exc


def parse_telemetry(
    sensor_id: str, payload: bytes, now: float | None = None
) -> list[TelemetryPoint]:
    """Parse plain JSON or SenML telemetry into readings."""
    doc = _load_json(payload)
    now = time.time() if now is None else now
    if isinstance(doc, list):
        return _parse_senml(sensor_id, doc, now)
    if not isinstance(doc, dict):
        raise BadPayload("bad_telemetry", "expected a JSON object or a SenML array")
    try:
        reading = _JsonReading.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload("bad_telemetry", _describe(exc)) from exc
    value = reading.value
    if isinstance(value, float) and not math.isfinite(value):
        raise BadPayload("bad_telemetry", "value must be a finite number")
    ts = float(reading.ts) if reading.ts is not None else now
    numeric = float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return [TelemetryPoint(sensor_id, numeric, reading.unit, ts, reading.kind, reading.area)]


def _parse_senml(sensor_id: str, records: list[Any], now: float) -> list[TelemetryPoint]:
    """RFC 8428 resolution: base name/time/unit carry over to the records that follow."""
    points: list[TelemetryPoint] = []
    base_name, base_time, base_unit = "", 0.0, ""
    for record in records:
        if not isinstance(record, dict):
            raise BadPayload("bad_telemetry", "every SenML record must be an object")
        base_name = str(record.get("bn", base_name))
        base_time = _number(record.get("bt", base_time))
        base_unit = str(record.get("bu", base_unit))
        value = _senml_value(record)
        if value is None:
            continue
        name = base_name + str(record.get("n", ""))
        t = base_time + _number(record.get("t", 0.0))
        # RFC 8428: times below 2**28 are relative to now.
        ts = now + t if t < 2**28 else t
        points.append(
            TelemetryPoint(name or sensor_id, value, str(record.get("u", base_unit)), ts)
        )
    if not points:
        raise BadPayload("bad_telemetry", "the SenML pack holds no value")
    return points


def _senml_value(record: dict[str, Any]) -> float | str | bool | None:
    if "v" in record:
        return _number(record["v"])
    if "vb" in record:
        if not isinstance(record["vb"], bool):
            raise BadPayload("bad_telemetry", "SenML 'vb' must be true or false")
        return bool(record["vb"])
    if "vs" in record:
        return str(record["vs"])[:256]
    return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadPayload("bad_telemetry", f"expected a finite number, got {value!r}")
    return float(value)


def _load_json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload("bad_json", f"payload is not valid UTF-8 JSON: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
