"""A running broker and gateway, watched by one client on the replies and every actuator topic.

The client sees each command the gateway publishes before the reply that reports it, so a test
can say which devices one request moved. The suite's gateway (t-104; pump-2 on line 2; fan-3 in
zone 3) gets four more actuators; the fake cloud model can propose moving every one of them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, MqttProbe
from tests.support.stack import FAKE_BACKEND, Setup, start

# Added to the suite's gateway (t-104; pump-2 on line 2; fan-3 in zone 3, level 0-100).
MORE_ACTUATORS = """
[[actuators]]
id = "valve-1"
kind = "valve"
area = "line 1"

[[actuators]]
id = "heater-4"
kind = "heater"
area = "hall"
control = "level"
min = 10
max = 30

[[actuators]]
id = "pump-5"
kind = "pump"
area = "line 3"

[[actuators]]
id = "pump-6"
kind = "pump"
area = "line 3"
"""

# (id, kind, number, area, a value it accepts)
REAL = [("pump-2", "pump", 2, "line 2", "on"), ("fan-3", "fan", 3, "zone 3", 40.0),
        ("valve-1", "valve", 1, "line 1", "open"), ("heater-4", "heater", 4, "hall", 20.0),
        ("pump-5", "pump", 5, "line 3", "off"), ("pump-6", "pump", 6, "line 3", "on")]
UNLIMITED = {"NANOGATE_EDGE_MQTT__MAX_REQUESTS_PER_MIN_PER_REQUESTER": "0"}
# The fake cloud model proposes real device ids, so it must be sent them: [privacy] hides
# them by default (test_privacy covers that, and placeholders in actions).
SEE_NAMES = "\n[privacy]\nnames = false\n"


@dataclass
class Gateway:
    """A running broker and gateway, and one client on the replies and every actuator."""

    setup: Setup
    edge: Daemon
    probe: MqttProbe
    reply_topic: str
    asked: int = 0

    def ask(self, text: str, **extra: Any) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """The reply to one request and the actuator commands published before it."""
        request_id = uuid.uuid4().hex[:10]
        self.asked += 1
        self.probe.publish(self.setup.ask_topic,
                           json.dumps({"id": request_id, "text": text, **extra}),
                           response_topic=self.reply_topic, correlation=request_id.encode())
        return self.reply(request_id)

    def reply(self, request_id: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """Collect actuator commands until the reply with this id (or a later one) arrives."""
        commands: list[tuple[str, Any]] = []
        while True:
            message = self.probe.next(timeout=60)
            body = json.loads(message.payload)
            if message.topic == self.reply_topic:
                if body["id"] == request_id and body["route"] != "queued":
                    return body, commands
                continue
            commands.append((message.topic.split("/")[-2], body["value"]))


def watched_gateway(make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
                    processes: list[Daemon], extra_toml: str = "",
                    env: dict[str, str] | None = None) -> Gateway:
    """Start a broker and this gateway (with ``MORE_ACTUATORS``); a client on its replies and
    actuators."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    with setup.edge_config.open("a") as fh:
        fh.write(MORE_ACTUATORS + extra_toml + SEE_NAMES)
    start(processes, setup.broker(), setup.grpc_port)
    edge = setup.edge()
    edge.env.update({**UNLIMITED, **(env or {})})
    start(processes, edge)
    edge.wait_log("link.up")
    reply_topic = f"{setup.prefix}/app/replies"
    probe = MqttProbe([reply_topic, f"{setup.prefix}/{setup.site}/actuators/#"])
    return Gateway(setup, edge, probe, reply_topic)


def propose_everything(fake_cloud: FakeOpenAI, also: str = "pump-9") -> None:
    """A careless cloud model: every real actuator, and one that does not exist, switched."""
    fake_cloud.proposals = [
        *({"device_id": d, "command": "set", "value": str(v)} if isinstance(v, float)
          else {"device_id": d, "command": str(v)} for d, _, _, _, v in REAL),
        {"device_id": also, "command": "on"}]
