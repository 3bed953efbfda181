"""The offline bundle format, shared by its builder and by the gateway's agent upgrades.

A bundle is one folder, ``nanogate-<version>-linux-<machine>/``, or a tar archive with that
folder at its top: ``wheels/``, the installer and unit files, ``bundle.json`` (name, version,
machine, Pythons) and ``SHA256SUMS`` (``sha256sum`` format) covering every other file.
``deploy/gateway/bundle.py`` writes it; ``install.sh --bundle`` checks it with ``sha256sum``;
an agent upgrade checks it here first, so a refusal names the files at fault.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "SHA256SUMS"
META = "bundle.json"


class BundleError(ValueError):
    """A bundle that is not whole, or not a bundle; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class BundleMeta:
    """What ``bundle.json`` says about a bundle."""

    name: str
    version: str
    machine: str


def write_manifest(folder: Path) -> Path:
    """``SHA256SUMS`` for every file under the folder, in ``sha256sum --check`` format."""
    lines = [f"{_sha256(path)}  {path.relative_to(folder).as_posix()}\n"
             for path in _files(folder)]
    manifest = folder / MANIFEST
    manifest.write_text("".join(lines))
    return manifest


def check_manifest(folder: Path) -> None:
    """Every file listed with its SHA-256, nothing missing, nothing extra; else BundleError."""
    try:
        text = (folder / MANIFEST).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"no readable {MANIFEST}: not a nanogate bundle ({exc})") from exc
    listed: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise BundleError(f"{MANIFEST} has a malformed line: {line[:120]!r}")
        listed[name] = digest
    actual = {path.relative_to(folder).as_posix(): path for path in _files(folder)}
    wrong = sorted(name for name, path in actual.items()
                   if name in listed and _sha256(path) != listed[name])
    problems = [f"{label}: {', '.join(names[:5])}" for label, names in (
        ("checksum mismatch", wrong),
        ("missing", sorted(set(listed) - set(actual))),
        ("not listed", sorted(set(actual) - set(listed)))) if names]
    if problems:
        raise BundleError(f"the bundle fails its {MANIFEST} ({'; '.join(problems)}): "
                          "rebuild it with make bundle and push it again")


def read_meta(folder: Path) -> BundleMeta:
    """The bundle's ``bundle.json``; BundleError when it is missing or malformed."""
    try:
        doc = json.loads((folder / META).read_text())
        return BundleMeta(str(doc["name"]), str(doc["version"]), str(doc["machine"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"no readable {META} in the bundle: {exc}") from exc


def unpack(data: bytes, dest: Path) -> Path:
    """Unpack a bundle archive into ``dest``; returns its top folder.

    Only regular files and folders under one top folder are taken: links, devices and paths
    that climb out (``..``, absolute) are refused before anything is written.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
            tops = {_checked(m).parts[0] for m in members}
            if len(tops) != 1:
                raise BundleError("a bundle archive holds one top folder, this one "
                                  f"{len(tops)}")
            for member in members:
                _extract(tar, member, dest)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"not a bundle archive (.tar.gz): {exc}") from exc
    return dest / tops.pop()


def _checked(member: tarfile.TarInfo) -> PurePosixPath:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BundleError(f"the bundle archive names {member.name!r}, outside its folder")
    if not (member.isfile() or member.isdir()):
        raise BundleError(f"the bundle archive holds {member.name!r}, which is not a plain "
                          "file or folder")
    return path


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> None:
    target = dest / member.name
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    handle = tar.extractfile(member)
    if handle is None:
        raise BundleError(f"cannot read {member.name!r} from the bundle archive")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(handle.read())


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
