"""An OpenAI-compatible HTTP API in front of the router: `/v1/chat/completions` and `/v1/models`.

`model: "auto"` lets nanogate route; any other name must be a configured backend's model.
Sampling options every backend can honour (temperature, top_p, stop, seed, the penalties) go
through the router to the backend; OpenAI features nanogate lacks (several choices, tools and
functions, log probabilities, JSON output) are refused with 400 `unsupported_value` (or
`unsupported_parameter`) naming the field, never silently dropped; so are token biases,
audio, reasoning effort, web search, and image or audio parts of a message.
Each API key is billed as the device `key:<name>` of the site `api`, so device and site
budgets apply to API callers too. Errors use OpenAI's JSON shape, so its SDKs show them well.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from cloud_broker.apikeys import ApiKey, ApiKeyStore
from cloud_broker.backends import DEFAULT_SAMPLING, Sampling
from cloud_broker.errors import NoBackendAvailable, OverBudget, RequestRejected
from cloud_broker.escalation import Answer
from cloud_broker.http.auth import bearer_token
from cloud_broker.routing.router import Router

log = structlog.get_logger(__name__)

API_SITE = "api"
# Served past FastAPI's middleware (cloud_broker.http.fastpath): the endpoint takes only the
# request, so keep it that way.
HOT_ROUTES = (("POST", "/v1/chat/completions"),)
# A chat request larger than this is refused before it is read whole (413).
MAX_BODY_BYTES = 4 << 20
_OURS = frozenset({"models", "chat/completions"})
_SAMPLING = frozenset(
    {"temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty"})
# OpenAI features nanogate does not implement: what each asks for, and what a caller may send.
_UNSUPPORTED = {
    "n": ("more than one choice", "send 1 or leave it out"),
    "tools": ("tool calls", "leave it out: answers are text only"),
    "tool_choice": ("tool calls", "send 'none' or leave it out"),
    "functions": ("function calls", "leave it out: answers are text only"),
    "function_call": ("function calls", "send 'none' or leave it out"),
    "logprobs": ("log probabilities", "send false or leave it out"),
    "top_logprobs": ("log probabilities", "send 0 or leave it out"),
    "response_format": ("structured output", "send type 'text' or leave it out"),
    "logit_bias": ("token biases", "leave it out"),
    "audio": ("audio output", "leave it out: answers are text only"),
    "modalities": ("output other than text", "send ['text'] or leave it out"),
    "reasoning_effort": ("a reasoning model's effort", "leave it out"),
    "web_search_options": ("web search", "leave it out"),
}


class ChatMessage(BaseModel):
    """One message of a chat request; content may be text or a list of text parts."""

    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[dict[str, Any]] | None  # required; null only for an assistant's

    @model_validator(mode="after")
    def _said_something(self) -> ChatMessage:
        if self.content is None and self.role != "assistant":
            raise ValueError(f"a {self.role} message needs content (text or text parts)")
        for part in self.content if isinstance(self.content, list) else ():
            if part.get("type") != "text":  # an image or audio answered as if not sent
                raise ValueError(f"a content part of type {part.get('type')!r} is not "
                                 f"supported here: send text parts only")
        return self

    def plain(self) -> dict[str, str]:
        """The message as the backends take it."""
        content = self.content or ""
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
        return {"role": "system" if self.role == "developer" else self.role, "content": content}


class StreamOptions(BaseModel):
    """OpenAI's `stream_options`."""

    model_config = ConfigDict(extra="ignore", strict=True)

    include_usage: bool = False


class ResponseFormat(BaseModel):
    """OpenAI's `response_format`; only `text` is served."""

    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["text", "json_object", "json_schema"]


class ChatRequest(BaseModel):
    """The part of OpenAI's chat-completions request nanogate understands; as OpenAI's
    API does, it takes no `"stream": "yes"` for true and needs a model (`auto` to route).
    The fields of `_UNSUPPORTED` are read only to refuse what they ask for."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    stop: list[str] | None = Field(default=None, max_length=4)  # or one string
    seed: int | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    user: str | None = None  # accepted; nanogate bills by API key
    n: int | None = Field(default=None, ge=1, le=128)
    tools: list[Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    functions: list[Any] | None = None
    function_call: str | dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    response_format: ResponseFormat | None = None
    logit_bias: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    modalities: list[str] | None = None
    reasoning_effort: str | None = None
    web_search_options: dict[str, Any] | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, stop: object) -> object:
        return [stop] if isinstance(stop, str) else stop

    @field_validator(*_UNSUPPORTED)
    @classmethod
    def _refuse_unsupported(cls, value: Any, info: ValidationInfo) -> Any:
        """Only a field that is sent is checked: a request without them pays nothing."""
        name = info.field_name or ""
        if value is None or value in _OFF.get(name, ()) or value in ([], False, 0):
            return value
        what, fix = _UNSUPPORTED[name]
        code = "unsupported_parameter" if name in ("tools", "functions") else "unsupported_value"
        raise PydanticCustomError(code, f"'{name}' asks for {what}, which this gateway does not "
                                  f"support; {fix}.")

    def sampling(self) -> Sampling:
        """The sampling options the request sets (the backends' own for the others)."""
        if _SAMPLING.isdisjoint(self.model_fields_set):
            return DEFAULT_SAMPLING
        return Sampling(self.temperature, self.top_p, tuple(self.stop or ()), self.seed,
                        self.presence_penalty, self.frequency_penalty)


# The values of an unsupported field that ask for nothing (besides null, [], false and 0):
# "auto" with no tools to choose from calls none.
_OFF: dict[str, tuple[object, ...]] = {
    "n": (1,), "tool_choice": ("none", "auto"), "function_call": ("none", "auto"),
    "response_format": (ResponseFormat(type="text"),), "logit_bias": ({},),
    "modalities": (["text"],)}


def openai_error(status: int, message: str, kind: str, code: str | None = None,
                 param: str | None = None) -> JSONResponse:
    """An error response in OpenAI's JSON shape."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def invalid_body(exc: ValidationError) -> JSONResponse:
    """400 for a body that is not a chat request: the first problem, plainly, and its field."""
    err = exc.errors(include_url=False)[0]
    param = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] in ("unsupported_value", "unsupported_parameter"):
        return openai_error(400, err["msg"], "invalid_request_error", err["type"], param)
    if err["type"] == "json_invalid":
        why = (err.get("ctx") or {}).get("error", "")
        return openai_error(400, f"The body is not valid JSON: {why}.", "invalid_request_error")
    said = err["msg"].removeprefix("Value error, ")
    message = (f"Missing required parameter: '{param}'." if err["type"] == "missing"
               else f"Invalid value for '{param or 'body'}': {said}.")
    return openai_error(400, message, "invalid_request_error", param=param)


async def _read_body(request: Request) -> bytes | None:
    """The request's body, or None once it passes MAX_BODY_BYTES (it is not read further)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _usage(answer: Answer) -> dict[str, int]:
    total = answer.input_tokens + answer.output_tokens
    return {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": total,
    }


def _completion_json(answer: Answer, completion_id: str) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(answer),
    }


def _chunk(completion_id: str, model: str, delta: dict[str, str], finish: str | None) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


async def _sse(
    first: str | Answer,
    rest: AsyncIterator[str | Answer],
    completion_id: str,
    request: ChatRequest,
) -> AsyncIterator[str]:
    """The router's stream as OpenAI server-sent events."""
    yield _chunk(completion_id, request.model, {"role": "assistant", "content": ""}, None)
    item: str | Answer = first
    try:
        while isinstance(item, str):
            yield _chunk(completion_id, request.model, {"content": item}, None)
            item = await anext(rest)
    except NoBackendAvailable as exc:
        error = {"error": {"message": str(exc), "type": "server_error", "code": "no_backend"}}
        yield f"data: {json.dumps(error)}\n\n"
        return
    yield _chunk(completion_id, item.model, {}, "stop")
    if request.stream_options and request.stream_options.include_usage:
        usage = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": item.model,
            "choices": [],
            "usage": _usage(item),
        }
        yield f"data: {json.dumps(usage)}\n\n"
    yield "data: [DONE]\n\n"


def openai_routes(router: Router, keys: ApiKeyStore, *, max_tokens_cap: int = 2048) -> APIRouter:
    """The `/v1` routes of the OpenAI-compatible API, checked against `keys`."""
    api = APIRouter(prefix="/v1")

    def bearer(request: Request) -> str:
        return bearer_token(request.headers.get("authorization", ""))

    def caller(request: Request) -> ApiKey | None:  # in the thread pool: it may read the db
        plaintext = bearer(request)
        return keys.verify(plaintext) if plaintext else None

    async def async_caller(request: Request) -> ApiKey | None:
        """The caller's key: remembered, or read in the thread pool, never on the loop."""
        plaintext = bearer(request)
        if not plaintext:
            return None
        if (key := keys.trusted(plaintext)) is not None:
            return key
        return await run_in_threadpool(keys.verify, plaintext)

    def unauthorized() -> JSONResponse:
        message = "Missing or invalid API key: send 'Authorization: Bearer <key>' with a live key."
        return openai_error(401, message, "invalid_request_error", "invalid_api_key")

    @api.get("/models", response_model=None)
    def list_models(request: Request) -> JSONResponse | dict[str, Any]:
        if caller(request) is None:
            return unauthorized()
        names = ["auto", *router.models()]
        return {"object": "list", "data": [_model_json(n) for n in names]}

    @api.get("/models/{name:path}", response_model=None)
    def retrieve_model(name: str, request: Request) -> JSONResponse | dict[str, Any]:
        if caller(request) is None:
            return unauthorized()
        if name != "auto" and name not in router.models():
            return openai_error(404, f"The model {name!r} does not exist here.",
                                "invalid_request_error", "model_not_found", "model")
        return _model_json(name)

    @api.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        key = await async_caller(request)
        if key is None:
            return unauthorized()
        if (raw := await _read_body(request)) is None:
            return openai_error(413, f"The request is larger than {MAX_BODY_BYTES} bytes.",
                                "invalid_request_error", "request_too_large")
        try:  # parsed and checked in one pass, without a dict in between
            body = ChatRequest.model_validate_json(raw)
        except ValidationError as exc:
            return invalid_body(exc)
        if body.model != "auto" and body.model not in router.models():
            known = ", ".join(["auto", *router.models()])
            message = f"The model {body.model!r} does not exist here; use one of: {known}."
            return openai_error(404, message, "invalid_request_error", "model_not_found")
        return await _answer(router, body, key, max_tokens_cap)

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def elsewhere(path: str, request: Request) -> JSONResponse:
        """What OpenAI's API has and this one does not, or a method a route does not take."""
        if path in _OURS:
            return openai_error(405, f"{request.method} is not allowed on /v1/{path}.",
                                "invalid_request_error", "method_not_allowed")
        return openai_error(404, f"/v1/{path[:100]} is not served here; this API serves "
                            "/v1/chat/completions and /v1/models.", "invalid_request_error",
                            "not_found")

    return api


def _model_json(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "nanogate"}


async def _answer(
    router: Router, body: ChatRequest, key: ApiKey, max_tokens_cap: int
) -> JSONResponse | StreamingResponse:
    """Route one validated request and shape the reply, streamed or whole."""
    messages = [m.plain() for m in body.messages]
    max_tokens = min(body.max_completion_tokens or body.max_tokens or 512, max_tokens_cap)
    options: dict[str, Any] = {
        "model": body.model,
        "max_tokens": max_tokens,
        "sampling": body.sampling(),
        "caller": f"key:{key.name}",
        "site": API_SITE,
    }
    completion_id = f"chatcmpl-{secrets.token_hex(12)}"
    try:
        if not body.stream:
            answer = await router.chat(messages, **options)
            return JSONResponse(_completion_json(answer, completion_id))
        stream = router.chat_stream(messages, **options)
        first = await anext(stream)
    except OverBudget as exc:
        return openai_error(429, str(exc), "insufficient_quota", "over_budget")
    except RequestRejected as exc:  # as OpenAI answers a prompt too long for every model
        return openai_error(400, str(exc), "invalid_request_error", exc.code)
    except NoBackendAvailable as exc:
        return openai_error(503, str(exc), "server_error", "no_backend")
    events = _sse(first, stream, completion_id, body)
    return StreamingResponse(events, media_type="text/event-stream")
