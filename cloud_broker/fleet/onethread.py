"""The SQLite database's one thread, which runs the calls handed to it in order."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class OneThread:
    """One thread that runs the calls handed to it in order: the SQLite database's.

    SQLite takes one write lock, so more threads writing at once only wait for it and for
    each other (its busy handler sleeps and retries) and pass Python's GIL around: measured,
    a ledger write from an 8-thread pool cost twice its CPU inline, a bare hop 40-60 us
    against 20 here (``python -m simulations.hopcost``; docs/performance.md).
    """

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[], T]) -> asyncio.Future[T]:
        """Queue ``call``; the future (of the running loop) gets its result or error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, future, call))
        return future

    def post(self, call: Callable[[], object]) -> None:
        """Queue ``call`` with nobody waiting for it (an error it raises is dropped)."""
        self._calls.put((None, None, call))

    def shutdown(self, *, last: Callable[[], None] | None = None) -> None:
        """End the thread once the calls queued so far have run, and ``last`` after them."""
        self._calls.put(None if last is None else (None, None, last))
        if last is not None:
            self._calls.put(None)

    def _serve(self) -> None:
        # Each job is run by _run, so nothing of it (its call holds the database) stays
        # referenced from here while the thread waits for the next one.
        while (job := self._calls.get()) is not None:
            self._run(*job)
            del job

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop | None, future: asyncio.Future[Any] | None,
             call: Callable[[], Any]) -> None:
        if loop is None or future is None:  # the last call: nobody waits for it
            with contextlib.suppress(Exception):
                call()
            return
        if future.cancelled():  # the caller gave up before the call started
            return
        try:
            result, error = call(), None
        except BaseException as exc:  # handed to the caller, as an executor does
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
            loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
