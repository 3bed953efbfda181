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
from cloud_broker.learning.distil import distil, floors, gate, pack
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
    assert (data.counts["too_few_agreeing"], data.counts["in_evaluation_sets"]) == (1, 1)


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


def _scores(n: int, local: int, wrong: int) -> dict[str, float]:
    return {"n": n, "local_share": local / n, "local_precision": (local - wrong) / local}


def _judge(evaluation: dict[str, dict[str, dict[str, float]]],
           **config: float) -> tuple[list[str], dict[str, dict[str, object]]]:
    least = floors(LearningSection(**config), evaluation)  # type: ignore[arg-type]
    return gate(evaluation, least), least


def test_a_candidate_less_precise_than_the_current_model_on_the_frozen_set_is_refused() -> None:
    """Under triage-2.7's 96.98 % on held-out templates, the candidate is refused even when
    it makes no wrong local answer on the development requests."""
    reasons, least = _judge({
        "frozen": {"candidate": _scores(750, 400, 14), "current": _scores(750, 398, 12)},
        "development": {"candidate": _scores(191, 127, 0), "current": _scores(191, 127, 0)}})
    assert len(reasons) == 1 and "frozen set is 96.50%, below its floor of 96.98%" in reasons[0]
    assert "current model's local precision on the frozen set" in str(least["frozen"]["why"])


def test_the_frozen_set_is_held_to_the_current_model_not_to_99_percent() -> None:
    """A candidate as precise as triage-2.7 on held-out templates (97 %) and at 99 % or more
    on real phrasings passes: the floor on templates is the current model's."""
    reasons, least = _judge({
        "frozen": {"candidate": _scores(750, 380, 11), "current": _scores(750, 398, 12)},
        "development": {"candidate": _scores(191, 110, 0), "current": _scores(191, 127, 0)}})
    assert reasons == []
    assert least["frozen"]["min_local_precision"] == 386 / 398
    assert least["development"]["min_local_precision"] == 1.0  # the current model's 100 %


@pytest.mark.parametrize(("local", "wrong", "refused"), [
    (200, 3, True), (100, 2, True), (100, 1, False), (99, 2, True), (10, 1, False)],
    ids=["200-local-3-wrong", "100-local-2-wrong", "100-local-1-wrong", "99-local-2-wrong",
         "10-local-1-wrong"])
def test_real_traffic_under_99_percent_counted_over_100_local_answers_is_refused(
        local: int, wrong: int, refused: bool) -> None:
    """On recent labelled traffic the candidate must reach 99 % even where the current model
    is no better, counted over at least min_local_answers (100) local answers: two wrong
    answers are refused however few it gives, one wrong answer (one label) is not."""
    same = _scores(300, local, wrong)
    reasons, least = _judge({"recent": {"candidate": same, "current": same}})
    assert bool(reasons) is refused, reasons
    assert "min_local_precision on real phrasings, counted over at least [learning] " \
        f"min_local_answers (100) local answers; the candidate answers {local} locally" \
        in str(least["recent"]["why"])


def test_min_local_precision_and_min_local_answers_are_configurable() -> None:
    """A stricter min_local_precision and a smaller min_local_answers both take effect."""
    same = _scores(60, 50, 0)
    evaluation = {"development": {"candidate": _scores(60, 50, 1), "current": same}}
    reasons, _ = _judge(evaluation)  # 1 wrong in 50 is 98 % over 100, but the current: 100 %
    assert reasons and "below its floor of 100.00%" in reasons[0]
    better = {"development": {"candidate": _scores(60, 50, 1), "current": _scores(60, 50, 2)}}
    assert _judge(better)[0] == []
    assert _judge(better, min_local_answers=50)[0] != []
    assert _judge(better, min_local_answers=50, min_local_precision=0.98)[0] == []


def test_a_config_that_sets_the_old_hard_minimum_says_what_replaced_it() -> None:
    """hard_min_local_precision is refused with a message naming min_local_precision."""
    with pytest.raises(ValueError, match="min_local_precision, and it applies to real"):
        LearningSection(hard_min_local_precision=0.99)  # type: ignore[call-arg]


def test_a_copy_of_the_shipped_model_at_a_lower_threshold_is_refused(tmp_path: Path) -> None:
    """The shipped model itself at threshold 0.5 stays above 99 % local precision on the
    development requests, but is less precise on held-out templates than at its own
    threshold: refused for that."""
    bolder = tmp_path / "bolder"
    shutil.copytree(trainer.SHIPPED_DIR, bolder)
    card = json.loads((bolder / "model_card.json").read_text())
    (bolder / "model_card.json").write_text(json.dumps({**card, "threshold": 0.5}))
    evaluation = {name: {"candidate": trainer.evaluate(bolder, rows),
                         "current": trainer.evaluate(trainer.SHIPPED_DIR, rows)}
                  for name, rows in (("frozen", trainer.frozen_set()),
                                     ("development", trainer.development_set()))}
    reasons = gate(evaluation, floors(LearningSection(), evaluation))
    assert evaluation["development"]["candidate"]["local_precision"] >= 0.99
    assert "local precision on the frozen set" in [r.split(" is ")[0] for r in reasons]


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
    """Trained on the labels, at the default gate, the candidate is at least as precise as
    the fleet's model on every set and at 99 % or more on the development requests, and is
    stored as a signed model artefact whose card names parent, data, metrics, threshold and
    each set's floor."""
    artefacts = ArtefactStore(store.db, load_or_create(tmp_path / "key.pem"), store.now)
    parent = _fleet_on(store, artefacts, weak_model)
    outcome = distil(store, artefacts, LearningSection(min_labels=40), size="tiny")
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
    development = facts["evaluation"]["development"]["candidate"]
    assert development["n"] == 191 and development["local_precision"] >= 0.99
    assert facts["gate"]["passed"] and set(facts["gate"]["floors"]) == {
        "frozen", "development", "recent"}


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


def test_a_model_under_99_percent_on_enough_labelled_traffic_is_refused(
        tmp_path: Path, weak_model: Path) -> None:
    """The newest labels say ten readings are alert listings, so the candidate's local
    answers to them are wrong: on that recent traffic it is under 99 %, judged once it
    answers min_local_answers (here 5) of it locally, even though the fleet's model is no
    better there. Exit 1, the JSON names the set, its floor and why, and only the fleet's
    own model is in the store."""
    config = _broker_dir(tmp_path, weak_model, min_labels=40, min_local_answers=5)
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    labels = LabelStore(store.db, store.now)
    for i, area in enumerate(AREAS):
        labels.record(_label(f"new{i}", f"what's the temperature reading in the {area}",
                             "list_alerts", store.now() - 500 + i))
    store.close()
    done = _cli("train", "--config", str(config), "--size", "tiny", "--json")
    assert done.returncode == 1, done.stdout
    report = json.loads(done.stdout)
    assert report["accepted"] is False and report["artefact"] is None
    recent = report["evaluation"]["recent"]
    assert recent["candidate"]["local_precision"] < 0.99, recent
    assert recent["candidate"]["local_precision"] >= recent["current"]["local_precision"]
    assert any(r.startswith("local precision on the recent set") and "below its floor of "
               "99.00% ([learning] min_local_precision on real phrasings" in r
               for r in report["reasons"]), report["reasons"]
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    assert len(store.db.all("SELECT name FROM artefacts")) == 1


def test_a_candidate_taught_wrong_labels_is_refused_at_the_default_gate(
        tmp_path: Path) -> None:
    """Labels that call "why ..." questions readings and readings commands: against the
    shipped model, at the default gate, the candidate is refused, on the recent traffic
    that the same labels judge (its wrong local answers there are more than one in 100),
    though it is as precise as triage-2.7 on held-out templates; exit 1, the card's gate
    names each set's floor and why, and nothing is stored."""
    config = _broker_dir(tmp_path, None, min_labels=40)
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    labels = LabelStore(store.db, store.now)
    wrong = [(t, "query_state") for t in WHY] + [(t, "set_actuator") for t in STATE]
    for i, (text, intent) in enumerate(wrong):
        labels.record(_label(f"w{i}", text, intent, store.now() - 1000 + i))
    store.close()
    done = _cli("train", "--config", str(config), "--size", "tiny", "--json")
    assert done.returncode == 1, done.stdout
    report = json.loads(done.stdout)
    assert report["accepted"] is False, report
    assert [r.split(" is ")[0] for r in report["reasons"]] == [
        "local precision on the recent set"], report["reasons"]
    frozen = report["gate"]["floors"]["frozen"]
    current = trainer.evaluate(trainer.SHIPPED_DIR, trainer.frozen_set())["local_precision"]
    assert frozen == {"min_local_precision": current,
                      "why": "the current model's local precision on the frozen set"}
    assert report["gate"]["min_local_precision"] == 0.99
    store = SqliteFleetStore(tmp_path / "broker" / "fleet.db")
    assert store.db.all("SELECT name FROM artefacts") == []
