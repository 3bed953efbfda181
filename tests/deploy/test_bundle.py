"""Offline bundles: arm64 wheels exist for every gateway dependency, and install.sh checks a
bundle's SHA256SUMS and platform before it installs anything.

The aarch64 test asks the package index (the one network use in the suite besides loopback):
it resolves the gateway's dependencies for manylinux aarch64 with binary wheels only, without
downloading them, and fails, never skips, when the index cannot be reached.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import wheelhouse
from tests.support.bundles import bundle
from tests.support.install import ROOT, SCRIPT, Root


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_every_gateway_dependency_has_an_aarch64_wheel(tmp_path: Path, python: str) -> None:
    """pip resolves the gateway's dependency set for manylinux aarch64 from binary wheels only."""
    requirements = [str(r) for r in wheelhouse.gateway_requirements(ROOT / "pyproject.toml")]
    platforms = [arg for tag in bundle.platform_tags("aarch64") for arg in ("--platform", tag)]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--only-binary=:all:", *platforms, "--python-version", python, "--implementation", "cp",
         "--target", str(tmp_path / "target"), "--report", str(report), *requirements],
        capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, (
        f"no aarch64 wheel set for Python {python} (or the package index is unreachable; this "
        f"test needs it):\n{done.stderr[-3000:]}")
    installs = json.loads(report.read_text())["install"]
    urls = {i["metadata"]["name"].lower(): i["download_info"]["url"] for i in installs}
    assert all(url.endswith(".whl") for url in urls.values())
    assert "aarch64" in urls["onnxruntime"] and "aarch64" in urls["grpcio"]
    required = {r.name.lower() for r in wheelhouse.gateway_requirements(ROOT / "pyproject.toml")}
    assert required <= set(urls)


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    """An unpacked bundle for this machine with a stand-in wheel (never installed here)."""
    fake = tmp_path / "nanogate-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"not really a wheel")
    folder = tmp_path / "nanogate-0.1.0-linux-x"
    bundle.assemble(folder, [fake], machine=platform.machine(), pythons=["3.11"],
                    version="0.1.0")
    return folder


def _install(tmp_path: Path, source: Path) -> subprocess.CompletedProcess[str]:
    root = Root(tmp_path / "root")
    root.base.mkdir()
    return subprocess.run(["bash", str(SCRIPT), "--no-systemd", "--no-user", "--bundle",
                           str(source), "--broker", "127.0.0.1:50051", "--enrol-token", "t"],
                          env=root.env, capture_output=True, text=True, timeout=120)


def test_manifest_covers_every_file(small_bundle: Path) -> None:
    """SHA256SUMS lists every file of the bundle but itself, and sha256sum accepts it."""
    listed = {line.split("  ", 1)[1] for line in
              (small_bundle / "SHA256SUMS").read_text().splitlines()}
    files = {p.relative_to(small_bundle).as_posix() for p in small_bundle.rglob("*")
             if p.is_file() and p.name != "SHA256SUMS"}
    assert listed == files
    assert {"deploy/gateway/install.sh", "deploy/systemd/nanogate-edge.service",
            "bundle.json", "wheels/nanogate-0.1.0-py3-none-any.whl"} <= files
    check = subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"],
                           cwd=small_bundle, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_tampered_bundle_is_refused_before_installing(
        tmp_path: Path, small_bundle: Path) -> None:
    """One changed byte in a wheel: install.sh stops on the checksums, nothing installed."""
    wheel = small_bundle / "wheels" / "nanogate-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"Not really a wheel")
    result = _install(tmp_path, bundle.archive(small_bundle, tmp_path))
    assert result.returncode == 1 and "fails its checksums" in result.stderr
    assert not (tmp_path / "root" / "opt").exists()


def test_a_file_the_manifest_does_not_list_is_refused(tmp_path: Path, small_bundle: Path) -> None:
    """An extra wheel slipped into the bundle is refused: pip would otherwise pick it up."""
    shutil.copy2(small_bundle / "bundle.json", small_bundle / "wheels" / "extra-1-py3-none-any.whl")
    result = _install(tmp_path, small_bundle)
    assert result.returncode == 1 and "does not list" in result.stderr


def test_a_bundle_for_another_machine_is_refused(tmp_path: Path) -> None:
    """An aarch64 bundle on x86_64 (or the other way round) says which bundle to use."""
    fake = tmp_path / "nanogate-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"x")
    other = "aarch64" if platform.machine() != "aarch64" else "x86_64"
    folder = tmp_path / "b"
    bundle.assemble(folder, [fake], machine=other, pythons=["3.11"], version="0.1.0")
    result = _install(tmp_path, folder)
    assert result.returncode == 1
    assert f"is for {other}, this machine is {platform.machine()}" in result.stderr


def test_glibc_needed_is_the_newest_among_the_oldest_each_wheel_accepts() -> None:
    """bundle.json's glibc: a wheel tagged for 2.27 and 2.28 needs 2.27; the bundle the max."""
    names = ["numpy-2-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
             "grpcio-1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
             "structlog-1-py3-none-any.whl"]
    assert bundle.glibc_needed(Path(n) for n in names) == "2.27"
