"""The OpenAI-compatible API, driven by the official `openai` SDK over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import APIRouter, FastAPI, Request
from openai.types.chat import ChatCompletionMessageParam

from cloud_broker.apikeys import SqliteApiKeyStore
from cloud_broker.http.fastpath import FastPath
from cloud_broker.http.openai import HOT_ROUTES, openai_routes
from cloud_broker.routing.ledger import SqliteUsageLedger
from cloud_broker.routing.router import Router, RoutingPolicy
from tests.support.fake_openai import FakeOpenAI
from tests.support.servers import ServerThread

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello?"}]


@dataclass
class Api:
    """A running broker API, its key store and a valid key."""

    server: ServerThread
    keys: SqliteApiKeyStore
    key: str
    ledger: SqliteUsageLedger
    clients: list[openai.OpenAI] = field(default_factory=list)

    def client(self, key: str | None = None) -> openai.OpenAI:
        """An SDK client without retries, so refusals surface at once."""
        client = openai.OpenAI(
            base_url=self.server.url + "/v1", api_key=key or self.key, max_retries=0, timeout=10
        )
        self.clients.append(client)
        return client

    def stop(self) -> None:
        """Stop the server and close what it held: clients, the ledger and the key store (each
        store keeps a thread and SQLite files open; a suite of these must not pile them up)."""
        self.server.stop()
        for client in self.clients:
            client.close()
        self.ledger.close()
        self.keys.close()


def _serve(tmp_path: Path, endpoint: FakeOpenAI, *, fast_path: bool = True,
           **policy: object) -> Api:
    ledger = SqliteUsageLedger(tmp_path / "usage.sqlite")
    router = Router([endpoint.backend("remote")], ledger, RoutingPolicy.model_validate(policy))
    keys = SqliteApiKeyStore(tmp_path / "keys.sqlite")
    _, plaintext = keys.create("alice")
    app, routes = FastAPI(), openai_routes(router, keys)
    app.include_router(routes)
    served = FastPath(app, [routes], HOT_ROUTES) if fast_path else app  # as the broker serves
    return Api(ServerThread(served), keys, plaintext, ledger)


@pytest.fixture(params=[True, False], ids=["fast_path", "through_fastapi"])
def api(tmp_path: Path, endpoints: list[FakeOpenAI], request: pytest.FixtureRequest
        ) -> Iterator[Api]:
    """The API in front of one fake model server, served as the broker does and by FastAPI."""
    running = _serve(tmp_path, endpoints[0], fast_path=request.param)
    yield running
    running.stop()


def test_chat_completion_answers_with_usage(api: Api) -> None:
    """A plain chat completion returns the backend's text, model and token counts."""
    reply = api.client().chat.completions.create(model="auto", messages=HELLO)
    assert reply.choices[0].message.content == "The kitchen is at 21 degrees."
    assert reply.model == "remote-model"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (42, 9)


def test_chat_completion_streams(api: Api) -> None:
    """Streaming delivers the text in chunks and usage in the last one."""
    chunks = list(
        api.client().chat.completions.create(
            model="remote-model",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "The kitchen is at 21 degrees."
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 51


def test_models_lists_auto_and_configured_models(api: Api) -> None:
    """`/v1/models` lists "auto" and each backend's model."""
    assert [m.id for m in api.client().models.list()] == ["auto", "remote-model"]


def test_bad_or_revoked_key_is_401(api: Api) -> None:
    """An unknown or revoked key gets 401 in OpenAI's error shape."""
    with pytest.raises(openai.AuthenticationError, match="invalid API key") as refused:
        api.client("ng-wrong").models.list()
    assert refused.value.code == "invalid_api_key"
    (key,) = api.keys.list()
    api.keys.revoke(key.id)
    with pytest.raises(openai.AuthenticationError):
        api.client().chat.completions.create(model="auto", messages=HELLO)


def test_over_budget_is_429_with_a_clear_message(
    tmp_path: Path, endpoints: list[FakeOpenAI]
) -> None:
    """A spent per-key budget answers 429 saying which budget and when it resets."""
    budget = {"scope": "device", "id": "key:alice", "max_tokens": 10}
    running = _serve(tmp_path, endpoints[0], budgets=[budget])
    try:
        client = running.client()
        client.chat.completions.create(model="auto", messages=HELLO)
        with pytest.raises(openai.RateLimitError, match="device 'key:alice' has spent"):
            client.chat.completions.create(model="auto", messages=HELLO)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="auto", messages=HELLO, stream=True)
    finally:
        running.stop()
    assert len(endpoints[0].requests) == 1


def test_no_backend_is_503_and_unknown_model_404(api: Api, endpoints: list[FakeOpenAI]) -> None:
    """All backends failing gives 503; a model nobody serves gives 404."""
    endpoints[0].mode = "error"
    with pytest.raises(openai.InternalServerError, match="no backend could answer"):
        api.client().chat.completions.create(model="auto", messages=HELLO)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        api.client().chat.completions.create(model="gpt-9", messages=HELLO)


def test_api_calls_are_billed_to_the_key(api: Api) -> None:
    """Usage through the API lands in the ledger under the key's name."""
    api.client().chat.completions.create(model="auto", messages=HELLO)
    assert api.ledger.spend(since=0, device="key:alice").tokens == 51


def test_a_hot_route_must_be_an_async_endpoint_of_the_request_alone() -> None:
    """FastPath refuses, at start, an endpoint it could not call without FastAPI."""
    routes = APIRouter()

    @routes.post("/hot")
    async def hot(request: Request, name: str) -> dict[str, str]:
        return {"name": name}

    app = FastAPI()
    app.include_router(routes)
    with pytest.raises(TypeError, match="POST /hot"):
        FastPath(app, [routes], [("POST", "/hot")])
    with pytest.raises(LookupError, match="GET /cold"):
        FastPath(app, [routes], [("GET", "/cold")])


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_prompt_too_long_is_400_and_leaves_the_breaker_closed(
    api: Api, endpoints: list[FakeOpenAI], stream: bool
) -> None:
    """Oversized prompts get OpenAI's 400 `context_length_exceeded`, as many as are sent,
    and the backend still answers the next caller (its breaker never opens)."""
    endpoints[0].context_words = 100
    oversized: list[ChatCompletionMessageParam] = [{"role": "user", "content": "word " * 5000}]
    for _ in range(5):  # the breaker's threshold is 3
        with pytest.raises(openai.BadRequestError) as refused:
            api.client().chat.completions.create(model="auto", messages=oversized,
                                                 stream=stream)
        assert refused.value.code == "context_length_exceeded"
        assert refused.value.status_code == 400
        error = refused.value.body
        assert isinstance(error, dict) and error["type"] == "invalid_request_error"
        assert "maximum context length" in error["message"]
    assert len(endpoints[0].requests) == 5  # never retried on the same backend
    reply = api.client().chat.completions.create(model="auto", messages=HELLO)
    assert reply.choices[0].message.content == "The kitchen is at 21 degrees."


@pytest.mark.parametrize("body, param, says", [
    pytest.param(b"{not json", None, "not valid JSON", id="bad-json"),
    pytest.param(b"[1, 2]", None, "Invalid value for 'body'", id="array"),
    pytest.param(b'{"messages": [{"role": "user", "content": "hi"}]}', "model",
                 "Missing required parameter: 'model'", id="no-model"),
    pytest.param(b'{"model": "auto", "messages": []}', "messages", "at least 1", id="no-messages"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "wizard", "content": "hi"}]}',
                 "messages.0.role", "Invalid value", id="bad-role"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], '
                 b'"stream": "yes"}', "stream", "valid boolean", id="stream-as-text"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], '
                 b'"max_tokens": -1}', "max_tokens", "greater than or equal to 1",
                 id="negative-max-tokens"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "user", "content": "\xff"}]}',
                 None, "not valid JSON", id="invalid-utf8"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "user"}]}', "messages.0.content",
                 "Missing required parameter", id="no-content"),
    pytest.param(b'{"model": "auto", "messages": [{"role": "user", "content": null}]}',
                 "messages.0", "a user message needs content", id="null-content"),
])
def test_a_malformed_request_is_400_in_openai_shape_naming_the_field(
        api: Api, endpoints: list[FakeOpenAI], body: bytes, param: str | None,
        says: str) -> None:
    """400 with OpenAI's error object: a plain message, the field in `param`, no pydantic
    internals (URLs, input echoes); nothing reaches the model."""
    reply = httpx.post(api.server.url + "/v1/chat/completions", content=body, timeout=10,
                       headers={"Authorization": f"Bearer {api.key}",
                                "Content-Type": "application/json"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert says in error["message"]
    assert "pydantic" not in error["message"] and "input_value" not in error["message"]
    assert endpoints[0].requests == []


def test_a_body_past_the_limit_is_413_unread(api: Api, endpoints: list[FakeOpenAI]) -> None:
    """A chat request of more than MAX_BODY_BYTES is refused with 413, declared or streamed."""
    from cloud_broker.http.openai import MAX_BODY_BYTES

    text = "a" * (MAX_BODY_BYTES + 1)
    body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": text}]})
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    url = api.server.url + "/v1/chat/completions"
    declared = httpx.post(url, content=body.encode(), headers=headers, timeout=30)
    streamed = httpx.post(url, content=iter([body.encode()]), headers=headers, timeout=30)
    for reply in (declared, streamed):
        assert reply.status_code == 413
        assert reply.json()["error"]["code"] == "request_too_large"
    assert endpoints[0].requests == []


def test_models_retrieve_and_unserved_paths_answer_in_openai_shape(api: Api) -> None:
    """`models.retrieve` works; other OpenAI endpoints are 404 and wrong methods 405, each
    an OpenAI error object the SDK raises as such."""
    client = api.client()
    assert client.models.retrieve("remote-model").id == "remote-model"
    with pytest.raises(openai.NotFoundError) as unknown:
        client.models.retrieve("gpt-9")
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError, match="not served here"):
        client.embeddings.create(model="auto", input="hi")
    wrong = httpx.get(api.server.url + "/v1/chat/completions",
                      headers={"Authorization": f"Bearer {api.key}"}, timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_lowercase_bearer_scheme_is_accepted(api: Api) -> None:
    """`authorization: bearer <key>` is the same key (RFC 7235: the scheme has no case)."""
    reply = httpx.get(api.server.url + "/v1/models", timeout=10,
                      headers={"authorization": f"bearer {api.key}"})
    assert reply.status_code == 200 and reply.json()["data"][0]["id"] == "auto"


SAMPLING = {"temperature": 0, "top_p": 0.5, "seed": 7, "presence_penalty": 0.5,
            "frequency_penalty": -0.5}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_sampling_options_reach_the_backend(api: Api, endpoints: list[FakeOpenAI],
                                            stream: bool) -> None:
    """temperature, top_p, stop, seed and the penalties reach the model as sent (one stop
    string as a list); `user` is accepted and kept here."""
    reply = api.client().chat.completions.create(
        model="auto", messages=HELLO, stop="\n", user="bob", stream=stream, temperature=0,
        top_p=0.5, seed=7, presence_penalty=0.5, frequency_penalty=-0.5)
    if stream:
        list(reply)
    api.client().chat.completions.create(model="auto", messages=HELLO, stop=["\n", "END"],
                                         stream=stream)
    first, second = endpoints[0].requests
    assert {name: first.get(name) for name in SAMPLING} == SAMPLING
    assert first["stop"] == ["\n"] and "user" not in first
    assert second["stop"] == ["\n", "END"]
    assert not {*SAMPLING, "user"} & second.keys()  # unsent options stay the model's own


@pytest.mark.parametrize("option, param", [
    pytest.param({"temperature": 2.5}, "temperature", id="temperature"),
    pytest.param({"top_p": 1.5}, "top_p", id="top_p"),
    pytest.param({"presence_penalty": -2.5}, "presence_penalty", id="presence_penalty"),
    pytest.param({"frequency_penalty": 3}, "frequency_penalty", id="frequency_penalty"),
    pytest.param({"stop": ["a", "b", "c", "d", "e"]}, "stop", id="five-stops"),
])
def test_sampling_options_out_of_range_are_400(api: Api, endpoints: list[FakeOpenAI],
                                               option: dict[str, object], param: str) -> None:
    """Out of OpenAI's ranges is a 400 naming the field; nothing reaches the model."""
    with pytest.raises(openai.BadRequestError) as refused:
        api.client().chat.completions.create(model="auto", messages=HELLO, **option)  # type: ignore[call-overload]
    assert refused.value.param == param and f"'{param}'" in refused.value.message
    assert endpoints[0].requests == []


TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("option", [
    pytest.param({"n": 2}, id="n"),
    pytest.param({"tools": [TOOL]}, id="tools"),
    pytest.param({"tool_choice": "required"}, id="tool_choice"),
    pytest.param({"functions": [TOOL["function"]]}, id="functions"),
    pytest.param({"function_call": {"name": "f"}}, id="function_call"),
    pytest.param({"logprobs": True}, id="logprobs"),
    pytest.param({"top_logprobs": 2}, id="top_logprobs"),
    pytest.param({"response_format": {"type": "json_object"}}, id="json_object"),
    pytest.param({"response_format": SCHEMA}, id="json_schema"),
    pytest.param({"logit_bias": {"50256": -100}}, id="logit_bias"),
    pytest.param({"audio": {"voice": "alloy", "format": "wav"}}, id="audio"),
    pytest.param({"modalities": ["text", "audio"]}, id="modalities"),
    pytest.param({"reasoning_effort": "high"}, id="reasoning_effort"),
    pytest.param({"web_search_options": {}}, id="web_search_options"),
])
def test_features_this_gateway_lacks_are_refused_naming_them(
        api: Api, endpoints: list[FakeOpenAI], option: dict[str, object], stream: bool) -> None:
    """Several choices, tools, functions, log probabilities and JSON output are a 400 that
    names the parameter and says it is not supported here; nothing reaches the model."""
    (param,) = option
    with pytest.raises(openai.BadRequestError) as refused:
        api.client().chat.completions.create(  # type: ignore[call-overload]
            model="auto", messages=HELLO, stream=stream, **option)
    error = refused.value
    assert (error.param, error.type) == (param, "invalid_request_error")
    assert error.code in ("unsupported_value", "unsupported_parameter")
    assert f"'{param}'" in error.message and "not support" in error.message
    assert endpoints[0].requests == []


def test_the_off_values_of_those_features_are_accepted(api: Api,
                                                       endpoints: list[FakeOpenAI]) -> None:
    """n=1, tool_choice "none" (or "auto" with no tools), a text response_format and
    logprobs false ask for nothing missing: answered, and none of them is passed on."""
    for choice in ("none", "auto"):
        reply = api.client().chat.completions.create(
            model="auto", messages=HELLO, n=1, tool_choice=choice, logprobs=False,
            response_format={"type": "text"})
        assert reply.choices[0].message.content == "The kitchen is at 21 degrees."
    for sent in endpoints[0].requests:
        assert not {"n", "tools", "tool_choice", "logprobs", "response_format"} & sent.keys()


def test_chat_answers_are_never_cached_so_sampling_needs_no_cache_key(
        tmp_path: Path, endpoints: list[FakeOpenAI]) -> None:
    """With the answer cache on, the same /v1 request twice is sampled twice by the model."""
    running = _serve(tmp_path, endpoints[0], cache_ttl_s=300)
    try:
        for _ in range(2):
            running.client().chat.completions.create(model="auto", messages=HELLO,
                                                     temperature=1.5)
    finally:
        running.stop()
    assert [r["temperature"] for r in endpoints[0].requests] == [1.5, 1.5]


def test_an_image_in_a_message_is_refused_not_dropped(api: Api,
                                                      endpoints: list[FakeOpenAI]) -> None:
    """"What is in this picture?" with an image part is a 400 naming the part's type: it is
    not answered as if the image had not been sent. Text parts are read as before."""
    image = [{"type": "text", "text": "what is in this picture?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    with pytest.raises(openai.BadRequestError) as refused:
        api.client().chat.completions.create(
            model="auto", messages=[{"role": "user", "content": image}])  # type: ignore[misc,list-item]
    assert "'image_url'" in refused.value.message and "text parts" in refused.value.message
    assert endpoints[0].requests == []
    api.client().chat.completions.create(
        model="auto", messages=[{"role": "user", "content": image[:1]}])  # type: ignore[misc,list-item]
    assert len(endpoints[0].requests) == 1


def test_options_that_ask_for_nothing_are_accepted(api: Api, endpoints: list[FakeOpenAI]) -> None:
    """An empty token bias and text-only modalities, as some clients always send, pass."""
    api.client().chat.completions.create(model="auto", messages=HELLO, logit_bias={},
                                         modalities=["text"])
    assert len(endpoints[0].requests) == 1
