"""A temporary filesystem root that deploy/gateway/install.sh installs into, and how to run it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "gateway" / "install.sh"


class Root:
    """A temporary filesystem root that install.sh writes into."""

    def __init__(self, base: Path, user: str = "") -> None:
        self.base = base
        self.prefix = base / "opt" / "nanogate"
        self.etc = base / "etc" / "nanogate"
        self.data = base / "var" / "lib" / "nanogate" / "edge"
        self.systemd = base / "etc" / "systemd" / "system"
        self.mosquitto = base / "etc" / "mosquitto" / "conf.d"
        self.env = {**os.environ, "PREFIX": str(self.prefix), "ETC": str(self.etc),
                    "DATA_DIR": str(self.data), "SYSTEMD_DIR": str(self.systemd),
                    "MOSQUITTO_DIR": str(self.mosquitto),
                    "MOSQUITTO_CONF": str(base / "mosquitto.conf"), "SERVICE_USER": user}

    @property
    def config(self) -> Path:
        """The edge.toml install.sh writes."""
        return self.etc / "edge.toml"

    @property
    def unit(self) -> Path:
        """The systemd unit install.sh writes."""
        return self.systemd / "nanogate-edge.service"

    def install(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run install.sh as an operator would (root, service user made); stderr has its say."""
        return subprocess.run(["bash", str(SCRIPT), "--no-systemd", *args], env=self.env,
                              cwd=self.base, capture_output=True, text=True, timeout=300)

    def run(self, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
        """Run install.sh with the fast test flags: no user, the wheel only, our site-packages."""
        env = {**self.env, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
        return subprocess.run(["bash", str(SCRIPT), "--no-systemd", "--no-user",
                               "--python", python, "--pip-args", "--no-deps", *args],
                              env=env, cwd=self.base, capture_output=True, text=True,
                              timeout=300)

    def files(self) -> set[str]:
        """Every path under the root, relative to it."""
        return {str(p.relative_to(self.base)) for p in self.base.rglob("*")}
