"""Fixtures that run nanogate as a user would: real Mosquitto, real processes, real sockets."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import Daemon, FakeOpenAI, MqttProbe, free_port, wait_for_port, write_toml

EDGE_TOML = """
[gateway]
id = "gw-test"
site = "{site}"
data_dir = "{data}"

[mqtt]
topic_prefix = "{prefix}"
client_id = "edge-{prefix}"

[cloud]
transport = "{transport}"
address = "127.0.0.1:{edge_grpc_port}"
mqtt_client_id = "uplink-{prefix}"
mqtt_topic_root = "{prefix}/cloud"
enrol_token = "test-token"
escalate_timeout_s = {escalate_timeout}
heartbeat_s = 1

[telemetry]
rollup_interval_s = 0.5

[[sensors]]
id = "t-104"
kind = "temperature"
area = "zone 3"
unit = "Cel"

[[actuators]]
id = "pump-2"
kind = "pump"
area = "line 2"

[[actuators]]
id = "fan-3"
kind = "fan"
area = "zone 3"
control = "level"
unit = "%"
min = 0
max = 100
"""

BROKER_TOML = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "test-admin-token"

[[enrol_tokens]]
token = "test-token"
site = "{site}"
tags = ["test"]
reusable = true

[mqtt_uplink]
enabled = {uplink}
topic_root = "{prefix}/cloud"

{backends}
"""

FAKE_BACKEND = """
[[backends]]
kind = "openai"
name = "fake-cloud"
base_url = "{base_url}"
model = "fake-large"
tier = 0
timeout_s = 10
price_in_per_1k = 0.001
price_out_per_1k = 0.002
"""

LLAMA_BACKEND = """
[[backends]]
kind = "llama_cpp"
name = "local-gemma"
timeout_s = 120
"""


@dataclass
class Setup:
    """One test's nanogate: topic prefix, ports, config files and the processes."""

    tmp: Path
    prefix: str
    site: str
    grpc_port: int
    http_port: int
    edge_config: Path
    broker_config: Path
    transport: str = "grpc"  # how the edge reaches the broker: "grpc" or "mqtt"

    @property
    def ask_topic(self) -> str:
        """Where requests go."""
        return f"{self.prefix}/{self.site}/ask"

    def telemetry_topic(self, sensor: str) -> str:
        """Where a sensor publishes."""
        return f"{self.prefix}/{self.site}/sensors/{sensor}/telemetry"

    def edge(self) -> Daemon:
        """A new edge-agent process (not started)."""
        return Daemon(["-m", "edge_agent", "run", "--config", str(self.edge_config)],
                      self.tmp / "edge.log")

    def broker(self) -> Daemon:
        """A new cloud-broker process (not started)."""
        return Daemon(["-m", "cloud_broker", "serve", "--config", str(self.broker_config)],
                      self.tmp / "broker.log")


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


def start(processes: list[Daemon], daemon: Daemon, port: int | None = None) -> Daemon:
    """Start a daemon, remember it for clean-up, and wait for its port."""
    processes.append(daemon.start())
    if port is not None:
        wait_for_port(port, timeout=60)
    return daemon


def probe_for(setup: Setup, reply_topic: str) -> MqttProbe:
    """A requester subscribed to its own reply topic."""
    return MqttProbe([reply_topic])
