"""MQTT figures: a local answer end to end through Mosquitto, beside a raw paho echo.

The edge agent runs as a real process; requests go through a Mosquitto started for the run on
a free loopback port with the machine's stock settings (what most gateways run, Nagle on), with
MQTT 5 request/response; with ``tuned=True`` (``--tuned``) also through one with the gateway
settings of ``deploy/mosquitto`` (``set_tcp_nodelay true``). Requesters: a paho client at QoS 0
(``mosquitto_rr``'s default), at QoS 1, and at QoS 1 re-arming ``TCP_QUICKACK`` after each
read (what a requester can do about a Nagle broker); and ``mosquitto_rr`` itself, one process
per request (its wall time includes starting and connecting). The baseline is a bare paho
client that echoes each request to its response topic, through the same broker, measured the
same way in the same run. Also: the daemon's resident memory, and with ``--tuned`` the
telemetry ingest rate (``python -m simulations.bench telemetry`` is the full telemetry bench).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from simulations.harness import MQTT_HOST, Daemon, free_port, no_delay, wait_for_port

QUESTION = "current temperature of t-104"
N_LATENCY = 1000
WINDOW = 32
SUSTAIN_S = 5.0
N_TELEMETRY = 20_000
N_RR = 15  # mosquitto_rr processes per case

EDGE_TOML = """
[gateway]
id = "gw-bench"
site = "bench"
data_dir = "{data}"
[mqtt]
port = {port}
topic_prefix = "{prefix}"
client_id = "edge-{prefix}"
max_payload_bytes = 65536
[cloud]
address = "127.0.0.1:1"
[telemetry]
rollup_interval_s = 0
[[sensors]]
id = "t-104"
kind = "temperature"
area = "zone 3"
unit = "Cel"
"""


class Requester:
    """A paho MQTT 5 client that sends requests and matches replies by correlation data."""

    def __init__(self, reply_topic: str, port: int, qos: int = 1,
                 quick_ack: bool = False) -> None:
        self._reply_topic = reply_topic
        self.qos = qos
        self._quick_ack = quick_ack
        self._waiting: dict[bytes, tuple[float, threading.Event]] = {}
        self.latencies: list[float] = []
        self.routes: dict[str, int] = {}
        self.last_answer = ""
        self._lock = threading.Lock()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                                   client_id=f"bench-{uuid.uuid4().hex[:6]}")
        self._client.on_message = self._on_message
        self._client.on_socket_open = no_delay
        if quick_ack:  # the PUBACK for our request came: acknowledge it now, not in 40 ms
            self._client.on_publish = lambda client, *a: quick_ack_now(client)
        ready = threading.Event()
        self._client.on_subscribe = lambda *a: ready.set()
        self._client.connect(MQTT_HOST, port)
        self._client.loop_start()
        self._client.subscribe(reply_topic, qos=1)
        ready.wait(10)

    def send(self, topic: str, text: str) -> threading.Event:
        """Publish one request; the returned event is set when its reply arrives."""
        corr = uuid.uuid4().bytes
        done = threading.Event()
        with self._lock:
            self._waiting[corr] = (time.perf_counter(), done)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self._reply_topic
        props.CorrelationData = corr
        payload = json.dumps({"id": corr.hex()[:8], "text": text})
        self._client.publish(topic, payload, qos=self.qos, properties=props)
        return done

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        if self._quick_ack:
            quick_ack_now(client)
        corr = getattr(msg.properties, "CorrelationData", None)
        with self._lock:
            entry = self._waiting.pop(corr, None) if corr else None
        if entry is None:
            return
        self.latencies.append((time.perf_counter() - entry[0]) * 1000)
        reply = json.loads(msg.payload)
        route = reply.get("route", "echo") if "answer" in reply else "echo"
        self.routes[route] = self.routes.get(route, 0) + 1
        self.last_answer = str(reply.get("answer", ""))
        entry[1].set()

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def quick_ack_now(client: paho.Client) -> None:
    """Re-arm TCP_QUICKACK on a paho client's socket (Linux clears it by itself)."""
    sock = client.socket()
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)  # type: ignore[attr-defined]


def _measure(send: Callable[[], threading.Event], requester: Requester,
             n: int = N_LATENCY) -> dict[str, Any]:
    """Sequential latency, then sustained throughput with a window of requests in flight."""
    for _ in range(min(100, n)):  # warm-up
        send().wait(10)
    requester.latencies.clear()
    for _ in range(n):
        if not send().wait(10):
            raise TimeoutError("a request got no reply in 10 s")
    lat = sorted(requester.latencies)
    inflight: list[threading.Event] = []
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SUSTAIN_S:
        inflight.append(send())
        count += 1
        if len(inflight) >= WINDOW:
            inflight.pop(0).wait(10)
    for event in inflight:
        event.wait(10)
    rate = count / (time.perf_counter() - started)
    return {"p50_ms": round(statistics.median(lat), 3),
            "p99_ms": round(lat[int(len(lat) * 0.99)], 3),
            "sustained_rps": round(rate), "window": WINDOW}


def _echo_server(topic: str, port: int) -> paho.Client:
    """The baseline: republish every request to its response topic, nothing else."""
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                         client_id=f"echo-{uuid.uuid4().hex[:6]}")

    def on_message(c: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        props = Properties(PacketTypes.PUBLISH)
        if hasattr(msg.properties, "CorrelationData"):
            props.CorrelationData = msg.properties.CorrelationData
        c.publish(msg.properties.ResponseTopic, msg.payload, qos=1, properties=props)

    ready = threading.Event()
    client.on_socket_open = no_delay
    client.on_message = on_message
    client.on_subscribe = lambda *a: ready.set()
    client.connect(MQTT_HOST, port)
    client.loop_start()
    client.subscribe(topic, qos=1)
    ready.wait(10)
    return client


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _telemetry_e2e(base: str, requester: Requester, port: int) -> float:
    """Readings per second through Mosquitto into the daemon, confirmed by asking for the last."""
    pub = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sensor-{uuid.uuid4().hex[:6]}")
    pub.on_socket_open = no_delay
    pub.connect(MQTT_HOST, port)
    pub.loop_start()
    topic = f"{base}/sensors/t-104/telemetry"
    started = time.perf_counter()
    for n in range(N_TELEMETRY):
        info = pub.publish(topic, f'{{"value": {n}.5, "unit": "Cel"}}', qos=0)
        if n % 1000 == 999:
            info.wait_for_publish(10)
    # The answer names the newest reading only once every reading before it was taken in.
    deadline = time.monotonic() + 120
    while f"{N_TELEMETRY - 1}.5" not in requester.last_answer:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the last reading never showed: {requester.last_answer!r}")
        requester.send(f"{base}/ask", "current temperature of t-104").wait(30)
    rate = N_TELEMETRY / (time.perf_counter() - started)
    pub.disconnect()
    pub.loop_stop()
    return rate


def _ingest_in_process(tmp: Path) -> dict[str, float]:
    """Readings per second through Ingest into the SQLite history, without MQTT."""
    from edge_agent.history import History
    from edge_agent.ingest import Ingest
    from edge_agent.registry import Device, Registry

    registry = Registry()
    registry.add(Device("t-104", "sensor", "temperature", "zone 3", "Cel"))
    history = History(tmp / "ingest.db", max_rows=10**7, max_age_s=10**9)
    ingest = Ingest(registry, history, 65536)
    payloads = [f'{{"value": {n}.5, "unit": "Cel"}}'.encode() for n in range(N_TELEMETRY)]
    started = time.perf_counter()
    for n, payload in enumerate(payloads):
        ingest.handle("t-104", payload)
        if n % 500 == 499:
            history.flush()
    history.flush()
    return {"ingest_in_process_per_s": round(N_TELEMETRY / (time.perf_counter() - started)),
            "target_per_s": 20_000}


def mosquitto(tmp: Path, *, tuned: bool = True,
              log: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """A Mosquitto for this run on a free loopback port: stock, or configured as on a gateway;
    its own log lines go to ``log`` if given."""
    port = free_port()
    conf = tmp / f"mosquitto-{'tuned' if tuned else 'stock'}.conf"
    settings = "set_tcp_nodelay true\nmax_queued_messages 100000\n" if tuned else ""
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n{settings}")
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=out, stderr=out)
    wait_for_port(port, 10)
    return proc, port


def run(tuned: bool = False) -> dict[str, Any]:
    """All MQTT figures: through a stock Mosquitto, and with ``tuned`` a tuned one too."""
    brokers = {"stock_mosquitto": False, **({"tuned_mosquitto": True} if tuned else {})}
    with tempfile.TemporaryDirectory(prefix="nanogate-bench-") as name:
        tmp = Path(name)
        runs = {key: _on_broker(tmp / key, tuned=is_tuned, telemetry=is_tuned)
                for key, is_tuned in brokers.items()}
        ingest = _ingest_in_process(tmp) if tuned else {}
    figures: dict[str, Any] = {
        "local_answer": {key: r["latency"] for key, r in runs.items()} | {"question": QUESTION},
        "baseline_raw_paho_echo": {key: r["baseline"] for key, r in runs.items()},
        "mosquitto_rr_wall_ms": {key: r["rr"] for key, r in runs.items()},
        "targets": {"p50_ms": 2.0, "sustained_rps": 1000},
        "edge_rss_mb": {**runs["stock_mosquitto"]["rss"], "target": 80},
    }
    if tuned:
        figures["telemetry"] = {**ingest, "ingest_end_to_end_per_s":
                                runs["tuned_mosquitto"]["telemetry"]}
    return figures


def _on_broker(tmp: Path, *, tuned: bool, telemetry: bool) -> dict[str, Any]:
    """The figures through one Mosquitto: stock or tuned."""
    tmp.mkdir()
    broker, port = mosquitto(tmp, tuned=tuned)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        return _run(tmp, prefix, f"{prefix}/bench", port, telemetry=telemetry)
    finally:
        broker.terminate()


REQUESTERS = {"requester_qos0": (0, False), "requester_qos1": (1, False),
              "requester_qos1_quickack": (1, True)}


def _run(tmp: Path, prefix: str, base: str, port: int, *, telemetry: bool) -> dict[str, Any]:
    (tmp / "edge.toml").write_text(
        EDGE_TOML.format(data=tmp / "edge", prefix=prefix, port=port))
    edge = Daemon(["-m", "edge_agent", "run", "--config", str(tmp / "edge.toml")],
                  tmp / "edge.log").start()
    figures: dict[str, Any] = {"latency": {}, "baseline": {}}
    try:
        edge.wait_log("agent.started", timeout=60)
        rss_idle = _rss_mb(edge.proc.pid)  # type: ignore[union-attr]
        echo = _echo_server(f"{prefix}/echo", port)
        for key, (qos, quick_ack) in REQUESTERS.items():
            requester = Requester(f"{base}/bench-app/{key}", port, qos=qos, quick_ack=quick_ack)
            requester.send(f"{base}/ask", QUESTION).wait(10)
            # Fewer rounds where each may stall for a delayed ACK (40 ms on Linux).
            n = N_LATENCY if qos == 0 or quick_ack else N_LATENCY // 4
            figures["latency"][key] = {
                **_measure(lambda r=requester: r.send(f"{base}/ask", QUESTION), requester, n),
                "routes": dict(requester.routes)}
            figures["baseline"][key] = _measure(
                lambda r=requester: r.send(f"{prefix}/echo", QUESTION), requester, n)
            if telemetry and key == "requester_qos1":
                figures["telemetry"] = round(_telemetry_e2e(base, requester, port))
            requester.close()
        figures["rss"] = {"idle": round(rss_idle, 1), "after_requests": round(
            _rss_mb(edge.proc.pid), 1)}  # type: ignore[union-attr]
        figures["rr"] = {f"qos{q}": {"nanogate": _rr(port, f"{base}/ask", q),
                                     "raw_paho_echo": _rr(port, f"{prefix}/echo", q)}
                         for q in (0, 1)}
        echo.disconnect()
    finally:
        edge.stop()
    return figures


def _rr(port: int, topic: str, qos: int) -> dict[str, float]:
    """Wall time of ``mosquitto_rr`` (start, connect, ask, answer, exit), p50 and max."""
    times = []
    for n in range(N_RR):
        started = time.perf_counter()
        subprocess.run(
            ["mosquitto_rr", "-h", MQTT_HOST, "-p", str(port), "-V", "5", "-q", str(qos),
             "-t", topic, "-e", f"{topic}-rr-replies", "-W", "10",
             "-m", json.dumps({"id": f"rr{n}", "text": QUESTION}),
             "-D", "publish", "correlation-data", f"rr{n}"],
            check=True, stdout=subprocess.DEVNULL, timeout=15)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
