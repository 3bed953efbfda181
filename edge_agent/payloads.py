"""The JSON documents of the gateway's ask topic, how to parse them, and the replies.

Requests arrive as ``{"id": ..., "text": ...}`` with an optional ``reply_to`` for MQTT 3.1.1
clients, or as plain text (the request's words, no id); ``{"feedback": "wrong", "id": ...}`` on
the same topic says a local answer was wrong (``Feedback``). Every reply is a ``Reply``. A
payload that cannot be used raises ``BadPayload``, here and in ``edge_agent.telemetry`` (the
sensors' readings).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from edge_agent.normalise import has_invisible

MAX_TEXT_CHARS = 2000
MAX_ID_CHARS = 128
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}")


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

def parse_ask(payload: bytes) -> AskRequest:
    """Parse a request payload, raising BadPayload with a clear reason."""
    return _ask(_document(payload))


def _ask(doc: Any) -> AskRequest:
    if not isinstance(doc, dict):
        raise BadPayload("bad_request", 'expected a JSON object like {"id": "r1", "text": "..."}')
    try:
        return AskRequest.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload(_request_code(exc), describe(exc)) from exc


def parse_request(payload: bytes) -> AskRequest | Feedback:
    """A request, or feedback on an answer when the object has a ``feedback`` field."""
    doc = _document(payload)
    if not isinstance(doc, dict) or "feedback" not in doc:
        return _ask(doc)
    try:
        return Feedback.model_validate(doc)
    except ValidationError as exc:
        raise BadPayload(_request_code(exc), describe(exc)) from exc


def _document(payload: bytes) -> Any:
    """A request payload's JSON document. A payload that is plain text, not JSON (``mosquitto_rr
    -m "turn off pump 2"``), is ``{"text": ...}``; one that starts like JSON (``{``, ``[``,
    ``"``) must be JSON."""
    try:
        return load_json(payload)
    except BadPayload:
        text = _plain_text(payload)
        if text is None:
            raise
        return {"text": text}


def _plain_text(payload: bytes) -> str | None:
    """The payload as a request's text, if it is UTF-8 that does not start like JSON."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return text if text and text[0] not in '{["' else None


def _request_code(exc: ValidationError) -> str:
    """``bad_reply_topic`` when only the reply topic is wrong (as for an MQTT 5 response
    topic), else ``bad_request``."""
    errors = exc.errors()
    if all(e["loc"][:1] == ("reply_to",) and e["type"] != "string_type" for e in errors):
        return "bad_reply_topic"
    return "bad_request"


_JSON = json.JSONDecoder()  # what json.loads uses, without its per-call checks


MAX_DEPTH = 64  # nesting a payload may have, whatever the stack depth of its reader
_TOO_DEEP = f"payload nests more than {MAX_DEPTH} levels deep"


def load_json(payload: bytes) -> Any:
    """A payload's JSON document, or BadPayload (``bad_json``) saying why there is none."""
    if not payload.strip():
        raise BadPayload("bad_json", "the payload is empty")
    try:
        if payload[0] and payload[0] < 0x80 and (len(payload) == 1 or payload[1]):
            # What json.loads does with bytes it takes for UTF-8 (no BOM, no NUL in the first
            # two), without its detection of the encoding.
            doc = _JSON.decode(payload.decode("utf-8", "surrogatepass"))
        else:
            doc = json.loads(payload)
    except RecursionError:
        raise BadPayload("bad_json", _TOO_DEEP) from None
    except ValueError as exc:  # also UnicodeDecodeError and ints of more than 4300 digits
        raise BadPayload("bad_json", f"payload is not valid UTF-8 JSON: {exc}") from exc
    # Where json gives up depends on how deep the caller's stack already is; a fixed limit
    # makes the answer the same everywhere. Few brackets cannot nest deeply: no walk then.
    if payload.count(b"[") + payload.count(b"{") > MAX_DEPTH and _deeper_than(doc, MAX_DEPTH):
        raise BadPayload("bad_json", _TOO_DEEP)
    return doc


def _deeper_than(doc: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels in ``doc`` (no recursion)."""
    if not isinstance(doc, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def describe(exc: ValidationError) -> str:
    """A validation error as one line a sender can act on: where, and what was wrong."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        # pydantic puts "Value error, " before the message of a ValueError a validator raised
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
