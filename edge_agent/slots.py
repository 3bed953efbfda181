"""Installed versions of a model or config on the gateway: one folder per version, a pointer.

``<data_dir>/<kind>/<version>/`` holds a version's files; ``active.json`` says which one is
active and which one a rollback returns to ("" means the one the daemon was started with);
``seq.json`` remembers the highest rollout manifest sequence ever installed, so an old
rollout cannot be installed again. Only the active and the previous slot are kept.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("edge_agent.slots")


@dataclass(frozen=True, slots=True)
class Pointer:
    """Which slot of a kind is active, and which one a rollback returns to ("" = the base)."""

    active: str = ""
    previous: str = ""


class Slots:
    """The installed versions of one kind under ``<data_dir>/<folder>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pointer_path = root / "active.json"

    def pointer(self) -> Pointer:
        """The persisted pointer; the base when there is none or it is unreadable."""
        try:
            doc = json.loads(self._pointer_path.read_text())
            return Pointer(str(doc.get("active", "")), str(doc.get("previous", "")))
        except FileNotFoundError:
            return Pointer()
        except (ValueError, AttributeError) as exc:
            log.error("slots.pointer_unreadable", path=str(self._pointer_path), error=str(exc))
            return Pointer()

    def point(self, pointer: Pointer) -> None:
        """Persist the pointer atomically, then drop slots it no longer names."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".active.{secrets.token_hex(4)}.tmp"
        tmp.write_text(json.dumps({"active": pointer.active, "previous": pointer.previous}))
        os.replace(tmp, self._pointer_path)
        keep = {pointer.active, pointer.previous}
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    def path(self, version: str) -> Path:
        """Where a version's slot lives (ValueError for a name that is not a plain folder)."""
        if not version or version.startswith(".") or "/" in version or "\\" in version:
            raise ValueError(f"{version!r} is not a valid version name")
        return self.root / version

    def has(self, version: str) -> bool:
        """Whether a version is installed here."""
        return bool(version) and self.path(version).is_dir()

    def fill(self, version: str, files: dict[str, bytes]) -> Path:
        """Write a slot's files next to it, then move it into place in one rename."""
        target = self.path(version)
        scratch = self.root / f".{version}.{secrets.token_hex(4)}"
        scratch.mkdir(parents=True)
        for name, data in files.items():
            (scratch / name).write_bytes(data)
        shutil.rmtree(target, ignore_errors=True)  # a leftover of an earlier failed attempt
        os.replace(scratch, target)
        return target

    def discard(self, version: str) -> None:
        """Remove a slot that never became active."""
        shutil.rmtree(self.path(version), ignore_errors=True)

    def seq(self) -> int:
        """The highest manifest sequence ever installed here (0: none)."""
        try:
            return int(json.loads((self.root / "seq.json").read_text())["seq"])
        except FileNotFoundError:
            return 0
        except (ValueError, KeyError, TypeError) as exc:
            # Unreadable: refuse everything rather than accept a downgrade.
            log.error("slots.seq_unreadable", path=str(self.root / "seq.json"), error=str(exc))
            return 2**63

    def raise_seq(self, seq: int) -> None:
        """Remember that a manifest with this sequence was installed."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".seq.{secrets.token_hex(4)}.tmp"
        tmp.write_text(json.dumps({"seq": max(seq, self.seq())}))
        os.replace(tmp, self.root / "seq.json")
