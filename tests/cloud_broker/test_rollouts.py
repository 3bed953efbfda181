"""Staged rollouts driven by tick(now), with gateways simulated through the store API.

A simulated gateway does what the real one will: takes its commands, acks them, and sends
heartbeats with its versions and health. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from cloud_broker.fleet import (
    ArtefactStore,
    RolloutController,
    RolloutSpec,
    SqlFleetStore,
    load_or_create,
    status_json,
    verify,
    verify_digest,
)
from cloud_broker.fleet.waves import GatePolicy, plan_waves
from tests.support.concurrency import together
from tests.support.fleet import Clock, OpenStore

GATE = GatePolicy(max_error_rate=0.1, max_restarts=1, max_silence_s=120, min_requests=10)


@dataclass
class Fleet:
    """A store with gateways gw-0..gw-N on v1, an artefact v2, and a rollout controller."""

    store: SqlFleetStore
    artefacts: ArtefactStore
    controller: RolloutController
    clock: Clock

    def beat(self, device: str, version: str, **health: Any) -> None:
        """A heartbeat from a gateway running ``version`` of the model."""
        figures = {"requests": 100, "errors": 0, "restarts": 0, "local_answer_rate": 0.8}
        self.store.heartbeat(device, {"agent": "1", "model": version}, {**figures, **health})

    def act(self, device: str, *, ok: bool = True) -> list[str]:
        """The gateway takes its commands and acks them; returns their names."""
        names = []
        for command in self.store.take_commands(device, 10):
            result = {"installed": json.loads(command.args_json)["version"]} if ok else {
                "error": "smoke test failed: model answered nothing", "stage": "smoke"}
            self.store.ack_command(device, command.id, ok, json.dumps(result))
            names.append(command.name)
        return names

    def tick(self, seconds: float = 0.0) -> None:
        """Move time on and let the controller advance."""
        self.controller.tick(self.clock.advance(seconds))

    def sent(self, device: str) -> list[tuple[str, str]]:
        """(name, state) of every command sent to a gateway, oldest first."""
        return [(c.name, c.state) for c in reversed(self.store.commands(device))]


def make_fleet(store: SqlFleetStore, clock: Clock, tmp_path: Path, gateways: int) -> Fleet:
    """Enrol gateways tagged ``edge`` on model v1 and store an artefact ``triage`` v2."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "signing.pem"), clock)
    artefacts.put("model", "triage", "v2", b"onnx bytes" * 100)
    fleet = Fleet(store, artefacts, RolloutController(store, artefacts, replica="r1"), clock)
    token = store.create_enrol_token(site="lab", tags=["edge"], reusable=True)
    for i in range(gateways):
        store.enrol(token, f"gw-{i}", "lab")
        fleet.beat(f"gw-{i}", "v1")
    return fleet


def spec(**changes: Any) -> RolloutSpec:
    """A rollout of triage v2 to the tag ``edge`` in three waves."""
    base: dict[str, Any] = {"artefact": "triage", "version": "v2", "tag": "edge",
                            "waves": [1, "50%", "100%"], "soak_s": 300, "deadline_s": 3600,
                            "gate": GATE}
    return RolloutSpec(**{**base, **changes})


def pass_wave(fleet: Fleet, devices: list[str], **health: Any) -> None:
    """The wave's gateways install, stay healthy through the soak, and report after it."""
    for device in devices:
        assert fleet.act(device) == ["rollout"]
        fleet.beat(device, "v2", **health)
    fleet.tick(1)  # acks seen: soak starts
    for _ in range(3):
        fleet.clock.advance(100)
        for device in devices:
            fleet.beat(device, "v2", **health)
    fleet.tick(1)


@pytest.fixture
def fleet(store: SqlFleetStore, clock: Clock, tmp_path: Path) -> Fleet:
    """Four gateways on v1 and an artefact v2, on both stores."""
    return make_fleet(store, clock, tmp_path, gateways=4)


def test_rollout_succeeds_through_all_waves(fleet: Fleet) -> None:
    """Healthy waves of 1, 1 and 2 gateways take the rollout to succeeded."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    for wave in (["gw-0"], ["gw-1"], ["gw-2", "gw-3"]):
        assert fleet.store.pending_commands(wave[0]) == 1
        pass_wave(fleet, wave)
    status = fleet.controller.status(rollout_id)
    assert status.rollout.state == "succeeded"
    assert [w.state for w in status.waves] == ["passed"] * 3
    assert {d: fleet.sent(d) for d in ("gw-0", "gw-3")} == {
        "gw-0": [("rollout", "acked")], "gw-3": [("rollout", "acked")]}
    fleet.tick(10_000)  # a finished rollout stays finished
    assert fleet.controller.status(rollout_id).rollout.state == "succeeded"


def test_rollout_command_carries_a_verifiable_artefact(fleet: Fleet) -> None:
    """The rollout command names the artefact; its bytes verify against the broker's key."""
    fleet.controller.create(spec(), fleet.clock.now)
    fleet.tick()
    args = json.loads(fleet.store.take_commands("gw-0", 1)[0].args_json)
    data = fleet.artefacts.read(args["name"], args["version"])
    assert verify(data, args["signature"], fleet.artefacts.public_key)
    assert verify_digest(args["sha256"], args["signature"], fleet.artefacts.public_key)
    assert not verify(data + b"!", args["signature"], fleet.artefacts.public_key)
    assert (args["kind"], args["fetch"], args["size"]) == ("model", "FetchArtefact", len(data))


def test_failed_smoke_test_rolls_back_and_stops(fleet: Fleet) -> None:
    """The first gateway acks a failed smoke test: it is rolled back, nobody else is touched."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    assert fleet.act("gw-0", ok=False) == ["rollout"]
    fleet.tick(1)
    status = fleet.controller.status(rollout_id)
    assert status.rollout.state == "rolled_back"
    assert "gw-0: smoke test failed" in status.rollout.reason
    assert fleet.sent("gw-0") == [("rollout", "acked"), ("rollback", "pending")]
    rollback = json.loads(fleet.store.commands("gw-0")[0].args_json)
    assert (rollback["version"], rollback["to_version"]) == ("v2", "v1")
    assert all(fleet.sent(d) == [] for d in ("gw-1", "gw-2", "gw-3"))
    assert [w.state for w in status.waves] == ["rolled_back", "waiting", "waiting"]


@pytest.mark.parametrize(("health", "version", "why"), [
    ({"requests": 200, "errors": 40}, "v2", "error rate"),
    ({"restarts": 3}, "v2", "crash loop"),
    ({"requests": 200, "local_answer_rate": 0.3}, "v2", "local-answer rate"),
    ({}, "v1", "expected 'v2'"),
], ids=["error-rate", "restarts", "local-answers", "version"])
def test_unhealthy_wave_is_rolled_back(fleet: Fleet, health: dict[str, Any], version: str,
                                       why: str) -> None:
    """A wave whose heartbeats fail the gate during the soak is rolled back."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    pass_wave(fleet, ["gw-0"])
    fleet.act("gw-1")
    fleet.tick(1)
    fleet.clock.advance(40)
    fleet.store.heartbeat("gw-1", {"model": version},
                          {"requests": 100, "errors": 0, "restarts": 0,
                           "local_answer_rate": 0.8, **health})
    fleet.tick(30)
    status = fleet.controller.status(rollout_id)
    assert (status.rollout.state, [w.state for w in status.waves]) == (
        "rolled_back", ["passed", "rolled_back", "waiting"])
    assert "gw-1" in status.rollout.reason and why in status.rollout.reason
    assert fleet.sent("gw-1")[-1] == ("rollback", "pending")
    assert fleet.sent("gw-0") == [("rollout", "acked")]


def test_silent_gateway_after_install_is_a_failed_gate(fleet: Fleet) -> None:
    """A gateway that acks and then sends no heartbeat (crash loop) fails the gate."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    fleet.act("gw-0")
    fleet.tick(1)
    fleet.tick(GATE.max_silence_s + 1)
    status = fleet.controller.status(rollout_id)
    assert status.rollout.state == "rolled_back"
    assert "gw-0" in status.rollout.reason and "no heartbeat" in status.rollout.reason


def test_offline_gateway_fails_the_rollout_at_its_deadline(fleet: Fleet) -> None:
    """A gateway that never acks fails the rollout by the deadline, named in the reason."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    fleet.tick(3599)
    assert fleet.controller.status(rollout_id).rollout.state == "running"
    fleet.tick(1)
    status = fleet.controller.status(rollout_id)
    assert status.rollout.state == "failed"
    assert status.rollout.reason == "deadline passed; no acknowledgement from gw-0"
    assert fleet.sent("gw-0") == [("rollout", "cancelled")]  # it will not install it later
    assert fleet.act("gw-0") == []


def test_pause_holds_and_resume_goes_on(fleet: Fleet) -> None:
    """A paused rollout starts no wave; resumed, it carries on."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    assert fleet.controller.pause(rollout_id, fleet.clock.now).rollout.state == "paused"
    pass_wave(fleet, ["gw-0"])
    status = fleet.controller.status(rollout_id)
    assert (status.rollout.state, status.waves[0].state) == ("paused", "deploying")
    assert fleet.sent("gw-1") == []
    assert fleet.controller.resume(rollout_id, fleet.clock.now).rollout.state == "running"
    fleet.tick(1)
    for _ in range(4):
        fleet.clock.advance(100)
        fleet.beat("gw-0", "v2")
    fleet.tick(1)
    assert fleet.sent("gw-1") == [("rollout", "pending")]


def test_paused_rollout_still_ends_at_its_deadline(fleet: Fleet) -> None:
    """Pausing does not stop the clock: a paused rollout fails at its deadline."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.controller.pause(rollout_id, fleet.clock.now)
    fleet.tick(3600)
    status = fleet.controller.status(rollout_id)
    assert (status.rollout.state, status.rollout.reason) == (
        "failed", "deadline passed while paused")


def test_abort_rolls_back_every_gateway_reached(fleet: Fleet) -> None:
    """Abort after a passed wave rolls back that wave's gateway and cancels the next send."""
    rollout_id = fleet.controller.create(spec(), fleet.clock.now).rollout.id
    fleet.tick()
    pass_wave(fleet, ["gw-0"])
    status = fleet.controller.abort(rollout_id, fleet.clock.now, "operator saw bad answers")
    assert (status.rollout.state, status.rollout.reason) == (
        "rolled_back", "operator saw bad answers")
    assert fleet.sent("gw-0") == [("rollout", "acked"), ("rollback", "pending")]
    assert fleet.sent("gw-1") == [("rollout", "cancelled")]
    assert [t.state for t in status.targets] == ["rolled_back", "cancelled", "waiting",
                                                 "waiting"]
    assert status_json(status)["waves"][0]["devices"] == ["gw-0"]


def test_a_leased_rollout_is_left_to_its_replica(open_store: OpenStore, clock: Clock,
                                                 tmp_path: Path) -> None:
    """While one replica holds a rollout's lease, another leaves it alone until it expires,
    then takes it over and says whose it was."""
    fleet = make_fleet(open_store(), clock, tmp_path, gateways=2)
    other_store = open_store()
    other = RolloutController(other_store, ArtefactStore(
        other_store.db, load_or_create(tmp_path / "signing.pem"), clock), replica="r2")
    rollout_id = fleet.controller.create(spec(), clock.now).rollout.id
    fleet.store.db.execute("UPDATE rollouts SET lease_owner = 'r1', lease_until = :until "
                           "WHERE id = :id", {"until": clock.now + 60, "id": rollout_id})
    assert other.tick(clock.advance(1)) == []
    assert fleet.sent("gw-0") == []
    with capture_logs() as logs:
        assert other.tick(clock.advance(60)) == [rollout_id]
    assert [(e["replica"], e["previous_owner"]) for e in logs
            if e["event"] == "rollout.taken_over"] == [("r2", "r1")]
    assert fleet.sent("gw-0") == [("rollout", "pending")]
    assert fleet.controller.tick(clock.now) == [rollout_id]
    assert fleet.sent("gw-0") == [("rollout", "pending")]


def test_replicas_ticking_at_once_send_each_command_once(open_store: OpenStore, clock: Clock,
                                                        tmp_path: Path) -> None:
    """Two replicas ticking the same rollout at the same moment start its wave once."""
    fleet = make_fleet(open_store(), clock, tmp_path, gateways=2)
    other_store = open_store()
    other = RolloutController(other_store, ArtefactStore(
        other_store.db, load_or_create(tmp_path / "signing.pem"), clock), replica="r2")
    fleet.controller.create(spec(waves=["100%"]), clock.now)
    for _ in range(5):
        together(lambda: fleet.controller.tick(clock.now), lambda: other.tick(clock.now))
    assert [fleet.sent(d) for d in ("gw-0", "gw-1")] == [[("rollout", "pending")]] * 2


def test_create_refuses_unknown_artefacts_and_targets(fleet: Fleet) -> None:
    """A rollout needs a stored artefact and at least one enrolled target."""
    with pytest.raises(ValueError, match="no artefact triage v9"):
        fleet.controller.create(spec(version="v9"), fleet.clock.now)
    with pytest.raises(ValueError, match="no gateway has the tag"):
        fleet.controller.create(spec(tag="nowhere"), fleet.clock.now)
    with pytest.raises(ValueError, match="no enrolled gateway 'gw-9'"):
        fleet.controller.create(spec(tag=None, devices=["gw-9"]), fleet.clock.now)
    with pytest.raises(KeyError):
        fleet.controller.status("ro-none")


def test_artefacts_are_immutable(fleet: Fleet) -> None:
    """The same bytes again are a no-op; other bytes under the same version are refused."""
    first = fleet.artefacts.get("triage", "v2")
    assert fleet.artefacts.put("model", "triage", "v2", b"onnx bytes" * 100) == first
    with pytest.raises(ValueError, match="immutable"):
        fleet.artefacts.put("model", "triage", "v2", b"other")
    with pytest.raises(ValueError, match="kind"):
        fleet.artefacts.put("firmware", "x", "1", b"")


def test_artefacts_stream_in_chunks(store: SqlFleetStore, clock: Clock, tmp_path: Path) -> None:
    """Large artefacts are stored and read back in chunks."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "k.pem"), clock,
                              chunk_bytes=1000)
    data = bytes(range(256)) * 20
    artefacts.put("config", "site.toml", "7", data)
    assert [len(c) for c in artefacts.chunks("site.toml", "7")] == [1000] * 5 + [120]
    assert artefacts.read("site.toml", "7") == data


def test_signing_key_is_created_once_and_kept(tmp_path: Path) -> None:
    """The broker's key is made at first start (mode 0600) and loaded the same afterwards."""
    first = load_or_create(tmp_path / "keys" / "signing.pem")
    assert (tmp_path / "keys" / "signing.pem").stat().st_mode & 0o777 == 0o600
    assert load_or_create(tmp_path / "keys" / "signing.pem").public_key == first.public_key
    assert not verify(b"x", first.sign(b"x"), load_or_create(tmp_path / "b.pem").public_key)


@pytest.mark.parametrize(("devices", "waves", "sizes"), [
    (10, [1, "10%", "50%", "100%"], [1, 4, 5]),
    (3, [1, "10%", "50%", "100%"], [1, 1, 1]),
    (1, [1, "10%", "50%", "100%"], [1]),
    (5, ["20%"], [1, 4]),
], ids=["ten", "three", "one", "last-wave-added"])
def test_waves_are_cumulative_and_never_empty(devices: int, waves: list[int | str],
                                              sizes: list[int]) -> None:
    """Wave specs are cumulative; empty waves are dropped and the last wave takes the rest."""
    plan = plan_waves([f"gw-{i}" for i in range(devices)], waves)
    assert [len(w) for w in plan] == sizes


def test_bad_wave_specs_are_refused() -> None:
    """A wave that is neither a count nor a percentage in (0, 100] is an error."""
    for bad in (["0%"], ["150%"], [0], ["lots"]):
        with pytest.raises(ValueError):
            spec(waves=bad)
