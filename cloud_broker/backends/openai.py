"""OpenAI-compatible chat completions, the only module speaking that protocol outward.

The HTTP itself goes through `cloud_broker.backends.wire` (aiohttp's keep-alive pool).
Errors are translated where they enter: 429 becomes `BackendRateLimited`; 400, 413 and 422
(the request itself is bad: most often longer than the model's context) become
`BackendRejected`, which the router holds against the request, not the backend; other HTTP
errors (auth, 5xx, ...), timeouts, broken connections and unreadable bodies become `BackendError`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from cloud_broker.backends import DEFAULT_SAMPLING, Completion, Message, Sampling, Tool, ToolCall
from cloud_broker.backends.spec import OpenAISpec
from cloud_broker.backends.wire import WireError, wire_for
from cloud_broker.errors import (
    BackendError,
    BackendRateLimited,
    BackendRejected,
    rejection_code,
)

# Statuses that say the request is at fault, not the backend (401/403/404 are our config's).
_REJECTED = frozenset({400, 413, 422})


@dataclass
class _StreamState:
    """What the SSE chunks of one reply have said so far."""

    pieces: list[str] = field(default_factory=list)
    calls: dict[int, list[str]] = field(default_factory=dict)  # index -> [name, arguments]
    input_tokens: int = 0
    output_tokens: int = 0
    model: str = ""

    def take_line(self, line: str) -> str | None:
        """Fold one SSE line in; return its text delta, or None at `[DONE]`."""
        if not line.startswith("data:"):
            return ""
        data = line[5:].strip()
        return None if data == "[DONE]" else self.take(json.loads(data))

    def take(self, chunk: dict[str, Any]) -> str:
        """Fold one chunk in and return its text delta."""
        self.model = chunk.get("model") or self.model
        if usage := chunk.get("usage"):
            self.input_tokens = int(usage.get("prompt_tokens") or 0)
            self.output_tokens = int(usage.get("completion_tokens") or 0)
        delta: dict[str, Any] = {}
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            for call in delta.get("tool_calls") or []:
                slot = self.calls.setdefault(int(call.get("index", 0)), ["", ""])
                function = call.get("function") or {}
                slot[0] += function.get("name") or ""
                slot[1] += function.get("arguments") or ""
        text = str(delta.get("content") or "")
        self.pieces.append(text)
        return text

    def completion(self, default_model: str) -> Completion:
        """The finished reply."""
        calls = tuple(ToolCall(name, args) for name, args in self.calls.values())
        text = "".join(self.pieces).strip()
        return Completion(
            text, self.input_tokens, self.output_tokens, calls, self.model or default_model
        )


def parse_completion(body: dict[str, Any], default_model: str) -> Completion:
    """Read a non-streamed chat.completion body."""
    try:
        message = body["choices"][0]["message"]
        usage = body.get("usage") or {}
        calls = tuple(
            ToolCall(c["function"]["name"], c["function"].get("arguments") or "")
            for c in message.get("tool_calls") or []
        )
        return Completion(
            text=str(message.get("content") or "").strip(),
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            tool_calls=calls,
            model=str(body.get("model") or default_model),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise BackendError(f"unreadable chat completion: {exc!r}") from exc


class OpenAIBackend:
    """A model behind an OpenAI-compatible `/chat/completions` endpoint."""

    supports_tools = True

    def __init__(self, spec: OpenAISpec) -> None:
        self.name = spec.name
        self.model = spec.model
        self.price_in_per_1k = spec.price_in_per_1k
        self.price_out_per_1k = spec.price_out_per_1k
        self.tier = spec.tier
        self.timeout_s = spec.timeout_s
        self._spec = spec
        headers = {"Accept": "application/json"}
        if spec.api_key_env and (key := os.environ.get(spec.api_key_env)):
            headers["Authorization"] = f"Bearer {key}"
        self._wire = wire_for(spec.base_url.rstrip("/") + "/chat/completions", headers,
                              max_connections=spec.max_connections, timeout_s=spec.timeout_s)

    async def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> Completion:
        """POST one chat completion and read the whole reply."""
        body = self._body(messages, max_tokens, tools, sampling, stream=False)
        async with self._translated(timeout):
            reply = await self._wire.post(json.dumps(body).encode())
            try:
                data = await reply.read()
            finally:
                await reply.aclose()
            self._raise_for_status(reply.status, data)
            return parse_completion(json.loads(data), self.model)
        raise AssertionError("unreachable")  # pragma: no cover - _translated always raises

    async def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> AsyncIterator[str | Completion]:
        """POST with `stream: true` and yield the SSE deltas, then the `Completion`."""
        body = self._body(messages, max_tokens, tools, sampling, stream=True)
        state = _StreamState()
        deadline = asyncio.get_running_loop().time() + timeout
        # The timeout never spans a `yield`: it would cancel the consumer's code instead.
        async with self._translated(timeout):
            reply = await self._wire.post(json.dumps(body).encode())
        try:
            lines = reply.lines()
            while True:
                async with self._translated(timeout, deadline):
                    if reply.status >= 400:
                        self._raise_for_status(reply.status, await reply.read())
                    line = await anext(lines, None)
                    delta = state.take_line(line) if line is not None else None
                if line is None or delta is None:
                    break
                if delta:
                    yield delta
        finally:
            await reply.aclose()
        yield state.completion(self.model)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._wire.aclose()

    def _body(
        self,
        messages: list[Message],
        max_tokens: int,
        tools: list[Tool] | None,
        sampling: Sampling,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens}
        if self._spec.temperature is not None:  # the config's default; a request's wins
            body["temperature"] = self._spec.temperature
        body.update(sampling.options())
        if tools:
            body["tools"] = tools
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _raise_for_status(self, status: int, body: bytes) -> None:
        if status == 429:
            raise BackendRateLimited(f"backend {self.name!r} is rate-limited (429)")
        if status in _REJECTED:
            text = body[:2000].decode(errors="replace")
            snippet = text[:200].replace("\n", " ")
            raise BackendRejected(f"backend {self.name!r} refused the request ({status}): "
                                  f"{snippet}", rejection_code(text))
        if status >= 400:
            snippet = body[:200].decode(errors="replace").replace("\n", " ")
            raise BackendError(f"backend {self.name!r} answered {status}: {snippet}")

    @asynccontextmanager
    async def _translated(
        self, timeout: float, deadline: float | None = None
    ) -> AsyncIterator[None]:
        """Bound the exchange by `timeout` (or `deadline`) and turn library errors into ours."""
        try:
            when = deadline or asyncio.get_running_loop().time() + timeout
            async with asyncio.timeout_at(when):
                yield
        except TimeoutError as exc:
            raise BackendError(f"backend {self.name!r} timed out after {timeout:.1f}s") from exc
        except WireError as exc:
            raise BackendError(f"backend {self.name!r} unreachable: {exc!r}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BackendError(f"backend {self.name!r} sent invalid JSON: {exc}") from exc
