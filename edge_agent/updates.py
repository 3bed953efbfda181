"""Fleet rollouts on the gateway: fetch, verify, install into a slot, smoke-test, swap, roll back.

The broker sends a ``rollout`` command naming a signed artefact; the gateway downloads it
with ``FetchArtefact``, checks its SHA-256 and the broker's Ed25519 signature against the key
it learnt at enrolment, installs it beside the running version, smoke-tests it and swaps.
A failure at any stage leaves the running version in place and is acked with its stage.

Artefacts:
- a **model** is a tar archive (plain or gzip-compressed) with ``triage.onnx`` and
  ``model_card.json`` at its top level; the card's ``version`` must be the artefact's version.
- a **config** is an edge TOML document, validated as ``EdgeConfig``; it takes effect when the
  daemon next starts (``active_config`` names the file), and heartbeats report its version.
- an **agent** upgrade is an offline install bundle: ``edge_agent.upgrade`` checks its
  SHA256SUMS, installs it into a new venv beside the running one, swaps the venv symlink and
  restarts; the new version acks the rollout once the broker answers its heartbeat, or it
  swaps back and the old version acks the failure (stage ``health``).

Slots in the data dir: ``models/<version>/`` and ``config/<version>/edge.toml``, with
``<kind>/active.json`` = ``{"active": ..., "previous": ...}`` ("" means the model or config
the daemon was started with). Only the active and the previous slot are kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NoReturn

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from edge_agent.commands import CommandFailed
from edge_agent.config import EdgeConfig
from edge_agent.errors import CloudRejected, CloudUnavailable, EdgeAgentError, UpdateFailed
from edge_agent.slots import Pointer, Slots
from edge_agent.sync.link import AGENT_VERSION
from edge_agent.sync.transport import Transport
from edge_agent.triage import Triage
from edge_agent.triage.model import CARD_FILE, MODEL_FILE
from edge_agent.upgrade import AgentUpgrade
from nanogate.signatures import TRUST_KEYS, Manifest

log = structlog.get_logger("edge_agent.updates")

Kind = Literal["config", "model", "agent"]
CONFIG_FILE = "edge.toml"
_MODEL_FILES = (MODEL_FILE, CARD_FILE)
# Requests any sane triage model routes this way; a new model must get at least all but one.
SMOKE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("what is the temperature in zone 3", "query_state"),
    ("show me the temperature history of t-104 over the last hour", "query_history"),
    ("turn on pump 2", "set_actuator"),
    ("list all devices", "list_devices"),
    ("are there any alerts", "list_alerts"),
    ("write me a poem about the ocean", "escalate"),
)


class RolloutArgs(BaseModel):
    """The ``rollout`` command's arguments, as the broker sends them."""

    model_config = ConfigDict(frozen=True)

    rollout_id: str = ""
    kind: Kind
    name: str
    version: str
    sha256: str
    signature: str
    key_id: str = ""
    size: int = 0
    # The signed manifest (nanogate.signatures.Manifest): newer than anything installed,
    # for this gateway, and allowed to change [cloud] trust settings only if ``trust``.
    seq: int = 0
    target: str = ""
    trust: bool = False
    manifest_signature: str = ""
    fetch: str = "FetchArtefact"

    def manifest(self) -> Manifest:
        """What the broker signed for this rollout."""
        return Manifest(kind=self.kind, name=self.name, version=self.version, seq=self.seq,
                        target=self.target, sha256=self.sha256.lower(),
                        rollout_id=self.rollout_id, trust=self.trust)


class RollbackArgs(BaseModel):
    """The ``rollback`` command's arguments: the bad version and the one to restore."""

    model_config = ConfigDict(frozen=True)

    rollout_id: str = ""
    kind: Kind
    name: str = ""
    version: str
    to_version: str = ""


class Updates:
    """The ``rollout`` and ``rollback`` commands: models swap live, configs at next start,
    agent upgrades by a restart (``restart`` ends the daemon with RESTART_EXIT_CODE)."""

    def __init__(self, *, config: EdgeConfig, triage: Triage, transport: Transport,
                 trusted_key: Callable[[], str], fetch_timeout_s: float = 300.0,
                 device_id: Callable[[], str] | None = None,
                 restart: Callable[[], None] | None = None,
                 agent_version: str = AGENT_VERSION) -> None:
        data = config.gateway.data_dir
        self._config = config
        self._device_id = device_id or (lambda: config.gateway.id)
        self._triage = triage
        self._transport = transport
        self._trusted_key = trusted_key
        self._fetch_timeout_s = fetch_timeout_s
        self._base_model = triage.version
        self._slots: dict[Kind, Slots] = {"model": Slots(data / "models"),
                                          "config": Slots(data / "config"),
                                          "agent": Slots(data / "agent")}  # its seq.json only
        self._lock = asyncio.Lock()
        self._restart = restart
        self.upgrade = AgentUpgrade(data_dir=data, prefix=config.upgrades.prefix,
                                    running=agent_version,
                                    health_window_s=config.upgrades.health_window_s,
                                    max_starts=config.upgrades.max_starts)

    @property
    def model_version(self) -> str:
        """The model answering requests now."""
        return self._triage.version

    @property
    def config_version(self) -> str:
        """The active config artefact's version; "" for the file the daemon started with."""
        return self._slots["config"].pointer().active

    def restore(self) -> None:
        """Load the active model slot persisted by an earlier run (call once at start)."""
        slots = self._slots["model"]
        pointer = slots.pointer()
        if not pointer.active:
            return
        try:
            self._triage.adopt(self._triage.with_model(slots.path(pointer.active)))
        except (EdgeAgentError, ValueError) as exc:
            log.error("model.restore_failed", version=pointer.active, error=str(exc),
                      running=self._triage.version)
            slots.point(Pointer())
            return
        log.info("model.restored", version=pointer.active)

    async def rollout(self, raw: dict[str, Any], command_id: str = "") -> dict[str, Any]:
        """Install an artefact version and make it active; CommandFailed with the stage.

        An agent upgrade does not return: the daemon restarts into the new version, which
        acks ``command_id`` (or the old one does, with the reason it came back).
        """
        try:
            args = RolloutArgs.model_validate(raw)
        except ValidationError as exc:
            raise CommandFailed({"error": f"bad rollout arguments: {exc.errors()[:3]}",
                                 "stage": "fetch", "reverted": True}) from exc
        async with self._lock:
            if self._active_version(args.kind) == args.version:
                log.info("rollout.already_installed", kind=args.kind, version=args.version)
                return {"installed": args.version, "already": True}
            try:
                if args.kind == "agent" and (why := self.upgrade.refusal(args.version,
                                                                         args.rollout_id)):
                    raise UpdateFailed("health", why)
                await self._install(args, command_id)
            except UpdateFailed as exc:
                log.error("rollout.refused", kind=args.kind, version=args.version,
                          stage=exc.stage, error=exc.message, rollout_id=args.rollout_id)
                raise CommandFailed({"error": exc.message, "stage": exc.stage,
                                     "reverted": True}) from exc
        log.info("rollout.installed", kind=args.kind, version=args.version,
                 rollout_id=args.rollout_id)
        if args.kind == "agent":
            await self._restart_into(args.version)
        return {"installed": args.version}

    async def rollback(self, raw: dict[str, Any], command_id: str = "") -> dict[str, Any]:
        """Return from a bad version to the previous slot (or the base)."""
        args = RollbackArgs.model_validate(raw)
        if args.kind == "agent":
            return await self._roll_back_agent(args, command_id)
        async with self._lock:
            slots = self._slots[args.kind]
            pointer = slots.pointer()
            current = self._active_version(args.kind)
            if current != args.version:  # the bad version is not running (never installed)
                log.info("rollback.not_needed", kind=args.kind, version=args.version,
                         running=current)
                return {"restored": current, "already": True}
            target = self._rollback_target(args, pointer)
            if args.kind == "model":
                await self._swap_model(slots.path(target) if target else None)
            slots.point(Pointer(active=target))
        restored = self._active_version(args.kind)
        log.info("rollback.done", kind=args.kind, bad=args.version, restored=restored,
                 rollout_id=args.rollout_id)
        return {"restored": restored}

    # stages ---------------------------------------------------------------------------------

    def _active_version(self, kind: Kind) -> str:
        if kind == "agent":
            return self.upgrade.running
        return self.model_version if kind == "model" else self.config_version

    async def _roll_back_agent(self, args: RollbackArgs, command_id: str) -> dict[str, Any]:
        """Swap back to the previous venv and restart; the old version acks ``command_id``."""
        async with self._lock:
            if self.upgrade.running != args.version:
                log.info("rollback.not_needed", kind="agent", version=args.version,
                         running=self.upgrade.running)
                return {"restored": self.upgrade.running, "already": True}
            try:
                restored = self.upgrade.roll_back_on_request(args.version, command_id)
            except UpdateFailed as exc:
                raise CommandFailed({"error": exc.message, "stage": exc.stage}) from exc
        return await self._restart_into(restored)

    async def _restart_into(self, version: str) -> NoReturn:
        """Ask the daemon to restart, then wait to be cancelled with it: no ack from here."""
        log.info("agent.restarting", into=version)
        if self._restart is not None:
            self._restart()
        await asyncio.Event().wait()  # the restart cancels this task with the daemon
        raise AssertionError("unreachable")

    def _rollback_target(self, args: RollbackArgs, pointer: Pointer) -> str:
        """The slot to restore: ``to_version`` if it is here, else the previous, else base."""
        slots = self._slots[args.kind]
        base = self._base_model if args.kind == "model" else ""
        if args.to_version == base:
            return ""
        if args.to_version and slots.has(args.to_version):
            return args.to_version
        return pointer.previous if slots.has(pointer.previous) else ""

    def _check_manifest(self, args: RolloutArgs, key: str) -> None:
        """The signed manifest is for this gateway, and newer than anything installed."""
        from nanogate.signatures import verify_manifest

        if not verify_manifest(args.manifest(), args.manifest_signature, key):
            raise UpdateFailed("verify", "the rollout manifest (kind, name, version, sequence, "
                               "target, SHA-256) is not signed by the broker's key")
        if args.target != self._device_id():
            raise UpdateFailed("verify", f"the rollout is signed for {args.target!r}, not "
                               f"this gateway {self._device_id()!r}")
        installed = self._slots[args.kind].seq()
        if args.seq <= installed:
            raise UpdateFailed("verify", f"{args.name} {args.version} (sequence {args.seq}) is "
                               f"not newer than what was installed (sequence {installed}): "
                               "an old rollout replayed, or a downgrade; push it again to "
                               "go back on purpose")

    async def _install(self, args: RolloutArgs, command_id: str = "") -> None:
        data = await self._fetch(args)
        if args.kind == "agent":
            await self._install_agent(args, data, command_id)
            return
        slots = self._slots[args.kind]
        files = _unpack(args.kind, data)
        try:
            path = slots.fill(args.version, files)
        except (OSError, ValueError) as exc:
            raise UpdateFailed("install", f"cannot write the slot: {exc}") from exc
        try:
            if args.kind == "model":
                candidate = await asyncio.to_thread(_smoke_model, self._triage, path,
                                                    args.version)
            else:
                _smoke_config(files[CONFIG_FILE], self._config, trust=args.trust)
        except UpdateFailed:
            slots.discard(args.version)
            raise
        previous = slots.pointer().active
        slots.raise_seq(args.seq)
        slots.point(Pointer(active=args.version, previous=previous))
        if args.kind == "model":
            self._triage.adopt(candidate)  # between two requests: both run on this loop

    async def _install_agent(self, args: RolloutArgs, data: bytes, command_id: str) -> None:
        """Stage, install beside, switch; the caller restarts into it."""
        try:
            self.upgrade.stage(args.version, data)
            await self.upgrade.install(args.version)
            self._slots["agent"].raise_seq(args.seq)
            self.upgrade.switch(args.version, rollout_id=args.rollout_id, command_id=command_id)
        except OSError as exc:
            self.upgrade.forget(args.version)
            raise UpdateFailed("install", f"cannot write the new venv or its symlink: {exc}; "
                               "the service user must own [upgrades] prefix") from exc

    async def _fetch(self, args: RolloutArgs) -> bytes:
        key = self._trusted_key()
        if not key:
            raise UpdateFailed("verify", "no trusted signing key; re-enrol this gateway "
                               "(delete identity.json and give it an enrolment token)")
        self._check_manifest(args, key)  # before anything is downloaded
        try:
            data, sha256, signature = await self._transport.fetch_artefact(
                args.name, args.version, timeout=self._fetch_timeout_s)
        except (CloudUnavailable, CloudRejected) as exc:
            raise UpdateFailed("fetch", f"cannot download {args.name} {args.version}: "
                               f"{exc}") from exc
        verify(data, args, key, streamed=(sha256, signature))
        return data

    async def _swap_model(self, path: Path | None) -> None:
        candidate = await asyncio.to_thread(self._triage.with_model, path)
        self._triage.adopt(candidate)


def verify(data: bytes, args: RolloutArgs, public_key: str, *,
           streamed: tuple[str, str]) -> None:
    """Check the bytes against the command's SHA-256 and the broker's signature."""
    from nanogate.signatures import key_id, verify_digest

    digest = hashlib.sha256(data).hexdigest()
    if digest != args.sha256.lower() or streamed[0] not in ("", digest):
        raise UpdateFailed("verify", f"SHA-256 mismatch: downloaded {digest}, the rollout "
                           f"names {args.sha256}")
    if args.key_id and args.key_id != key_id(public_key):
        raise UpdateFailed("verify", f"signed with key {args.key_id}; this gateway trusts "
                           f"{key_id(public_key)} (re-enrol if the broker's key changed)")
    if not verify_digest(digest, args.signature, public_key):
        raise UpdateFailed("verify", "the signature does not match the broker's key")


def pack_model(model_dir: Path) -> bytes:
    """A model artefact (gzip-compressed tar) from a model directory, for ``artefact push``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in _MODEL_FILES:
            tar.add(model_dir / name, arcname=name)
    return buffer.getvalue()


def _unpack(kind: Kind, data: bytes) -> dict[str, bytes]:
    if kind == "config":
        return {CONFIG_FILE: data}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            files = {}
            for name in _MODEL_FILES:
                member = tar.getmember(name)
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise KeyError(f"{name} is not a regular file")
                files[name] = handle.read()
            return files
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise UpdateFailed("install", "a model artefact is a tar archive with "
                           f"{' and '.join(_MODEL_FILES)} at its top level: {exc}") from exc


def _smoke_model(live: Triage, path: Path, version: str) -> Triage:
    """Load a model beside the running one and check it classifies the examples sanely."""
    try:
        candidate = live.with_model(path)
    except EdgeAgentError as exc:
        raise UpdateFailed("smoke", f"the model does not load: {exc}") from exc
    if candidate.version != version:
        raise UpdateFailed("smoke", f"the model card says version {candidate.version!r}, "
                           f"the artefact is {version!r}")
    decisions = candidate.classify_many([text for text, _ in SMOKE_EXAMPLES])
    if not all(math.isfinite(d.confidence) and 0.0 <= d.confidence <= 1.0 for d in decisions):
        raise UpdateFailed("smoke", "the model gives confidences outside [0, 1]")
    right = sum(d.intent == want for d, (_, want) in zip(decisions, SMOKE_EXAMPLES, strict=True))
    if right < len(SMOKE_EXAMPLES) - 1:
        raise UpdateFailed("smoke", f"the model routes only {right} of "
                           f"{len(SMOKE_EXAMPLES)} smoke-test requests right")
    return candidate


def _smoke_config(data: bytes, running: EdgeConfig, *, trust: bool = False) -> None:
    """Parse and validate a config document; it keeps the gateway's id, and its [cloud] trust
    settings unless an admin pushed it (``trust``)."""
    try:
        config = EdgeConfig(**tomllib.loads(data.decode()))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise UpdateFailed("smoke", f"the config is not a valid edge config: {exc}") from exc
    if config.gateway.id != running.gateway.id:
        raise UpdateFailed("smoke", f"the config renames the gateway to {config.gateway.id!r};"
                           " a rollout may not")
    changed = [k for k in TRUST_KEYS
               if getattr(config.cloud, k, None) != getattr(running.cloud, k, None)]
    if changed and not trust:
        raise UpdateFailed("smoke", f"the config changes [cloud] {', '.join(changed)}, which "
                           "decide whom this gateway trusts; only an admin's artefact may")


def active_config(data_dir: Path) -> Path | None:
    """The config file a rollout made active, if any (load it with the running data dir)."""
    slots = Slots(data_dir / "config")
    version = slots.pointer().active
    return slots.path(version) / CONFIG_FILE if slots.has(version) else None
