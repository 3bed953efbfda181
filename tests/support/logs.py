"""Watching structlog events in tests: every entry, and a signal when a given one arrives."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import structlog


class LogWatch:
    """A structlog processor that keeps every entry and sets ``seen`` on the awaited event."""

    def __init__(self, event: str) -> None:
        self.entries: list[MutableMapping[str, Any]] = []
        self.seen = threading.Event()
        self._event = event

    def __call__(self, logger: Any, method_name: str,
                 event_dict: MutableMapping[str, Any]) -> Any:
        """Keep the entry; signal if it is the one awaited; print nothing."""
        event_dict["log_level"] = method_name
        self.entries.append(event_dict)
        if event_dict.get("event") == self._event:
            self.seen.set()
        raise structlog.DropEvent


@contextlib.contextmanager
def watching(event: str) -> Iterator[LogWatch]:
    """Capture logs (as ``structlog.testing.capture_logs`` does) and watch for ``event``."""
    watch = LogWatch(event)
    processors = structlog.get_config()["processors"]
    saved = processors.copy()
    try:
        processors.clear()
        processors.append(watch)
        structlog.configure(processors=processors)
        yield watch
    finally:
        processors.clear()
        processors.extend(saved)
        structlog.configure(processors=processors)
