"""Offline install bundles for gateways: ``make bundle`` (or ``python deploy/gateway/bundle.py``).

One archive per platform, ``nanogate-<version>-linux-<machine>.tar.gz``, holding:

- ``wheels/``: the nanogate wheel and every dependency of the gateway (no ``broker`` extra),
  as binary wheels for linux ``<machine>`` on each supported Python (3.11, 3.12, 3.13);
- ``deploy/gateway/install.sh``, ``deploy/systemd/nanogate-edge.service`` and
  ``deploy/mosquitto/nanogate.conf``;
- ``bundle.json`` (version, machine, Pythons, the newest glibc any wheel needs);
- ``SHA256SUMS``, in ``sha256sum`` format, covering every other file.

On the gateway: ``tar xzf BUNDLE && sudo nanogate-*/deploy/gateway/install.sh --bundle BUNDLE
...``; the installer checks the sums, then installs with ``pip --no-index``. Building needs the
package index (``pip download``); installing needs no network at all.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the format lives in the nanogate package
    sys.path.insert(0, str(ROOT))

from nanogate.bundles import write_manifest  # noqa: E402  (after the path is set)

MACHINES = ("x86_64", "aarch64")
PYTHONS = ("3.11", "3.12", "3.13")
# Wheels for glibc 2.17 (manylinux2014) up to 2.36 (Debian 12, Raspberry Pi OS Bookworm);
# bundle.json records the newest glibc any chosen wheel needs.
GLIBC_MINORS = range(17, 37)
SOURCES = ("pyproject.toml", "README.md", "nanogate", "edge_agent", "cloud_broker", "simulations")
FILES = ("deploy/gateway/install.sh", "deploy/systemd/nanogate-edge.service",
         "deploy/mosquitto/nanogate.conf")
_GLIBC_TAG = re.compile(r"manylinux_2_(\d+)|manylinux(2014)")


def platform_tags(machine: str) -> list[str]:
    """The ``pip --platform`` tags a linux ``machine`` gateway accepts, oldest glibc first.

    pip prefers earlier tags among a release's wheels, so a wheel for an older glibc wins and
    the bundle runs on as many systems as it can.
    """
    tags = [f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS]
    return [f"manylinux2014_{machine}", *tags]


def build_wheel(out: Path, source: Path = ROOT) -> Path:
    """Build the nanogate wheel (no dependencies) from a clean copy of the sources."""
    with tempfile.TemporaryDirectory() as scratch:
        # A copy: setuptools leaves build/ behind, and a stale build/lib would end up packaged.
        clean = Path(scratch)
        for name in SOURCES:
            if (source / name).is_dir():
                shutil.copytree(source / name, clean / name,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source / name, clean / name)
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out)]
        # Offline with this environment's setuptools; else pip fetches the build backend.
        if subprocess.run([*command, "--no-build-isolation", str(clean)]).returncode:
            subprocess.run([*command, str(clean)], check=True)
    [wheel] = out.glob("nanogate-*.whl")
    return wheel


def download(nanogate_wheel: Path, machine: str, pythons: Sequence[str], out: Path) -> None:
    """Every dependency of the gateway as binary wheels for ``machine`` and each Python."""
    platforms = [arg for tag in platform_tags(machine) for arg in ("--platform", tag)]
    for version in pythons:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                        "--only-binary=:all:", *platforms, "--python-version", version,
                        "--implementation", "cp", "-d", str(out), str(nanogate_wheel)],
                       check=True)


def glibc_needed(wheels: Iterable[Path]) -> str:
    """The newest glibc any of these wheels is built for ("" when all are pure Python)."""
    needs = []
    for wheel in wheels:
        # A wheel tagged for several glibc versions runs on the oldest of them.
        minors = [17 if m.group(2) else int(m.group(1)) for m in _GLIBC_TAG.finditer(wheel.name)]
        needs += [min(minors)] if minors else []
    return f"2.{max(needs)}" if needs else ""


def assemble(folder: Path, wheels: Iterable[Path], *, machine: str, pythons: Sequence[str],
             version: str, source: Path = ROOT) -> None:
    """Lay out a bundle folder: wheels, installer, unit files, bundle.json, SHA256SUMS."""
    (folder / "wheels").mkdir(parents=True)
    names = []
    for wheel in wheels:
        shutil.copy2(wheel, folder / "wheels" / wheel.name)
        names.append(wheel.name)
    for name in FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, folder / name)
    meta = {"name": "nanogate", "version": version, "machine": machine,
            "pythons": list(pythons), "glibc": glibc_needed(folder.glob("wheels/*.whl")),
            "wheels": sorted(names)}
    (folder / "bundle.json").write_text(json.dumps(meta, indent=1) + "\n")
    write_manifest(folder)


def archive(folder: Path, out: Path, *, compress: bool = True) -> Path:
    """Pack the folder into ``out/<folder name>.tar.gz`` (or ``.tar``), the folder at the top."""
    target = out / f"{folder.name}.tar{'.gz' if compress else ''}"
    with tarfile.open(target, "w:gz" if compress else "w") as tar:
        tar.add(folder, arcname=folder.name)
    return target


def build(out: Path, machine: str, pythons: Sequence[str], nanogate_wheel: Path,
          dependency_wheels: Iterable[Path] | None = None, *, compress: bool = True) -> Path:
    """Build one platform's bundle into ``out``; download the dependencies unless given."""
    version = nanogate_wheel.name.split("-")[1]
    with tempfile.TemporaryDirectory() as scratch:
        wheels_dir = Path(scratch) / "download"
        wheels_dir.mkdir()
        if dependency_wheels is None:
            download(nanogate_wheel, machine, pythons, wheels_dir)
            dependency_wheels = wheels_dir.glob("*.whl")
        folder = Path(scratch) / f"nanogate-{version}-linux-{machine}"
        assemble(folder, {nanogate_wheel, *dependency_wheels}, machine=machine,
                 pythons=pythons, version=version)
        return archive(folder, out, compress=compress)


def main(argv: list[str] | None = None) -> int:
    """Build a bundle for each platform asked for; print each archive's path and size."""
    parser = argparse.ArgumentParser(description=(
        "Build offline install bundles for gateways: one archive per platform with the "
        "nanogate wheel, every dependency wheel, the installer, unit files and SHA256SUMS. "
        "Needs the package index; installing a bundle does not."))
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where archives go")
    parser.add_argument("--machine", action="append", choices=MACHINES,
                        help="x86_64 or aarch64 (repeatable; default: both)")
    parser.add_argument("--python", action="append", dest="pythons",
                        help="a Python version like 3.12 (repeatable; default: 3.11-3.13)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(Path(scratch))
        for machine in args.machine or MACHINES:
            sys.stderr.write(f"bundle: {machine}: downloading wheels for Python "
                             f"{', '.join(args.pythons or PYTHONS)}\n")
            path = build(args.out, machine, args.pythons or PYTHONS, wheel)
            sys.stdout.write(f"{path}\t{path.stat().st_size / 2**20:.1f} MiB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
