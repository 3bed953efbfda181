"""Triage: the shipped ONNX model, slot resolution against a real registry, the CLI, training."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.registry import Device, Registry
from edge_agent.resolve import Resolver
from edge_agent.triage import INTENTS, LOCAL_INTENTS, Classifier, Decision, Triage
from edge_agent.triage.cli import triage_lines
from edge_agent.triage.delex import delex
from edge_agent.triage.names import compact
from edge_agent.triage.slots import SlotResolver

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[2]


def _registry() -> Registry:
    registry = Registry()
    for device in (
        Device("t-104", "sensor", "temperature", "zone 3", "Cel"),
        Device("h-104", "sensor", "humidity", "zone 3", "%RH"),
        Device("t-201", "sensor", "temperature", "zone 5", "Cel"),
        Device("lvl-1", "sensor", "level", "tank 1", "%"),
        Device("p-7", "sensor", "pressure", "line 2", "bar"),
        Device("pump-2", "actuator", "pump", "line 2"),
        Device("valve-4", "actuator", "valve", "tank 1"),
        Device("fan-3", "actuator", "fan", "zone 3", "%", control="level", min_value=0,
               max_value=100),
        Device("cv-12", "actuator", "conveyor", "hall b", name="conveyor line 12"),
    ):
        registry.add(device)
    return registry


@pytest.fixture(scope="module")
def triage() -> Triage:
    """One Triage on the shipped model, shared by the module's tests."""
    return Triage(_registry())


@pytest.mark.parametrize(("text", "intent"), [
    ("what is the temperature in zone 3", "query_state"),
    ("is pump-2 running", "query_state"),
    ("average humidity in zone 3 over the last 2 hours", "query_history"),
    ("max pressure on line 2 since yesterday", "query_history"),
    ("turn on pump 2", "set_actuator"),
    ("set fan-3 to 40 %", "set_actuator"),
    ("close valve 4", "set_actuator"),
    ("list all devices", "list_devices"),
    ("which sensors are installed in zone 3", "list_devices"),
    ("any alarms?", "list_alerts"),
    ("show active alerts", "list_alerts"),
], ids=["state-temp", "state-running", "history-avg", "history-max", "set-on", "set-level",
        "set-close", "list-devices", "list-sensors-area", "alerts", "alerts-active"])
def test_known_requests_get_their_intent(triage: Triage, text: str, intent: str) -> None:
    """Plain requests of each local intent are classified as that intent."""
    assert triage.classify(text).intent == intent


@pytest.mark.parametrize("text", [
    "why is zone 3 warmer than last week?",
    "plan the shutdown of line 2",
    "should I open valve 4 before the storm?",
    "explain how a heat pump works",
    "what is the capital of France",
    "write a poem about tomatoes",
    "if the temperature in zone 3 goes above 30 °C turn on fan 3",
    "good morning",
    "qwf zxkv plo",
], ids=["why-warmer", "plan-shutdown", "should-open", "explain", "capital", "poem",
        "conditional", "chit-chat", "garbled"])
def test_reasoning_and_out_of_scope_escalate(triage: Triage, text: str) -> None:
    """Near-domain reasoning, general knowledge, plans and garbage are routed to the cloud."""
    assert triage.classify(text).route == "escalate"


@pytest.mark.parametrize(("text", "intent"), [
    ("what's the temperature in zone 3?", "query_state"),
    # No zone 9 here: routed local so the gateway itself asks which zone (test_resolve.py).
    ("temperature in zone 9?", "query_state"),
    ("what is the temperature in zone 3", "query_state"),
    ("is pump 2 running?", "query_state"),
    ("current temperature of t-104", "query_state"),
    ("show me the humidity in zone 3", "query_state"),
    ("humidity zone 3", "query_state"),
    ("what's the tank 1 level?", "query_state"),
    ("average temperature in zone 3 over the last 10 minutes", "query_history"),
    ("turn off pump 2", "set_actuator"),
    ("set fan 3 to 40 %", "set_actuator"),
    ("list all devices", "list_devices"),
    ("list devices", "list_devices"),
    ("list the devices", "list_devices"),
    ("any alerts?", "list_alerts"),
], ids=["temp-zone3-q", "temp-zone9-terse", "temp-zone3-what-is", "pump-running", "t104",
        "humidity-show-me", "humidity-terse", "tank-level", "avg-window", "pump-off",
        "fan-percent", "list-all", "list", "list-the", "alerts"])
def test_product_requests_are_answered_locally(triage: Triage, text: str, intent: str) -> None:
    """The demo's and the integration tests' local requests route local with the right intent."""
    decision = triage.classify(text)
    assert (decision.intent, decision.route) == (intent, "local"), decision


@pytest.mark.parametrize("text", [
    "why would a greenhouse get warmer at night than during the day, and what should I check"
    " first?",
    "explain how humidity affects the drying time of concrete",
    "write a maintenance plan for the cooling towers before summer",
    "why could zone 3 be warmer than zone 5 in the afternoon?",
    "suggest a maintenance schedule for the pumps on line 2",
    "what does a pressure of 7 bar mean for the pipes on line 2?",
    "compare pump 2 and pump 3 efficiency and recommend one",
    "what happens if the pressure keeps rising?",
    "explain what this temperature means for the plants",
    "turn off pump 2 and then open valve 4",
    "if the temperature exceeds 30 turn on fan 3",
], ids=["greenhouse-night", "concrete", "cooling-towers", "zone-compare", "pump-schedule",
        "pressure-meaning", "compare-recommend", "what-happens", "explain-plants", "two-step",
        "conditional"])
def test_product_hard_questions_escalate(triage: Triage, text: str) -> None:
    """The demo's and the integration tests' hard questions go to the cloud."""
    assert triage.classify(text).route == "escalate"


def test_route_is_local_only_for_confident_local_intents() -> None:
    """With threshold 1.01 nothing is local; the intent is still the model's."""
    strict = Triage(_registry(), threshold=1.01)
    decision = strict.classify("turn on pump 2")
    assert (decision.intent, decision.route) == ("set_actuator", "escalate")


def test_triage_is_a_classifier_and_batches_agree(triage: Triage) -> None:
    """classify_many returns the same decisions as classify, and Triage fits the Protocol."""
    texts = ["turn on pump 2", "any alarms?", "why is zone 3 hot?"]
    classifier: Classifier = triage
    single = [classifier.classify(t) for t in texts]
    batch = triage.classify_many(texts)
    assert [(d.intent, d.route) for d in batch] == [(d.intent, d.route) for d in single]
    assert all(abs(a.confidence - b.confidence) < 1e-4 for a, b in zip(batch, single, strict=True))
    assert all(isinstance(d, Decision) and d.intent in INTENTS for d in batch)


@pytest.mark.parametrize(("text", "device"), [
    ("turn on pump 2", "pump-2"), ("turn on Pump-2", "pump-2"), ("turn on p2", "pump-2"),
    ("turn on PUMP_02", "pump-2"), ("turn on pmup 2", "pump-2"), ("open valve 4", "valve-4"),
    ("start conveyor line 12", "cv-12"), ("stop cv-12", "cv-12"),
], ids=["spaced", "cased", "code", "zero-padded", "typo", "valve", "name", "id"])
def test_device_mentions_resolve_to_registry_ids(text: str, device: str) -> None:
    """Ids, names, short codes, padding and typos all resolve to the registry id."""
    assert SlotResolver(_registry()).resolve(text, "set_actuator").devices == (device,)


def test_new_devices_resolve_after_registry_changes() -> None:
    """A device added later, with a name the model never saw, is resolved at once."""
    registry = _registry()
    resolver = SlotResolver(registry)
    assert resolver.resolve("open sluice gate SG-9", "set_actuator").devices == ()
    registry.add(Device("sg-9", "actuator", "gate", "weir 2", name="sluice gate 9"))
    assert resolver.resolve("open sluice gate SG-9", "set_actuator").devices == ("sg-9",)
    assert resolver.resolve("open sluice gate 9", "set_actuator").devices == ("sg-9",)


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("set fan-3 to 40 %", 40.0, "%"), ("set zone 3 heating to 21.5 °C", 21.5, "°C"),
    ("set fan-3 to 1200 rpm", 1200.0, "rpm"), ("raise line 2 pressure to 6 bar", 6.0, "bar"),
    ("set flow on pump 2 to 2,5 l/min", 2.5, "l/min"), ("set fan 3 to twenty", 20.0, None),
    ("switch pump 2 off", "off", None), ("turn on pump 2", "on", None),
    ("close valve 4", "close", None), ("open valve 4", "open", None),
    ("could you shut pump 2 down", "off", None), ("shut valve 4", "close", None),
], ids=["percent", "celsius", "rpm", "bar", "lpm-comma", "word-number", "off", "on", "close",
        "open", "shut-down-split", "shut"])
def test_values_and_units(text: str, value: float | str, unit: str | None) -> None:
    """Numbers with units, number words, and on/off/open/close words become the value."""
    slots = SlotResolver(_registry()).resolve(text, "set_actuator")
    assert (slots.value, slots.unit) == (value, unit)


@pytest.mark.parametrize(("text", "window_s", "aggregate"), [
    ("average temperature in zone 3 over the last 2 hours", 7200.0, "mean"),
    ("max pressure on line 2 in the past 30 minutes", 1800.0, "max"),
    ("lowest tank level in the past day", 86400.0, "min"),
    ("total runtime of pump 2 over the last 3 days", 259200.0, "sum"),
    ("humidity trend in zone 3 for the last week", 604800.0, "trend"),
], ids=["hours", "minutes", "day", "days", "week"])
def test_windows_and_aggregates(text: str, window_s: float, aggregate: str) -> None:
    """Relative windows become seconds and aggregate words a canonical name."""
    slots = SlotResolver(_registry()).resolve(text, "query_history")
    assert (slots.window_s, slots.aggregate) == (window_s, aggregate)


def test_calendar_window_since_yesterday_spans_one_to_two_days() -> None:
    """"since yesterday" covers yesterday and today so far."""
    slots = SlotResolver(_registry()).resolve("max temperature since yesterday", "query_history")
    assert slots.window_s is not None and 86400 <= slots.window_s <= 2 * 86400


def test_area_and_kind_select_sensors() -> None:
    """"temperature in zone three" resolves area and kind; they select the one sensor."""
    registry = _registry()
    slots = SlotResolver(registry).resolve("temperature in zone three", "query_state")
    assert (slots.area, slots.kind, slots.devices) == ("zone 3", "temperature", ())
    assert Resolver(registry).resolve(slots).ids == ["t-104"]


def test_unknown_names_become_mentions_for_a_clarifying_question() -> None:
    """A name-shaped phrase the registry lacks is a mention, not a guess or a value."""
    slots = SlotResolver(_registry()).resolve("switch on pump 9", "set_actuator")
    assert (slots.devices, slots.mentions, slots.value) == ((), ("pump 9",), "on")


@pytest.mark.parametrize(("text", "shape"), [
    ("what's the temperature in zone 3?", "what s the temperature in <dev> ?"),
    ("current temperature of t-104", "current temperature of <dev>"),
    ("set fan-3 to 40%", "set <dev> to <num> <unit>"),
    ("set the heating in hall B to 21 °C", "set the heating in <dev> to <num> <unit>"),
    ("max pressure on line 2 since yesterday", "max pressure on <dev> <window>"),
    ("turn on PUMP_02 in 10 minutes", "turn on <dev> in <num> minutes"),
    ("co2 in zone three", "co2 in <dev>"),
], ids=["area", "code", "percent", "capital-letter", "window", "padded-duration", "number-word"])
def test_delexicalisation_keeps_the_shape(text: str, shape: str) -> None:
    """Names, numbers, units and windows become placeholders; kind words stay."""
    assert " ".join(delex(text)) == shape


@pytest.mark.parametrize(("text", "shape"), [
    ("mill m-2 status", "<dev> status"),
    ("start feed auger fa-1", "start <dev>"),
    ("turn on the gravek dp-6", "turn on the <dev>"),
    ("Zet pomp P-7 aan", "zet <dev> aan"),
    ("schedule pm-11 for tomorrow", "schedule <dev> for tomorrow"),
    ("reset ch-2", "reset <dev>"),
], ids=["initial", "two-initials", "after-article", "dutch", "verb-stays", "verb-stays-2"])
def test_a_code_takes_the_noun_it_abbreviates(text: str, shape: str) -> None:
    """Scheme 2: "mill m-2" is one device like "pump 2"; a verb before a code stays."""
    assert " ".join(delex(text)) == shape


def test_older_models_keep_their_delexicalisation() -> None:
    """A model trained with scheme 1 (triage-2.0) is fed the tokens it was trained on."""
    assert " ".join(delex("mill m-2 status", scheme=1)) == "mill <dev> status"


def test_registry_names_are_delexicalised_too() -> None:
    """A multi-word name the registry knows becomes one device placeholder."""
    assert delex("is the boiler room warm", {"theboilerroom"}) == ["is", "<dev>", "warm"]


def test_compact_keys_meet() -> None:
    """Spelling variants of one name share a compact key."""
    assert compact("Pump 2") == compact("pump-2") == compact("PUMP_02") == "pump2"


def test_cli_eval_on_stdin(triage: Triage) -> None:
    """JSON lines with labels give one result line each, then the scores."""
    lines = [json.dumps({"text": "turn on pump 2", "intent": "set_actuator"}),
             json.dumps({"text": "plan the shutdown of line 2", "intent": "escalate"}),
             "any alarms?"]
    out = io.StringIO()
    scores = triage_lines(triage, lines, out, evaluate=True)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["text"] for r in results] == ["turn on pump 2", "plan the shutdown of line 2",
                                             "any alarms?"]
    assert set(results[0]) == {"text", "intent", "route", "confidence", "slots", "latency_ms",
                               "lang"}
    assert scores is not None and scores["n"] == 2 and "confusion" in scores


def test_cli_module_reads_stdin_and_prints_eval() -> None:
    """`python -m edge_agent.triage --eval` reads stdin and ends with an eval line."""
    lines = "\n".join(json.dumps({"text": t, "intent": i}) for t, i in [
        ("open valve 4", "set_actuator"), ("tell me a joke", "escalate")]) + "\n"
    done = subprocess.run([sys.executable, "-m", "edge_agent.triage", "--eval"], input=lines,
                          capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(rows) == 3 and rows[-1]["eval"]["n"] == 2
    assert rows[1]["route"] == "escalate"


def test_handwritten_requests_are_mostly_right(triage: Triage) -> None:
    """On requests never templated, no escalate one is answered locally by a wrong intent."""
    rows = [json.loads(x) for x in (DATA / "triage_handwritten.jsonl").read_text().splitlines()]
    decisions = triage.classify_many([r["text"] for r in rows])
    wrong_local = [r["text"] for r, d in zip(rows, decisions, strict=True)
                   if d.route == "local" and d.intent != r["intent"]]
    assert len(rows) == 200 and len(wrong_local) <= 6, wrong_local


@pytest.mark.slow
def test_quick_training_produces_a_loadable_model(tmp_path: Path) -> None:
    """`train --quick` writes an ONNX model and card that Triage loads and runs."""
    pytest.importorskip("onnx")
    pytest.importorskip("hassil")
    pytest.importorskip("home_assistant_intents")
    from training.triage.train import main

    assert main(["--quick", "--out", str(tmp_path), "--seed", "3"]) == 0
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["labels"] == list(INTENTS) and 0 < card["threshold"] <= 1
    decision = Triage(_registry(), model_dir=tmp_path).classify("turn on pump 2")
    assert decision.intent in INTENTS and 0.0 <= decision.confidence <= 1.0
    assert set(LOCAL_INTENTS) < set(card["metrics"]["en"]["confusion"])
    assert card["languages"] == ["en", "de", "fr", "es", "nl"]
