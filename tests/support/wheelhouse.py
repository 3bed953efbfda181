"""Wheels of the gateway's dependencies, packed from this test environment: no network needed.

A real bundle is built with ``pip download`` (``make bundle``), which needs the package index.
The install test must run offline and fast, so it packs the distributions already installed
here back into wheels (their files as RECORD lists them, under their own WHEEL tags) and hands
those to the same bundle builder. pip installs them like any downloaded wheel.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_SKIP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def gateway_requirements(pyproject: Path) -> list[Requirement]:
    """What a gateway installs: ``[project] dependencies`` (no extras)."""
    doc = tomllib.loads(pyproject.read_text())
    return [Requirement(r) for r in doc["project"]["dependencies"]]


def closure(requirements: Iterable[Requirement]) -> list[md.Distribution]:
    """The installed distributions these requirements need, transitively, for this Python."""
    found: dict[str, md.Distribution] = {}
    todo = [(r, "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        dist = found[name] = md.distribution(requirement.name)
        for text in dist.requires or []:
            child = Requirement(text)
            todo += [(child, e) for e in (requirement.extras or {""})]
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def repack(dist: md.Distribution, out: Path) -> Path:
    """One installed distribution as a wheel in ``out`` (console scripts pip makes anew)."""
    files = [f for f in dist.files or [] if _packable(f)]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines()
            if line.startswith("Tag:")]
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    target = out / f"{name}-{dist.version}-{_compress(tags)}.whl"
    record = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for f in files:
            data = Path(str(dist.locate_file(f))).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            zf.writestr(f.as_posix(), data)
            record.append(f"{f.as_posix()},sha256={digest.decode()},{len(data)}")
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return target


def _packable(f: md.PackagePath) -> bool:
    return (f.parts[0] != ".." and "__pycache__" not in f.parts
            and not (f.parts[0].endswith(".dist-info") and f.name in _SKIP))


def _compress(tags: list[str]) -> str:
    """``py-abi-plat`` tags joined the way wheel file names compress them."""
    parts: list[list[str]] = [[], [], []]
    for tag in tags:
        for i, piece in enumerate(tag.split("-")):
            if piece not in parts[i]:
                parts[i].append(piece)
    return "-".join(".".join(p) for p in parts)


def build(pyproject: Path, out: Path) -> list[Path]:
    """Wheels of every installed gateway dependency, written to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    return [repack(d, out) for d in closure(gateway_requirements(pyproject))]
