"""``make demo``: the whole nanogate on one machine, then a scripted conversation with it.

Starts an MQTT broker (Mosquitto if one answers on 127.0.0.1:1883, else an embedded amqtt
broker), the cloud broker with its SQLite fleet store and the local Gemma backend, one edge
agent, and simulated sensors. Then it asks questions over MQTT, takes the cloud away for a
while, brings it back, and prints what happened to every request. It ends by itself.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from simulations.harness import Daemon, MqttProbe, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "deploy" / "examples"
console = Console()

ONLINE = [
    "what's the temperature in zone 3?",
    "show me the humidity in zone 3",
    "average temperature in zone 3 over the last 10 minutes",
    "turn off pump 2",
    "set fan 3 to 40 %",
    "any alerts?",
    "list the devices",
    "why could zone 3 be warmer than zone 5 in the afternoon?",
]
OFFLINE = [
    "what's the tank 1 level?",
    "suggest a maintenance schedule for the pumps on line 2",
    "what does a pressure of 7 bar mean for the pipes on line 2?",
]


@dataclass
class Row:
    """One request and what became of it."""

    id: str
    text: str
    phase: str
    sent: float
    replies: list[dict[str, object]] = field(default_factory=list)
    latency_ms: float | None = None


def mqtt_broker() -> tuple[int, subprocess.Popen[bytes] | None]:
    """Mosquitto on 127.0.0.1:1883 if it answers, else an embedded amqtt broker."""
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            console.print("[green]MQTT:[/green] using Mosquitto on 127.0.0.1:1883")
            return 1883, None
    except OSError:
        pass
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "simulations.embedded_mqtt", str(port)],
                            cwd=ROOT)
    wait_for_port(port, 20)
    console.print(f"[yellow]MQTT:[/yellow] no Mosquitto; embedded amqtt on 127.0.0.1:{port}")
    return port, proc


def sensors(probe: MqttProbe, base: str, stop: threading.Event) -> None:
    """Simulated sensors: a diurnal-ish temperature, humidity, a draining tank, pressure."""
    t0 = time.time()
    while not stop.is_set():
        t = time.time() - t0
        readings = {
            "t-104": (22 + 3 * math.sin(t / 20) + random.gauss(0, 0.1), "Cel"),
            "t-201": (20 + 2 * math.sin(t / 25) + random.gauss(0, 0.1), "Cel"),
            "h-104": (45 + 5 * math.cos(t / 30) + random.gauss(0, 0.3), "%RH"),
            "lvl-1": (max(0.0, 80 - t * 0.5), "%"),
            "p-7": (6.5 + random.gauss(0, 0.05), "bar"),
        }
        for sensor, (value, unit) in readings.items():
            probe.publish(f"{base}/sensors/{sensor}/telemetry",
                          json.dumps({"value": round(value, 2), "unit": unit}), qos=0)
        stop.wait(1.0)


class Demo:
    """The processes and the conversation."""

    def __init__(self, workdir: Path, mqtt_port: int) -> None:
        self.workdir = workdir
        self.grpc_port, self.http_port = free_port(), free_port()
        env = {"NANOGATE_EDGE_MQTT__PORT": str(mqtt_port),
               "NANOGATE_EDGE_CLOUD__ADDRESS": f"127.0.0.1:{self.grpc_port}",
               "NANOGATE_EDGE_CLOUD__ESCALATE_TIMEOUT_S": "90",
               "NANOGATE_EDGE_MQTT__TOPIC_PREFIX": f"demo-{uuid.uuid4().hex[:6]}",
               "NANOGATE_BROKER_SERVER__GRPC_LISTEN": f"127.0.0.1:{self.grpc_port}",
               "NANOGATE_BROKER_SERVER__HTTP_LISTEN": f"127.0.0.1:{self.http_port}"}
        self.prefix = env["NANOGATE_EDGE_MQTT__TOPIC_PREFIX"]
        self.broker = Daemon(["-m", "cloud_broker", "serve", "--config",
                              str(EXAMPLES / "broker.toml"), "--data-dir", str(workdir / "broker")],
                             workdir / "broker.log", env=env)
        self.edge = Daemon(["-m", "edge_agent", "run", "--config", str(EXAMPLES / "edge.toml"),
                            "--data-dir", str(workdir / "edge")], workdir / "edge.log", env=env)
        self.mqtt_port = mqtt_port
        self.rows: dict[str, Row] = {}
        self.base = f"{self.prefix}/demo"
        self.reply_topic = f"{self.base}/demo-app/replies"

    def ask(self, probe: MqttProbe, text: str, phase: str) -> Row:
        """Send one request with MQTT 5 request/response."""
        row = Row(uuid.uuid4().hex[:6], text, phase, time.perf_counter())
        self.rows[row.id] = row
        probe.publish(f"{self.base}/ask", json.dumps({"id": row.id, "text": text}),
                      response_topic=self.reply_topic, correlation=row.id.encode())
        return row

    def collect(self, probe: MqttProbe, until: float, *, operator_done: bool = False) -> None:
        """Take replies until every request has a final one (or, unless ``operator_done``,
        waits for an operator), or the time is up."""
        while time.monotonic() < until and not (self.done() if operator_done
                                                 else self.settled()):
            try:
                reply = probe.json(timeout=max(0.1, until - time.monotonic()))
            except TimeoutError:
                break
            row = self.rows.get(str(reply.get("id")))
            if row is None:
                continue
            row.replies.append(reply)
            if reply.get("route") != "queued":
                row.latency_ms = (time.perf_counter() - row.sent) * 1000

    def answer_as_operator(self, probe: MqttProbe) -> None:
        """Play the human tier: answer what no model could, as an operator would from the
        dashboard or `cloud-broker queue answer`; the answer reaches the requester on its
        original route (the gateway picks it up at its next heartbeat)."""
        waiting = {_operator_item(row): row for row in self.rows.values()
                   if row.latency_ms is None and _operator_item(row)}
        if not waiting:
            return
        console.rule("an operator answers what no model could (the human tier)")
        token = (self.workdir / "broker" / "admin_token").read_text().strip()
        for item_id, row in waiting.items():
            httpx.post(f"http://127.0.0.1:{self.http_port}/api/queue/{item_id}/answer",
                       json={"text": f"(operator) Noted: {row.text!r}. A technician will "
                                     "follow up today."},
                       headers={"Authorization": f"Bearer {token}"}, timeout=10,
                       ).raise_for_status()
        self.collect(probe, time.monotonic() + 90, operator_done=True)

    def settled(self) -> bool:
        """Whether every request has its final answer or waits for an operator."""
        return all(r.latency_ms is not None or _operator_item(r) for r in self.rows.values())

    def done(self) -> bool:
        """Whether every request has its final answer."""
        return all(r.latency_ms is not None for r in self.rows.values())

    def table(self) -> Table:
        """The result, one line per request."""
        table = Table("phase", "request", "route", "answer", "latency", show_lines=True)
        for row in self.rows.values():
            routes = " → ".join(str(r.get("route")) for r in row.replies) or "[red]none[/red]"
            final = row.replies[-1] if row.replies else {}
            answer = str(final.get("answer", ""))[:160]
            latency = f"{row.latency_ms:,.0f} ms" if row.latency_ms is not None else "-"
            table.add_row(row.phase, row.text, routes, answer, latency)
        return table


def _operator_item(row: Row) -> str:
    """The operator-queue item a request waits on ("" if none): no model could answer it."""
    data = row.replies[-1].get("data") if row.replies else None
    return str(data.get("operator_queue") or "") if isinstance(data, dict) else ""


def main() -> int:
    """Run the demo; exit 0 when every request got its answer."""
    workdir = Path(tempfile.mkdtemp(prefix="nanogate-demo-"))
    mqtt_port, embedded = mqtt_broker()
    os.environ["NANOGATE_DEMO_MQTT_PORT"] = str(mqtt_port)
    demo = Demo(workdir, mqtt_port)
    stop = threading.Event()
    try:
        return run(demo, stop)
    finally:
        stop.set()
        demo.edge.stop()
        demo.broker.stop()
        if embedded:
            embedded.terminate()
        console.print(f"logs: {workdir}/edge.log, {workdir}/broker.log")
        if os.environ.get("NANOGATE_DEMO_KEEP") != "1":
            shutil.rmtree(workdir / "edge", ignore_errors=True)


def run(demo: Demo, stop: threading.Event) -> int:
    """The scripted conversation."""
    console.rule("starting the cloud broker (loads Gemma 3 270M) and the edge agent")
    demo.broker.start()
    wait_for_port(demo.grpc_port, 60)
    demo.edge.start()
    demo.edge.wait_log("link.up", timeout=60)
    probe = MqttProbe([demo.reply_topic], port=demo.mqtt_port)
    threading.Thread(target=sensors, args=(MqttProbe([], port=demo.mqtt_port), demo.base, stop),
                     daemon=True).start()
    time.sleep(2)  # a demo, not a test: let every sensor report once before the questions

    console.rule("online: local answers and one escalation")
    for text in ONLINE:
        demo.ask(probe, text, "online")
    demo.collect(probe, time.monotonic() + 180)

    console.rule("the cloud goes away")
    demo.broker.stop()
    for text in OFFLINE:
        demo.ask(probe, text, "cloud down")
    demo.collect(probe, time.monotonic() + 15)

    console.rule("the cloud comes back: queued requests are answered")
    demo.broker.start()
    demo.collect(probe, time.monotonic() + 240)
    demo.answer_as_operator(probe)
    console.print(demo.table())
    console.print("Latency is measured by this script through the MQTT broker, asking at QoS 1. "
                  "On a stock Mosquitto (no `set_tcp_nodelay true`) a QoS 1 requester waits "
                  "about 40 ms more for its own delayed ACK, whatever answers; a QoS 0 "
                  "requester does not (see README, Performance).")
    missing = [r.text for r in demo.rows.values() if r.latency_ms is None]
    if missing:
        console.print(f"[red]unanswered:[/red] {missing}")
        return 1
    console.print("[green]every request answered; queued ones exactly once[/green]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
