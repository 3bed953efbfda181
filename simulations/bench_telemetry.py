"""Telemetry figures: readings per second from several MQTT publishers into the history store.

End to end: a real edge agent process subscribed to a Mosquitto started for the run with the
machine's stock settings (the Debian package's defaults: ``max_inflight_messages 20``,
``max_queued_messages 1000``, Nagle on), and ``PUBLISHERS`` publisher processes, one sensor
each, one reading per message. By default they are Mosquitto's own C client,
``mosquitto_pub -l`` (one message per line of its stdin, which this process writes): cheap,
as a real sensor's publisher is none of the gateway's CPU; ``publishers="paho"`` runs Python
ones instead. ``rate``: readings a second offered by all of them together (0: as fast as they
go, an overload). The CPU time of each party over the run (agent, Mosquitto, all publishers
together) is reported, so the reader sees where the ceiling is on a machine where all of them
share the cores. The clock runs from the start signal until the agent's SQLite history file
holds every reading (read by this process, as any other reader would), or until it stops
growing for ``STALL_S`` (what the daemon writes after that, once stopped, is counted apart);
then what never arrived is lost, split into what the daemon shed (QoS 0 past its queue: its
``mqtt.message_shed`` log lines) and what never reached it (dropped by Mosquitto, whose queue
per client holds 1,000 messages past the client's window; at QoS 1 Mosquitto acknowledged them
to the publisher, the gateway never did; its log says when it drops). With ``system_broker``
the machine's own Mosquitto (127.0.0.1:1883) carries them instead, shared with whatever else
uses it. Baseline, in the same run: the same payloads through ``Ingest`` into a ``History`` in
this process, without MQTT.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulations.bench_mqtt import mosquitto
from simulations.harness import MQTT_HOST, MQTT_PORT, Daemon
from simulations.stack import ProcessMeter

PUBLISHERS = 4
PER_PUBLISHER = 15_000
TARGET_PER_S = 20_000
STALL_S = 5.0  # no new rows for this long: the rest is lost
CHUNK = 100  # readings a paced publisher sends at once
SYSTEM_BROKER_PID = "/run/mosquitto/mosquitto.pid"  # the Debian package's

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


def _publish(prefix: str, sensor: str, count: int, qos: int, port: int, rate: float) -> None:
    """Child process (paho): connect, wait for "go", publish ``count`` readings (at ``rate``
    a second, 0: as fast as paho lets it), print CPU seconds."""
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
    cpu0, started = time.process_time(), time.perf_counter()
    info = None
    for n, payload in enumerate(payloads):
        info = client.publish(topic, payload, qos=qos)
        if n % 1000 == 999:
            info.wait_for_publish(30)
        if rate and n % CHUNK == CHUNK - 1:
            _pace(started, (n + 1) / rate)
    if info is not None:
        info.wait_for_publish(30)
    sys.stdout.write(f"{time.process_time() - cpu0}\n")
    sys.stdout.flush()
    client.disconnect()
    client.loop_stop()


def _pace(started: float, due_s: float) -> None:
    """Sleep until ``due_s`` after ``started``: an offered rate, as sensors publish."""
    delay = started + due_s - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


class _Publishers:
    """``PUBLISHERS`` publisher processes, one sensor each: ``mosquitto_pub -l`` (Mosquitto's
    own C client, one message per line of its stdin) or paho (``--publish`` of this module)."""

    def __init__(self, kind: str, base: str, qos: int, port: int, rate: float) -> None:
        self.kind, self.rate = kind, rate / PUBLISHERS
        if kind == "mosquitto_pub":
            self.procs = [subprocess.Popen(
                ["mosquitto_pub", "-h", MQTT_HOST, "-p", str(port), "-q", str(qos), "-l",
                 "-i", f"pub-{uuid.uuid4().hex[:8]}", "-t", f"{base}/sensors/s-{s}/telemetry"],
                stdin=subprocess.PIPE) for s in range(PUBLISHERS)]
            time.sleep(0.5)  # let them connect: the clock starts at the first line
            return
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "simulations.bench_telemetry", "--publish", base, f"s-{s}",
             str(PER_PUBLISHER), str(qos), str(port), str(self.rate)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE) for s in range(PUBLISHERS)]
        for pub in self.procs:
            assert pub.stdout is not None
            pub.stdout.readline()
        self._feeders: list[threading.Thread] = []

    def go(self) -> None:
        """Start publishing (mosquitto_pub: a thread per process feeds its stdin)."""
        if self.kind == "mosquitto_pub":
            lines = [_payload(n) + b"\n" for n in range(PER_PUBLISHER)]
            self._feeders = [threading.Thread(target=_feed, args=(pub, lines, self.rate))
                             for pub in self.procs]
            for feeder in self._feeders:
                feeder.start()
            return
        for pub in self.procs:
            assert pub.stdin is not None
            pub.stdin.write(b"go\n")
            pub.stdin.flush()

    def cpu_s(self) -> float:
        """Wait for them to finish; the CPU seconds they used, all together."""
        if self.kind != "mosquitto_pub":
            return sum(float(pub.stdout.readline() or 0) for pub in self.procs
                       if pub.stdout is not None)
        for feeder in self._feeders:
            feeder.join(120)
        total = 0.0
        for pub in self.procs:
            _, status, usage = os.wait4(pub.pid, 0)
            pub.returncode = os.waitstatus_to_exitcode(status)
            total += usage.ru_utime + usage.ru_stime
        return total

    def kill(self) -> None:
        """Stop any that still run."""
        for pub in self.procs:
            if pub.returncode is None and pub.poll() is None:
                pub.kill()
                pub.wait(10)


def _feed(pub: subprocess.Popen[bytes], lines: list[bytes], rate: float) -> None:
    """Write the readings to one mosquitto_pub's stdin, ``CHUNK`` lines at a time, paced."""
    assert pub.stdin is not None
    started = time.perf_counter()
    step = CHUNK if rate else len(lines)
    for i in range(0, len(lines), step):
        if rate:
            _pace(started, i / rate)
        pub.stdin.write(b"".join(lines[i:i + step]))
        pub.stdin.flush()
    pub.stdin.close()


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0])
    except sqlite3.Error:
        return 0


def _end_to_end(folder: Path, qos: int, telemetry_qos: int = 1, *,
                publishers: str = "mosquitto_pub", rate: float = 0.0,
                system_broker: bool = False) -> dict[str, Any]:
    if system_broker:  # the machine's own Mosquitto, shared with whatever else uses it
        pid = int(Path(SYSTEM_BROKER_PID).read_text().split()[0])
        return _through(folder, Run(qos, telemetry_qos, publishers, rate), MQTT_PORT,
                        ProcessMeter(pid))
    log = folder / f"mosquitto-{uuid.uuid4().hex[:8]}.log"
    broker, port = mosquitto(folder, tuned=False, log=log)
    try:
        figures = _through(folder, Run(qos, telemetry_qos, publishers, rate), port,
                           ProcessMeter(broker.pid))
        # Mosquitto says so (once a spell) when it drops messages for a client: its queue is full
        return figures | {"mosquitto_logged_drops": "being dropped" in log.read_text()}
    finally:
        broker.terminate()
        broker.wait(10)


@dataclass(frozen=True)
class Run:
    """One end-to-end run: publishers' QoS, the gateway's subscription QoS, who publishes."""

    qos: int
    telemetry_qos: int
    publishers: str
    rate: float  # readings a second offered by all publishers together; 0: as fast as they can


def _through(folder: Path, run: Run, port: int, broker: ProcessMeter) -> dict[str, Any]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    data = folder / f"edge-qos{run.qos}-sub{run.telemetry_qos}-{prefix}"
    config = EDGE_TOML.format(data=data, prefix=prefix, port=port,
                              telemetry_qos=run.telemetry_qos) + "".join(
        SENSOR_TOML.format(n=s) for s in range(PUBLISHERS))
    (data.parent / f"{data.name}.toml").write_text(config)
    edge = Daemon(["-m", "edge_agent", "run", "--config", str(data.parent / f"{data.name}.toml"),
                   ], data.parent / f"{data.name}.log")
    edge.start()
    publishers: _Publishers | None = None
    try:
        _wait_started(data / "history.db", edge)
        publishers = _Publishers(run.publishers, f"{prefix}/bench", run.qos, port, run.rate)
        assert edge.proc is not None
        meter = ProcessMeter(edge.proc.pid)
        cpu0, broker0, started = meter.cpu_s(), broker.cpu_s(), time.perf_counter()
        publishers.go()
        stored, ended = _wait_rows(data / "history.db", PUBLISHERS * PER_PUBLISHER)
        cpu, broker_cpu = meter.cpu_s() - cpu0, broker.cpu_s() - broker0
        publisher_cpu = publishers.cpu_s()
        edge.stop()  # it writes what it holds: readings that came after a stall of STALL_S
        late = _rows(data / "history.db") - stored
        return _figures(run, (stored, late), ended - started, (cpu, broker_cpu, publisher_cpu),
                        _shed(edge))
    finally:
        if publishers is not None:
            publishers.kill()
        edge.stop()


def _shed(edge: Daemon) -> int:
    """QoS 0 readings the daemon shed, from its own log lines (mqtt.message_shed)."""
    return max((int(e.get("shed", 0)) for e in edge.logs()
                if e.get("event") == "mqtt.message_shed"), default=0)


def _figures(run: Run, rows: tuple[int, int], seconds: float,
             cpu: tuple[float, float, float], shed: int) -> dict[str, Any]:
    total = PUBLISHERS * PER_PUBLISHER
    (stored, late), (agent, broker, pubs) = rows, cpu
    lost = total - stored - late
    return {"publishers": run.publishers, "offered_per_s": run.rate or "as fast as they can",
            "readings": total, "stored": stored, "stored_after_a_stall": late, "lost": lost,
            "shed_by_daemon": shed, "lost_before_the_daemon": lost - shed,
            "per_s": round(stored / seconds), "seconds": round(seconds, 2),
            "cpu_us_per_reading": {
                "agent": round(1e6 * agent / max(1, stored), 1),
                "mosquitto": round(1e6 * broker / max(1, stored), 1),
                "publishers": round(1e6 * pubs / total, 1)},
            "cpu_share_of_one_core": {
                "agent": round(agent / seconds, 2), "mosquitto": round(broker / seconds, 2),
                "publishers": round(pubs / seconds, 2)}}


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


def run(publishers: str = "mosquitto_pub", rate: float = 0.0,
        system_broker: bool = False) -> dict[str, Any]:
    """In-process ingest rate, then end to end: publishers at QoS 0, at QoS 1, and at QoS 1
    to a gateway subscribed at QoS 0 (``[mqtt] telemetry_qos = 0``).

    ``publishers``: "mosquitto_pub" (the C client) or "paho"; ``rate``: readings a second
    offered by all of them together, 0 for as fast as they can; ``system_broker``: through
    the machine's Mosquitto on 127.0.0.1:1883 instead of one started for the run."""
    with tempfile.TemporaryDirectory(prefix="nanogate-telemetry-") as name:
        folder = Path(name)
        baseline = _ingest_in_process(folder)
        runs = {f"end_to_end_qos{qos}{'_telemetry_qos0' if sub == 0 else ''}": _end_to_end(
            folder, qos, sub, publishers=publishers, rate=rate, system_broker=system_broker)
            for qos, sub in ((0, 1), (1, 1), (1, 0))}
        return {"publishers": PUBLISHERS, "readings_per_publisher": PER_PUBLISHER,
                "broker": "system" if system_broker else "started for the run",
                "load_average": os.getloadavg(), "baseline_in_process": baseline, **runs,
                "target_per_s": TARGET_PER_S}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--publish"]:
        _publish(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                 float(sys.argv[7]))
    else:
        sys.stdout.write(json.dumps(run(), indent=2) + "\n")
