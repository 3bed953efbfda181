"""deploy/gateway/install.sh, run for real: config and TLS options, the Python it picks, a
real install for a throwaway service user from an offline bundle, upgrade and uninstall.

The option tests install the wheel with ``--no-deps`` and find the dependencies in this test's
own environment through PYTHONPATH (fast, offline). The service-user test installs everything
from a bundle built by deploy/gateway/bundle.py from wheels packed out of this environment
(tests/support/wheelhouse.py), with no network, and runs the daemon as the unit does.
"""

from __future__ import annotations

import json
import os
import platform
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_agent.config import load_config
from edge_agent.service import Unit, as_user, read_unit
from tests.support import wheelhouse
from tests.support.bundles import bundle
from tests.support.install import ROOT, SCRIPT, Root
from tests.support.processes import MqttProbe, free_port, wait_until

SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the project, built offline from the source tree."""
    return Path(bundle.build_wheel(tmp_path_factory.mktemp("wheel")))


@pytest.fixture(scope="module")
def offline_bundle(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A bundle for this machine and Python, from wheels packed out of this environment."""
    deps = wheelhouse.build(ROOT / "pyproject.toml", tmp_path_factory.mktemp("deps"))
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Path(bundle.build(tmp_path_factory.mktemp("bundle"), platform.machine(), (python,),
                             wheel, deps, compress=False))


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Root]:
    """An empty temporary root."""
    yield Root(tmp_path)


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    """A file standing in for the broker's CA certificate (the installer only copies it)."""
    path = tmp_path / "broker-ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return path


def first(ca: Path) -> list[str]:
    """The flags of a first install against a remote broker."""
    return ["--broker", "broker.example.net:50051", "--enrol-token", 'tok"en\\1',
            "--site", "plant-7", "--gateway-id", "gw-7", "--with-mosquitto", "--ca", str(ca)]


@pytest.mark.slow
def test_install_upgrade_uninstall_purge(root: Root, wheel: Path, ca: Path,
                                         tmp_path: Path) -> None:
    """The life of an install (one test, because each install takes a while): a first
    install with a CA; --force-config rewrites and keeps a .bak; an upgrade on another
    Python recreates the venv and keeps config and data; uninstall keeps data, purge not."""
    done = root.run("--wheel", str(wheel), *first(ca))
    assert done.returncode == 0, done.stderr
    config = load_config(root.config)
    assert (config.gateway.id, config.gateway.site) == ("gw-7", "plant-7")
    assert config.cloud.address == "broker.example.net:50051"
    assert config.cloud.enrol_token == 'tok"en\\1'
    assert config.gateway.data_dir == root.data
    assert config.cloud.tls == "mtls" and config.cloud.ca_file == root.etc / "broker-ca.pem"
    assert config.cloud.ca_file.read_text() == ca.read_text()
    unit = root.unit.read_text()
    assert f"ExecStart={root.prefix}/venv/bin/edge-agent run --config {root.config}" in unit
    assert f"ReadWritePaths={root.data}" in unit and "StateDirectory=" not in unit
    assert (root.mosquitto / "nanogate.conf").read_text().count("listener 1883 127.0.0.1") == 1
    _verify_unit(root.unit)

    # A remote broker without TLS only when asked for by name; the old file kept as .bak.
    forced = root.run("--wheel", str(wheel), "--force-config", "--broker", "10.1.2.3:50051",
                      "--enrol-token", "new-token", "--insecure-plaintext")
    assert forced.returncode == 0, forced.stderr
    assert "upgrading in place" in forced.stderr
    cloud = load_config(root.config).cloud
    assert (cloud.address, cloud.tls) == ("10.1.2.3:50051", "off")
    assert load_config(root.config.with_suffix(".toml.bak")).cloud.enrol_token == 'tok"en\\1'

    # Another interpreter, as after a first install on a pyenv Python: a copy elsewhere.
    other = tmp_path / "other" / "bin" / "python3"
    other.parent.mkdir(parents=True)
    shutil.copy2(SYSTEM_PYTHON.resolve(), other)
    (root.data / "identity.json").write_text('{"device_id": "gw-7", "credential": "c"}')
    root.config.write_text(root.config.read_text() + "# edited by hand\n")
    again = root.run("--wheel", str(wheel), "--broker", "other:1", python=str(other))
    assert again.returncode == 0, again.stderr
    assert "recreating" in again.stderr
    assert (root.prefix / "venv" / "bin" / "python").resolve() == other.resolve()
    assert root.config.read_text().endswith("# edited by hand\n")
    assert (root.data / "identity.json").exists()

    removed = root.run("--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not root.prefix.exists() and not root.unit.exists()
    assert not (root.mosquitto / "nanogate.conf").exists()
    assert (root.data / "identity.json").exists() and root.config.exists()

    purged = root.run("--uninstall", "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not root.data.exists() and not root.etc.exists()


@pytest.mark.parametrize("flags,message", [
    ([], "is not on loopback: pass --ca FILE"),
    (["--tls", "off"], "sends credentials in clear: add --insecure-plaintext"),
], ids=["no-ca", "tls-off"])
def test_remote_broker_without_tls_is_refused(root: Root, flags: list[str], message: str) -> None:
    """A broker off loopback without a CA stops the install before anything is written."""
    result = root.run("--broker", "10.1.2.3:50051", "--enrol-token", "t", *flags)
    assert result.returncode == 1 and message in result.stderr
    assert root.files() == set()


def test_ca_on_upgrade_without_force_config_is_refused(root: Root, ca: Path) -> None:
    """--ca cannot reach a config the upgrade keeps: the installer says to add --force-config."""
    root.etc.mkdir(parents=True)
    root.config.write_text("[gateway]\nid = 'gw'\n")
    result = root.run("--ca", str(ca))
    assert result.returncode == 1 and "add --force-config" in result.stderr


def _verify_unit(unit: Path) -> None:
    """The unit as rendered for the temporary root is valid for systemd (when it is here)."""
    if shutil.which("systemd-analyze") is None:
        return  # Debian package: systemd; tests/deploy/test_systemd.py checks the source unit
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_first_install_without_broker_stops_before_installing(root: Root) -> None:
    """Without --broker a first install fails at once with a clear message and writes nothing."""
    result = root.run("--enrol-token", "t")
    assert result.returncode != 0
    assert "--broker HOST:PORT is needed" in result.stderr
    assert not root.prefix.exists()


@pytest.mark.parametrize("broker", ["no-port", "host:port", "a b:1"])
def test_malformed_broker_address_is_refused(root: Root, broker: str) -> None:
    """--broker must look like HOST:PORT."""
    result = root.run("--broker", broker, "--enrol-token", "t")
    assert result.returncode != 0 and "--broker must be HOST:PORT" in result.stderr


def test_purge_needs_uninstall(root: Root) -> None:
    """--purge alone is refused rather than ignored."""
    result = root.run("--purge")
    assert result.returncode != 0 and "--purge only goes with --uninstall" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck not installed (Debian package: shellcheck)")
def test_install_script_passes_shellcheck() -> None:
    """shellcheck finds nothing in install.sh."""
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout


# --- A real install for a service user ----------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="creates a system user: needs root and setpriv")


@pytest.fixture
def system_root() -> Iterator[Root]:
    """A root under /tmp that other users can traverse (pytest's tmp_path is 0700), a fresh
    service user name, and the user and files removed afterwards whatever happens."""
    base = Path(tempfile.mkdtemp(prefix="nanogate-install-", dir="/tmp"))
    base.chmod(0o755)
    user = f"ngt{uuid.uuid4().hex[:8]}"
    # What a Debian system has before the installer runs.
    for folder in ("etc/systemd/system", "var/lib", "opt"):
        (base / folder).mkdir(parents=True)
    yield Root(base, user)
    subprocess.run(["userdel", user], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@needs_root
def test_a_python_the_service_user_cannot_run_is_refused_before_writing(
        system_root: Root, tmp_path: Path) -> None:
    """A venv on a Python in a private directory (pyenv under /root) is refused up front."""
    private = tmp_path / "private"  # 0700, like /root
    private.mkdir(mode=0o700)
    (private / "python3").symlink_to(SYSTEM_PYTHON.resolve())
    before = system_root.files()
    result = system_root.install("--python", str(private / "python3"), "--broker",
                                 "127.0.0.1:50051", "--enrol-token", "t")
    assert result.returncode == 1
    assert f"cannot run {private / 'python3'}" in result.stderr
    assert "pass --python /usr/bin/python3" in result.stderr
    assert system_root.files() == before and not _user_exists(system_root.env["SERVICE_USER"])


@needs_root
@pytest.mark.slow
def test_real_install_runs_as_the_service_user_upgrades_and_uninstalls_cleanly(
        system_root: Root, offline_bundle: Path) -> None:
    """Default options from an offline bundle: the unit's ExecStart, run as the unit's user,
    answers over MQTT; doctor as root checks as that user; upgrade keeps data; purge leaves
    nothing behind."""
    r, site = system_root, f"inst{uuid.uuid4().hex[:8]}"
    before = r.files()
    started = time.monotonic()
    done = r.install("--bundle", str(offline_bundle), "--broker", f"127.0.0.1:{free_port()}",
                     "--enrol-token", "t", "--site", site, "--gateway-id", f"gw-{site}")
    assert done.returncode == 0, done.stderr
    print(f"\ninstall from bundle: {time.monotonic() - started:.1f} s "
          f"({offline_bundle.stat().st_size / 2**20:.0f} MiB bundle)")
    assert (r.prefix / "venv/bin/python").resolve() == SYSTEM_PYTHON.resolve()
    with r.config.open("a") as fh:  # what an operator adds next: the gateway's devices
        fh.write('\n[[sensors]]\nid = "t-1"\nkind = "temperature"\narea = "zone 1"\n')
    unit = read_unit(r.unit)
    assert unit is not None and unit.user == r.env["SERVICE_USER"]
    daemon = _start_as_unit(unit, r.base / "daemon.log")
    try:
        _wait_started(r.base / "daemon.log")
        reply = _ask(site, "list all devices")
        assert reply["route"] == "local" and "t-1" in json.dumps(reply), reply
        print(f"gateway RSS right after install: {_rss_mb(daemon.pid):.0f} MB")
        report = _doctor_as_root(r)
        assert report["user"] == unit.user
        checks = {c["name"]: c for c in report["checks"]}
        assert checks["exec_start"]["status"] == "OK"
        assert checks["daemon"]["status"] == "OK" and unit.user in checks["daemon"]["detail"]
        assert checks["data_dir"]["status"] == "OK" and checks["mqtt"]["status"] == "OK"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)

    again = r.install("--bundle", str(offline_bundle))
    assert again.returncode == 0, again.stderr
    assert "upgrading in place" in again.stderr and (r.data / "outbox.db").exists()

    gone = r.install("--uninstall", "--purge")
    assert gone.returncode == 0, gone.stderr
    assert r.files() - {"daemon.log"} == before
    assert not _user_exists(unit.user)


def _start_as_unit(unit: Unit, log: Path) -> subprocess.Popen[bytes]:
    command = as_user(unit.user, unit.group, list(unit.exec_start), env=unit.environment)
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                cwd=unit.working_directory)


def _wait_started(log: Path) -> None:
    def started() -> bool:
        return any('"agent.started"' in line for line in log.read_text().splitlines())

    wait_until(started, timeout=90, what=f"agent.started in {log}")


def _ask(site: str, text: str) -> dict[str, object]:
    reply_topic = f"nanogate/{site}/app/replies"
    probe = MqttProbe([reply_topic])
    try:
        probe.publish(f"nanogate/{site}/ask", json.dumps({"id": "q1", "text": text}),
                      response_topic=reply_topic, correlation=b"q1")
        return probe.json(timeout=60)
    finally:
        probe.close()


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _doctor_as_root(r: Root) -> dict[str, Any]:
    edge_agent = r.prefix / "venv" / "bin" / "edge-agent"
    done = subprocess.run([str(edge_agent), "doctor", "--json", "--unit", str(r.unit)],
                          capture_output=True, text=True, timeout=120, cwd="/",
                          env={"PATH": os.environ["PATH"]})
    assert done.stdout, done.stderr
    return dict(json.loads(done.stdout))

