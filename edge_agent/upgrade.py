"""Agent upgrades on the gateway: a signed bundle, a new venv beside the old, a symlink swap.

Layout, under ``[upgrades] prefix`` (install.sh's PREFIX, /opt/nanogate):

- ``<prefix>/venv``: a symlink to the active venv, the path the systemd unit runs. Before the
  first upgrade it is the folder install.sh made; that upgrade moves it to
  ``venvs/<running version>`` and puts the symlink in its place.
- ``<prefix>/venvs/<version>/``: one venv per version; the active and the previous are kept.
- ``<data_dir>/agent/staged/<version>/``: the unpacked, checked bundle while it installs.
- ``<data_dir>/agent/upgrade.json``: the upgrade in flight (``Attempt``).

The old version ``stage``s the bundle (its SHA256SUMS, its bundle.json's version and
machine), ``install``s it with the bundle's own ``install.sh --bundle DIR --into-venv
<prefix>/venvs/<version>`` (the same checksum check and offline pip install as a first
install), checks the new venv reports that version, then ``switch``es: upgrade.json says
"trying", one rename swaps the symlink, and the daemon exits with ``RESTART_EXIT_CODE`` so the
unit's ``Restart=on-failure`` starts the new version.

The new version must have a heartbeat answered by the broker within ``health_window_s`` of
the switch and within ``max_starts`` starts. Then it is "confirmed" and acks the rollout
command. Otherwise it swaps the symlink back, records why and restarts; the old version acks
the rollout command as failed at stage ``health``, the way a model rollout reports a failure.
A broker's ``rollback`` command swaps back the same way and is acked by the old version.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog

from edge_agent.errors import UpdateFailed
from nanogate.bundles import BundleError, check_manifest, read_meta, unpack

log = structlog.get_logger("edge_agent.upgrade")

# EX_TEMPFAIL: "start me again". Not 0, so the unit's Restart=on-failure restarts the daemon.
RESTART_EXIT_CODE = 75
INSTALL_TIMEOUT_S = 900.0  # pip installing a bundle on a slow SD card


@dataclass(frozen=True, slots=True)
class PendingAck:
    """A command's acknowledgement that the next start sends (the sender restarted first)."""

    command_id: str
    ok: bool
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Attempt:
    """The agent upgrade in flight, as upgrade.json keeps it across restarts."""

    version: str
    previous: str
    rollout_id: str = ""
    command_id: str = ""
    state: str = "trying"  # trying -> confirmed | rolled_back
    deadline: float = 0.0
    starts: int = 0
    reason: str = ""
    acks: tuple[PendingAck, ...] = field(default=())


class Venvs:
    """``<prefix>/venvs/<version>/`` side by side, ``<prefix>/venv`` a symlink to one."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.link = prefix / "venv"
        self.root = prefix / "venvs"

    def path(self, version: str) -> Path:
        """Where a version's venv lives (ValueError for a name that is not a plain folder)."""
        if not version or version.startswith(".") or "/" in version or "\\" in version:
            raise ValueError(f"{version!r} is not a valid version name")
        return self.root / version

    def active(self) -> str:
        """The version the symlink names ("" before the first upgrade)."""
        return Path(os.readlink(self.link)).name if self.link.is_symlink() else ""

    def adopt(self, running: str) -> None:
        """Before the first upgrade: move install.sh's venv folder behind the symlink."""
        if self.link.is_symlink():
            return
        if not self.link.is_dir():
            raise UpdateFailed("install", f"no venv at {self.link}: set [upgrades] prefix to "
                               "the PREFIX install.sh used")
        self.root.mkdir(parents=True, exist_ok=True)
        os.rename(self.link, self.path(running))
        self.switch(running)

    def switch(self, version: str) -> None:
        """Point the symlink at a version's venv in one rename."""
        scratch = self.prefix / f".venv.{secrets.token_hex(4)}"
        os.symlink(Path("venvs") / version, scratch)
        os.replace(scratch, self.link)
        log.info("venv.switched", version=version, link=str(self.link))

    def discard(self, version: str) -> None:
        """Remove a version's venv."""
        shutil.rmtree(self.path(version), ignore_errors=True)

    def prune(self, keep: set[str]) -> None:
        """Remove every venv but these."""
        for entry in self.root.iterdir() if self.root.is_dir() else ():
            if entry.is_dir() and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)


class AgentUpgrade:
    """Stages, installs and switches agent versions; settles an upgrade across restarts."""

    def __init__(self, *, data_dir: Path, prefix: Path | None, running: str,
                 health_window_s: float = 300.0, max_starts: int = 3,
                 python: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self._dir = data_dir / "agent"
        self._staged = self._dir / "staged"
        self._path = self._dir / "upgrade.json"
        self.venvs = Venvs(prefix) if prefix is not None else None
        self.running = running
        self._window = health_window_s
        self._max_starts = max_starts
        self._python = python or os.path.realpath(getattr(sys, "_base_executable",
                                                          sys.executable))
        self._clock = clock

    # the state file -------------------------------------------------------------------------

    def attempt(self) -> Attempt | None:
        """The upgrade in flight or last settled; None when there is none (or it is unreadable)."""
        try:
            doc = json.loads(self._path.read_text())
            acks = tuple(PendingAck(**a) for a in doc.pop("acks", []))
            return Attempt(**doc, acks=acks)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            log.error("upgrade.state_unreadable", path=str(self._path), error=str(exc))
            return None

    def _save(self, attempt: Attempt) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        scratch = self._dir / f".upgrade.{secrets.token_hex(4)}.tmp"
        scratch.write_text(json.dumps(asdict(attempt)))
        os.replace(scratch, self._path)

    # the old version: stage, install, switch ------------------------------------------------

    def refusal(self, version: str, rollout_id: str) -> str:
        """Why this rollout already failed here ("" if it did not): a redelivered command."""
        a = self.attempt()
        if a is None or a.state != "rolled_back" or (a.version, a.rollout_id) != (
                version, rollout_id):
            return ""
        return a.reason

    def stage(self, version: str, data: bytes) -> Path:
        """Unpack and check a bundle into ``staged/<version>``; nothing stays if it fails."""
        if self.venvs is None:
            raise UpdateFailed("install", "this gateway takes no agent upgrades: set [upgrades] "
                               "prefix (install.sh's PREFIX, /opt/nanogate) and let the "
                               "service user write it (README, Agent upgrades)")
        self.venvs.path(version)  # a valid folder name, before anything is written
        scratch = self._staged / f".{version}.{secrets.token_hex(4)}"
        scratch.mkdir(parents=True)
        try:
            folder = unpack(data, scratch)
            check_manifest(folder)
            meta = read_meta(folder)
            _check_meta(meta.version, meta.machine, version)
        except BundleError as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            raise UpdateFailed("verify", str(exc)) from exc
        except UpdateFailed:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        target = self._staged / version
        shutil.rmtree(target, ignore_errors=True)  # a leftover of an earlier failed attempt
        os.replace(folder, target)
        shutil.rmtree(scratch, ignore_errors=True)
        log.info("agent.staged", version=version, path=str(target))
        return target

    async def install(self, version: str) -> Path:
        """Install the staged bundle into a new venv beside the running one; check its version."""
        assert self.venvs is not None  # stage() refused otherwise
        bundle, target = self._staged / version, self.venvs.path(version)
        self.venvs.discard(version)
        command = ["bash", str(bundle / "deploy/gateway/install.sh"), "--bundle", str(bundle),
                   "--into-venv", str(target), "--python", self._python]
        code, output = await _run(command)
        if code != 0:
            self.forget(version)
            raise UpdateFailed("install", f"install.sh --into-venv failed ({code}): "
                               f"{output[-800:].strip()}")
        # -I: the new venv's own packages only, never a source tree in the current directory
        code, output = await _run([str(target / "bin/python"), "-I", "-c", "import importlib."
                                   "metadata as m; print(m.version('nanogate'))"])
        if code != 0 or output.strip() != version:
            self.forget(version)
            raise UpdateFailed("smoke", f"the new venv reports nanogate {output.strip()!r}, "
                               f"the artefact is {version!r}")
        log.info("agent.installed", version=version, venv=str(target))
        return target

    def forget(self, version: str) -> None:
        """Remove a version that never became active: its staged bundle and its venv."""
        shutil.rmtree(self._staged / version, ignore_errors=True)
        if self.venvs is not None:
            self.venvs.discard(version)

    def switch(self, version: str, *, rollout_id: str, command_id: str) -> None:
        """Record the attempt, then swap the symlink to the new venv (restart next)."""
        assert self.venvs is not None
        self.venvs.adopt(self.running)
        self._save(Attempt(version, self.running, rollout_id, command_id,
                           deadline=self._clock() + self._window))
        self.venvs.switch(version)
        log.info("agent.switched", version=version, previous=self.running,
                 rollout_id=rollout_id)

    # any version, at start and after -------------------------------------------------------

    def boot(self) -> bool:
        """Called first at start; True when this start must end (it rolled back): restart."""
        a = self.attempt()
        if a is None or a.state != "trying" or self.venvs is None:
            return False
        if self.running != a.version:  # the switch never took effect, or was undone by hand
            self._fail(a, f"the gateway came back on {self.running}, not {a.version}")
            return False
        a = replace(a, starts=a.starts + 1)
        self._save(a)
        if a.starts > self._max_starts:
            reason = (f"{a.version} started {a.starts - 1} times without a heartbeat answered "
                      "by the broker")
        elif self._clock() > a.deadline:
            reason = f"{a.version} did not reach the broker within {self._window:.0f} s"
        else:
            return False
        self.roll_back(a, reason)
        return True

    async def watch(self, heard: asyncio.Event) -> bool:
        """On a new version: wait for an answered heartbeat until the deadline.

        True when confirmed (or nothing to watch); False when it rolled back: restart.
        """
        a = self.attempt()
        if a is None or a.state != "trying" or a.version != self.running or not self.venvs:
            return True
        try:
            await asyncio.wait_for(heard.wait(), max(0.0, a.deadline - self._clock()))
        except TimeoutError:
            self.roll_back(a, f"{a.version} did not reach the broker within "
                              f"{self._window:.0f} s")
            return False
        self._settle(a, "confirmed", "", PendingAck(a.command_id, True, {"installed": a.version}))
        assert self.venvs is not None
        self.venvs.prune({a.version, a.previous})
        log.info("agent.upgrade_confirmed", version=a.version, previous=a.previous)
        return True

    def roll_back(self, a: Attempt, reason: str) -> None:
        """Swap back to the previous venv; the old version acks the rollout as failed."""
        assert self.venvs is not None
        self.venvs.switch(a.previous)
        self._settle(a, "rolled_back", reason, PendingAck(a.command_id, False, {
            "error": reason, "stage": "health", "reverted": True, "restored": a.previous}))
        log.error("agent.rolled_back", version=a.version, restored=a.previous, reason=reason,
                  rollout_id=a.rollout_id)

    def roll_back_on_request(self, version: str, command_id: str) -> str:
        """A broker's ``rollback`` of the running version: swap back; returns the version."""
        a = self.attempt()
        if (a is None or a.version != version or self.venvs is None
                or not self.venvs.path(a.previous).is_dir()):
            raise UpdateFailed("install", f"no earlier venv to return to from {version}")
        self.venvs.switch(a.previous)
        self._settle(a, "rolled_back", "rolled back by the broker",
                     PendingAck(command_id, True, {"restored": a.previous}))
        log.info("agent.rolled_back", version=version, restored=a.previous,
                 reason="rollback command", rollout_id=a.rollout_id)
        return a.previous

    def take_acks(self, put: Callable[[str, bool, dict[str, Any]], None]) -> int:
        """Hand the acks an earlier start left to ``put`` (the durable outbox), then forget them."""
        a = self.attempt()
        if a is None or not a.acks:
            return 0
        for ack in a.acks:
            put(ack.command_id, ack.ok, ack.result)
        self._save(replace(a, acks=()))
        return len(a.acks)

    def _fail(self, a: Attempt, reason: str) -> None:
        self._settle(a, "rolled_back", reason, PendingAck(a.command_id, False, {
            "error": reason, "stage": "health", "reverted": True}))
        log.error("agent.upgrade_failed", version=a.version, running=self.running, reason=reason)

    def _settle(self, a: Attempt, state: str, reason: str, ack: PendingAck) -> None:
        acks = (*a.acks, ack) if ack.command_id else a.acks
        self._save(replace(a, state=state, reason=reason, acks=acks))
        shutil.rmtree(self._staged, ignore_errors=True)


def _check_meta(bundled: str, machine: str, version: str) -> None:
    if bundled != version:
        raise UpdateFailed("verify", f"the bundle is nanogate {bundled}, the rollout names "
                           f"{version}: push it again as --version {bundled}")
    if machine != platform.machine():
        raise UpdateFailed("verify", f"the bundle is for {machine}, this gateway is "
                           f"{platform.machine()}: roll out the bundle for {platform.machine()}")


async def _run(command: list[str]) -> tuple[int, str]:
    """Run a program to its end (bounded); its exit code and its merged output."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    try:
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env)
    except OSError as exc:
        return 127, str(exc)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), INSTALL_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return 124, f"timed out after {INSTALL_TIMEOUT_S:.0f} s"
    return proc.returncode or 0, out.decode(errors="replace")
