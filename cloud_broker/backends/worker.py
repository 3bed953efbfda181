"""Local models in supervised worker processes: the one module that starts, watches and stops them.

Each `llama_cpp` backend runs in its own child (`python -m cloud_broker.backends.worker_main`),
which speaks JSON lines over its stdin and stdout:

    broker -> worker   {"op": "generate", "id": 7, "messages": [...], "max_tokens": 64,
                        "timeout": 30.0, "sampling": {"temperature": 0, "stop": ["\\n"]}}
                       (`sampling`: the options a request sets, if any)
                       {"op": "cancel", "id": 7}   {"op": "ping", "id": 0}
                       {"op": "probe", "id": 1, "timeout": 300.0} (load, run on one token)
    worker -> broker   {"id": 7, "delta": "Par"} ... {"id": 7, "done": [input_tokens,
                        output_tokens]}    {"id": 7, "error": "..."}   {"id": 0, "pong": true}
                       {"id": 7, "error": "...", "rejected": "context_length_exceeded"} (the
                        request itself was refused: `BackendRejected`, not the worker's fault)

The broker health-checks a new worker with a probe (the model loaded and run on one token),
then warms llama.cpp's prompt cache with the escalation prompt (not waited for: a request
sent meanwhile queues behind it in the worker and finds its system prompt evaluated). It pings
the worker while it runs, kills it when it stays silent for `hang_timeout_s`, and restarts it
whenever it exits: at once after a worker that was ready, with a doubling backoff when the
restarted one fails again (or cannot start). A request in flight when its worker dies or hangs
fails at once with `BackendError`, so the router falls back; no request waits on a dead worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from cloud_broker.backends import DEFAULT_SAMPLING, Completion, Message, Sampling, Tool
from cloud_broker.backends.spec import LlamaCppSpec
from cloud_broker.errors import BackendError, BackendRejected, BackendStarting
from cloud_broker.escalation import Escalation
from cloud_broker.routing.prompts import PromptTemplates

log = structlog.get_logger(__name__)

STATES = ("starting", "ready", "restarting", "failed", "stopped")
_STABLE_S = 60.0  # a worker ready this long resets the restart backoff
_LINE_LIMIT = 1 << 20


def _error(backend: str, message: dict[str, Any]) -> BackendError:
    """The error a worker's ``error`` message stands for."""
    text = f"backend {backend!r}: {message['error']}"
    if code := message.get("rejected"):
        return BackendRejected(text, str(code))
    return BackendError(text)


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """What a model worker is doing, for /metrics, the health service and the admin API."""

    backend: str
    state: str  # one of STATES
    pid: int | None
    restarts: int
    last_exit: str  # how the last worker process ended: "SIGSEGV", "exit 1", "" if none has
    reason: str  # why the last start or run failed, "" if none has
    deltas: int  # text pieces received from workers so far (progress, for tests and benchmarks)
    started_at: float | None = None  # Unix time the running worker process started


@dataclass(eq=False)
class _Child:
    """One running worker process and the requests waiting on it."""

    process: asyncio.subprocess.Process
    last_heard: float
    started_at: float = 0.0  # Unix time
    pending: dict[int, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    fault: str = ""  # set when the broker kills it on purpose (a hang)
    ended: str = ""  # how it ended, once its stdout has closed
    next_id: int = 0
    probes: set[int] = field(default_factory=set)  # the warm-up, whose text is not counted

    def open(self) -> tuple[int, asyncio.Queue[dict[str, Any]]]:
        """A new request id and the queue its messages arrive on."""
        self.next_id += 1
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pending[self.next_id] = queue
        return self.next_id, queue

    def send(self, message: dict[str, Any]) -> None:
        """Write one message; a worker that is gone drops it (its reader reports the end)."""
        stdin = self.process.stdin
        if self.ended or stdin is None or stdin.is_closing():
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            stdin.write(json.dumps(message).encode() + b"\n")


def health_check_messages() -> list[Message]:
    """The escalation prompt with a one-word question: the warm-up after a worker is ready.

    Generating one token for it leaves the system prompt in llama.cpp's prefix cache, so the
    first real escalation only evaluates its own question.
    """
    return PromptTemplates.load().messages(Escalation(key="health-check", text="Hello"),
                                           tools=False)


def describe_exit(returncode: int) -> str:
    """'SIGSEGV' for a worker killed by a signal, 'exit N' otherwise."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-returncode).name
        return f"signal {-returncode}"
    return f"exit {returncode}"


class WorkerBackend:
    """A `Backend` whose model runs in a child process the broker supervises."""

    supports_tools = False

    def __init__(self, spec: LlamaCppSpec, *, data_dir: Path,
                 warm_up: list[Message] | None = None) -> None:
        """`warm_up`: the prompt evaluated once a worker is ready (default:
        `health_check_messages`; `[]` for none)."""
        self.name, self.model, self.tier = spec.name, spec.model, spec.tier
        self.price_in_per_1k = spec.price_in_per_1k
        self.price_out_per_1k = spec.price_out_per_1k
        self.timeout_s = spec.timeout_s
        self._spec, self._data_dir = spec, data_dir
        self._warm_up = health_check_messages() if warm_up is None else warm_up
        self._task: asyncio.Task[None] | None = None
        self._child: _Child | None = None
        self._state, self._restarts, self._last_exit, self._reason = "stopped", 0, "", ""
        self._deltas = 0
        self._waiters: list[tuple[Callable[[WorkerStatus], bool], asyncio.Future[WorkerStatus]]]
        self._waiters = []
        self._listeners: list[Callable[[WorkerStatus], None]] = []

    def start(self) -> None:
        """Start supervising the worker (once); needs a running event loop."""
        if self._task is None:
            self._state = "starting"
            self._task = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"worker.{self.name}")
            self._task.add_done_callback(self._supervisor_ended)

    def status(self) -> WorkerStatus:
        """The worker's state now."""
        child = self._child if self._child and not self._child.ended else None
        return WorkerStatus(self.name, self._state, child.process.pid if child else None,
                            self._restarts, self._last_exit, self._reason, self._deltas,
                            child.started_at if child else None)

    def add_listener(self, listener: Callable[[WorkerStatus], None]) -> None:
        """Call `listener` with the new status on every state change."""
        self._listeners.append(listener)

    async def wait_for(self, predicate: Callable[[WorkerStatus], bool],
                       timeout: float | None = None) -> WorkerStatus:
        """The first status `predicate` accepts; `TimeoutError` after `timeout` seconds."""
        if predicate(status := self.status()):
            return status
        future: asyncio.Future[WorkerStatus] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._waiters.remove(entry)

    async def complete(self, messages: list[Message], *, max_tokens: int, timeout: float,
                       tools: list[Tool] | None,
                       sampling: Sampling = DEFAULT_SAMPLING) -> Completion:
        """Generate the whole reply in the worker; `tools` are ignored."""
        async for item in self.stream(messages, max_tokens=max_tokens, timeout=timeout,
                                      tools=tools, sampling=sampling):
            if isinstance(item, Completion):
                return item
        raise BackendError(f"backend {self.name!r} ended without a reply")  # pragma: no cover

    async def stream(self, messages: list[Message], *, max_tokens: int, timeout: float,
                     tools: list[Tool] | None,
                     sampling: Sampling = DEFAULT_SAMPLING) -> AsyncIterator[str | Completion]:
        """Yield the worker's text deltas, then the `Completion`; fail fast if it dies."""
        deadline = asyncio.get_running_loop().time() + timeout
        child = await self._ready(deadline, timeout)
        rid, queue = child.open()
        cap = self._spec.max_tokens or max_tokens  # a small CPU answers within its timeout
        generate = {"op": "generate", "id": rid, "messages": messages,
                    "max_tokens": min(max_tokens, cap), "timeout": timeout}
        if options := sampling.options():
            generate["sampling"] = options
        child.send(generate)
        pieces: list[str] = []
        finished = False
        try:
            while "done" not in (message := await self._next(queue, deadline, timeout)):
                if "error" in message:
                    finished = True
                    raise _error(self.name, message)
                pieces.append(delta := str(message["delta"]))
                yield delta  # no timeout spans this yield: it would cancel the consumer instead
            finished = True
        finally:
            child.pending.pop(rid, None)
            if not finished:
                child.send({"op": "cancel", "id": rid})
        input_tokens, output_tokens = message["done"]
        yield Completion("".join(pieces).strip(), int(input_tokens), int(output_tokens), (),
                         self.model)

    async def aclose(self) -> None:
        """Stop supervising and end the worker (stdin closed, then killed after 5 s)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._child is not None:
            await self._stop(self._child)
        self._set("stopped")

    async def _ready(self, deadline: float, timeout: float) -> _Child:
        """The ready worker; waits while one starts, fails fast while none can answer."""
        self.start()
        if self._state == "starting":
            try:
                async with asyncio.timeout_at(deadline):
                    await self.wait_for(lambda s: s.state != "starting")
            except TimeoutError as exc:
                raise BackendStarting(
                    f"backend {self.name!r} still starting after {timeout:.1f}s") from exc
        if self._state != "ready" or self._child is None or self._child.ended:
            why = f": {self._reason}" if self._reason else ""
            error = BackendError if self._state == "failed" else BackendStarting
            raise error(f"backend {self.name!r} worker is {self._state}{why}")
        return self._child

    async def _next(self, queue: asyncio.Queue[dict[str, Any]], deadline: float,
                    timeout: float) -> dict[str, Any]:
        try:
            async with asyncio.timeout_at(deadline):
                return await queue.get()
        except TimeoutError as exc:
            raise BackendError(f"backend {self.name!r} timed out after {timeout:.1f}s") from exc

    async def _supervise(self) -> None:
        """Start the worker, watch it, restart it; forever, until cancelled.

        A worker that was ready and ends is restarted at once: a one-off crash costs only the
        restart. Another end before the restarted one has run for `_STABLE_S`, or a start that
        fails, waits a doubling backoff, so a crash loop does not spin.
        """
        loop = asyncio.get_running_loop()
        delay, at_once = self._spec.restart_backoff_s, True
        while True:
            child = await self._launch(delay)
            if child is None:
                self._set("failed")
                wait = delay
            else:
                ready_at = loop.time()
                await self._watch(child)
                if loop.time() - ready_at >= _STABLE_S:
                    delay, at_once = self._spec.restart_backoff_s, True
                self._set("restarting")
                wait, at_once = (0.0 if at_once else delay), False
                log.info("worker.restarting", backend=self.name, wait_s=wait,
                         restarts=self._restarts + 1)
            if wait:
                await asyncio.sleep(wait)
                delay = min(max(delay * 2, 0.1), self._spec.restart_backoff_max_s)
            self._restarts += 1

    async def _launch(self, retry_in: float) -> _Child | None:
        """Start a worker and health-check it with a probe."""
        self._set("starting")
        loop = asyncio.get_running_loop()
        started = loop.time()
        command = [sys.executable, "-m", "cloud_broker.backends.worker_main",
                   self._spec.model_dump_json(), str(self._data_dir)]
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                start_new_session=True, limit=_LINE_LIMIT)
        except OSError as exc:
            self._start_failed(f"cannot start the worker process: {exc}", retry_in)
            return None
        child = self._child = _Child(process, last_heard=started, started_at=time.time())
        child.reader = loop.create_task(self._read(child), name=f"worker.{self.name}.read")
        try:
            await self._health_check(child)
        except BackendError as exc:
            await self._stop(child)
            self._start_failed(str(exc), retry_in)
            return None
        log.info("worker.ready", backend=self.name, pid=process.pid, restarts=self._restarts,
                 start_s=round(loop.time() - started, 2))
        if self._warm_up:  # its reply is not waited for; a real request queues behind it
            rid, _ = child.open()
            child.probes.add(rid)
            child.pending.pop(rid)
            child.send({"op": "generate", "id": rid, "messages": self._warm_up, "max_tokens": 1,
                        "timeout": self._spec.start_timeout_s})
        self._set("ready")
        return child

    async def _health_check(self, child: _Child) -> None:
        timeout = self._spec.start_timeout_s
        deadline = asyncio.get_running_loop().time() + timeout
        rid, queue = child.open()
        child.send({"op": "probe", "id": rid, "timeout": timeout})
        try:
            while "done" not in (message := await self._next(queue, deadline, timeout)):
                if "error" in message:
                    raise BackendError(str(message["error"]))
        finally:
            child.pending.pop(rid, None)

    def _start_failed(self, reason: str, retry_in: float) -> None:
        self._reason = reason
        log.error("worker.failed", backend=self.name, reason=reason, restarts=self._restarts,
                  retry_in_s=retry_in)

    async def _read(self, child: _Child) -> None:
        """Hand the worker's messages to their requests; on its end, fail every request."""
        assert child.process.stdout is not None
        loop = asyncio.get_running_loop()
        while line := await child.process.stdout.readline():
            child.last_heard = loop.time()
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                log.warning("worker.garbled", backend=self.name, line=line[:200])
                continue
            if (queue := child.pending.get(int(message.get("id", -1)))) is not None:
                queue.put_nowait(message)
            if "delta" in message and message.get("id") not in child.probes:
                self._deltas += 1
                self._notify()
        returncode = await child.process.wait()
        self._last_exit = describe_exit(returncode)
        child.ended = child.fault or f"worker died ({self._last_exit})"
        for queue in child.pending.values():
            queue.put_nowait({"error": child.ended})

    async def _watch(self, child: _Child) -> None:
        """Ping the worker until it exits; kill it when it stays silent too long."""
        assert child.reader is not None
        loop = asyncio.get_running_loop()
        hang_s = self._spec.hang_timeout_s
        while not child.reader.done():
            child.send({"op": "ping", "id": 0})
            await asyncio.wait({child.reader}, timeout=hang_s / 4)
            silent = loop.time() - child.last_heard
            if silent > hang_s and not child.reader.done():
                child.fault = f"worker hung (silent for {silent:.1f}s, killed)"
                log.error("worker.hung", backend=self.name, pid=child.process.pid,
                          silent_s=round(silent, 1))
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                await child.reader
        self._reason = child.ended
        log.warning("worker.exited", backend=self.name, pid=child.process.pid,
                    exit=self._last_exit, reason=child.ended)

    async def _stop(self, child: _Child) -> None:
        """End a worker: close its stdin (it exits), kill it if it has not after 5 s."""
        if child.process.stdin is not None:
            child.process.stdin.close()
        try:
            async with asyncio.timeout(5.0):
                await child.process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
        if child.reader is not None:
            await child.reader

    def _supervisor_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._reason = f"supervisor crashed: {exc!r}"
            log.error("worker.unsupervised", backend=self.name, error=repr(exc))
            self._set("failed")

    def _set(self, state: str) -> None:
        if state != self._state:
            self._state = state
            status = self.status()
            for listener in self._listeners:
                listener(status)
        self._notify()

    def _notify(self) -> None:
        if not self._waiters:
            return
        status = self.status()
        for predicate, future in self._waiters:
            if not future.done() and predicate(status):
                future.set_result(status)
