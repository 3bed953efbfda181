"""Shared fixtures: a tiny OpenAI-compatible model server on loopback, servers in threads.

The fake model server is a real HTTP server (starlette + uvicorn on 127.0.0.1, port 0); only
the model behind it is fake, because a real cloud model cannot run on a test machine.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec


@dataclass
class FakeModel:
    """What the fake server answers; tests change `mode` between requests."""

    mode: str = "ok"  # ok | error | rate_limited | hang
    reply: str = "The kitchen is at 21 degrees."
    input_tokens: int = 42
    output_tokens: int = 9
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends a hang


def _completion(fake: FakeModel, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": fake.reply}
    if fake.tool_calls:
        message["tool_calls"] = fake.tool_calls
    usage = {"prompt_tokens": fake.input_tokens, "completion_tokens": fake.output_tokens}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    return {
        "id": "x",
        "object": "chat.completion",
        "model": model,
        "choices": [choice],
        "usage": usage,
    }


async def _events(fake: FakeModel, model: str) -> Any:
    for word in fake.reply.split(" "):
        chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": word + " "}}]}
        yield f"data: {json.dumps(chunk)}\n\n"
    for i, call in enumerate(fake.tool_calls):
        delta = {"tool_calls": [{"index": i, **call}]}
        yield f"data: {json.dumps({'model': model, 'choices': [{'delta': delta}]})}\n\n"
    usage = {"prompt_tokens": fake.input_tokens, "completion_tokens": fake.output_tokens}
    yield f"data: {json.dumps({'model': model, 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


def fake_model_app(fake: FakeModel) -> Starlette:
    """An OpenAI-compatible `/v1/chat/completions` that does what `fake.mode` says."""

    async def chat(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(body)
        if fake.mode == "error":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if fake.mode == "rate_limited":
            return JSONResponse({"error": {"message": "slow down"}}, status_code=429)
        if fake.mode == "hang":
            await anyio.to_thread.run_sync(fake.release.wait)
        if body.get("stream"):
            return StreamingResponse(_events(fake, body["model"]), media_type="text/event-stream")
        return JSONResponse(_completion(fake, body["model"]))

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


class ServerThread:
    """Serve an ASGI app on 127.0.0.1 from a thread; the socket is bound before it starts."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        # accepted sockets inherit this; without it Nagle + delayed ACK add 40 ms a reply
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, args=([self._socket],))
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Shut down and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@dataclass
class FakeEndpoint:
    """A running fake model server."""

    fake: FakeModel
    server: ServerThread

    def backend(
        self,
        name: str,
        *,
        tier: int = 1,
        timeout_s: float = 5.0,
        price_in: float = 0.0,
        price_out: float = 0.0,
    ) -> OpenAIBackend:
        """An `OpenAIBackend` pointed at this server."""
        spec = OpenAISpec(
            name=name,
            base_url=self.server.url + "/v1",
            model=f"{name}-model",
            tier=tier,
            timeout_s=timeout_s,
            price_in_per_1k=price_in,
            price_out_per_1k=price_out,
        )
        return OpenAIBackend(spec)


@pytest.fixture
def endpoints() -> Iterator[list[FakeEndpoint]]:
    """Two fake model servers on loopback."""
    running = []
    for _ in range(2):
        fake = FakeModel()
        running.append(FakeEndpoint(fake, ServerThread(fake_model_app(fake))))
    yield running
    for endpoint in running:
        endpoint.fake.release.set()
        endpoint.server.stop()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
