"""Model backends behind one seam: the router talks to `Backend`, never to a library.

Each backend translates its library's errors where they enter (`BackendError`,
`BackendRateLimited` from `cloud_broker.errors`), so the router can fall back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cloud_broker.backends.spec import BackendSpec, LlamaCppSpec, OpenAISpec

__all__ = [
    "DEFAULT_SAMPLING",
    "Backend",
    "BackendSpec",
    "Completion",
    "LlamaCppSpec",
    "OpenAISpec",
    "Sampling",
    "ToolCall",
    "build_backends",
]

Message = dict[str, str]
Tool = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call a model asked for; `arguments` is the raw JSON text it wrote."""

    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Completion:
    """One finished model reply with the token counts the backend reported."""

    text: str
    input_tokens: int
    output_tokens: int
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = ""


@dataclass(frozen=True, slots=True)
class Sampling:
    """How a request asks the model to pick its tokens; None (no stop) keeps the backend's own.

    The names are OpenAI's, which llama.cpp's completion call shares, so `options()` goes to
    either as it is.
    """

    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None

    def options(self) -> dict[str, Any]:
        """The options this request sets, by name (`stop` as a list)."""
        chosen: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
        }
        options = {name: value for name, value in chosen.items() if value is not None}
        if self.stop:
            options["stop"] = list(self.stop)
        return options

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Sampling:
        """The sampling `options()` described (how it crosses to a model worker)."""
        return cls(**{**options, "stop": tuple(options.get("stop") or ())})


DEFAULT_SAMPLING = Sampling()  # every backend's own settings


@runtime_checkable
class Backend(Protocol):
    """A model the router can send chat messages to."""

    name: str
    model: str
    price_in_per_1k: float
    price_out_per_1k: float
    tier: int
    timeout_s: float
    supports_tools: bool

    async def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> Completion:
        """Return the whole reply, or raise `BackendError` within `timeout` seconds."""
        ...

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> AsyncIterator[str | Completion]:
        """Yield text deltas, then one final `Completion` with the whole reply."""
        ...

    async def aclose(self) -> None:
        """Release connections and models."""
        ...


def build_backends(specs: Sequence[BackendSpec], *, data_dir: Path | None = None) -> list[Backend]:
    """Create the backends a config lists, in order; local models get a worker process each.

    A worker starts on `start()` (the broker calls it at start-up) or on first use.
    """
    from cloud_broker.backends.llama_cpp import default_data_dir
    from cloud_broker.backends.openai import OpenAIBackend
    from cloud_broker.backends.worker import WorkerBackend

    backends: list[Backend] = []
    for spec in specs:
        if isinstance(spec, LlamaCppSpec):
            backends.append(WorkerBackend(spec, data_dir=data_dir or default_data_dir()))
        else:
            backends.append(OpenAIBackend(spec))
    return backends
