"""The MQTT uplink over TLS (issue 13.3): a real Mosquitto with a TLS listener and certificates
made here by the broker's own CA, started by the test on a free loopback port."""

from __future__ import annotations

import asyncio
import getpass
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloud_broker.config import MqttUplinkSection
from cloud_broker.errors import ConfigError as BrokerConfigError
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.link.core import LinkCore
from cloud_broker.link.mqtt import MqttBridge
from cloud_broker.pki import CertificateAuthority
from edge_agent.config import CloudSection
from edge_agent.errors import CloudUnavailable
from edge_agent.errors import ConfigError as EdgeConfigError
from edge_agent.sync import Identity
from edge_agent.sync.mqtt_transport import mqtt_transport
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer
from tests.support.processes import free_port, wait_for_port

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
pytestmark = pytest.mark.skipif(MOSQUITTO is None,
                                reason="mosquitto not installed (Debian package: mosquitto)")


@dataclass(frozen=True)
class Pki:
    """A CA and the files made from it, in one directory."""

    ca: CertificateAuthority
    ca_file: Path
    directory: Path

    def server(self, names: list[str]) -> tuple[Path, Path]:
        """A server certificate and key for these names."""
        key, cert = self.ca.issue_server(names)
        return self._write("server", key, cert)

    def client(self, name: str) -> tuple[Path, Path]:
        """A client certificate and key (as a gateway's, issued from a CSR)."""
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        issued = self.ca.issue_device(csr, name, 1)
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return self._write(name, key_pem, issued.pem)

    def _write(self, name: str, key: bytes, cert: bytes) -> tuple[Path, Path]:
        cert_file, key_file = self.directory / f"{name}.pem", self.directory / f"{name}.key"
        cert_file.write_bytes(cert)
        key_file.write_bytes(key)
        return cert_file, key_file


def make_pki(directory: Path) -> Pki:
    """A fresh CA in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.load_or_create(directory / "ca.pem", directory / "ca.key")
    return Pki(ca, directory / "ca.pem", directory)


StartMosquitto = Callable[..., int]


@pytest.fixture
def tls_mosquitto(tmp_path: Path) -> Iterator[StartMosquitto]:
    """Starts Mosquittos with one TLS listener each; returns the port."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(pki: Pki, names: list[str], *, require_certificate: bool = False) -> int:
        assert MOSQUITTO is not None
        cert, key = pki.server(names)
        port = free_port()
        conf = tmp_path / f"mosquitto-{port}.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\ncafile {pki.ca_file}\ncertfile {cert}\n"
            f"keyfile {key}\nrequire_certificate {str(require_certificate).lower()}\n"
            f"allow_anonymous true\npersistence false\nuser {getpass.getuser()}\n"
            "log_dest stderr\n")
        log = tmp_path / f"mosquitto-{port}.log"
        with log.open("ab") as out:
            procs.append(subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=out,
                                          stderr=subprocess.STDOUT))
        try:
            wait_for_port(port, timeout=10)
        except TimeoutError:
            raise AssertionError(log.read_text()) from None
        return port

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def gateway_cloud(port: int, **tls: object) -> CloudSection:
    """A gateway's [cloud] section for the MQTT uplink on this port."""
    return CloudSection(transport="mqtt", mqtt_port=port, mqtt_topic_root="tls/cloud",
                        **tls)  # type: ignore[arg-type]


async def enrol_and_escalate(cloud: CloudSection, store: SqliteFleetStore,
                             device: str, timeout: float = 10) -> str:
    """Enrol ``device`` over the uplink and escalate once; returns the answer."""
    transport = mqtt_transport(cloud, device)
    try:
        token = store.create_enrol_token(site="lab", tags=[])
        reply = await transport.enrol(pb.EnrolRequest(token=token, requested_id=device,
                                                      site="lab"), timeout=timeout)
        transport.set_identity(Identity(reply.device_id, reply.credential))
        answer = await transport.escalate(pb.EscalateRequest(idempotency_key="k1",
                                                             text="why?"), timeout=10)
        return answer.answer
    finally:
        await transport.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteFleetStore]:
    """A fleet store in a temporary file."""
    fleet = SqliteFleetStore(tmp_path / "fleet.db")
    yield fleet
    fleet.close()


async def run_bridge(store: SqliteFleetStore, section: MqttUplinkSection
                     ) -> asyncio.Task[None]:
    """A running bridge over ``store``, subscribed."""
    bridge = MqttBridge(LinkCore(store, CountingAnswerer()), section)
    task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.ready.wait(), 10)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel a bridge task and wait for it."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_gateway_and_broker_talk_over_mutual_tls(
        tls_mosquitto: StartMosquitto, store: SqliteFleetStore, tmp_path: Path) -> None:
    """Both sides verify the MQTT broker and present client certificates it requires."""
    pki = make_pki(tmp_path / "pki")
    port = tls_mosquitto(pki, ["127.0.0.1"], require_certificate=True)
    broker_cert, broker_key = pki.client("nanogate-broker")
    gw_cert, gw_key = pki.client("gw-a")
    task = await run_bridge(store, MqttUplinkSection(
        enabled=True, port=port, topic_root="tls/cloud", tls=True, ca_file=pki.ca_file,
        cert_file=broker_cert, key_file=broker_key))
    try:
        answer = await enrol_and_escalate(gateway_cloud(
            port, mqtt_tls=True, mqtt_ca_file=pki.ca_file, mqtt_cert_file=gw_cert,
            mqtt_key_file=gw_key), store, "gw-a")
        assert answer == "answer to why?"
    finally:
        await stop(task)


async def test_gateway_refuses_a_broker_its_ca_did_not_sign(
        tls_mosquitto: StartMosquitto, store: SqliteFleetStore, tmp_path: Path) -> None:
    """A man in the middle with another CA's certificate never sees the enrolment token."""
    port = tls_mosquitto(make_pki(tmp_path / "mitm"), ["127.0.0.1"])
    trusted = make_pki(tmp_path / "trusted")
    with pytest.raises(CloudUnavailable, match="cannot reach"):
        await enrol_and_escalate(gateway_cloud(port, mqtt_tls=True,
                                               mqtt_ca_file=trusted.ca_file), store, "gw-a",
                                 timeout=3)


async def test_server_name_says_which_certificate_to_expect(
        tls_mosquitto: StartMosquitto, store: SqliteFleetStore, tmp_path: Path) -> None:
    """A certificate for another name is refused, unless server_name names it."""
    pki = make_pki(tmp_path / "pki")
    port = tls_mosquitto(pki, ["uplink.example"])
    task = await run_bridge(store, MqttUplinkSection(
        enabled=True, port=port, topic_root="tls/cloud", tls=True, ca_file=pki.ca_file,
        server_name="uplink.example"))
    try:
        with pytest.raises(CloudUnavailable, match="cannot reach"):
            await enrol_and_escalate(gateway_cloud(port, mqtt_tls=True,
                                                   mqtt_ca_file=pki.ca_file), store, "gw-a",
                                     timeout=3)
        answer = await enrol_and_escalate(gateway_cloud(
            port, mqtt_tls=True, mqtt_ca_file=pki.ca_file, mqtt_server_name="uplink.example"),
            store, "gw-b")
        assert answer == "answer to why?"
    finally:
        await stop(task)


def test_gateway_refuses_a_plaintext_uplink_off_loopback() -> None:
    """[cloud] transport = "mqtt" to another host without TLS does not start."""
    with pytest.raises(EdgeConfigError, match=r"refusing a plaintext MQTT uplink to 10\.0\.0\.7"):
        mqtt_transport(CloudSection(transport="mqtt", mqtt_host="10.0.0.7"), "gw-a")
    mqtt_transport(CloudSection(transport="mqtt", mqtt_host="10.0.0.7",
                                mqtt_allow_insecure=True), "gw-a")
    mqtt_transport(CloudSection(transport="mqtt", mqtt_host="localhost"), "gw-a")


def test_broker_refuses_a_plaintext_uplink_off_loopback(store: SqliteFleetStore) -> None:
    """[mqtt_uplink] to another host without TLS does not start either."""
    core = LinkCore(store, CountingAnswerer())
    with pytest.raises(BrokerConfigError, match=r"plaintext MQTT uplink to mq\.example"):
        MqttBridge(core, MqttUplinkSection(enabled=True, host="mq.example"))
    MqttBridge(core, MqttUplinkSection(enabled=True, host="mq.example", allow_insecure=True))
    MqttBridge(core, MqttUplinkSection(enabled=True, host="127.0.0.1"))


def test_missing_ca_file_is_an_error_at_start(tmp_path: Path) -> None:
    """A TLS uplink whose CA file is missing fails at start, saying which file."""
    with pytest.raises(EdgeConfigError, match=r"nowhere\.pem"):
        mqtt_transport(gateway_cloud(1, mqtt_tls=True, mqtt_ca_file=tmp_path / "nowhere.pem"),
                       "gw-a")
