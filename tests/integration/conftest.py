"""Fixtures that run nanogate as a user would: real Mosquitto, real processes, real sockets."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.fleet import pg_dsn
from tests.support.processes import Daemon, free_port, write_toml
from tests.support.stack import BROKER_TOML, EDGE_TOML, Setup

__all__ = ["fake_cloud", "make_setup", "pg_dsn", "processes"]


@pytest.fixture
def fake_cloud() -> Iterator[FakeOpenAI]:
    """An OpenAI-compatible server on loopback, standing in for a paid API."""
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def make_setup(tmp_path: Path) -> Callable[..., Setup]:
    """Write configs for one test with a unique topic prefix and free ports."""

    def make(backends: str, escalate_timeout: float = 20.0, transport: str = "grpc") -> Setup:
        prefix = f"ngtest-{uuid.uuid4().hex[:10]}"
        grpc_port, http_port = free_port(), free_port()
        values = {"site": "lab", "prefix": prefix, "grpc_port": grpc_port,
                  "http_port": http_port, "escalate_timeout": escalate_timeout,
                  "transport": transport, "uplink": str(transport == "mqtt").lower(),
                  # Over MQTT the edge's gRPC address leads nowhere: only MQTT can work.
                  "edge_grpc_port": free_port() if transport == "mqtt" else grpc_port}
        edge = write_toml(tmp_path / "edge.toml",
                          EDGE_TOML.format(data=tmp_path / "edge", **values))
        broker = write_toml(tmp_path / "broker.toml", BROKER_TOML.format(
            data=tmp_path / "broker", backends=backends, **values))
        return Setup(tmp_path, prefix, "lab", grpc_port, http_port, edge, broker, transport)

    return make


@pytest.fixture
def processes() -> Iterator[list[Daemon]]:
    """Daemons to stop at the end of the test, whatever happens."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop()
