"""A real model worker supervised from an event loop of its own, on a thread, so a broker app
served from another thread (``ServerThread``) can show its state as ``app.py`` wires it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from cloud_broker.backends.worker import WorkerBackend, WorkerStatus

T = TypeVar("T")


class WorkerThread:
    """Supervises `worker` on a thread's event loop until `stop`."""

    def __init__(self, worker: WorkerBackend) -> None:
        self.worker = worker
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"worker-loop-{worker.name}")
        self._thread.start()
        self._call(self._start(), 10)

    async def _start(self) -> None:
        self.worker.start()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def statuses(self) -> list[WorkerStatus]:
        """The worker's status, read on its own loop (what the dashboard calls)."""
        async def read() -> list[WorkerStatus]:
            return [self.worker.status()]
        return self._call(read(), 10)

    def wait_for(self, predicate: Callable[[WorkerStatus], bool],
                 timeout: float) -> WorkerStatus:
        """The first status `predicate` accepts; `TimeoutError` after `timeout` seconds."""
        return self._call(self.worker.wait_for(predicate, timeout), timeout + 5)

    def stop(self) -> None:
        """End the worker process and the loop."""
        self._call(self.worker.aclose(), 30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
