"""deploy/mosquitto/nanogate.conf, run by a real Mosquitto on a free loopback port."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.processes import MqttProbe, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "mosquitto" / "nanogate.conf"
MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
pytestmark = pytest.mark.skipif(MOSQUITTO is None,
                                reason="mosquitto not installed (Debian package: mosquitto)")


class Broker:
    """A Mosquitto process started from the gateway config, moved to a port and a tmp dir."""

    def __init__(self, tmp: Path, *, drop_in: bool = False) -> None:
        self.port = free_port()
        self.data = tmp / "persist"
        self.data.mkdir(exist_ok=True)
        text = CONF.read_text().replace("listener 1883 127.0.0.1",
                                        f"listener {self.port} 127.0.0.1")
        # Running as root, Mosquitto would switch to its own user, who cannot write in tmp.
        main = f"persistence_location {self.data}/\nuser {getpass.getuser()}\nlog_dest stderr\n"
        if drop_in:  # the way Debian loads it: a main file that includes conf.d
            (tmp / "conf.d").mkdir(exist_ok=True)
            (tmp / "conf.d" / "nanogate.conf").write_text(text)
            self.conf = tmp / "main.conf"
            self.conf.write_text(f"persistence true\n{main}include_dir {tmp / 'conf.d'}\n")
        else:
            self.conf = tmp / "nanogate.conf"
            self.conf.write_text(text + main)
        self.log = tmp / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        """Start Mosquitto and wait until it listens."""
        assert MOSQUITTO is not None
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, timeout=10)
        except TimeoutError:
            self.stop()
            raise AssertionError(self.log.read_text()) from None
        return self

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its database on the way out."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """Mosquitto running the gateway config."""
    running = Broker(tmp_path).start()
    yield running
    running.stop()


def test_publish_and_subscribe_through_the_gateway_config(broker: Broker) -> None:
    """A QoS 1 message published on the listener reaches a subscriber."""
    topic = f"ngtest-{uuid.uuid4().hex[:8]}/sensors/t-1/telemetry"
    probe = MqttProbe([topic], port=broker.port)
    try:
        probe.publish(topic, b'{"value": 21.5, "unit": "Cel"}')
        assert probe.next(timeout=10).payload == b'{"value": 21.5, "unit": "Cel"}'
    finally:
        probe.close()


def test_retained_values_survive_a_restart(tmp_path: Path) -> None:
    """Persistence is on: a retained reading is still there after Mosquitto restarts."""
    topic = f"ngtest-{uuid.uuid4().hex[:8]}/state"
    broker = Broker(tmp_path).start()
    try:
        publisher = MqttProbe([], port=broker.port)
        publisher._client.publish(topic, b"42", qos=1, retain=True).wait_for_publish(10)
        publisher.close()
        broker.stop()
        assert (broker.data / "mosquitto.db").exists()
        broker.start()
        probe = MqttProbe([topic], port=broker.port)
        assert probe.next(timeout=10).payload == b"42"
        probe.close()
    finally:
        broker.stop()


def test_oversized_packet_is_refused(broker: Broker) -> None:
    """max_packet_size holds: the broker drops a 200 KiB publish and its sender."""
    topic = f"ngtest-{uuid.uuid4().hex[:8]}/big"
    subscriber = MqttProbe([topic], port=broker.port)
    dropped = threading.Event()
    sender = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    sender.on_disconnect = lambda *args: dropped.set()
    sender.connect("127.0.0.1", broker.port)
    sender.loop_start()
    try:
        sender.publish(topic, b"x" * 200 * 1024, qos=0)
        assert dropped.wait(10), "the broker kept a client that sent an oversized packet"
        after = MqttProbe([], port=broker.port)
        after.publish(topic, b"small")
        after.close()
        assert subscriber.next(timeout=10).payload == b"small"
    finally:
        sender.loop_stop()
        subscriber.close()


def test_loads_as_a_drop_in_beside_debians_main_config(tmp_path: Path) -> None:
    """Included from a main file that sets persistence_location, the drop-in still loads."""
    broker = Broker(tmp_path, drop_in=True).start()
    try:
        assert broker.proc is not None and broker.proc.poll() is None
    finally:
        broker.stop()
