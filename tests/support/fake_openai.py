"""The one fake OpenAI-compatible model server the tests use.

A real HTTP server (starlette + uvicorn on 127.0.0.1, port 0) speaking the chat-completions
protocol, plain and streamed; only the model behind it is fake, because a paid cloud model
cannot run on a test machine. Tests change its attributes between requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec
from tests.support.servers import ServerThread


class FakeOpenAI:
    """A chat-completions server on loopback whose answers the test decides.

    - ``mode``: ``ok``, ``error`` (500), ``rate_limited`` (429), ``hang`` (until ``release``)
      or ``too_long`` (400 ``context_length_exceeded``, as OpenAI refuses an oversized prompt);
    - ``context_words``: with ``ok``, a question longer than this many words is ``too_long``;
    - ``reply``: the text of every answer; None numbers them: ``answer_prefix`` + request count;
    - ``input_tokens`` / ``output_tokens``: the usage reported; None counts the question's words;
    - ``tool_calls``: raw OpenAI tool calls put in every answer;
    - ``proposals``: ``set_actuator`` arguments proposed when the request offers tools, as a
      compromised or careless cloud model would;
    - ``requests``: every request body received, in order.
    """

    def __init__(self, *, reply: str | None = None, answer_prefix: str = "cloud answer #",
                 input_tokens: int | None = None, output_tokens: int | None = None) -> None:
        self.mode = "ok"
        self.context_words: int | None = None
        self.reply = reply
        self.answer_prefix = answer_prefix
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.tool_calls: list[dict[str, Any]] = []
        self.proposals: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        self._server = ServerThread(app)
        self.port = self._server.port

    @property
    def url(self) -> str:
        """The server's root URL."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL OpenAI clients use."""
        return self._server.url + "/v1"

    def backend(self, name: str, *, tier: int = 1, timeout_s: float = 5.0,
                price_in: float = 0.0, price_out: float = 0.0) -> OpenAIBackend:
        """An ``OpenAIBackend`` pointed at this server."""
        return OpenAIBackend(OpenAISpec(
            name=name, base_url=self.base_url, model=f"{name}-model", tier=tier,
            timeout_s=timeout_s, price_in_per_1k=price_in, price_out_per_1k=price_out))

    def close(self) -> None:
        """End any hang and stop serving."""
        self.release.set()
        self._server.stop()

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if self.mode == "error":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if self.mode == "rate_limited":
            return JSONResponse({"error": {"message": "slow down"}}, status_code=429)
        words = len(str(body["messages"][-1].get("content", "")).split())
        if self.mode == "too_long" or (self.context_words or words) < words:
            message = (f"This model's maximum context length is {self.context_words or 0} "
                       f"tokens. However, your messages resulted in {words} tokens.")
            error = {"message": message, "type": "invalid_request_error", "param": "messages",
                     "code": "context_length_exceeded"}
            return JSONResponse({"error": error}, status_code=400)
        if self.mode == "hang":
            await anyio.to_thread.run_sync(self.release.wait)
        model = body.get("model", "fake")
        if body.get("stream"):
            return StreamingResponse(self._events(body, model), media_type="text/event-stream")
        return JSONResponse(self._completion(body, model))

    def _text(self) -> str:
        return self.reply if self.reply is not None else f"{self.answer_prefix}{len(self.requests)}"

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        words = len(str(body["messages"][-1].get("content", "")).split())
        prompt = self.input_tokens if self.input_tokens is not None else words + 10
        completion = self.output_tokens if self.output_tokens is not None else 7
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion}

    def _calls(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        calls = list(self.tool_calls)
        if self.proposals and body.get("tools"):
            calls += [{"id": f"call_{n}", "type": "function",
                       "function": {"name": "set_actuator", "arguments": json.dumps(args)}}
                      for n, args in enumerate(self.proposals)]
        return calls

    def _completion(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self._text()}
        if calls := self._calls(body):
            message["tool_calls"] = calls
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
                "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": self._usage(body)}

    async def _events(self, body: dict[str, Any], model: str) -> AsyncIterator[str]:
        for word in self._text().split(" "):
            chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": word + " "}}]}
            yield f"data: {json.dumps(chunk)}\n\n"
        for i, call in enumerate(self._calls(body)):
            delta = {"tool_calls": [{"index": i, **call}]}
            yield f"data: {json.dumps({'model': model, 'choices': [{'delta': delta}]})}\n\n"
        usage = self._usage(body)
        yield f"data: {json.dumps({'model': model, 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"
