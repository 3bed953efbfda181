"""An OpenAI-compatible model server on loopback that answers only when the test lets it.

It stands in for a paid cloud model (which cannot run here) and speaks the real protocol.
While ``gate`` is clear every call blocks, so a test can kill the broker in the middle of
one; ``wait_for_calls`` waits until that many calls have arrived.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HELD_AT_MOST_S = 120.0  # a call is never held longer, whatever the test does


class _Handler(BaseHTTPRequestHandler):
    server: GatedModel

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        question = str(body["messages"][-1]["content"])
        number = self.server.arrived(question)
        self.server.gate.wait(_HELD_AT_MOST_S)
        if self.server.delay_s:
            threading.Event().wait(self.server.delay_s)  # fault injection: a slow model
        raw = json.dumps({
            "id": f"chatcmpl-{number}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": f"model answer #{number}"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the broker that asked was killed meanwhile
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class GatedModel(ThreadingHTTPServer):
    """A chat-completions server whose answers wait for ``gate`` (set: answer at once)."""

    daemon_threads = True

    def __init__(self, *, open_gate: bool = False, delay_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.gate = threading.Event()
        if open_gate:
            self.gate.set()
        self.delay_s = delay_s
        self.questions: list[str] = []
        self._changed = threading.Condition()
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL the broker's backend uses."""
        return f"http://127.0.0.1:{self.port}/v1"

    def arrived(self, question: str) -> int:
        """Record one call; returns its number."""
        with self._changed:
            self.questions.append(question)
            self._changed.notify_all()
            return len(self.questions)

    def wait_for_calls(self, n: int, timeout: float = 60.0) -> None:
        """Block until ``n`` calls have arrived in all; TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.questions) >= n, timeout):
                raise TimeoutError(f"{len(self.questions)} model calls, wanted {n}")

    def calls_per(self, texts: list[str]) -> Counter[str]:
        """How many calls quoted each of these texts."""
        with self._changed:
            return Counter(t for t in texts for q in self.questions if t in q)

    def close(self) -> None:
        """Stop serving (held calls are released)."""
        self.gate.set()
        self.shutdown()
        self.server_close()
