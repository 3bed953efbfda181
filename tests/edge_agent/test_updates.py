"""Rollouts on the gateway against a real broker service: fetch, verify, smoke, swap, roll back."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloud_broker.fleet import (
    Artefact,
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqliteFleetStore,
    load_or_create,
)
from cloud_broker.fleet.rollouts import rollout_args
from cloud_broker.link.grpc import EdgeLinkService, start_grpc
from edge_agent.commands import CommandFailed, Commands
from edge_agent.config import EdgeConfig, GatewaySection
from edge_agent.errors import CloudRejected
from edge_agent.registry import Registry
from edge_agent.sync import GrpcTransport, Identity
from edge_agent.triage import Triage
from edge_agent.triage.model import SHIPPED_DIR
from edge_agent.updates import Updates, active_config, pack_model
from nanogate.v1 import edge_pb2 as pb
from tests.support.answerer import NoAnswers
from tests.support.bundles import model_archive


@dataclass
class Broker:
    """A broker service on a loopback port, its artefacts, and an enrolled transport."""

    artefacts: ArtefactStore
    transport: GrpcTransport
    public_key: str
    data_dir: Path
    rollouts: RolloutController

    def rollout(self, artefact: Artefact, target: str = "gw-a") -> dict[str, Any]:
        """Start a real rollout of ``artefact`` to gw-a; the command arguments for ``target``."""
        status = self.rollouts.create(RolloutSpec(artefact=artefact.name,
                                                  version=artefact.version, devices=["gw-a"]),
                                      time.time())
        return rollout_args(status.rollout.id, artefact, target, self.artefacts)

    def updates(self, triage: Triage | None = None, key: str | None = None) -> Updates:
        """An Updates on this test's data dir, trusting the broker's key (or ``key``)."""
        config = EdgeConfig(gateway=GatewaySection(id="gw-a", data_dir=self.data_dir))
        trusted = self.public_key if key is None else key
        return Updates(config=config, triage=triage or Triage(Registry()),
                       transport=self.transport, trusted_key=lambda: trusted)

    def push_model(self, tmp: Path, version: str, *, broken: bool = False) -> dict[str, Any]:
        """Upload a copy of the shipped model with a new version; its rollout arguments."""
        archive = model_archive(tmp, version, broken=broken)
        return self.rollout(self.artefacts.put("model", "triage", version, archive))


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Broker]:
    """A real EdgeLink service with an ArtefactStore, and a gateway enrolled against it."""
    store = SqliteFleetStore(tmp_path / "fleet.db")
    store.create_enrol_token(site="lab", tags=["t"], token="tok-1")
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now,
                              chunk_bytes=64 * 1024)
    server, port = await start_grpc(EdgeLinkService(store, NoAnswers(), artefacts),
                                    "127.0.0.1:0")
    transport = GrpcTransport(f"127.0.0.1:{port}")
    reply = await transport.enrol(pb.EnrolRequest(token="tok-1", requested_id="gw-a"), timeout=5)
    transport.set_identity(Identity(reply.device_id, reply.credential, reply.site,
                                    reply.artefact_public_key))
    yield Broker(artefacts, transport, reply.artefact_public_key, tmp_path / "edge",
                 RolloutController(store, artefacts))
    await transport.close()
    await server.stop(None)
    store.close()


async def test_enrolment_hands_out_the_signing_key(broker: Broker) -> None:
    """The gateway learns the broker's artefact key when it enrols."""
    assert broker.public_key == broker.artefacts.public_key
    assert len(broker.public_key) == 64


async def test_new_model_is_installed_swapped_and_survives_a_restart(
        broker: Broker, tmp_path: Path) -> None:
    """A signed model installs into a slot, answers requests, and is loaded again at start."""
    triage = Triage(Registry())
    base = triage.version
    updates = broker.updates(triage)
    result = await updates.rollout(broker.push_model(tmp_path, "triage-2.0"))
    assert result == {"installed": "triage-2.0"}
    assert triage.version == updates.model_version == "triage-2.0"
    assert triage.classify("turn on pump 2").intent == "set_actuator"
    again = Triage(Registry())
    assert again.version == base
    broker.updates(again).restore()
    assert again.version == "triage-2.0"


async def test_same_version_again_is_acked_without_reinstalling(
        broker: Broker, tmp_path: Path) -> None:
    """A redelivered rollout command of the running version is acknowledged as installed."""
    updates = broker.updates()
    args = broker.push_model(tmp_path, "triage-2.0")
    await updates.rollout(args)
    assert await updates.rollout(args) == {"installed": "triage-2.0", "already": True}


@pytest.mark.parametrize("tamper", ["sha256", "signature"], ids=["bad-sha", "bad-signature"])
async def test_tampered_artefact_is_refused_at_verify(
        broker: Broker, tmp_path: Path, tamper: str) -> None:
    """A digest or signature that does not match is refused before anything is installed."""
    updates = broker.updates()
    base = updates.model_version
    args = broker.push_model(tmp_path, "triage-2.0")
    if tamper == "sha256":
        args["sha256"] = "0" * 64
    else:
        args["signature"] = load_or_create(tmp_path / "other.pem").sign_digest(args["sha256"])
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(args)
    assert failed.value.result["stage"] == "verify"
    assert failed.value.result["reverted"] is True
    assert updates.model_version == base
    assert not (broker.data_dir / "models" / "triage-2.0").exists()


async def test_model_that_fails_its_smoke_test_keeps_the_old_one(
        broker: Broker, tmp_path: Path) -> None:
    """A model that does not load is refused at smoke; the old model keeps answering."""
    triage = Triage(Registry())
    base = triage.version
    updates = broker.updates(triage)
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(broker.push_model(tmp_path, "triage-bad", broken=True))
    assert failed.value.result["stage"] == "smoke"
    assert "does not load" in failed.value.result["error"]
    assert triage.version == base
    assert triage.classify("list all devices").intent == "list_devices"
    assert not (broker.data_dir / "models" / "triage-bad").exists()


async def test_rollback_restores_the_previous_model(broker: Broker, tmp_path: Path) -> None:
    """A rollback of the running version returns to the one before it, persistently."""
    triage = Triage(Registry())
    base = triage.version
    updates = broker.updates(triage)
    await updates.rollout(broker.push_model(tmp_path, "triage-2.0"))
    result = await updates.rollback({"rollout_id": "ro-1", "kind": "model", "name": "triage",
                                     "version": "triage-2.0", "to_version": base})
    assert result == {"restored": base}
    assert triage.version == base
    fresh = Triage(Registry())
    broker.updates(fresh).restore()
    assert fresh.version == base


async def test_second_rollout_keeps_the_first_as_the_rollback_slot(
        broker: Broker, tmp_path: Path) -> None:
    """Two installs in a row: a rollback returns to the first, not to the shipped model."""
    updates = broker.updates()
    await updates.rollout(broker.push_model(tmp_path, "triage-2.0"))
    await updates.rollout(broker.push_model(tmp_path, "triage-3.0"))
    result = await updates.rollback({"kind": "model", "version": "triage-3.0",
                                     "to_version": "triage-2.0"})
    assert result == {"restored": "triage-2.0"}


async def test_gateway_without_a_trusted_key_refuses_rollouts(
        broker: Broker, tmp_path: Path) -> None:
    """An identity from before signed artefacts fetches nothing and says to re-enrol."""
    commands = Commands()
    updates = broker.updates(key="")
    commands.register("rollout", updates.rollout)
    args = broker.push_model(tmp_path, "triage-2.0")
    ok, result = await commands.run(pb.Command(id="c1", name="rollout",
                                               args_json=json.dumps(args)))
    assert not ok
    assert result["stage"] == "verify"
    assert "no trusted signing key; re-enrol" in str(result["error"])


async def test_config_rollout_is_validated_and_reported(broker: Broker) -> None:
    """A valid config document becomes the active config; an invalid one fails its smoke test."""
    updates = broker.updates()
    good = broker.artefacts.put("config", "edge", "cfg-2", b'[gateway]\nid = "gw-a"\n')
    assert await updates.rollout(broker.rollout(good)) == {"installed": "cfg-2"}
    assert updates.config_version == "cfg-2"
    assert active_config(broker.data_dir) == broker.data_dir / "config" / "cfg-2" / "edge.toml"
    bad = broker.artefacts.put("config", "edge", "cfg-3", b"[mqtt]\nport = 'x'\nnope = 1\n")
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(broker.rollout(bad))
    assert failed.value.result["stage"] == "smoke"
    assert updates.config_version == "cfg-2"



# signed manifests (issue 13.8) ------------------------------------------------------------

async def test_old_rollout_replayed_is_refused_as_a_downgrade(
        broker: Broker, tmp_path: Path) -> None:
    """A validly signed rollout of an older artefact cannot take a gateway back."""
    updates = broker.updates()
    old = broker.push_model(tmp_path, "triage-2.0")
    await updates.rollout(old)
    await updates.rollout(broker.push_model(tmp_path, "triage-3.0"))
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(old)
    assert failed.value.result["stage"] == "verify"
    assert "not newer than what was installed" in failed.value.result["error"]
    assert updates.model_version == "triage-3.0"


async def test_rolled_back_version_is_not_reinstalled_by_a_replay(
        broker: Broker, tmp_path: Path) -> None:
    """After a rollback, the bad version's old rollout command installs nothing."""
    updates = broker.updates()
    bad = broker.push_model(tmp_path, "triage-2.0")
    base = updates.model_version
    await updates.rollout(bad)
    await updates.rollback({"kind": "model", "version": "triage-2.0", "to_version": base})
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(bad)
    assert failed.value.result["stage"] == "verify"
    assert updates.model_version == base


@pytest.mark.parametrize("field, value", [
    ("version", "triage-9.9"), ("seq", 10_000), ("target", "gw-b"), ("kind", "config"),
    ("trust", True), ("name", "other"), ("rollout_id", "ro-forged")])
async def test_every_manifest_field_is_signed(broker: Broker, tmp_path: Path, field: str,
                                              value: object) -> None:
    """Changing any field of a signed rollout voids its signature: nothing is downloaded."""
    updates = broker.updates()
    args = {**broker.push_model(tmp_path, "triage-2.0"), field: value}
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(args)
    assert failed.value.result["stage"] == "verify"
    assert "manifest" in failed.value.result["error"]


async def test_rollout_signed_for_another_gateway_is_refused(
        broker: Broker, tmp_path: Path) -> None:
    """A manifest the broker signed for gw-b does not install on gw-a."""
    artefact = broker.artefacts.put("config", "edge", "cfg-2", b'[gateway]\nid = "gw-a"\n')
    with pytest.raises(CommandFailed) as failed:
        await broker.updates().rollout(broker.rollout(artefact, target="gw-b"))
    assert "signed for 'gw-b'" in failed.value.result["error"]


async def test_config_changing_cloud_trust_needs_an_admin_artefact(broker: Broker) -> None:
    """An operator's config may not point the gateway at another broker or CA; an admin's may."""
    doc = b'[gateway]\nid = "gw-a"\n[cloud]\naddress = "evil.example:50051"\ntls = "off"\n'
    operator = broker.artefacts.put("config", "edge", "cfg-2", doc)
    updates = broker.updates()
    with pytest.raises(CommandFailed) as failed:
        await updates.rollout(broker.rollout(operator))
    assert failed.value.result["stage"] == "smoke"
    assert "changes [cloud] address" in failed.value.result["error"]
    admin = broker.artefacts.put("config", "edge", "cfg-3", doc, trust=True)
    assert await updates.rollout(broker.rollout(admin)) == {"installed": "cfg-3"}


async def test_artefact_is_served_only_to_the_targets_of_its_rollouts(
        broker: Broker, tmp_path: Path) -> None:
    """FetchArtefact answers NOT_FOUND for an artefact no rollout sends to the caller."""
    artefact = broker.artefacts.put("config", "edge", "cfg-2", b'[gateway]\nid = "gw-a"\n')
    with pytest.raises(CloudRejected, match="in a rollout for this gateway"):
        await broker.transport.fetch_artefact("edge", "cfg-2", timeout=5)
    broker.rollout(artefact)
    data, _, _ = await broker.transport.fetch_artefact("edge", "cfg-2", timeout=5)
    assert data == b'[gateway]\nid = "gw-a"\n'


async def test_a_rollout_travels_typed_and_installs(broker: Broker, tmp_path: Path) -> None:
    """The rollout command comes down the link as a RolloutArgs message, and the gateway's
    command runner installs from it as from the JSON it replaces."""
    model = tmp_path / "model-typed"
    shutil.copytree(SHIPPED_DIR, model)
    card = json.loads((model / "model_card.json").read_text())
    card["version"] = "triage-typed"
    (model / "model_card.json").write_text(json.dumps(card))
    artefact = broker.artefacts.put("model", "triage", "triage-typed", pack_model(model))
    broker.rollouts.create(RolloutSpec(artefact="triage", version="triage-typed",
                                       devices=["gw-a"]), time.time())
    broker.rollouts.tick(time.time())  # the first wave's commands are queued
    [command] = await broker.transport.pull_commands(max_items=10, timeout=5)
    assert command.name == "rollout" and command.HasField("rollout")
    assert (command.rollout.version, command.rollout.sha256, command.rollout.target) == (
        "triage-typed", artefact.sha256, "gw-a")
    commands = Commands()
    triage = Triage(Registry())
    commands.register_keyed("rollout", broker.updates(triage).rollout)
    ok, result = await commands.run(command)
    assert ok and result["installed"] == "triage-typed"
    assert triage.version == "triage-typed"
