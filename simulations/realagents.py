"""Real edge agents in the fleet simulator: subprocesses with the real model, asked over MQTT.

Each agent has its own topic prefix on the Mosquitto at 127.0.0.1:1883 and its own data dir,
and reaches the broker through the simulator's fault proxy. One paho client publishes every
agent's sensor readings and asks the questions with MQTT 5 request/response; a ``queued``
reply is followed by the real answer on the same correlation data, whose time is kept too.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge_agent.outbox import Outbox
from simulations.harness import MQTT_HOST, MQTT_PORT, Daemon, no_delay, write_toml
from simulations.stack import ENROL_TOKEN

SENSORS = (("t-104", "temperature", "zone 3", "Cel"), ("h-104", "humidity", "zone 3", "%RH"),
           ("t-201", "temperature", "zone 5", "Cel"))
OUTBOX_MAX_ITEMS, OUTBOX_MAX_BYTES = 100_000, 64 * 1024 * 1024

EDGE_TOML = """
[gateway]
id = "{name}"
site = "sim"
data_dir = "{data}"
[mqtt]
topic_prefix = "{prefix}"
client_id = "edge-{prefix}"
max_requests_per_min_per_requester = 0
max_escalations_per_min = 0
[cloud]
address = "127.0.0.1:{port}"
enrol_token = "{token}"
escalate_timeout_s = 10
heartbeat_s = 1
[telemetry]
rollup_interval_s = 5
[outbox]
max_items = {max_items}
max_bytes = {max_bytes}
{sensors}
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
max_changes_per_min = 600
"""


@dataclass
class Asked:
    """One request to a real agent and what became of it."""

    agent: int
    sent_s: float  # simulation clock
    hard: bool
    started: float = field(default_factory=time.monotonic)
    route: str = ""  # of the first reply: local | escalated | queued
    latency_ms: float | None = None  # to the first reply
    final_ms: float | None = None  # to the answer (differs from latency_ms when queued)


class RealAgent:
    """One ``edge-agent run`` process with its own prefix, data dir and config."""

    def __init__(self, index: int, folder: Path, proxy_port: int, run_id: str) -> None:
        self.index, self.name = index, f"real-{index:02d}"
        self.prefix = f"fleetsim-{run_id}-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        sensors = "".join(f'[[sensors]]\nid = "{s}"\nkind = "{k}"\narea = "{a}"\nunit = "{u}"\n'
                          for s, k, a, u in SENSORS)
        self.config = write_toml(folder / "edge.toml", EDGE_TOML.format(
            name=self.name, data=folder / "data", prefix=self.prefix, port=proxy_port,
            token=ENROL_TOKEN, sensors=sensors, max_items=OUTBOX_MAX_ITEMS,
            max_bytes=OUTBOX_MAX_BYTES))
        self.daemon = Daemon(["-m", "edge_agent", "run", "--config", str(self.config)],
                             folder / "edge.log")
        self._outbox_path = folder / "data" / "outbox.db"
        self._outbox: Outbox | None = None

    def outbox_depth(self) -> int:
        """Items waiting in the agent's outbox, as ``edge-agent outbox status`` counts them."""
        if self._outbox is None:
            if not self._outbox_path.exists():
                return 0
            self._outbox = Outbox(self._outbox_path, max_items=OUTBOX_MAX_ITEMS,
                                  max_bytes=OUTBOX_MAX_BYTES)
        return self._outbox.status().depth


class Requester:
    """A paho MQTT 5 client: publishes sensor readings and asks, matching replies."""

    def __init__(self, run_id: str) -> None:
        self._reply_root = f"fleetsim-{run_id}/replies"
        self._waiting: dict[bytes, Asked] = {}
        self.done: list[Asked] = []
        self._lock = threading.Lock()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                                   client_id=f"fleetsim-{run_id}")
        self._client.on_message = self._on_message
        self._client.on_socket_open = no_delay
        ready = threading.Event()
        self._client.on_subscribe = lambda *a: ready.set()
        self._client.connect(MQTT_HOST, MQTT_PORT)
        self._client.loop_start()
        self._client.subscribe(f"{self._reply_root}/#", qos=1)
        if not ready.wait(10):
            raise TimeoutError("the MQTT subscription was not acknowledged")

    def ask(self, agent: RealAgent, text: str, asked: Asked) -> None:
        """Send one request to an agent's ask topic."""
        correlation = uuid.uuid4().bytes
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ResponseTopic = f"{self._reply_root}/{agent.index}"
        props.CorrelationData = correlation
        with self._lock:
            self._waiting[correlation] = asked
        payload = json.dumps({"id": correlation.hex()[:12], "text": text})
        self._client.publish(f"{agent.prefix}/sim/ask", payload, qos=1, properties=props)

    def publish_reading(self, agent: RealAgent, sensor: str, value: float, unit: str) -> None:
        """One telemetry reading for one of an agent's sensors."""
        self._client.publish(f"{agent.prefix}/sim/sensors/{sensor}/telemetry",
                             json.dumps({"value": value, "unit": unit}), qos=0)

    def _on_message(self, client: paho.Client, userdata: object,
                    message: paho.MQTTMessage) -> None:
        correlation = getattr(message.properties, "CorrelationData", None)
        try:
            route = str(json.loads(message.payload).get("route", ""))
        except ValueError:
            return
        now = time.monotonic()
        with self._lock:
            asked = self._waiting.get(bytes(correlation or b""))
            if asked is None:
                return
            elapsed = (now - asked.started) * 1000
            if not asked.route:
                asked.route, asked.latency_ms = route, round(elapsed, 2)
            if route != "queued":
                asked.final_ms = round(elapsed, 2)
                self.done.append(self._waiting.pop(bytes(correlation or b"")))

    def unanswered(self) -> list[Asked]:
        """Requests still waiting for their answer."""
        with self._lock:
            return list(self._waiting.values())

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
