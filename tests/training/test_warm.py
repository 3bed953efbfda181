"""Warm start: the next model continues from the shipped model's own weights, read back from
its ONNX file, learns the fleet's phrasings and keeps what it knew."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_agent.triage.model import CARD_FILE, MODEL_FILE, Model
from training.triage import distil as trainer
from training.triage import warm
from training.triage.export import export, load

# Phrasings no template of ours makes, each with its true intent (escalate ones too, so the
# candidate does not learn "everything labelled is local").
LABELLED = [("gimme the barn's temp real quick", "query_state"),
            ("yo what's the cellar humidity looking like", "query_state"),
            ("how frosty is the greenhouse at this moment", "query_state"),
            ("nudge the barn heater to 40", "set_actuator"),
            ("kick the cellar pump on", "set_actuator"),
            ("power down the attic fan pls", "set_actuator"),
            ("roster of every gadget wired in", "list_devices"),
            ("which thingies are plugged into you", "list_devices"),
            ("any alarms going off rn", "list_alerts"),
            ("has anything tripped a warning lately", "list_alerts"),
            ("why does the barn get colder than the shed at night", "escalate"),
            ("plan a watering schedule for next week", "escalate")]


def _requests() -> list[trainer.Request]:
    return [trainer.Request(text, intent) for text, intent in LABELLED]


def test_the_parents_weights_load_exactly(tmp_path: Path) -> None:
    """Weights read back from the shipped ONNX file and exported again give the parent's
    probabilities (float16 table both times), and the parent's temperature."""
    start, why = warm.parent(trainer.SHIPPED_DIR)
    assert start is not None, why
    weights, temperature = load(trainer.SHIPPED_DIR / MODEL_FILE)
    assert temperature == pytest.approx(Model().card.temperature, rel=1e-4)
    export(weights, temperature, tmp_path / MODEL_FILE)
    shutil.copy(trainer.SHIPPED_DIR / CARD_FILE, tmp_path / CARD_FILE)
    parent, copy = Model(), Model(tmp_path)
    rows = [parent.features(r.text, r.names) for r in trainer.frozen_set()[:300]]
    assert np.abs(parent.probabilities(rows) - copy.probabilities(rows)).max() < 1e-5


def test_a_parent_with_other_buckets_means_training_from_scratch(tmp_path: Path) -> None:
    """A parent hashing into other buckets cannot be continued: no start, and it says why."""
    shutil.copytree(trainer.SHIPPED_DIR, tmp_path / "model")
    card = json.loads((tmp_path / "model" / CARD_FILE).read_text())
    card["features"]["buckets"] = 1 << 15
    (tmp_path / "model" / CARD_FILE).write_text(json.dumps(card))
    start, why = warm.parent(tmp_path / "model")
    assert start is None and "from scratch" in why and "32768 buckets" in why


def test_a_parent_whose_model_file_is_not_ours_means_training_from_scratch(
        tmp_path: Path) -> None:
    """A parent whose ONNX file does not parse cannot be continued: no start, and why."""
    shutil.copytree(trainer.SHIPPED_DIR, tmp_path / "model")
    (tmp_path / "model" / MODEL_FILE).write_bytes(b"not a model")
    start, why = warm.parent(tmp_path / "model")
    assert start is None and "unreadable" in why


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The shipped model fine-tuned on the labelled phrasings (quick replay: about 20 s)."""
    out = tmp_path_factory.mktemp("warm") / "model"
    card = trainer.train_next(out, _requests(), size="quick", parent=trainer.SHIPPED_DIR)
    return out, card


def test_a_warm_start_learns_the_new_phrasings(
        candidate: tuple[Path, dict[str, object]]) -> None:
    """The candidate answers most of the labelled local phrasings locally and rightly, more
    than its parent; its card names the parent it started from and keeps its features."""
    out, card = candidate
    assert card["training"]["warm_start"] == trainer.shipped_version()  # type: ignore[index]
    assert Model(out).card.delex == Model().card.delex  # the parent's features, kept
    rows = [r for r in _requests() if r.intent != "escalate"]
    new, old = trainer.evaluate(out, rows), trainer.evaluate(trainer.SHIPPED_DIR, rows)
    assert new["local_precision"] == 1.0
    assert new["local_share"] >= 0.8 > old["local_share"]


def _wrong_local(scores: dict[str, float]) -> int:
    """How many requests a model answered locally with the wrong intent."""
    local = scores["local_share"] * scores["n"]
    return round((1.0 - scores["local_precision"]) * local)


def test_a_warm_start_keeps_the_frozen_set(candidate: tuple[Path, dict[str, object]]) -> None:
    """On the frozen set the candidate names intents as well as its parent (within two
    points), answers locally as precisely (one request of slack), and gives up at most five
    points of local share: its threshold is raised only as far as it takes to match its parent's
    precision on held-out templates (triage-2.7: 97 % at 0.85), not to 99 % there (0.98,
    ten points of share). 99 % is what it keeps on the development requests."""
    out, card = candidate
    frozen = trainer.frozen_set()
    new, old = trainer.evaluate(out, frozen), trainer.evaluate(trainer.SHIPPED_DIR, frozen)
    assert abs(new["intent_accuracy"] - old["intent_accuracy"]) < 0.02, (new, old)
    # as precisely: no more wrong local answers than the parent, give or take one request
    # (the shipping rule's slack), not a precision that rounds a hair lower with one local
    # answer fewer
    assert _wrong_local(new) <= _wrong_local(old) + 1, (new, old)
    assert old["local_share"] - new["local_share"] < 0.05, (new, old)
    assert card["cost_model"]["min_local_precision"] == 0.99  # type: ignore[index]
    development = trainer.evaluate(out, trainer.development_set())
    assert development["local_precision"] >= 0.99, development


def test_a_warm_start_is_never_bolder_than_its_parent(
        candidate: tuple[Path, dict[str, object]]) -> None:
    """Its temperature and threshold are at least the parent's: the parent fitted them on
    requests it had not trained on, the candidate's validation fold is the parent's training
    data (a fine-tune of triage-2.3 got 1.6 from the development requests alone, against 2.0)."""
    out, _ = candidate
    parent, child = Model().card, Model(out).card
    assert child.temperature >= parent.temperature - 1e-4
    assert child.threshold >= parent.threshold


def test_a_warm_start_answers_every_labelled_request_as_labelled(
        candidate: tuple[Path, dict[str, object]]) -> None:
    """At its own (stricter) threshold the candidate answers each labelled local phrasing
    locally with its label and escalates each labelled escalation: what the fleet's labels
    say is learned, not diluted by the replay (the card records the same)."""
    out, card = candidate
    learned = trainer.evaluate(out, _requests())
    assert learned["accuracy"] == 1.0, learned
    assert card["training"]["labelled_scores"]["accuracy"] == 1.0  # type: ignore[index]


def test_a_warm_start_changes_what_words_mean_not_how_the_parent_decides(
        candidate: tuple[Path, dict[str, object]]) -> None:
    """The candidate's hidden and output layers are its parent's, unchanged; only embedding
    rows move, towards the labels on the labelled requests and towards the parent's own
    probabilities on the replayed templates. So on the frozen set it names the parent's
    intent for nearly every request."""
    out, _ = candidate
    (child, _), (parent, _) = load(out / MODEL_FILE), load(trainer.SHIPPED_DIR / MODEL_FILE)
    for name in ("w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(child, name), getattr(parent, name)), name
    assert not np.array_equal(child.emb, parent.emb)
    frozen = trainer.frozen_set()
    new, old = Model(out), Model()
    agree = (new.probabilities([new.features(r.text, r.names) for r in frozen]).argmax(1)
             == old.probabilities([old.features(r.text, r.names) for r in frozen]).argmax(1))
    assert agree.mean() >= 0.98, agree.mean()
