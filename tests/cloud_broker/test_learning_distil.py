"""Distillation: the dataset rules, and ``cloud-broker model train`` with the real trainer on
its tiny size, on SQLite and PostgreSQL: a model better than the fleet's is stored signed
with its card; too little data or a worse model makes nothing and exits 1."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from cloud_broker.config import LearningSection
from cloud_broker.fleet import ArtefactStore, SqlFleetStore, SqliteFleetStore, load_or_create
from cloud_broker.fleet.signing import verify_digest
from cloud_broker.learning import Label, LabelStore, dataset
from cloud_broker.learning.distil import distil, floor, gate, pack
from cloud_broker.learning.labels import Source
from edge_agent.triage.model import Model
from training.triage import distil as trainer

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("greenhouse", "barn", "cellar", "attic", "dairy", "kiln room", "shed", "loft",
         "boiler room", "pantry")
WHY = [f"why does the {a} get colder than the {b} at night" for a in AREAS for b in AREAS
       if a != b][:60]
STATE = [f"how humid is the {a} right now" for a in AREAS] + \
    [f"what temperature does the {a} show" for a in AREAS]


def _label(ref: str, text: str, intent: str, created: float, source: Source = "cloud",
           device: str = "gw-1") -> Label:
    return Label(device, ref, source, text, "query_state", 0.5, "v1", intent,
                 "operator" if source == "operator" else "prompt", "m", created)


# the dataset ------------------------------------------------------------------------------

def test_an_operators_label_wins_over_the_clouds_for_the_same_request() -> None:
    """Cloud says query_state, the operator escalate: the example is escalate."""
    data = dataset.build([_label("r1", "open the vent if hot", "query_state", 1.0),
                          _label("r1", "open the vent if hot", "escalate", 2.0, "operator")],
                         holdout_share=0.01)
    assert [(e.text, e.intent) for e in data.train] == [("open the vent if hot", "escalate")]


def test_disagreeing_texts_are_left_out_and_duplicates_are_one_example() -> None:
    """Same text (case, spacing aside) labelled two ways is dropped; agreeing copies merge."""
    labels = [_label("a", "Is pump 2 on", "query_state", 1.0),
              _label("b", "is  pump 2 on", "query_state", 2.0, device="gw-2"),
              _label("c", "turn it up", "set_actuator", 3.0),
              _label("d", "turn it up", "escalate", 4.0)]
    data = dataset.build(labels, holdout_share=0.01)
    assert [(e.text, e.labels) for e in data.train] == [("is  pump 2 on", 2)]
    assert (data.counts["disagreeing"], data.counts["duplicates"]) == (1, 1)


def test_min_agreement_frozen_texts_and_the_newest_slice_held_out() -> None:
    """Texts need min_agreement cloud labels; frozen-set texts never train; the newest
    share of examples is held out for evaluation."""
    labels = [_label(f"r{i}-{k}", f"text {i}", "escalate", float(i)) for i in range(10)
              for k in range(2)] + [_label("lone", "text lone", "escalate", 99.0)]
    data = dataset.build(labels, min_agreement=2, holdout_share=0.2,
                         exclude={dataset.text_key("TEXT 0")})
    assert [e.text for e in data.recent] == ["text 8", "text 9"]
    assert [e.text for e in data.train] == [f"text {i}" for i in range(1, 8)]
    assert (data.counts["too_few_agreeing"], data.counts["in_frozen_set"]) == (1, 1)


def test_a_local_intent_from_corrections_alone_needs_two_gateways() -> None:
    """One requester's correction naming a local intent is left out (poisoning); the same
    from two gateways, or beside an agreeing cloud label, counts; ``escalate`` needs none."""
    labels = [_label("a", "make it cosy", "set_actuator", 1.0, "correction"),
              _label("b", "blast the heater", "set_actuator", 2.0, "correction"),
              _label("c", "blast the heater", "set_actuator", 3.0, "correction", "gw-2"),
              _label("d", "is it nice out", "query_state", 4.0, "correction"),
              _label("e", "is it nice out", "query_state", 5.0),
              _label("f", "tell me a joke", "escalate", 6.0, "correction")]
    data = dataset.build(labels, holdout_share=0.01)
    assert sorted(e.text for e in data.train) == ["blast the heater", "is it nice out",
                                                  "tell me a joke"]
    assert data.counts["unconfirmed_corrections"] == 1
    one_is_enough = dataset.build(labels, holdout_share=0.01, correction_agreement=1)
    assert len(one_is_enough.train) == 4


def test_the_gate_refuses_a_drop_below_the_current_model_or_the_floor() -> None:
    """Lower local precision than the current model, or under the floor, is a reason."""
    same = {"n": 10, "local_precision": 0.995}
    assert gate({"frozen": {"candidate": same, "current": same}}, 0.99) == []
    worse = gate({"recent": {"candidate": {"n": 10, "local_precision": 0.98},
                             "current": same}}, 0.99)
    assert len(worse) == 2 and "recent set fell to 98.00%" in worse[0]


@pytest.mark.parametrize(("configured", "hard", "expected", "says"), [
    (None, 0.98, 0.9815, "current model's local precision on the frozen set"),
    (None, 0.99, 0.99, "hard minimum"),
    (0.995, 0.98, 0.995, "[learning] min_local_precision"),
    (0.9, 0.98, 0.98, "hard minimum"),
], ids=["current", "current-under-hard", "configured", "configured-under-hard"])
def test_the_floor_is_the_current_model_unless_set_and_never_below_the_hard_minimum(
        configured: float | None, hard: float, expected: float, says: str) -> None:
    """By default the floor is the current model's frozen-set precision; a configured one
    replaces it; neither goes below hard_min_local_precision."""
    evaluation = {"frozen": {"current": {"n": 750, "local_precision": 0.9815}}}
    least, rule = floor(LearningSection(min_local_precision=configured,
                                        hard_min_local_precision=hard), evaluation)
    assert least == expected and says in rule


# training ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def weak_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model the fleet runs now: the shipped one with its threshold at 0 (over-eager)."""
    out = tmp_path_factory.mktemp("eager") / "model"
    shutil.copytree(trainer.SHIPPED_DIR, out)
    card = json.loads((out / "model_card.json").read_text())
    card.update(threshold=0.0, version="triage-eager")
    (out / "model_card.json").write_text(json.dumps(card))
    return out


def _fleet_on(store: SqlFleetStore, artefacts: ArtefactStore, weak: Path) -> str:
    version = str(json.loads((weak / "model_card.json").read_text())["version"])
    artefacts.put("model", "triage", version, pack(weak))
    store.enrol(store.create_enrol_token(site="lab", tags=[]), "gw-1", "")
    store.heartbeat("gw-1", {"agent": "1", "model": version, "config": ""}, {})
    labels = LabelStore(store.db, store.now)
    why, state = iter(WHY), iter(STATE)
    texts = [(next(state), "query_state") if i % 4 == 3 else (next(why), "escalate")
             for i in range(len(WHY) + len(STATE))]
    for i, (text, intent) in enumerate(texts):
        labels.record(_label(f"r{i}", text, intent, store.now() - 1000 + i))
    return version


def test_a_better_model_is_stored_signed_with_its_card(
        store: SqlFleetStore, tmp_path: Path, weak_model: Path) -> None:
    """Trained on the labels, the candidate beats the fleet's model on both sets and is
    stored as a signed model artefact whose card names parent, data, metrics, threshold."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now)
    parent = _fleet_on(store, artefacts, weak_model)
    outcome = distil(store, artefacts, LearningSection(
        min_labels=40, min_local_precision=0.9, hard_min_local_precision=0.9), size="tiny")
    assert outcome.accepted, outcome.reasons
    stored = artefacts.get("triage", outcome.card["version"])
    assert stored is not None and stored.kind == "model"
    data = artefacts.read("triage", stored.version)
    assert verify_digest(hashlib.sha256(data).hexdigest(), stored.signature,
                         artefacts.public_key)
    model_dir = tmp_path / "got"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(model_dir, filter="data")
    assert Model(model_dir).card.version == stored.version != parent
    card = json.loads((model_dir / "model_card.json").read_text())
    facts = card["distillation"]
    assert facts["parent"] == parent and card["threshold"] > 0
    assert (facts["data"]["train"], facts["data"]["recent"]) == (64, 16)
    frozen, recent = facts["evaluation"]["frozen"], facts["evaluation"]["recent"]
    assert frozen["candidate"]["n"] == 750 and recent["candidate"]["n"] == 16
    assert frozen["candidate"]["local_precision"] > frozen["current"]["local_precision"]
    assert recent["candidate"]["local_precision"] >= recent["current"]["local_precision"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NANOGATE_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "cloud_broker", "model", *args],
                          capture_output=True, text=True, timeout=300, env=env,
                          stdin=subprocess.DEVNULL)


def _broker_dir(tmp_path: Path, weak: Path | None, **learning: float) -> Path:
    data = tmp_path / "broker"
    store = SqliteFleetStore(data / "fleet.db")
    artefacts = ArtefactStore(store.db, load_or_create(data / "signing_key.pem"), store.now)
    if weak is not None:
        _fleet_on(store, artefacts, weak)
    store.close()
    config = tmp_path / "broker.toml"
    config.write_text(f"[server]\ndata_dir = '{data}'\n[learning]\n" +
                      "".join(f"{k} = {v}\n" for k, v in learning.items()))
    return config


def test_too_little_data_says_so_exits_1_and_makes_nothing(tmp_path: Path) -> None:
    """No labels: the command says how many it has and needs, exits 1, stores nothing."""
    config = _broker_dir(tmp_path, None)
    done = _cli("train", "--config", str(config), "--size", "tiny")
    assert done.returncode == 1 and "too little data: 0 usable" in done.stderr
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    assert store.db.all("SELECT name FROM artefacts") == []


def test_a_model_under_the_floor_is_refused_and_not_stored(tmp_path: Path,
                                                           weak_model: Path) -> None:
    """With a floor of 100% local precision the candidate is refused: exit 1, the JSON names
    the reason and the metrics, and only the fleet's own model is in the store."""
    config = _broker_dir(tmp_path, weak_model, min_labels=40, min_local_precision=1.0)
    done = _cli("train", "--config", str(config), "--size", "tiny", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["accepted"] is False and report["artefact"] is None
    assert any("below the floor of 100.00%" in r for r in report["reasons"])
    assert report["evaluation"]["frozen"]["current"]["n"] == 750
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    assert len(store.db.all("SELECT name FROM artefacts")) == 1


def test_a_candidate_taught_wrong_labels_is_refused_at_the_default_floor(
        tmp_path: Path) -> None:
    """Labels that call "why ..." questions readings and readings commands: against the
    shipped model, at the default floor (the hard minimum of 99 %, or the shipped model's own
    frozen-set precision when that is higher, as triage-2.3's 99.2 % is), the candidate is
    refused; exit 1, the output names the floor and why, and nothing is stored."""
    config = _broker_dir(tmp_path, None, min_labels=40)
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    labels = LabelStore(store.db, store.now)
    wrong = [(t, "query_state") for t in WHY] + [(t, "set_actuator") for t in STATE]
    for i, (text, intent) in enumerate(wrong):
        labels.record(_label(f"w{i}", text, intent, store.now() - 1000 + i))
    store.close()
    done = _cli("train", "--config", str(config), "--size", "tiny")
    assert done.returncode == 1, done.stderr
    current = trainer.evaluate(trainer.SHIPPED_DIR, trainer.frozen_set())["local_precision"]
    rule = "hard_min_local_precision" if current < 0.99 else \
        "the current model's local precision on the frozen set"
    assert "refused" in done.stdout and rule in done.stdout, done.stdout
    assert f"below the floor of {max(0.99, current):.2%}" in done.stdout, done.stdout
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    assert store.db.all("SELECT name FROM artefacts") == []
