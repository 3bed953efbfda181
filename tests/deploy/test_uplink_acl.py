"""deploy/mosquitto/uplink-acl.conf, enforced by a real Mosquitto with a password file."""

from __future__ import annotations

import asyncio
import getpass
import queue
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from cloud_broker.config import MqttUplinkSection
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.link.core import LinkCore
from cloud_broker.link.mqtt import MqttBridge
from edge_agent.sync import Identity, MqttTransport
from nanogate.mqtt import Connection
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer
from tests.support.processes import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
ACL = ROOT / "deploy" / "mosquitto" / "uplink-acl.conf"
MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")
pytestmark = pytest.mark.skipif(MOSQUITTO is None or MOSQUITTO_PASSWD is None,
                                reason="mosquitto not installed (Debian package: mosquitto)")
USERS = {"gw-a": "pw-a", "gw-b": "pw-b", "nanogate-broker": "pw-broker"}


class Client:
    """A test MQTT 5 client logged in as one user; records SUBACK codes and messages."""

    def __init__(self, port: int, user: str, client_id: str = "") -> None:
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self._acks: queue.Queue[list[ReasonCode]] = queue.Queue()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5,
                                   client_id=client_id or f"{user}-{uuid.uuid4().hex[:6]}")
        self._client.username_pw_set(user, USERS[user])
        self._client.on_message = lambda c, u, m: self.messages.put(m)
        self._client.on_subscribe = lambda c, u, mid, codes, p: self._acks.put(codes)
        connected = threading.Event()
        self._client.on_connect = lambda c, u, f, rc, p: connected.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        assert connected.wait(10), "no CONNACK"

    def subscribe(self, topic: str) -> bool:
        """Subscribe; whether the broker granted it."""
        self._client.subscribe(topic, qos=1)
        return not self._acks.get(timeout=10)[0].is_failure

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        self._client.publish(topic, payload, qos=1).wait_for_publish(10)

    def payloads(self, n: int) -> list[bytes]:
        """The payloads of the next n messages."""
        return [bytes(self.messages.get(timeout=10).payload) for _ in range(n)]

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    """A Mosquitto on a free loopback port with the uplink ACL and a password file."""
    assert MOSQUITTO is not None and MOSQUITTO_PASSWD is not None
    passwd = tmp_path / "uplink.passwd"
    passwd.touch(mode=0o600)
    for user, password in USERS.items():
        subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwd), user, password], check=True)
    listen = free_port()
    conf = tmp_path / "uplink.conf"
    conf.write_text(f"listener {listen} 127.0.0.1\nallow_anonymous false\n"
                    f"password_file {passwd}\nacl_file {ACL}\npersistence false\n"
                    f"user {getpass.getuser()}\nlog_dest stderr\n")
    log = tmp_path / "mosquitto.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_for_port(listen, timeout=10)
    except TimeoutError:
        proc.terminate()
        raise AssertionError(log.read_text()) from None
    yield listen
    proc.terminate()
    proc.wait(10)


def test_device_cannot_subscribe_to_another_devices_subtree(port: int) -> None:
    """gw-a reads its own responses only, whatever it subscribes to."""
    a, broker = Client(port, "gw-a"), Client(port, "nanogate-broker")
    try:
        # Mosquitto 2.0 grants these SUBSCRIBEs and applies the ACL to each delivery.
        for topic in ("nanogate/cloud/gw-b/res", "nanogate/cloud/+/res", "nanogate/cloud/#"):
            a.subscribe(topic)
        assert a.subscribe("nanogate/cloud/gw-a/res")
        broker.publish("nanogate/cloud/gw-b/res", b"for b")
        broker.publish("nanogate/cloud/gw-a/res", b"for a")
        # Messages arrive in order: had "for b" got through, it would come first.
        assert a.payloads(1) == [b"for a"]
    finally:
        a.close()
        broker.close()


def test_device_cannot_publish_into_another_devices_subtree(port: int) -> None:
    """The broker user hears gw-a's requests on gw-a's subtree, never on gw-b's."""
    a, broker = Client(port, "gw-a"), Client(port, "nanogate-broker")
    try:
        assert broker.subscribe("$share/nanogate-brokers/nanogate/cloud/+/req/+")
        a.publish("nanogate/cloud/gw-b/req/heartbeat", b"forged")
        a.publish("nanogate/cloud/gw-a/res", b"own response topic: not writable")
        a.publish("nanogate/cloud/gw-a/req/heartbeat", b"mine")
        assert broker.payloads(1) == [b"mine"]
    finally:
        a.close()
        broker.close()


def test_enrolment_reply_is_readable_by_its_own_connection_only(port: int) -> None:
    """Any user may ask to enrol; the answer's topic is named after the asker's client id."""
    asker = Client(port, "gw-a", client_id="enrol-1234")
    other = Client(port, "gw-b", client_id="enrol-5678")
    broker = Client(port, "nanogate-broker")
    try:
        assert broker.subscribe("$share/nanogate-brokers/nanogate/cloud/enrol/req")
        other.subscribe("nanogate/cloud/enrol/res/+")
        other.subscribe("nanogate/cloud/enrol/res/enrol-1234")
        assert other.subscribe("nanogate/cloud/enrol/res/enrol-5678")
        assert asker.subscribe("nanogate/cloud/enrol/res/enrol-1234")
        asker.publish("nanogate/cloud/enrol/req", b"token")
        assert broker.payloads(1) == [b"token"]
        broker.publish("nanogate/cloud/enrol/res/enrol-1234", b"credential")
        broker.publish("nanogate/cloud/enrol/res/enrol-5678", b"for other")
        assert asker.payloads(1) == [b"credential"]
        assert other.payloads(1) == [b"for other"]  # the credential never reached it
    finally:
        for client in (asker, other, broker):
            client.close()


async def test_gateway_enrols_and_calls_the_broker_through_the_acl(
        port: int, tmp_path: Path) -> None:
    """The real MQTT transport and bridge work within the ACL, as gw-a and nanogate-broker."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=[], token="tok-acl")
    bridge = MqttBridge(LinkCore(store, CountingAnswerer()), MqttUplinkSection(
        enabled=True, port=port, username="nanogate-broker", password=USERS["nanogate-broker"]))
    task = asyncio.create_task(bridge.run())
    transport = MqttTransport(Connection(port=port, client_id="uplink-gw-a", username="gw-a",
                                         password=USERS["gw-a"]))
    try:
        await asyncio.wait_for(bridge.ready.wait(), 10)
        reply = await transport.enrol(pb.EnrolRequest(token="tok-acl", requested_id="gw-a"),
                                      timeout=5)
        transport.set_identity(Identity(reply.device_id, reply.credential))
        answer = await transport.escalate(pb.EscalateRequest(
            idempotency_key="k1", text="why?"), timeout=5)
        assert answer.answer == "answer to why?"
    finally:
        await transport.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        store.close()
