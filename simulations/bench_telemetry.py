"""Telemetry figures: readings per second from several MQTT publishers into the history store.

End to end: a real edge agent process subscribed to a Mosquitto started for the run with the
machine's stock settings (``max_queued_messages 1000``, Nagle on; ``--tuned`` would not change
throughput), and ``PUBLISHERS`` publisher processes (paho, one sensor each, one reading per
message) publishing as fast as paho lets them. The CPU time of each party over the run (agent,
Mosquitto, all publishers together) is reported, so the reader sees where the ceiling is on a
machine where all of them share the cores. The clock runs from the start
signal until the agent's SQLite history file holds every reading (read by this process, as
any other reader would), or until it stops growing: then what never arrived is reported as
lost (QoS 0 through a busy Mosquitto may drop; QoS 1 is acknowledged only once handled).
Baseline, in the same run: the same payloads through ``Ingest`` into a ``History`` in this
process, without MQTT.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from simulations.bench_mqtt import mosquitto
from simulations.harness import MQTT_HOST, Daemon
from simulations.stack import ProcessMeter

PUBLISHERS = 4
PER_PUBLISHER = 15_000
TARGET_PER_S = 20_000
STALL_S = 5.0  # no new rows for this long: the rest is lost

EDGE_TOML = """
[gateway]
id = "gw-telemetry"
site = "bench"
data_dir = "{data}"
[mqtt]
port = {port}
topic_prefix = "{prefix}"
client_id = "edge-{prefix}"
session_expiry_s = 0
telemetry_qos = {telemetry_qos}
[cloud]
address = "127.0.0.1:1"
[telemetry]
rollup_interval_s = 0
[history]
max_rows = 10000000
"""
SENSOR_TOML = """
[[sensors]]
id = "s-{n}"
kind = "temperature"
area = "zone {n}"
unit = "Cel"
"""


def _payload(n: int) -> bytes:
    return f'{{"value": {n % 400 / 10 + 0.05:.2f}, "unit": "Cel"}}'.encode()


def _ingest_in_process(folder: Path) -> dict[str, float]:
    """Readings per second through Ingest into a SQLite History, flushed every 500."""
    from edge_agent.history import History
    from edge_agent.ingest import Ingest
    from edge_agent.registry import Device, Registry

    registry = Registry()
    for s in range(PUBLISHERS):
        registry.add(Device(f"s-{s}", "sensor", "temperature", f"zone {s}", "Cel"))
    history = History(folder / "baseline.db", max_rows=10**7, max_age_s=10**9)
    ingest = Ingest(registry, history, 65536)
    work = [(f"s-{n % PUBLISHERS}", _payload(n)) for n in range(PUBLISHERS * PER_PUBLISHER)]
    started, cpu0 = time.perf_counter(), time.process_time()
    for n, (sensor, payload) in enumerate(work):
        ingest.handle(sensor, payload)
        if n % 500 == 499:
            history.flush()
    history.flush()
    rate = round(len(work) / (time.perf_counter() - started))
    cpu_us = round(1e6 * (time.process_time() - cpu0) / len(work), 1)
    history.close()
    return {"per_s": rate, "cpu_us_per_reading": cpu_us}


def _publish(prefix: str, sensor: str, count: int, qos: int, port: int) -> None:
    """Child process: connect, wait for "go", publish ``count`` readings, print CPU seconds."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect(MQTT_HOST, port)
    client.loop_start()
    topic = f"{prefix}/sensors/{sensor}/telemetry"
    payloads = [_payload(n) for n in range(count)]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    cpu0 = time.process_time()
    info = None
    for n, payload in enumerate(payloads):
        info = client.publish(topic, payload, qos=qos)
        if n % 1000 == 999:
            info.wait_for_publish(30)
    if info is not None:
        info.wait_for_publish(30)
    sys.stdout.write(f"{time.process_time() - cpu0}\n")
    sys.stdout.flush()
    client.disconnect()
    client.loop_stop()


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0])
    except sqlite3.Error:
        return 0


def _end_to_end(folder: Path, qos: int, telemetry_qos: int = 1) -> dict[str, Any]:
    broker, port = mosquitto(folder, tuned=False)
    try:
        return _through(folder, qos, port, ProcessMeter(broker.pid), telemetry_qos)
    finally:
        broker.terminate()
        broker.wait(10)


def _through(folder: Path, qos: int, port: int, broker: ProcessMeter,
             telemetry_qos: int) -> dict[str, Any]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    data = folder / f"edge-qos{qos}-sub{telemetry_qos}"
    config = EDGE_TOML.format(data=data, prefix=prefix, port=port,
                              telemetry_qos=telemetry_qos) + "".join(
        SENSOR_TOML.format(n=s) for s in range(PUBLISHERS))
    (data.parent / f"{data.name}.toml").write_text(config)
    edge = Daemon(["-m", "edge_agent", "run", "--config", str(data.parent / f"{data.name}.toml"),
                   ], data.parent / f"{data.name}.log")
    edge.start()
    publishers: list[subprocess.Popen[str]] = []
    try:
        _wait_started(data / "history.db", edge)
        base = f"{prefix}/bench"
        publishers = [subprocess.Popen(
            [sys.executable, "-m", "simulations.bench_telemetry", "--publish", base, f"s-{s}",
             str(PER_PUBLISHER), str(qos), str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for s in range(PUBLISHERS)]
        for pub in publishers:
            assert pub.stdout is not None
            pub.stdout.readline()
        assert edge.proc is not None
        meter = ProcessMeter(edge.proc.pid)
        cpu0, broker0, started = meter.cpu_s(), broker.cpu_s(), time.perf_counter()
        for pub in publishers:
            assert pub.stdin is not None
            pub.stdin.write("go\n")
            pub.stdin.flush()
        stored, ended = _wait_rows(data / "history.db", PUBLISHERS * PER_PUBLISHER)
        cpu, broker_cpu = meter.cpu_s() - cpu0, broker.cpu_s() - broker0
        publisher_cpu = sum(float(pub.stdout.readline() or 0) for pub in publishers
                            if pub.stdout is not None)
        for pub in publishers:
            pub.wait(60)
        total, seconds = PUBLISHERS * PER_PUBLISHER, ended - started
        return {"readings": total, "stored": stored, "lost": total - stored,
                "per_s": round(stored / seconds), "seconds": round(seconds, 2),
                "cpu_us_per_reading": {
                    "agent": round(1e6 * cpu / max(1, stored), 1),
                    "mosquitto": round(1e6 * broker_cpu / max(1, stored), 1),
                    "publishers": round(1e6 * publisher_cpu / total, 1)},
                "cpu_share_of_one_core": {
                    "agent": round(cpu / seconds, 2), "mosquitto": round(broker_cpu / seconds, 2),
                    "publishers": round(publisher_cpu / seconds, 2)}}
    finally:
        for pub in publishers:
            if pub.poll() is None:
                pub.kill()
        edge.stop()


def _wait_started(db: Path, edge: Daemon) -> None:
    deadline = time.monotonic() + 60
    while not db.exists() or "agent.started" not in edge.log_path.read_text(errors="replace"):
        if time.monotonic() > deadline or not edge.alive():
            raise RuntimeError(f"the edge agent did not start: {edge.log_path.read_text()[-2000:]}")
        time.sleep(0.05)


def _wait_rows(db: Path, total: int) -> tuple[int, float]:
    """Poll the history file until it holds ``total`` rows or stalls; rows and when."""
    last, last_at = -1, time.perf_counter()
    while True:
        rows = _rows(db)
        now = time.perf_counter()
        if rows != last:
            last, last_at = rows, now
        if rows >= total or now - last_at > STALL_S:
            return rows, last_at
        time.sleep(0.02)


def run() -> dict[str, Any]:
    """In-process ingest rate, then end to end: publishers at QoS 0, at QoS 1, and at QoS 1
    to a gateway subscribed at QoS 0 (``[mqtt] telemetry_qos = 0``)."""
    with tempfile.TemporaryDirectory(prefix="nanogate-telemetry-") as name:
        folder = Path(name)
        baseline = _ingest_in_process(folder)
        return {"publishers": PUBLISHERS, "readings_per_publisher": PER_PUBLISHER,
                "baseline_in_process": baseline,
                "end_to_end_qos0": _end_to_end(folder, 0),
                "end_to_end_qos1": _end_to_end(folder, 1),
                "end_to_end_qos1_telemetry_qos0": _end_to_end(folder, 1, telemetry_qos=0),
                "target_per_s": TARGET_PER_S}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--publish"]:
        _publish(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.stdout.write(json.dumps(run(), indent=2) + "\n")
