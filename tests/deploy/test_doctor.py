"""``edge-agent doctor`` against real parts: Mosquitto on 127.0.0.1:1883, a real broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from edge_agent.doctor import check_certificates, check_data_dir, run_doctor
from edge_agent.sync.grpc import GrpcTransport
from nanogate.v1 import edge_pb2 as pb
from tests.support.processes import Daemon, free_port, wait_for_port, write_toml

EDGE = """
[gateway]
id = "gw-doctor"
site = "lab"
data_dir = "{data}"

[cloud]
address = "127.0.0.1:{grpc_port}"
enrol_token = "doctor-token"
"""

BROKER = """
[server]
grpc_listen = "127.0.0.1:{grpc_port}"
http_listen = "127.0.0.1:{http_port}"
data_dir = "{data}"
admin_token = "doctor-admin"

[[enrol_tokens]]
token = "doctor-token"
site = "lab"
reusable = true

[[backends]]
kind = "openai"
name = "never-called"
base_url = "http://127.0.0.1:9/v1"
model = "none"
"""


def doctor(config: Path) -> tuple[int, dict[str, str]]:
    """Run doctor; its exit code and each check's line by check name."""
    out = io.StringIO()
    code = run_doctor(config, None, timeout=3.0, out=out)
    lines = out.getvalue().splitlines()
    return code, {line.split()[1].rstrip(":"): line for line in lines}


def test_mqtt_ok_and_cloud_fail_without_a_broker(tmp_path: Path) -> None:
    """With Mosquitto up and no cloud broker: MQTT OK, cloud FAIL with a fix, exit code 1."""
    config = write_toml(tmp_path / "edge.toml",
                        EDGE.format(data=tmp_path / "data", grpc_port=free_port()))
    code, checks = doctor(config)
    assert code == 1
    assert checks["config"].startswith("OK config")
    assert checks["mqtt"].startswith("OK mqtt: connected to 127.0.0.1:1883")
    assert checks["cloud"].startswith("FAIL cloud: cannot connect to 127.0.0.1:")
    assert "→ start the broker" in checks["cloud"]
    assert checks["clock"].startswith("SKIP clock")


def test_bad_config_fails_with_the_key_named(tmp_path: Path) -> None:
    """A misspelt key gives one FAIL config line naming it, and exit code 1."""
    config = write_toml(tmp_path / "edge.toml", "[mqtt]\nprot = 1883\n")
    code, checks = doctor(config)
    assert code == 1
    assert list(checks) == ["config"]
    assert checks["config"].startswith("FAIL config") and "mqtt.prot" in checks["config"]


def test_missing_config_file_fails(tmp_path: Path) -> None:
    """A config path that does not exist is a FAIL, not a traceback."""
    code, checks = doctor(tmp_path / "nope.toml")
    assert code == 1 and "not found" in checks["config"]


def test_data_dir_that_cannot_be_written_fails(tmp_path: Path) -> None:
    """A data dir below a regular file cannot be created or written: FAIL with a fix."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    finding = check_data_dir(blocker / "data")
    assert finding.status == "FAIL" and "→" in finding.line()


def test_cloud_and_clock_ok_with_an_enrolled_gateway(tmp_path: Path) -> None:
    """Against a real broker, once enrolled: cloud OK and clock OK from a heartbeat."""
    grpc_port, http_port = free_port(), free_port()
    broker_toml = write_toml(tmp_path / "broker.toml", BROKER.format(
        grpc_port=grpc_port, http_port=http_port, data=tmp_path / "broker"))
    broker = Daemon(["-m", "cloud_broker", "serve", "--config", str(broker_toml)],
                    tmp_path / "broker.log").start()
    try:
        wait_for_port(grpc_port, timeout=60)
        reply = asyncio.run(_enrol(f"127.0.0.1:{grpc_port}"))
        data = tmp_path / "edge"
        data.mkdir()
        (data / "identity.json").write_text(json.dumps(
            {"device_id": reply.device_id, "credential": reply.credential, "site": reply.site}))
        config = write_toml(tmp_path / "edge.toml", EDGE.format(data=data, grpc_port=grpc_port))
        code, checks = doctor(config)
    finally:
        broker.stop()
    assert checks["cloud"].startswith("OK cloud: gRPC channel ready")
    assert checks["clock"].startswith("OK clock: local clock is")
    assert not [line for line in checks.values() if line.startswith("FAIL")], checks
    assert code == 0


async def _enrol(address: str) -> pb.EnrolResponse:
    transport = GrpcTransport(address)
    try:
        return await transport.enrol(pb.EnrolRequest(token="doctor-token", requested_id="gw-d"),
                                     timeout=10.0)
    finally:
        await transport.close()


def _certificate(path: Path, not_after: dt.datetime) -> Path:
    # cryptography is what doctor's certificate check uses; without it that check only warns.
    pytest.importorskip("cryptography", reason="cryptography not installed")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nanogate-test")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_after - dt.timedelta(days=400)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize("days,status", [(200, "OK"), (10, "WARN"), (-1, "FAIL")],
                         ids=["valid", "expiring", "expired"])
def test_certificate_expiry(tmp_path: Path, days: int, status: str) -> None:
    """A PEM file in a *_cert key is OK, WARN within 30 days of expiry, FAIL once expired."""
    now = dt.datetime.now(dt.UTC)
    cert = _certificate(tmp_path / "gw.pem", now + dt.timedelta(days=days))
    [finding] = check_certificates({"cloud": {"tls_cert": str(cert)}}, now=now)
    assert finding.status == status and finding.name == "cert cloud.tls_cert"


def test_certificate_checks_cover_nested_ca_keys_and_broken_files(tmp_path: Path) -> None:
    """Keys ending in _ca are checked too; a missing or non-PEM file is a FAIL."""
    pytest.importorskip("cryptography", reason="cryptography not installed")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    doc = {"mqtt": {"tls_ca": str(tmp_path / "missing.pem")},
           "sensors": [{"id": "x", "client_cert": str(garbage)}], "cloud": {"address": "x"}}
    findings = {f.name: f for f in check_certificates(doc)}
    assert set(findings) == {"cert mqtt.tls_ca", "cert sensors[0].client_cert"}
    assert all(f.status == "FAIL" for f in findings.values())


def test_no_certificate_keys_is_a_skip() -> None:
    """Without *_cert or *_ca keys there is nothing to check."""
    [finding] = check_certificates({"cloud": {"address": "127.0.0.1:50051"}})
    assert finding.status == "SKIP"
