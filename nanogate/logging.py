"""How both sides' command lines set up structlog: JSON off a terminal, a console renderer on one.

Lines go to whatever ``sys.stderr`` is when each line is written, never to the stream that
was there at set-up: a command run in-process (as the tests do) may swap stderr and close the
old one, and a logger holding on to it would fail with "I/O operation on closed file". So
``configure_logging`` may run any number of times in one process.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import structlog

_lock = threading.Lock()  # paho's network thread logs too; one line at a time


class StderrLogger:
    """A structlog logger that writes each line to the current ``sys.stderr``."""

    def msg(self, message: str) -> None:
        """Write one rendered line."""
        with _lock:
            stream = sys.stderr
            stream.write(message + "\n")
            stream.flush()

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _stderr_logger(*args: Any) -> StderrLogger:
    return StderrLogger()


def configure_logging(level: str = "info") -> None:
    """Set up structlog for this process at ``level`` (debug, info, warning or error)."""
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if sys.stderr.isatty()
        else structlog.processors.JSONRenderer())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
