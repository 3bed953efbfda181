"""One integration test's nanogate: configs with a unique topic prefix, free ports, processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import Daemon, MqttProbe, wait_for_port

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


def start(processes: list[Daemon], daemon: Daemon, port: int | None = None) -> Daemon:
    """Start a daemon, remember it for clean-up, and wait for its port."""
    processes.append(daemon.start())
    if port is not None:
        wait_for_port(port, timeout=60)
    return daemon


def probe_for(setup: Setup, reply_topic: str) -> MqttProbe:
    """A requester subscribed to its own reply topic."""
    return MqttProbe([reply_topic])
