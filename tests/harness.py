"""A fake OpenAI-compatible server for tests.

It stands in for a paid cloud API, which cannot run here, and speaks the real protocol on a
loopback socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simulations.harness import (
    Daemon,
    MqttProbe,
    free_port,
    wait_for_port,
    wait_until,
    write_toml,
)

__all__ = ["Daemon", "FakeOpenAI", "MqttProbe", "free_port", "replies", "wait_for_port",
           "wait_until", "write_toml"]


class _FakeOpenAIHandler(BaseHTTPRequestHandler):
    server: FakeOpenAI  # type: ignore[assignment]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append(body)
        question = body["messages"][-1]["content"]
        text = f"{self.server.answer_prefix}{len(self.server.requests)}"
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if self.server.tool_calls and body.get("tools"):
            message["tool_calls"] = [
                {"id": f"call_{n}", "type": "function",
                 "function": {"name": "set_actuator", "arguments": json.dumps(args)}}
                for n, args in enumerate(self.server.tool_calls)]
        doc = {"id": f"chatcmpl-{len(self.server.requests)}", "object": "chat.completion",
               "created": int(time.time()), "model": body.get("model", "fake"),
               "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
               "usage": {"prompt_tokens": len(question.split()) + 10, "completion_tokens": 7,
                         "total_tokens": len(question.split()) + 17}}
        raw = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeOpenAI(ThreadingHTTPServer):
    """A tiny OpenAI-compatible chat-completions server on 127.0.0.1."""

    def __init__(self, answer_prefix: str = "cloud answer #") -> None:
        super().__init__(("127.0.0.1", 0), _FakeOpenAIHandler)
        self.requests: list[dict[str, Any]] = []
        self.answer_prefix = answer_prefix
        # set_actuator calls to propose, as a compromised or careless cloud model would
        self.tool_calls: list[dict[str, Any]] = []
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL clients use."""
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        """Stop serving."""
        self.shutdown()
        self.server_close()


def replies(probe: MqttProbe, n: int, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
    """Yield the next n JSON replies."""
    deadline = time.monotonic() + timeout
    for _ in range(n):
        yield probe.json(max(0.1, deadline - time.monotonic()))
