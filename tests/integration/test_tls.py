"""TLS on the gateway-broker link with the broker run as a process, the way an operator runs it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

from edge_agent.errors import CloudUnavailable
from edge_agent.sync import GrpcTransport, Identity
from edge_agent.sync.tls import ClientTls
from nanogate.v1 import edge_pb2 as pb
from simulations.harness import ROOT
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import Daemon, free_port, wait_until
from tests.support.stack import FAKE_BACKEND, Setup, start

EXAMPLES = ROOT / "deploy" / "examples"


def _mtls_broker(setup: Setup, enrol_port: int) -> Daemon:
    """The test's broker config with mTLS switched on and a fixed Enrol port."""
    text = setup.broker_config.read_text().replace(
        "[server]\n", f'[server]\ntls = "mtls"\nenrol_listen = "127.0.0.1:{enrol_port}"\n', 1)
    setup.broker_config.write_text(text)
    return setup.broker()


async def test_gateway_enrols_and_escalates_over_mtls(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A gateway enrols on the Enrol listener, then escalates over mTLS to a broker process."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    enrol_port = free_port()
    start(processes, _mtls_broker(setup, enrol_port), setup.grpc_port)
    tls = ClientTls(mode="mtls", ca_file=setup.tmp / "broker" / "pki" / "ca.pem",
                    cert_file=setup.tmp / "gw" / "client.pem",
                    key_file=setup.tmp / "gw" / "client.key")
    transport = GrpcTransport(f"127.0.0.1:{setup.grpc_port}", tls=tls,
                              enrol_address=f"127.0.0.1:{enrol_port}")
    reply = await transport.enrol(pb.EnrolRequest(token="test-token", requested_id="gw-tls"),
                                  timeout=10)
    transport.set_identity(Identity(reply.device_id, reply.credential))
    await transport.heartbeat(pb.HeartbeatRequest(), timeout=10)
    answer = await transport.escalate(pb.EscalateRequest(idempotency_key="k1", text="why?"),
                                      timeout=10)
    await transport.close()
    name = x509.load_pem_x509_certificate(tls.cert_file.read_bytes()).subject.rfc4514_string()
    assert name == "CN=gw-tls"
    assert answer.answer.startswith("cloud answer #")


async def test_plaintext_gateway_gets_nothing_from_an_mtls_broker(
        make_setup: Callable[..., Setup], fake_cloud: FakeOpenAI,
        processes: list[Daemon]) -> None:
    """A gateway without TLS cannot even enrol with a broker that serves mTLS."""
    setup = make_setup(FAKE_BACKEND.format(base_url=fake_cloud.base_url))
    enrol_port = free_port()
    start(processes, _mtls_broker(setup, enrol_port), setup.grpc_port)
    transport = GrpcTransport(f"127.0.0.1:{enrol_port}")
    with pytest.raises(CloudUnavailable):
        await transport.enrol(pb.EnrolRequest(token="test-token"), timeout=5)
    await transport.close()


def test_example_configs_still_run_in_plaintext_on_loopback(
        tmp_path: Path, processes: list[Daemon]) -> None:
    """deploy/examples/*.toml as they are: the gateway enrols with the broker on loopback."""
    grpc_port, prefix = free_port(), f"ngtest-{uuid.uuid4().hex[:10]}"
    broker = Daemon(["-m", "cloud_broker", "serve", "--config", str(EXAMPLES / "broker.toml"),
                     "--data-dir", str(tmp_path / "broker")], tmp_path / "broker.log", env={
        "NANOGATE_BROKER_SERVER__GRPC_LISTEN": f"127.0.0.1:{grpc_port}",
        "NANOGATE_BROKER_SERVER__HTTP_LISTEN": f"127.0.0.1:{free_port()}"})
    start(processes, broker, grpc_port)
    edge = Daemon(["-m", "edge_agent", "run", "--config", str(EXAMPLES / "edge.toml"),
                   "--data-dir", str(tmp_path / "edge")], tmp_path / "edge.log", env={
        "NANOGATE_EDGE_CLOUD__ADDRESS": f"127.0.0.1:{grpc_port}",
        "NANOGATE_EDGE_MQTT__TOPIC_PREFIX": prefix,
        "NANOGATE_EDGE_MQTT__CLIENT_ID": f"edge-{prefix}"})
    start(processes, edge)
    edge.wait_log("link.enrolled", timeout=60, device_id="gw-demo-1")
    assert broker.wait_log("grpc.listening", tls="off")["port"] == grpc_port
    # --data-dir moves their SQLite files
    assert (tmp_path / "edge" / "outbox.db").exists()
    assert (tmp_path / "broker" / "fleet.db").exists()


def test_broker_refuses_plaintext_on_a_public_address(
        tmp_path: Path, processes: list[Daemon]) -> None:
    """Without allow_insecure, a broker told to serve plaintext on 0.0.0.0 exits and says why."""
    broker = Daemon(["-m", "cloud_broker", "serve", "--config", str(EXAMPLES / "broker.toml"),
                     "--data-dir", str(tmp_path / "broker")], tmp_path / "broker.log", env={
        "NANOGATE_BROKER_SERVER__GRPC_LISTEN": f"0.0.0.0:{free_port()}",
        "NANOGATE_BROKER_SERVER__HTTP_LISTEN": f"127.0.0.1:{free_port()}"})
    start(processes, broker)
    assert broker.proc is not None
    assert broker.proc.wait(60) != 0
    assert wait_until(lambda: "allow_insecure" in broker.log_path.read_text(), 10,
                      what="the refusal in the broker's log")
