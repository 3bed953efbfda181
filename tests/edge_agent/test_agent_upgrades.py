"""Agent upgrades on the gateway against a real broker service: a signed bundle, a new venv
beside the old, a symlink swap, and a rollback the broker hears about.

The install test runs the bundle's real install.sh --into-venv on a real bundle (a stand-in
nanogate wheel, tests/support/bundles.py) with this machine's Python. The restart itself is a
callback here: the tests play the next start by building the component again as the other
version, on the same files.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloud_broker.fleet import (
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqliteFleetStore,
    load_or_create,
)
from cloud_broker.fleet.rollouts import rollout_args
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from edge_agent.commands import CommandFailed
from edge_agent.config import EdgeConfig, GatewaySection, UpgradesSection
from edge_agent.registry import Registry
from edge_agent.sync import GrpcTransport, Identity
from edge_agent.triage import Triage
from edge_agent.updates import Updates
from edge_agent.upgrade import AgentUpgrade, Venvs
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import NoAnswers
from tests.support.bundles import pack, tiny_bundle, tiny_bundle_folder


@dataclass
class Gateway:
    """A broker on loopback, gw-a enrolled against it, and gw-a's data dir and prefix."""

    store: SqliteFleetStore
    artefacts: ArtefactStore
    rollouts: RolloutController
    transport: GrpcTransport
    data_dir: Path
    prefix: Path
    restarts: asyncio.Event

    def push(self, data: bytes, version: str = "0.2.0") -> dict[str, Any]:
        """Store an agent artefact, start a real rollout to gw-a; the command's arguments."""
        artefact = self.artefacts.put("agent", "nanogate", version, data, trust=True)
        status = self.rollouts.create(RolloutSpec(artefact="nanogate", version=version,
                                                  devices=["gw-a"]), time.time())
        return rollout_args(status.rollout.id, artefact, "gw-a", self.artefacts)

    def config(self, **upgrades: Any) -> EdgeConfig:
        """gw-a's config, taking agent upgrades into ``prefix``."""
        return EdgeConfig(gateway=GatewaySection(id="gw-a", data_dir=self.data_dir),
                          upgrades=UpgradesSection(prefix=self.prefix, **upgrades))

    def updates(self, running: str = "0.1.0") -> Updates:
        """The rollout handler of gw-a running agent ``running``."""
        return Updates(config=self.config(), triage=Triage(Registry()),
                       transport=self.transport, trusted_key=lambda: self.artefacts.public_key,
                       restart=self.restarts.set, agent_version=running)

    def upgrade(self, running: str, **kwargs: Any) -> AgentUpgrade:
        """gw-a's agent-upgrade state as version ``running`` sees it at start."""
        return AgentUpgrade(data_dir=self.data_dir, prefix=self.prefix, running=running,
                            **kwargs)

    def staged(self) -> list[str]:
        """What is staged in the data dir."""
        folder = self.data_dir / "agent" / "staged"
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    """A real EdgeLink service, gw-a enrolled, and an agent installed the old way in prefix."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok-1")
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now)
    server, port = await start_grpc(EdgeLinkService(store, NoAnswers(), artefacts),
                                    "127.0.0.1:0")
    transport = GrpcTransport(f"127.0.0.1:{port}")
    reply = await transport.enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-a"), timeout=5)
    transport.set_identity(Identity(reply.device_id, reply.credential, reply.site,
                                    reply.artefact_public_key))
    prefix = tmp_path / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)  # what install.sh made: a real folder
    (prefix / "venv" / "bin" / "edge-agent").write_text("#!/bin/sh\necho 0.1.0\n")
    yield Gateway(store, artefacts, RolloutController(store, artefacts), transport,
                  tmp_path / "edge", prefix, asyncio.Event())
    await transport.close()
    await server.stop(None)
    store.close()


async def _refused(updates: Updates, args: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(CommandFailed) as caught:
        await updates.rollout(args, "cmd-1")
    return caught.value.result


async def test_a_bad_signature_stages_nothing(gateway: Gateway, tmp_path: Path) -> None:
    """An agent artefact whose signature is not the broker's is refused before staging."""
    args = gateway.push(tiny_bundle(tmp_path, "0.2.0"))
    forged = {**args, "signature": "ab" * 64}
    result = await _refused(gateway.updates(), forged)
    assert result["stage"] == "verify" and "signature" in result["error"]
    assert gateway.staged() == []
    assert not (gateway.prefix / "venvs").exists()
    assert (gateway.prefix / "venv").is_dir() and not (gateway.prefix / "venv").is_symlink()


@pytest.mark.parametrize("tamper", ["changed", "extra"])
async def test_a_bundle_failing_its_checksums_is_refused_naming_the_file(
        gateway: Gateway, tmp_path: Path, tamper: str) -> None:
    """A signed bundle whose files do not match its SHA256SUMS is refused; nothing stays."""
    folder = tiny_bundle_folder(tmp_path, "0.2.0")
    if tamper == "changed":
        wheel = next(folder.glob("wheels/*.whl"))
        wheel.write_bytes(wheel.read_bytes() + b"\0")
        want = f"checksum mismatch: wheels/{wheel.name}"
    else:
        (folder / "wheels" / "evil.whl").write_bytes(b"not listed")
        want = "not listed: wheels/evil.whl"
    result = await _refused(gateway.updates(), gateway.push(pack(folder, tmp_path)))
    assert result["stage"] == "verify"
    assert want in result["error"] and "SHA256SUMS" in result["error"]
    assert gateway.staged() == []
    assert not (gateway.prefix / "venv").is_symlink()


async def test_a_bundle_for_another_machine_is_refused(gateway: Gateway, tmp_path: Path) -> None:
    """The bundle's bundle.json must name this gateway's machine."""
    result = await _refused(gateway.updates(),
                            gateway.push(tiny_bundle(tmp_path, "0.2.0", machine="sparc64")))
    assert result["stage"] == "verify" and "sparc64" in result["error"]
    assert gateway.staged() == []


async def test_a_good_bundle_is_installed_beside_and_switched(
        gateway: Gateway, tmp_path: Path) -> None:
    """install.sh --into-venv builds a new venv, the symlink swaps to it, a restart is asked."""
    updates = gateway.updates()
    task = asyncio.create_task(updates.rollout(gateway.push(tiny_bundle(tmp_path, "0.2.0")),
                                               "cmd-1"))
    await asyncio.wait_for(gateway.restarts.wait(), 300)
    assert not task.done()  # no ack from the old version: the new one acks once it is healthy
    task.cancel()
    link = gateway.prefix / "venv"
    assert link.is_symlink() and link.resolve() == (gateway.prefix / "venvs/0.2.0").resolve()
    assert (gateway.prefix / "venvs/0.1.0/bin/edge-agent").is_file()  # the old one, kept
    ran = await asyncio.create_subprocess_exec(str(link / "bin/edge-agent"),
                                               stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(ran.communicate(), 60)
    assert out.decode().strip() == "edge-agent stub 0.2.0"
    attempt = gateway.upgrade("0.1.0").attempt()
    assert attempt is not None and (attempt.state, attempt.version, attempt.previous,
                                    attempt.command_id) == ("trying", "0.2.0", "0.1.0", "cmd-1")
    assert gateway.staged() == ["0.2.0"]


def _switched(gateway: Gateway, command_id: str = "cmd-1", rollout_id: str = "ro-1") -> None:
    """The old version's last step on real files: a new venv beside, the symlink swapped."""
    (gateway.prefix / "venvs" / "0.2.0" / "bin").mkdir(parents=True)
    gateway.upgrade("0.1.0").switch("0.2.0", rollout_id=rollout_id, command_id=command_id)
    assert Venvs(gateway.prefix).active() == "0.2.0"


async def test_a_new_version_the_broker_answers_is_confirmed_and_acks(gateway: Gateway) -> None:
    """The first answered heartbeat confirms the new version; it acks the rollout."""
    _switched(gateway)
    (gateway.prefix / "venvs" / "0.0.9").mkdir()  # an older venv, pruned on confirm
    new = gateway.upgrade("0.2.0")
    assert new.boot() is False
    heard = asyncio.Event()
    heard.set()
    assert await new.watch(heard) is True
    acks: list[tuple[str, bool, dict[str, Any]]] = []
    assert new.take_acks(lambda *ack: acks.append(ack)) == 1
    assert acks == [("cmd-1", True, {"installed": "0.2.0"})]
    assert sorted(p.name for p in (gateway.prefix / "venvs").iterdir()) == ["0.1.0", "0.2.0"]
    assert new.take_acks(lambda *ack: acks.append(ack)) == 0  # sent once


async def test_a_silent_new_version_rolls_back_and_the_broker_hears_why(
        gateway: Gateway, tmp_path: Path) -> None:
    """No heartbeat answered within the window: back to the old venv, and the rollout ends
    rolled_back with that reason, through the real command and ack path."""
    args = gateway.push(tiny_bundle(tmp_path, "0.2.0"))
    gateway.rollouts.tick(time.time())
    [command] = await gateway.transport.pull_commands(max_items=5, timeout=5)
    assert command.name == "rollout"
    _switched(gateway, command.id, args["rollout_id"])
    late = gateway.upgrade("0.2.0", clock=lambda: time.time() + 3600)
    assert await late.watch(asyncio.Event()) is False  # the daemon restarts on False
    assert Venvs(gateway.prefix).active() == "0.1.0"
    old = gateway.upgrade("0.1.0")
    assert old.boot() is False
    acks: list[tuple[str, bool, dict[str, Any]]] = []
    assert old.take_acks(lambda *ack: acks.append(ack)) == 1
    for command_id, ok, result in acks:  # what the link sends from the outbox
        await gateway.transport.ack_command(pb.CommandAck(
            command_id=command_id, ok=ok, result_json=json.dumps(result)), timeout=5)
    gateway.rollouts.tick(time.time())
    status = gateway.rollouts.status(args["rollout_id"])
    assert status.rollout.state == "rolled_back"
    assert "did not reach the broker within 300 s" in status.rollout.reason
    again = await _refused(gateway.updates("0.1.0"), args)  # a redelivery is not reinstalled
    assert again["stage"] == "health" and "did not reach the broker" in again["error"]


async def test_a_crash_looping_new_version_rolls_back_at_start(gateway: Gateway) -> None:
    """A version that keeps restarting before it reaches the broker swaps back at start."""
    _switched(gateway)
    new = gateway.upgrade("0.2.0", max_starts=3)
    assert [new.boot() for _ in range(4)] == [False, False, False, True]
    assert Venvs(gateway.prefix).active() == "0.1.0"
    attempt = gateway.upgrade("0.1.0").attempt()
    assert attempt is not None and attempt.state == "rolled_back"
    [ack] = attempt.acks
    assert (ack.command_id, ack.ok, ack.result["stage"]) == ("cmd-1", False, "health")
    assert "started 3 times" in ack.result["error"]


async def test_the_brokers_rollback_command_swaps_back_and_restarts(gateway: Gateway) -> None:
    """A rollback of the running agent version swaps back; the old version acks it."""
    _switched(gateway)
    updates = gateway.updates(running="0.2.0")
    task = asyncio.create_task(updates.rollback({"kind": "agent", "version": "0.2.0",
                                                 "to_version": "0.1.0"}, "cmd-rb"))
    await asyncio.wait_for(gateway.restarts.wait(), 10)
    task.cancel()
    assert Venvs(gateway.prefix).active() == "0.1.0"
    acks: list[tuple[str, bool, dict[str, Any]]] = []
    gateway.upgrade("0.1.0").take_acks(lambda *ack: acks.append(ack))
    assert acks == [("cmd-rb", True, {"restored": "0.1.0"})]


async def test_a_gateway_without_a_prefix_refuses_agent_upgrades(
        gateway: Gateway, tmp_path: Path) -> None:
    """Without [upgrades] prefix an agent rollout is refused with what to set."""
    gateway_section = GatewaySection(id="gw-a", data_dir=gateway.data_dir)
    updates = Updates(config=EdgeConfig(gateway=gateway_section),
                      triage=Triage(Registry()), transport=gateway.transport,
                      trusted_key=lambda: gateway.artefacts.public_key)
    result = await _refused(updates, gateway.push(tiny_bundle(tmp_path, "0.2.0")))
    assert result["stage"] == "install" and "[upgrades] prefix" in result["error"]
    assert gateway.staged() == []

