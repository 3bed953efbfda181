"""``edge-agent doctor`` and ``status`` against real parts: Mosquitto on 127.0.0.1:1883, a real
broker, a real edge daemon, real SQLite files, and real users for the service-user checks."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from edge_agent.checks import check_certificates, check_data_dir, check_mosquitto
from edge_agent.doctor import Options, run_doctor
from edge_agent.outbox import NewItem, Outbox
from edge_agent.status import run_status
from edge_agent.sync.grpc import GrpcTransport
from edge_agent.triage.model import SHIPPED_DIR
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
    """Run doctor as this user; its exit code and each check's line by check name."""
    out = io.StringIO()
    code = run_doctor(Options(config, timeout=3.0, switch_user=False), out=out)
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
    assert checks["uplink"].startswith("FAIL uplink: cannot connect to 127.0.0.1:")
    assert "→ start the broker" in checks["uplink"]
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
        # The same broker through TLS it does not speak: the handshake fails, doctor says so.
        ca = _certificate(tmp_path / "ca.pem", dt.datetime.now(dt.UTC) + dt.timedelta(days=90))
        tls_config = write_toml(tmp_path / "tls.toml", EDGE.format(
            data=data, grpc_port=grpc_port) + f'tls = "tls"\nca_file = "{ca}"\n')
        _, tls_checks = doctor(tls_config)
    finally:
        broker.stop()
    assert checks["uplink"].startswith("OK uplink: ") and "(grpc, tls off)" in checks["uplink"]
    assert checks["enrolment"].startswith("OK enrolment: enrolled as gw-d in site lab")
    assert tls_checks["uplink"].startswith("FAIL uplink: ") and "tls tls" in tls_checks["uplink"]
    assert "→ check [cloud] ca_file" in tls_checks["uplink"]
    assert checks["clock"].startswith("OK clock: local clock is")
    # No daemon runs in this test: that is the one failure, and it sets the exit code.
    failed = {name for name, line in checks.items() if line.startswith("FAIL")}
    assert failed == {"daemon"}, checks
    assert code == 1


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


def test_json_report_has_every_check_and_a_fix_for_each_failure(tmp_path: Path) -> None:
    """--json prints one object: ok, user, and each check with status, detail and fix."""
    config = write_toml(tmp_path / "edge.toml",
                        EDGE.format(data=tmp_path / "data", grpc_port=free_port()))
    out = io.StringIO()
    code = run_doctor(Options(config, switch_user=False), as_json=True, out=out)
    report = json.loads(out.getvalue())
    names = [c["name"] for c in report["checks"]]
    assert code == 1 and report["ok"] is False
    for name in ("config", "daemon", "enrolment", "model", "mqtt", "mosquitto", "uplink",
                 "data_dir", "disk", "outbox", "clock"):
        assert name in names
    assert all(c["fix"] for c in report["checks"] if c["status"] in ("FAIL", "WARN"))


def _rolled_out_model(data: Path, version: str) -> None:
    """A model slot as a rollout leaves it: the shipped model under a new version."""
    slot = data / "models" / version
    shutil.copytree(SHIPPED_DIR, slot)
    card = json.loads((slot / "model_card.json").read_text())
    (slot / "model_card.json").write_text(json.dumps({**card, "version": version}))
    (data / "models" / "active.json").write_text(json.dumps({"active": version, "previous": ""}))


def test_after_a_rollout_the_rolled_out_model_is_reported_not_the_bundled(
        tmp_path: Path) -> None:
    """doctor and status name the model a rollout made active, and doctor loads that one."""
    data = tmp_path / "data"
    _rolled_out_model(data, "triage-9.9-test")
    config = write_toml(tmp_path / "edge.toml", EDGE.format(data=data, grpc_port=free_port()))
    _, checks = doctor(config)
    assert checks["model"].startswith("OK model: triage-9.9-test (rollout) loads")
    out = io.StringIO()
    run_status(config, None, as_json=True, out=out)
    versions = json.loads(out.getvalue())["versions"]
    assert (versions["model"], versions["model_source"]) == ("triage-9.9-test", "rollout")


def test_enrolled_in_another_site_fails_with_what_to_do(tmp_path: Path) -> None:
    """An identity for another site than [gateway] site is a FAIL naming both sites."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "identity.json").write_text(json.dumps(
        {"device_id": "gw-x", "credential": "c", "site": "demo"}))
    config = write_toml(tmp_path / "edge.toml", EDGE.format(data=data, grpc_port=free_port()))
    _, checks = doctor(config)
    assert checks["enrolment"].startswith("FAIL enrolment: enrolled as gw-x in site demo, "
                                          "but [gateway] site is lab")
    assert "→ get a token for site lab" in checks["enrolment"]


@pytest.mark.parametrize("text,status", [
    ("include_dir {conf_d}\n", "OK"),
    ("listener 1883\n", "WARN"),
], ids=["drop-in-sets-it", "not-set"])
def test_mosquitto_nodelay_is_read_from_the_config_and_its_includes(
        tmp_path: Path, text: str, status: str) -> None:
    """set_tcp_nodelay true in an included drop-in is OK; without it doctor warns."""
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    (conf_d / "nanogate.conf").write_text("listener 1883 127.0.0.1\nset_tcp_nodelay true\n")
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(text.format(conf_d=conf_d))
    finding = check_mosquitto(conf, local=True)
    assert finding.status == status
    assert check_mosquitto(tmp_path / "missing.conf", local=True).status == "SKIP"


def test_outbox_depth_is_reported(tmp_path: Path) -> None:
    """Items waiting in the outbox are counted (read-only) in doctor and status."""
    data = tmp_path / "data"
    data.mkdir()
    outbox = Outbox(data / "outbox.db", max_items=100, max_bytes=2**20)
    outbox.put_many([NewItem("event", "events", {"n": i}) for i in range(3)])
    outbox.close()
    config = write_toml(tmp_path / "edge.toml", EDGE.format(data=data, grpc_port=free_port()))
    _, checks = doctor(config)
    assert checks["outbox"].startswith("OK outbox: 3 items waiting")


def test_status_lists_the_running_daemon_and_doctor_finds_it(tmp_path: Path) -> None:
    """With the daemon running, status shows it (exit 0) and doctor's daemon check is OK;
    stopped, status says so and exits 1."""
    site = f"st{uuid.uuid4().hex[:8]}"
    config = write_toml(tmp_path / "edge.toml", EDGE.replace('site = "lab"', f'site = "{site}"')
                        .format(data=tmp_path / "data", grpc_port=free_port()))
    edge = Daemon(["-m", "edge_agent", "run", "--config", str(config)],
                  tmp_path / "edge.log").start()
    try:
        edge.wait_log("agent.started", timeout=60)
        human, as_json = io.StringIO(), io.StringIO()
        assert run_status(config, None, out=human) == 0
        assert run_status(config, None, as_json=True, out=as_json) == 0
        _, checks = doctor(config)
    finally:
        edge.stop()
    assert edge.proc is not None
    [daemon] = json.loads(as_json.getvalue())["daemons"]
    assert daemon["pid"] == edge.proc.pid
    assert "edge-agent  running" in human.getvalue()
    assert checks["daemon"].startswith(f"OK daemon: pid {edge.proc.pid}")
    stopped = io.StringIO()
    assert run_status(config, None, out=stopped) == 1 and "stopped" in stopped.getvalue()


needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="switches users: needs root and setpriv")


@needs_root
def test_as_root_a_unit_program_its_user_cannot_run_fails(tmp_path: Path) -> None:
    """The reported bug: ExecStart's interpreter is in a 0700 directory (pyenv under /root);
    doctor as root says nobody can run it, and that its other checks ran as root."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "python3").symlink_to(Path(sys.executable).resolve())
    program = tmp_path / "venv" / "bin" / "edge-agent"
    program.parent.mkdir(parents=True)
    program.write_text(f"#!{private / 'python3'}\nimport sys\nsys.exit(0)\n")
    program.chmod(0o755)
    for folder in (tmp_path, program.parent.parent, program.parent):
        folder.chmod(0o755)
    config = write_toml(tmp_path / "edge.toml",
                        EDGE.format(data=tmp_path / "data", grpc_port=free_port()))
    unit = tmp_path / "nanogate-edge.service"
    unit.write_text(f"[Service]\nUser=nobody\nGroup=nogroup\n"
                    f"ExecStart={program} run --config {config}\n")
    out = io.StringIO()
    code = run_doctor(Options(config, unit=unit), as_json=True, out=out)
    report = json.loads(out.getvalue())
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and report["user"] == "root"
    assert checks["exec_start"]["status"] == "FAIL"
    assert f"nobody cannot run {program}" in checks["exec_start"]["detail"]
    assert "--python /usr/bin/python3" in checks["exec_start"]["fix"]
    assert checks["service_user"]["status"] == "WARN"
    assert "ran as root, not as nobody" in checks["service_user"]["detail"]


@needs_root
def test_as_root_without_a_unit_doctor_says_it_checked_as_root(tmp_path: Path) -> None:
    """No unit file: doctor warns that its checks ran as root and says how to change that."""
    config = write_toml(tmp_path / "edge.toml",
                        EDGE.format(data=tmp_path / "data", grpc_port=free_port()))
    out = io.StringIO()
    run_doctor(Options(config, unit=tmp_path / "none.service"), as_json=True, out=out)
    [first] = json.loads(out.getvalue())["checks"][:1]
    assert (first["name"], first["status"]) == ("service_user", "WARN")
    assert "checks ran as root" in first["detail"] and "--unit" in first["fix"]


def test_cli_doctor_json_and_status_json_exit_codes(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI: doctor --json prints JSON on stdout and exits 1 with a failed check;
    status --json exits 1 with no daemon; an unknown option is a usage error (2)."""
    from edge_agent.cli import main

    config = write_toml(tmp_path / "edge.toml",
                        EDGE.format(data=tmp_path / "data", grpc_port=free_port()))
    assert main(["doctor", "--json", "--as-me", "--config", str(config)]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
    assert main(["status", "--json", "--config", str(config)]) == 1
    assert json.loads(capsys.readouterr().out)["daemons"] == []
    with pytest.raises(SystemExit) as usage:
        main(["status", "--bogus"])
    assert usage.value.code == 2
