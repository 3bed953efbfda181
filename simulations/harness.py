"""Running nanogate the way a user does: daemons as subprocesses, an MQTT requester.

Used by the demo, the simulations and the integration tests.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def write_toml(path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path.write_text(text)
    return path


@dataclass
class Daemon:
    """A nanogate process (edge agent or broker) run the way a user runs it."""

    args: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        """Start the process; its logs go to ``log_path``."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, *self.args], stdout=log,
                                         stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        return self

    def kill(self) -> None:
        """SIGKILL: the crash a power cut looks like to the process."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def wait_log(self, event: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        """Wait until a log line with this event (and these fields) appears."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.logs():
                if line.get("event") == event and all(line.get(k) == v for k, v in match.items()):
                    return line
            if not self.alive():
                raise RuntimeError(f"process exited: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"no {event!r} log line in {timeout} s: "
                           f"{self.log_path.read_text()[-3000:]}")


class MqttProbe:
    """A test-side MQTT 5 client: publishes, and collects what arrives on its subscriptions."""

    def __init__(self, subscriptions: list[str],
                 protocol: MQTTProtocolVersion = paho.MQTTv5,
                 host: str = MQTT_HOST, port: int = MQTT_PORT) -> None:
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self._subscribed = threading.Event()
        self._client = paho.Client(CallbackAPIVersion.VERSION2,
                                   client_id=f"probe-{uuid.uuid4().hex[:8]}", protocol=protocol)
        self._client.on_message = lambda c, u, m: self.messages.put(m)
        self._client.on_socket_open = no_delay
        self._client.on_subscribe = lambda *a: self._subscribed.set()
        self._client.connect(host, port)
        self._client.loop_start()
        if subscriptions:
            self._client.subscribe([(t, 1) for t in subscriptions])
            if not self._subscribed.wait(10):
                raise TimeoutError("subscription not acknowledged")

    def publish(self, topic: str, payload: bytes | str, *, response_topic: str | None = None,
                correlation: bytes | None = None, qos: int = 1) -> None:
        """Publish and wait until the broker has it."""
        props = None
        if response_topic or correlation:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if response_topic:
                props.ResponseTopic = response_topic
            if correlation:
                props.CorrelationData = correlation
        info = self._client.publish(topic, payload, qos=qos, properties=props)
        info.wait_for_publish(10)

    def next(self, timeout: float = 30.0) -> paho.MQTTMessage:
        """The next message, or TimeoutError."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no message in {timeout} s") from None

    def json(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next message's payload as JSON."""
        return dict(json.loads(self.next(timeout).payload))

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def correlation(message: paho.MQTTMessage) -> bytes | None:
    """A received message's MQTT 5 correlation data; None when it carries none."""
    data = getattr(message.properties, "CorrelationData", None)
    return None if data is None else bytes(data)


def wait_until(predicate: Callable[[], T | None], timeout: float = 30.0,
               what: str = "condition") -> T:
    """Poll until predicate returns something truthy, then return it; TimeoutError after."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


def no_delay(client: paho.Client, userdata: object, sock: object) -> None:
    """Set TCP_NODELAY on a paho client's socket, as the edge agent does."""
    import contextlib
    import socket as socket_module

    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(  # type: ignore[attr-defined]
            socket_module.IPPROTO_TCP, socket_module.TCP_NODELAY, 1)
