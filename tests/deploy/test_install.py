"""deploy/gateway/install.sh, run for real into a temporary root: install, upgrade, uninstall.

To stay offline and fast, the venv gets the wheel with ``--no-deps`` and finds the
dependencies in this test's own environment through PYTHONPATH; everything else (venv, pip,
config, unit, Mosquitto drop-in) is what a gateway gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "gateway" / "install.sh"
SOURCES = ["pyproject.toml", "README.md", "nanogate", "edge_agent", "cloud_broker", "simulations"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the project, built from a clean copy of the sources."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out)]
    # Offline with this environment's setuptools and wheel; else pip fetches the build backend.
    if subprocess.run([*build, "--no-build-isolation", str(src)], timeout=300).returncode:
        subprocess.run([*build, str(src)], check=True, timeout=300)
    [built] = out.glob("nanogate-*.whl")
    return built


class Root:
    """A temporary filesystem root that install.sh writes into."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.prefix = base / "opt" / "nanogate"
        self.etc = base / "etc" / "nanogate"
        self.data = base / "var" / "lib" / "nanogate" / "edge"
        self.systemd = base / "etc" / "systemd" / "system"
        self.mosquitto = base / "etc" / "mosquitto" / "conf.d"
        self.env = {**os.environ, "PREFIX": str(self.prefix), "ETC": str(self.etc),
                    "DATA_DIR": str(self.data), "SYSTEMD_DIR": str(self.systemd),
                    "MOSQUITTO_DIR": str(self.mosquitto),
                    "MOSQUITTO_CONF": str(base / "mosquitto.conf"),
                    "PYTHONPATH": sysconfig.get_paths()["purelib"]}

    @property
    def config(self) -> Path:
        """The edge.toml install.sh writes."""
        return self.etc / "edge.toml"

    @property
    def unit(self) -> Path:
        """The systemd unit install.sh writes."""
        return self.systemd / "nanogate-edge.service"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run install.sh with the test flags; stderr carries its messages."""
        return subprocess.run(["bash", str(SCRIPT), "--no-systemd", "--no-user",
                               "--python", sys.executable, "--pip-args", "--no-deps", *args],
                              env=self.env, cwd=self.base, capture_output=True, text=True,
                              timeout=300)

    def venv_python(self, code: str) -> str:
        """Run Python code in the installed venv, away from the source tree; return its output."""
        return subprocess.run([str(self.prefix / "venv" / "bin" / "python"), "-c", code],
                              env=self.env, cwd=self.base, capture_output=True, text=True,
                              check=True, timeout=60).stdout.strip()


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Root]:
    """An empty temporary root."""
    yield Root(tmp_path)


FIRST = ["--broker", "broker.example.net:50051", "--enrol-token", 'tok"en\\1',
         "--site", "plant-7", "--gateway-id", "gw-7", "--with-mosquitto"]


@pytest.mark.slow
def test_install_upgrade_uninstall_purge(root: Root, wheel: Path) -> None:
    """A fresh install works, an upgrade keeps config and data, uninstall keeps data, purge not."""
    first = root.run("--wheel", str(wheel), *FIRST)
    assert first.returncode == 0, first.stderr
    config = load_config(root.config)
    assert (config.gateway.id, config.gateway.site) == ("gw-7", "plant-7")
    assert config.cloud.address == "broker.example.net:50051"
    assert config.cloud.enrol_token == 'tok"en\\1'
    assert config.gateway.data_dir == root.data
    unit = root.unit.read_text()
    assert f"ExecStart={root.prefix}/venv/bin/edge-agent run --config {root.config}" in unit
    assert f"ReadWritePaths={root.data}" in unit and "StateDirectory=" not in unit
    assert (root.mosquitto / "nanogate.conf").read_text().count("listener 1883 127.0.0.1") == 1
    edge_agent = subprocess.run([str(root.prefix / "venv" / "bin" / "edge-agent"), "--help"],
                                env=root.env, cwd=root.base, capture_output=True, text=True,
                                timeout=60)
    assert edge_agent.returncode == 0 and "edge-agent" in edge_agent.stdout
    assert root.venv_python("import edge_agent; print(edge_agent.__file__)").startswith(
        str(root.prefix))

    (root.data / "identity.json").write_text('{"device_id": "gw-7", "credential": "c"}')
    root.config.write_text(root.config.read_text() + "# edited by hand\n")
    again = root.run("--wheel", str(wheel), "--broker", "other:1")
    assert again.returncode == 0, again.stderr
    assert "upgrading in place" in again.stderr
    assert root.config.read_text().endswith("# edited by hand\n")
    assert (root.data / "identity.json").exists()

    removed = root.run("--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not root.prefix.exists() and not root.unit.exists()
    assert not (root.mosquitto / "nanogate.conf").exists()
    assert (root.data / "identity.json").exists() and root.config.exists()

    purged = root.run("--uninstall", "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not root.data.exists() and not root.config.exists()


@pytest.mark.slow
def test_force_config_rewrites_and_keeps_a_backup(root: Root, wheel: Path) -> None:
    """--force-config writes a new edge.toml from the flags and keeps the old one as .bak."""
    assert root.run("--wheel", str(wheel), *FIRST).returncode == 0
    forced = root.run("--wheel", str(wheel), "--force-config", "--broker", "10.1.2.3:50051",
                      "--enrol-token", "new-token")
    assert forced.returncode == 0, forced.stderr
    assert load_config(root.config).cloud.address == "10.1.2.3:50051"
    assert load_config(root.config.with_suffix(".toml.bak")).cloud.enrol_token == 'tok"en\\1'


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not on PATH (Debian package: systemd)")
@pytest.mark.slow
def test_installed_unit_passes_systemd_analyze_verify(root: Root, wheel: Path) -> None:
    """The unit as rendered for the temporary root is valid for systemd."""
    assert root.run("--wheel", str(wheel), *FIRST).returncode == 0
    result = subprocess.run(["systemd-analyze", "verify", str(root.unit)], capture_output=True,
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
