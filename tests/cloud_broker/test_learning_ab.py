"""A/B tests of triage models on SQLite and PostgreSQL: a random cohort gets the candidate by
an ordinary rollout, heartbeats carry per-model counters, z-tests promote or roll back."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from cloud_broker.fleet import ArtefactStore, RolloutController, SqlFleetStore, load_or_create
from cloud_broker.learning.ab import ABTests, Arm, verdict, z_score
from cloud_broker.link.core import LinkCore
from nanogate.v1 import edge_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]


class _NoModels:
    async def answer(self, esc: object, *, deadline: float | None = None) -> object:
        raise AssertionError("no escalation in these tests")


def test_z_score_matches_the_textbook_value() -> None:
    """60/100 against 50/100: pooled z = 1.42; equal shares give 0."""
    assert z_score(60, 100, 50, 100) == pytest.approx(1.4213, abs=1e-3)
    assert z_score(5, 10, 50, 100) == 0.0


def test_too_few_requests_are_undecided_and_p99_is_a_guard() -> None:
    """Below min_requests nothing is judged; a p99 ten times slower is harm."""
    fast, slow = Arm(500, 450, triage_p99_ms=0.2), Arm(500, 450, triage_p99_ms=2.0)
    assert verdict(Arm(50, 50), fast, confidence=0.95, min_requests=100)[0] == "undecided"
    assert verdict(slow, fast, confidence=0.95, min_requests=100)[0] == "harm"


def test_a_test_that_finds_no_difference_ends_keeping_the_control() -> None:
    """Equal arms are undecided until max_requests per arm, then ``no_gain``."""
    same = Arm(1000, 600)
    assert verdict(same, same, confidence=0.95, min_requests=200,
                   max_requests=2000)[0] == "undecided"
    outcome, reason = verdict(same, same, confidence=0.95, min_requests=200, max_requests=1000)
    assert outcome == "no_gain" and "control model stays" in reason


def _fleet(store: SqlFleetStore, tmp_path: Path) -> tuple[ABTests, RolloutController, LinkCore]:
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now)
    artefacts.put("model", "triage", "v2", b"a candidate model")
    rollouts = RolloutController(store, artefacts)
    for i in range(20):
        store.enrol(store.create_enrol_token(site="lab", tags=[]), f"gw-{i:02}", "")
        store.heartbeat(f"gw-{i:02}", {"agent": "1", "model": "v1", "config": ""}, {
            "models": [{"version": "v1", "requests": 1000, "local_answers": 600}]})
    tests = ABTests(store, rollouts, min_requests=200, clock=store.now, rng=random.Random(4))
    return tests, rollouts, LinkCore(store, _NoModels())  # type: ignore[arg-type]


async def _beat(core: LinkCore, store: SqlFleetStore, device: str, version: str,
                requests: int, local: int, corrections: int = 0) -> None:
    gateway = store.gateway(device)
    assert gateway is not None
    await core.heartbeat(gateway, pb.HeartbeatRequest(model_version=version, health=pb.Health(
        requests=requests, models=[pb.ModelCounters(
            model_version=version, requests=requests, local_answers=local,
            escalations=requests - local, corrections=corrections, triage_p50_ms=0.1,
            triage_p99_ms=0.3)])))


async def test_a_winning_candidate_is_promoted_to_the_rest_of_the_fleet(
        store: SqlFleetStore, tmp_path: Path) -> None:
    """10% of 20 gateways get v2 by a rollout; more local answers, no more corrections:
    the z-test calls a win and a second rollout takes v2 to the other 18."""
    tests, rollouts, core = _fleet(store, tmp_path)
    started = tests.start("v2", "10%")
    cohort = started["candidate"]["gateways"]
    assert len(cohort) == 2 and len(started["control"]["gateways"]) == 18
    first = rollouts.status(started["rollout_id"])
    assert sorted(t.device_id for t in first.targets) == cohort
    for device in started["control"]["gateways"]:  # 60% local since the start, as before
        await _beat(core, store, device, "v1", 1000 + 200, 600 + 120, corrections=3)
    for device in cohort:
        await _beat(core, store, device, "v2", 300, 240, corrections=3)
    assert tests.tick() == [started["id"]]
    done = tests.status()
    assert (done["state"], done["candidate"]["requests"], done["control"]["requests"]) == \
        ("promoted", 600, 3600)
    assert done["candidate"]["local_answer_rate"] == 0.8
    final = rollouts.status(done["final_rollout_id"])
    assert sorted(t.device_id for t in final.targets) == done["control"]["gateways"]
    assert final.rollout.soak_s == 600.0  # [learning] promote_soak_s, staged as any rollout


async def test_more_corrections_roll_the_cohort_back(store: SqlFleetStore,
                                                     tmp_path: Path) -> None:
    """A candidate whose local answers are corrected far more often loses: the cohort's
    rollout is aborted (rolled back) and nothing is promoted."""
    tests, rollouts, core = _fleet(store, tmp_path)
    started = tests.start("v2", "2")
    rollouts.tick(store.now())
    for device in started["control"]["gateways"]:
        await _beat(core, store, device, "v1", 1300, 780, corrections=5)
    for device in started["candidate"]["gateways"]:
        await _beat(core, store, device, "v2", 300, 180, corrections=40)
    assert tests.tick() == [started["id"]]
    done = tests.status(started["id"])
    assert done["state"] == "rolled_back" and "correction rate higher" in done["reason"]
    assert done["final_rollout_id"] is None
    assert rollouts.status(started["rollout_id"]).rollout.state == "rolled_back"


async def test_a_losing_cohort_that_already_installed_the_candidate_is_rolled_back(
        store: SqlFleetStore, tmp_path: Path) -> None:
    """The cohort's rollout succeeded (every gateway acked) before the test was judged: a
    loss still sends each of them a rollback to the version it ran before."""
    tests, rollouts, core = _fleet(store, tmp_path)
    started = tests.start("v2", "2")
    rollouts.tick(store.now())
    for device in started["candidate"]["gateways"]:
        (command,) = store.take_commands(device, 10)
        assert command.name == "rollout"
        store.ack_command(device, command.id, True, '{"installed": "v2"}')
    rollouts.tick(store.now())
    assert rollouts.status(started["rollout_id"]).rollout.state == "succeeded"
    for device in started["control"]["gateways"]:
        await _beat(core, store, device, "v1", 1300, 780)
    for device in started["candidate"]["gateways"]:
        await _beat(core, store, device, "v2", 300, 90)  # far fewer local answers
    assert tests.tick() == [started["id"]]
    assert tests.status(started["id"])["state"] == "rolled_back"
    assert rollouts.status(started["rollout_id"]).rollout.state == "rolled_back"
    for device in started["candidate"]["gateways"]:
        (command,) = store.take_commands(device, 10)
        assert command.name == "rollback"
        assert json.loads(command.args_json)["to_version"] == "v1"


def test_cli_starts_a_test_and_reports_it_as_json(tmp_path: Path) -> None:
    """`model ab start` then `model ab status --json` on the broker's data dir; a second
    start while one runs exits 1 with the reason."""
    from cloud_broker.fleet import SqliteFleetStore

    data = tmp_path / "broker"
    store = SqliteFleetStore(data / "fleet.db")
    _fleet(store, data)
    store.close()
    (data / "key.pem").rename(data / "signing_key.pem")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NANOGATE_")}
    env["PYTHONPATH"] = str(ROOT)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cloud_broker", "model", "ab", *args,
                               "--data-dir", str(data)], capture_output=True, text=True,
                              timeout=120, env=env, stdin=subprocess.DEVNULL)

    started = cli("start", "--candidate", "v2", "--cohort", "10%", "--json")
    assert started.returncode == 0, started.stderr
    doc = json.loads(cli("status", "--json").stdout)
    assert (doc["id"], doc["state"], doc["verdict"]) == \
        (json.loads(started.stdout)["id"], "running", "undecided")
    assert len(doc["candidate"]["gateways"]) == 2 and doc["control"]["version"] == "v1"
    again = cli("start", "--candidate", "v2")
    assert again.returncode == 1 and "already running" in again.stderr
