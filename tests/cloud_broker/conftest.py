"""Shared fixtures for the broker tests: fake model servers on loopback, a free port, and the
fleet fixtures of ``tests.support.fleet`` (a settable clock, stores on SQLite and PostgreSQL).

The fake model server (tests.support.fake_openai) is real HTTP on 127.0.0.1; only the model
behind it is fake, because a real cloud model cannot run on a test machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.fleet import clock, open_store, pg_dsn, store

__all__ = ["clock", "endpoints", "free_port", "open_store", "pg_dsn", "store"]


@pytest.fixture
def endpoints() -> Iterator[list[FakeOpenAI]]:
    """Two fake model servers on loopback."""
    running = [FakeOpenAI(reply="The kitchen is at 21 degrees.", input_tokens=42,
                          output_tokens=9) for _ in range(2)]
    yield running
    for endpoint in running:
        endpoint.close()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
