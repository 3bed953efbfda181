"""The systemd units: valid for systemd itself, and hardened the way the deploy docs promise."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run ``systemd-analyze verify`` on unit files."""
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run([SYSTEMD_ANALYZE, "verify", *map(str, units)], capture_output=True,
                          text=True, timeout=60)


def _with_stub_binaries(tmp_path: Path) -> list[Path]:
    """Copies of the units whose ExecStart points at stub executables under tmp_path."""
    bin_dir = tmp_path / "opt" / "nanogate" / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("edge-agent", "cloud-broker"):
        stub = bin_dir / name
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/opt/nanogate", str(tmp_path / "opt/nanogate")))
        copies.append(copy)
    return copies


@pytest.mark.skipif(SYSTEMD_ANALYZE is None,
                    reason="systemd-analyze not on PATH (Debian package: systemd)")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd-analyze verify accepts both units without a single warning."""
    result = verify(_with_stub_binaries(tmp_path))
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None,
                    reason="systemd-analyze not on PATH (Debian package: systemd)")
def test_verify_catches_a_misspelt_key(tmp_path: Path) -> None:
    """A typo in a hardening key shows up in verify's output, so the test above can fail."""
    units = _with_stub_binaries(tmp_path)
    units[0].write_text(units[0].read_text().replace("ProtectHome=", "ProtectHom="))
    assert "ProtectHom" in verify(units[:1]).stderr


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_is_hardened(path: Path) -> None:
    """Each unit runs unprivileged in a sandbox and restarts after a crash."""
    service = dict(_unit(path)["Service"])
    expected = {
        "User": "nanogate", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
        "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter": "@system-service", "Restart": "on-failure",
    }
    assert {k: service.get(k) for k in expected} == expected
    assert service["ExecStart"].startswith("/opt/nanogate/venv/bin/")
    assert service["RestartSec"] and service["MemoryMax"]
    data_dir = service["ExecStart"].split("--data-dir ")[1].split()[0]
    assert data_dir == service["ReadWritePaths"]
    assert data_dir == "/var/lib/" + service["StateDirectory"]


def test_edge_unit_memory_cap_fits_a_small_gateway() -> None:
    """The edge agent is capped at 150 MB."""
    service = _unit(ROOT / "deploy" / "systemd" / "nanogate-edge.service")["Service"]
    assert service["MemoryMax"] == "150M"


def test_units_exist() -> None:
    """Both the edge and the broker unit are shipped."""
    assert [p.name for p in UNITS] == ["nanogate-broker.service", "nanogate-edge.service"]
    assert all(os.access(p, os.R_OK) for p in UNITS)
