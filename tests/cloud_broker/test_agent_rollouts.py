"""Agent upgrades on the broker: an offline bundle stored, signed and rolled out like a model.

Gateways are simulated through the store API, as in test_rollouts: they take their commands,
ack them and heartbeat with the agent version they run. SQLite and PostgreSQL both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloud_broker.fleet import (
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqlFleetStore,
    load_or_create,
    verify,
)
from cloud_broker.fleet.artefacts import NeedsAdmin, check_unprivileged
from cloud_broker.fleet.waves import GatePolicy
from tests.support.bundles import tiny_bundle
from tests.support.fleet import Clock


def _fleet(store: SqlFleetStore, clock: Clock, tmp_path: Path) -> tuple[ArtefactStore,
                                                                         RolloutController]:
    """gw-0 and gw-1 on agent 0.1.0, and the agent bundle 0.2.0 stored by an admin."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "signing.pem"), clock)
    artefacts.put("agent", "nanogate", "0.2.0", tiny_bundle(tmp_path, "0.2.0"), trust=True)
    token = store.create_enrol_token(site="lab", tags=["edge"], reusable=True)
    for device in ("gw-0", "gw-1"):
        store.enrol(token, device, "lab")
        _beat(store, device, "0.1.0")
    return artefacts, RolloutController(store, artefacts, replica="r1")


def _beat(store: SqlFleetStore, device: str, agent: str) -> None:
    store.heartbeat(device, {"agent": agent, "model": "m1"},
                    {"requests": 100, "errors": 0, "restarts": 0, "local_answer_rate": 0.8})


def _spec() -> RolloutSpec:
    return RolloutSpec(artefact="nanogate", version="0.2.0", tag="edge", waves=[1, "100%"],
                       soak_s=300, deadline_s=3600,
                       gate=GatePolicy(max_restarts=1, max_silence_s=120, min_requests=10))


def _take(store: SqlFleetStore, device: str) -> dict[str, object]:
    """The gateway takes its rollout command and acks it as the new version would."""
    [command] = store.take_commands(device, 10)
    args: dict[str, object] = json.loads(command.args_json)
    store.ack_command(device, command.id, True, json.dumps({"installed": args["version"]}))
    return args


def test_an_agent_bundle_is_stored_signed_and_rolled_out_in_waves(
        store: SqlFleetStore, clock: Clock, tmp_path: Path) -> None:
    """Waves pass once each gateway's heartbeats report the new agent version."""
    artefacts, controller = _fleet(store, clock, tmp_path)
    rollout_id = controller.create(_spec(), clock.now).rollout.id
    controller.tick(clock.now)
    for wave in (["gw-0"], ["gw-1"]):
        for device in wave:
            args = _take(store, device)
            assert args["kind"] == "agent"
            assert verify(artefacts.read("nanogate", "0.2.0"), str(args["signature"]),
                          artefacts.public_key)
            _beat(store, device, "0.2.0")
        controller.tick(clock.advance(1))
        for _ in range(4):
            clock.advance(100)
            for device in wave:
                _beat(store, device, "0.2.0")
        controller.tick(clock.advance(1))
    status = controller.status(rollout_id)
    assert status.rollout.state == "succeeded"
    assert {t.previous_version for t in status.targets} == {"0.1.0"}


def test_a_gateway_still_on_the_old_agent_fails_the_gate(
        store: SqlFleetStore, clock: Clock, tmp_path: Path) -> None:
    """Heartbeats that keep the old agent version roll the wave back, naming the version."""
    _, controller = _fleet(store, clock, tmp_path)
    rollout_id = controller.create(_spec(), clock.now).rollout.id
    controller.tick(clock.now)
    _take(store, "gw-0")
    controller.tick(clock.advance(1))
    for _ in range(3):
        _beat(store, "gw-0", "0.1.0")  # it came back on the old venv
        controller.tick(clock.advance(100))
    status = controller.status(rollout_id)
    assert status.rollout.state == "rolled_back"
    assert "reports agent version '0.1.0', expected '0.2.0'" in status.rollout.reason
    assert sorted(c.name for c in store.commands("gw-0")) == ["rollback", "rollout"]


def test_only_an_admin_may_have_an_agent_upgrade_signed(tmp_path: Path) -> None:
    """An operator's agent bundle needs the admin role, however well-formed it is."""
    with pytest.raises(NeedsAdmin, match="runs new code"):
        check_unprivileged("agent", tiny_bundle(tmp_path, "0.2.0"))


@pytest.mark.parametrize(("data", "message"), [
    (b"not a tar archive", "a bundle from make bundle"),
    (None, "push it as --version 0.3.0"),
], ids=["not-a-bundle", "other-version"])
def test_an_agent_artefact_must_be_a_bundle_of_its_version(
        store: SqlFleetStore, clock: Clock, tmp_path: Path, data: bytes | None,
        message: str) -> None:
    """The broker refuses an agent artefact that is no bundle, or names another version."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "signing.pem"), clock)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        artefacts.put("agent", "nanogate", "0.2.0",
                      data if data is not None else tiny_bundle(tmp_path, "0.3.0"), trust=True)
    assert artefacts.artefacts() == []
