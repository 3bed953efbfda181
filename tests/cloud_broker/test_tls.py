"""TLS and device identities on the gRPC link: real mTLS on loopback, the real edge transport."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from structlog.testing import capture_logs

from cloud_broker.config import ServerSection
from cloud_broker.errors import ConfigError, Unauthenticated
from cloud_broker.fleet import SqliteFleetStore
from cloud_broker.fleet.certificates import DeviceCertificates
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from cloud_broker.pki import BrokerTls, CertificateAuthority, load_broker_tls, peer_certificate
from edge_agent.config import CloudSection
from edge_agent.errors import CloudRejected, CloudUnavailable
from edge_agent.errors import ConfigError as EdgeConfigError
from edge_agent.sync import GrpcTransport, Identity
from edge_agent.sync.tls import ClientTls
from nanogate.link import is_loopback
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import CountingAnswerer
from tests.support.fleet import OpenStore


@dataclass
class Broker:
    """A broker service with mTLS on 127.0.0.1 and what a test needs to reach it."""

    tmp: Path
    store: SqliteFleetStore
    service: EdgeLinkService
    port: int

    @property
    def ca_file(self) -> Path:
        """The broker CA's certificate, as an operator copies it to a gateway."""
        return self.tmp / "broker" / "pki" / "ca.pem"

    def client_tls(self, name: str, mode: str = "mtls") -> ClientTls:
        """TLS settings of a gateway whose files live in ``tmp/<name>``."""
        return ClientTls(mode=mode, ca_file=self.ca_file,  # type: ignore[arg-type]
                         cert_file=self.tmp / name / "client.pem",
                         key_file=self.tmp / name / "client.key")

    def transport(self, tls: ClientTls, port: int | None = None) -> GrpcTransport:
        """An edge transport to the main listener (or ``port``)."""
        return GrpcTransport(f"127.0.0.1:{port or self.port}", tls=tls,
                             enrol_address=f"127.0.0.1:{self.service.enrol_port}")

    async def enrolled(self, name: str) -> tuple[GrpcTransport, pb.EnrolResponse]:
        """A gateway that enrolled as ``name`` over the Enrol listener and holds its certificate."""
        transport = self.transport(self.client_tls(name))
        reply = await transport.enrol(pb.EnrolRequest(token="tok", requested_id=name),
                                      timeout=5)
        transport.set_identity(Identity(reply.device_id, reply.credential))
        return transport, reply


async def _serve(tmp: Path, **server: object) -> AsyncIterator[Broker]:
    store = SqliteFleetStore(tmp / "fleet.db")
    store.create_enrol_token(site="lab", tags=[], token="tok", reusable=True)
    section = ServerSection(tls="mtls", grpc_listen="127.0.0.1:0", data_dir=tmp / "broker",
                            **server)  # type: ignore[arg-type]
    service = EdgeLinkService(store, CountingAnswerer(), tls=load_broker_tls(section))
    grpc_server, port = await start_grpc(service, section.grpc_listen)
    yield Broker(tmp, store, service, port)
    await grpc_server.stop(None)
    store.close()


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Broker]:
    """An mTLS broker with a reusable enrolment token "tok"."""
    async for running in _serve(tmp_path):
        yield running


async def _refused(transport: GrpcTransport) -> CloudRejected | CloudUnavailable:
    try:
        await transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    except (CloudRejected, CloudUnavailable) as exc:
        return exc
    finally:
        await transport.close()
    raise AssertionError("the call was accepted")


async def test_gateway_enrols_and_calls_over_mtls(broker: Broker) -> None:
    """A gateway enrols with a CSR, gets a certificate naming it, then calls over mTLS."""
    transport, reply = await broker.enrolled("gw-a")
    await transport.heartbeat(pb.HeartbeatRequest(agent_version="t"), timeout=5)
    answer = await transport.escalate(pb.EscalateRequest(idempotency_key="k1", text="why?"),
                                      timeout=5)
    await transport.close()
    cert = x509.load_pem_x509_certificate(reply.certificate)
    assert cert.subject.rfc4514_string() == "CN=gw-a"
    assert reply.ca_certificate == broker.ca_file.read_bytes()
    assert answer.answer == "answer to why?"
    assert broker.store.gateway("gw-a").agent_version == "t"  # type: ignore[union-attr]


def test_gateway_key_and_broker_ca_key_are_private(tmp_path: Path) -> None:
    """The gateway's key and the broker CA's key are created with mode 0600."""
    tls = ClientTls(mode="mtls", cert_file=tmp_path / "gw" / "c.pem",
                    key_file=tmp_path / "gw" / "c.key")
    tls.csr()
    CertificateAuthority.load_or_create(tmp_path / "pki" / "ca.pem", tmp_path / "pki" / "ca.key")
    assert (tls.key_file.stat().st_mode & 0o777) == 0o600
    assert ((tmp_path / "pki" / "ca.key").stat().st_mode & 0o777) == 0o600


def test_replicas_sharing_the_ca_files_use_one_ca(tmp_path: Path) -> None:
    """A second broker loading the same CA files gets the same CA, not a new one."""
    paths = (tmp_path / "pki" / "ca.pem", tmp_path / "pki" / "ca.key")
    first = CertificateAuthority.load_or_create(*paths)
    second = CertificateAuthority.load_or_create(*paths)
    assert first.certificate_pem == second.certificate_pem


async def test_certificate_from_another_ca_is_refused(broker: Broker, tmp_path: Path) -> None:
    """A certificate naming an enrolled gateway but signed by another CA fails the handshake."""
    await (await broker.enrolled("gw-a"))[0].close()
    tls = broker.client_tls("forger")
    other = CertificateAuthority.load_or_create(tmp_path / "other" / "ca.pem",
                                                tmp_path / "other" / "ca.key")
    issued = other.issue_device(tls.csr(), "gw-a", days=30)
    tls.save(issued.pem)
    broker.service.certificates.record("gw-a", issued.serial, issued.not_after)
    assert isinstance(await _refused(broker.transport(tls)), CloudUnavailable)


async def test_expired_certificate_is_refused(broker: Broker) -> None:
    """An expired certificate of the broker's own CA fails the handshake, and is logged."""
    transport, _ = await broker.enrolled("gw-a")
    await transport.close()
    tls = broker.client_tls("gw-a")
    assert broker.service.tls.ca is not None
    issued = broker.service.tls.ca.issue_device(tls.csr(), "gw-a", days=1,
                                                now=time.time() - 3 * 86400)
    tls.save(issued.pem)
    broker.service.certificates.record("gw-a", issued.serial, issued.not_after)
    transport = broker.transport(tls)
    transport.set_identity(Identity("gw-a", ""))
    with capture_logs() as logs:
        assert isinstance(await _refused(transport), CloudUnavailable)
    assert "tls.certificate_expired" in [e["event"] for e in logs]


async def test_revoked_device_is_refused_at_once(broker: Broker) -> None:
    """Revoking a gateway stops its very next call, whatever certificate it holds."""
    transport, _ = await broker.enrolled("gw-a")
    await transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    broker.store.revoke("gw-a")
    refused = await _refused(transport)
    assert isinstance(refused, CloudRejected) and "revoked" in refused.message


async def test_certificate_with_another_devices_credential_is_refused(broker: Broker) -> None:
    """Device A's certificate with device B's credential cannot pull B's commands."""
    a, _ = await broker.enrolled("gw-a")
    b, b_reply = await broker.enrolled("gw-b")
    await b.close()
    broker.store.add_command("gw-b", "ping", "{}", ttl_s=60)
    a.set_identity(Identity("gw-a", b_reply.credential))
    with pytest.raises(CloudRejected) as info:
        await a.pull_commands(max_items=10, timeout=5)
    await a.close()
    assert info.value.code == "permission_denied"
    assert broker.store.pending_commands("gw-b") == 1


async def test_a_device_pulls_only_its_own_commands(broker: Broker) -> None:
    """Device A's certificate gets A's commands and never B's."""
    a, _ = await broker.enrolled("gw-a")
    b, _ = await broker.enrolled("gw-b")
    broker.store.add_command("gw-b", "ping", "{}", ttl_s=60)
    mine = await a.pull_commands(max_items=10, timeout=5)
    theirs = await b.pull_commands(max_items=10, timeout=5)
    await a.close()
    await b.close()
    assert mine == []
    assert [c.name for c in theirs] == ["ping"]


async def test_plaintext_client_is_refused_by_a_tls_server(broker: Broker) -> None:
    """A gateway speaking plaintext gets no answer from a TLS listener."""
    _, reply = await broker.enrolled("gw-a")
    transport = GrpcTransport(f"127.0.0.1:{broker.port}")
    transport.set_identity(Identity("gw-a", reply.credential))
    assert isinstance(await _refused(transport), CloudUnavailable)


async def test_enrol_listener_serves_nothing_but_enrol(broker: Broker) -> None:
    """On the TLS-only Enrol listener, a valid credential without a certificate is refused."""
    _, reply = await broker.enrolled("gw-a")
    transport = broker.transport(broker.client_tls("gw-a", mode="tls"),
                                 port=broker.service.enrol_port)
    transport.set_identity(Identity("gw-a", reply.credential))
    refused = await _refused(transport)
    assert isinstance(refused, CloudRejected) and "certificate" in refused.message


async def test_bad_csr_is_refused_without_spending_the_token(broker: Broker) -> None:
    """An unreadable CSR is an invalid argument, and the one-time token stays usable."""
    broker.store.create_enrol_token(site="lab", tags=[], token="once")
    transport = broker.transport(broker.client_tls("gw-a", mode="tls"),
                                 port=broker.service.enrol_port)
    with pytest.raises(CloudRejected) as info:
        await transport.enrol(pb.EnrolRequest(token="once", csr=b"not a csr"), timeout=5)
    reply = await transport.enrol(pb.EnrolRequest(token="once"), timeout=5)
    await transport.close()
    assert info.value.code == "invalid_argument"
    assert reply.device_id


async def test_renewal_replaces_the_certificate(broker: Broker) -> None:
    """A renewed certificate works at once and the one it replaced is refused."""
    transport, _ = await broker.enrolled("gw-a")
    tls = broker.client_tls("gw-a")
    old = tls.cert_file.read_bytes()
    await transport.renew_certificate(timeout=5)
    await transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    await transport.close()
    assert tls.cert_file.read_bytes() != old
    stale = broker.client_tls("stale")
    stale.key_file.parent.mkdir(parents=True)
    stale.key_file.write_bytes(tls.key_file.read_bytes())
    stale.cert_file.write_bytes(old)
    refused = await _refused(broker.transport(stale))
    assert isinstance(refused, CloudRejected) and "replaced" in refused.message


async def test_heartbeat_renews_a_certificate_near_its_expiry(tmp_path: Path) -> None:
    """A certificate past two thirds of its life is renewed before the next heartbeat."""
    async for broker in _serve(tmp_path, client_cert_days=60 / 86400):
        transport, _ = await broker.enrolled("gw-a")
        serial = broker.service.certificates.current("gw-a")
        assert broker.client_tls("gw-a").renewal_due()
        await transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
        await transport.close()
        assert broker.service.certificates.current("gw-a") not in (None, serial)


def test_fresh_certificate_is_not_due_for_renewal(tmp_path: Path) -> None:
    """A 30-day certificate is renewed after 20 days, not before."""
    ca = CertificateAuthority.load_or_create(tmp_path / "ca.pem", tmp_path / "ca.key")
    tls = ClientTls(mode="mtls", cert_file=tmp_path / "c.pem", key_file=tmp_path / "c.key")
    tls.save(ca.issue_device(tls.csr(), "gw-a", days=30).pem)
    now = time.time()
    assert not tls.renewal_due(now)
    assert tls.renewal_due(now + 21 * 86400)


def test_server_certificate_is_no_device_identity(tmp_path: Path) -> None:
    """A server certificate of the same CA does not pass as a gateway's certificate."""
    ca = CertificateAuthority.load_or_create(tmp_path / "ca.pem", tmp_path / "ca.key")
    _, server_cert = ca.issue_server(["gw-a"])
    tls = ClientTls(mode="mtls", cert_file=tmp_path / "c.pem", key_file=tmp_path / "c.key")
    device = peer_certificate(ca.issue_device(tls.csr(), "gw-a", days=1).pem)
    assert peer_certificate(server_cert) is None
    assert device is not None and device.device_id == "gw-a"


async def test_plaintext_on_a_public_address_is_refused(tmp_path: Path) -> None:
    """Without allow_insecure the broker will not serve plaintext gRPC beyond loopback."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    service = EdgeLinkService(store, CountingAnswerer(), tls=BrokerTls())
    with pytest.raises(ConfigError, match="allow_insecure"):
        await start_grpc(service, "0.0.0.0:0")
    store.close()


@pytest.mark.parametrize(("listen", "loopback"), [
    ("127.0.0.1:50051", True), ("[::1]:50051", True), ("localhost:1", True),
    ("0.0.0.0:50051", False), ("[::]:50051", False), ("broker.example.com:50051", False),
    ("10.0.0.5:50051", False)], ids=str)
def test_loopback_addresses(listen: str, loopback: bool) -> None:
    """Only loopback listen addresses count as loopback."""
    assert is_loopback(listen) is loopback


def test_a_renewed_serial_replaces_the_old_on_every_replica(open_store: OpenStore) -> None:
    """Recording a new serial on one replica makes another refuse the old one (SQLite, PG)."""
    one, two = open_store(), open_store()
    first, second = (DeviceCertificates(s.db, s.now) for s in (one, two))
    first.record("gw-a", "0a", not_after=1.0)
    second.check("gw-a", "0a")
    first.record("gw-a", "0b", not_after=2.0)
    with pytest.raises(Unauthenticated, match="replaced"):
        second.check("gw-a", "0a")
    second.forget("gw-a")
    assert first.current("gw-a") is None


async def test_transport_from_config_keeps_its_files_in_the_data_dir(broker: Broker) -> None:
    """``[cloud] tls = "mtls"`` enrols and calls, with the key (0600) in <data_dir>/tls."""
    data = broker.tmp / "edge"
    cloud = CloudSection(tls="mtls", ca_file=broker.ca_file, address=f"127.0.0.1:{broker.port}",
                         enrol_address=f"127.0.0.1:{broker.service.enrol_port}")
    transport = GrpcTransport.from_config(cloud, data)
    reply = await transport.enrol(pb.EnrolRequest(token="tok", requested_id="gw-c"), timeout=5)
    transport.set_identity(Identity(reply.device_id, reply.credential))
    await transport.heartbeat(pb.HeartbeatRequest(), timeout=5)
    await transport.close()
    assert ((data / "tls" / "client.key").stat().st_mode & 0o777) == 0o600
    assert (data / "tls" / "client.pem").read_bytes() == reply.certificate


def test_missing_ca_file_is_a_config_error_at_start(tmp_path: Path) -> None:
    """A gateway told to trust a CA file that is not there fails at start, naming the key."""
    cloud = CloudSection(tls="mtls", ca_file=tmp_path / "nowhere.pem")
    with pytest.raises(EdgeConfigError, match="ca_file"):
        GrpcTransport.from_config(cloud, tmp_path)
