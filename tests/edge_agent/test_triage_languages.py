"""Triage in five languages, without a config: the shipped model, language choice, bad input,
message catalogues, and a runtime package that carries no training code."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from edge_agent.config import load_config
from edge_agent.errors import ConfigError
from edge_agent.messages import CATALOGUES, missing, say
from edge_agent.registry import Registry
from edge_agent.triage import Triage
from edge_agent.triage.foreign import foreign
from edge_agent.triage.languages import LANGUAGES, detect

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def bare() -> Triage:
    """The shipped model on a gateway whose registry is empty (no config)."""
    return Triage(Registry())


def test_readme_first_example_routes_local_without_a_config(bare: Triage) -> None:
    """`echo "what is the temperature in zone 3?" | edge-agent triage` answers locally."""
    decision = bare.classify("what is the temperature in zone 3?")
    assert (decision.intent, decision.route, decision.lang) == ("query_state", "local", "en")


@pytest.mark.parametrize("text", ["which devices are offline", "which devices are offline?",
                                  "what devices are offline right now"])
def test_offline_devices_is_a_device_list_not_alerts(bare: Triage, text: str) -> None:
    """Asking which devices are offline lists devices; it is not read as an alerts question."""
    assert bare.classify(text).intent == "list_devices"


@pytest.mark.parametrize(("text", "lang", "intent"), [
    ("Wie warm ist es gerade in Zone 3?", "de", "query_state"),
    ("Schalte die Pumpe 4 ein", "de", "set_actuator"),
    ("Gibt es gerade Alarme?", "de", "list_alerts"),
    ("Quelle est la température dans la zone 3 ?", "fr", "query_state"),
    ("Allume la pompe 4", "fr", "set_actuator"),
    ("Quels appareils sont hors ligne ?", "fr", "list_devices"),
    ("¿Cuál es la temperatura en la zona 3?", "es", "query_state"),
    ("Enciende la bomba 4", "es", "set_actuator"),
    ("¿Hay alarmas ahora mismo?", "es", "list_alerts"),
    ("Wat is de temperatuur in zone 3?", "nl", "query_state"),
    ("Zet pomp 4 aan", "nl", "set_actuator"),
    ("Welke apparaten zijn offline?", "nl", "list_devices"),
], ids=lambda v: v if len(v) < 4 else None)
def test_plain_requests_in_each_language_stay_local(bare: Triage, text: str, lang: str,
                                                     intent: str) -> None:
    """A plain request in each language gets its intent, a local route and its language."""
    decision = bare.classify(text)
    assert (decision.intent, decision.route, decision.lang) == (intent, "local", lang), decision


@pytest.mark.parametrize("text", [
    "Warum schaltet die Pumpe 4 ständig ab?",
    "Was soll ich tun, wenn der Kompressor K1 komisch klingt?",
    "Pourquoi la pompe 4 s'arrête-t-elle sans cesse ?",
    "Que dois-je faire si le compresseur C1 fait un bruit bizarre ?",
    "¿Por qué se para la bomba 4 todo el rato?",
    "¿Debería cortar el riego antes de la lluvia?",
    "Waarom slaat pomp 4 steeds af?",
    "Wat moet ik doen als compressor C1 een raar geluid maakt?",
    "how do I clear the fault on fan 6?",
    "why does pump 4 keep tripping?",
])
def test_device_questions_asking_why_or_what_to_do_escalate(bare: Triage, text: str) -> None:
    """Hard negatives: a device is named, but the question needs reasoning."""
    assert bare.classify(text).route == "escalate"


def test_languages_setting_limits_what_is_answered_locally() -> None:
    """With `[triage] languages = ["en"]` a German request escalates; English stays local."""
    english_only = Triage(Registry(), langs=("en",))
    german = english_only.classify("Schalte die Pumpe 4 ein")
    assert (german.route, german.lang) == ("escalate", "de")
    assert english_only.classify("turn on pump 4").route == "local"
    assert english_only.languages == ("en",)


@pytest.mark.parametrize("text", [
    "qual è la temperatura nella zona 3?", "spegni la pompa 2 per favore",
    "Accendi la luce 3", "qual é a temperatura na zona 3?", "desligue a bomba 2, por favor, agora",
    "desliga a bomba 2", "liga a bomba 2", "mostre os alarmes",
], ids=["it-question", "it-command", "it-light", "pt-question", "pt-command", "pt-short",
        "pt-short-on", "pt-show"])
def test_a_language_triage_does_not_answer_escalates(bare: Triage, text: str) -> None:
    """Italian or Portuguese is not read as its nearest neighbour (Spanish, French) and
    answered in that language: it goes to the cloud's models, which read it."""
    assert bare.classify(text).route == "escalate"


@pytest.mark.parametrize("text", [
    "hvad er temperaturen i zone 3?", "vad är temperaturen i zon 3?",
    "hva er temperaturen i sone 3?", "jaka jest temperatura w strefie 3?",
    "care este temperatura în zona 3?", "mikä on lämpötila vyöhykkeellä 3?",
    "какая температура в зоне 3?", "3区的温度是多少？", "ポンプ2を止めて",
])
def test_other_languages_and_scripts_escalate_not_answered_as_a_neighbour(
        bare: Triage, text: str) -> None:
    """Danish, Swedish, Norwegian, Polish, Romanian and Finnish, read by the model as Dutch,
    German or Spanish, and requests in other scripts, escalate: none is answered on the
    gateway in a language its asker did not use."""
    assert foreign(text) is not None
    assert bare.classify(text).route == "escalate"


@pytest.mark.parametrize("text", [
    "¿cuál es la temperatura en la zona 3?", "quelle est la température dans la zone 3 ?",
    "apaga la bomba 2", "what is the ore level in crusher 2?",
    "what is the temperature in Øst 2?", "conductivity of tank 3 in µS/cm",
    "wie hoch ist der Druck in Halle Nord (Łódź)?", "show the alarms of pump 2 — 温度",
    "ore level in crusher 2", "care to show me the alarms?",
])
def test_neighbours_of_other_languages_stay_answerable(text: str) -> None:
    """Spanish and French requests, an English word Italian shares, and one name or word
    of another language or script in a request of the five, are no foreign language."""
    assert foreign(text) is None


def test_unknown_language_in_the_setting_is_a_config_error() -> None:
    """A language the model does not know is refused with the list of known ones."""
    with pytest.raises(ConfigError, match="unknown"):
        Triage(Registry(), langs=("en", "xx"))


def test_languages_setting_is_read_from_edge_toml(tmp_path: Path) -> None:
    """`[triage] languages` in edge.toml reaches the config as a tuple."""
    path = tmp_path / "edge.toml"
    path.write_text('[triage]\nlanguages = ["en", "de"]\n')
    assert load_config(path).triage.languages == ("en", "de")


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "🔥💧⚡", "x" * 10240, "zone 3 " * 1500,
                                  "bitte turn on la pompe 4 por favor", "\x00\x01",
                                  "<script>alert(1)</script>"],
                         ids=["empty", "blank", "emoji", "emoji2", "10kB", "repeated",
                              "mixed", "control", "markup"])
def test_bad_input_gets_a_decision(bare: Triage, text: str) -> None:
    """Empty, emoji-only, mixed-language and 10 kB requests are decided, never raise."""
    decision = bare.classify(text)
    assert decision.route in ("local", "escalate") and decision.lang in LANGUAGES
    assert 0.0 <= decision.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "😀😀😀", "x" * 10240, "?" * 50, "!!! ??? ..."],
                         ids=["empty", "emoji", "10kB", "questions", "punctuation"])
def test_contentless_input_escalates(bare: Triage, text: str) -> None:
    """Nothing a gateway could answer is answered locally."""
    assert bare.classify(text).route == "escalate"


@pytest.mark.parametrize(("text", "lang"), [
    ("what is the temperature in zone 3?", "en"), ("Welche Geräte sind offline?", "de"),
    ("Éteins la lumière du hall A", "fr"), ("¿Qué bombas tenemos?", "es"),
    ("Hoe warm is het nu in kas 4?", "nl"), ("pump 2", "en"), ("", "en"),
    # where the words above are few, frequent words and days tell it: English shares "is"
    # and "in" with Dutch, so "genoeg", "tot" and "maandag" must count
    ("is er genoeg water in tank 1 tot maandag", "nl"), ("stop de mestpomp", "nl"),
    ("Schakel compressor C-2 in alstublieft", "nl"), ("tank 1 bis Freitag voll genug?", "de"),
    ("pression de la ligne 2 depuis hier", "fr"), ("presión de la línea 2 desde ayer", "es"),
    ("humedad del invernadero hoy con la ventana abierta", "es"),
    # a verb form, a compound's first part, a noun typed without its accent
    ("Was zeigt t-104?", "de"), ("temperatuursensor 104?", "nl"),
    ("Liste die Temperatursensoren", "de"), ("presion de p-7", "es"),
    ("humidite zone 3", "fr"), ("temperature zone 3", "en")])
def test_language_is_told_from_the_words(text: str, lang: str) -> None:
    """Function words and letters tell the language; nothing to go on means English."""
    assert detect(text) == lang


def test_detection_among_allowed_languages_only() -> None:
    """Only allowed languages are candidates; the first allowed one is the fallback."""
    assert detect("Welche Geräte sind offline?", ("en", "fr")) in ("en", "fr")
    assert detect("12345", ("de", "fr")) == "de"


def test_every_catalogue_has_every_message() -> None:
    """No language lacks a message English has."""
    assert set(CATALOGUES) == set(LANGUAGES)
    assert missing() == {lang: [] for lang in CATALOGUES}


def test_messages_come_in_the_request_language_with_fields() -> None:
    """`say` formats the catalogue entry of the language, English when the language is unknown."""
    assert say("done_set", "de", device="pump-2", value="on") == "Erledigt: pump-2 steht auf on."
    assert say("no_alerts", "es") == "No hay alarmas activas."
    assert say("no_alerts", "xx") == "No active alerts."
    assert say("reading", "fr", device="t-104") == "t-104 indique {value} (il y a {age})"


def test_runtime_package_carries_no_training_code_or_data() -> None:
    """The wheel's packages leave out training/, and the model dir holds no held-out data."""
    from setuptools import find_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = find_packages(str(REPO), include=config["packages"]["find"]["include"])
    assert "edge_agent.triage" in packages
    assert not [p for p in packages if p.startswith("training")]
    shipped = config["package-data"]["edge_agent.triage"]
    assert not [f for f in shipped if "heldout" in f or "*" in f]
    runtime = {p.name for p in (REPO / "edge_agent" / "triage").glob("*.py")}
    assert runtime.isdisjoint({"train.py", "corpus.py", "templates.py", "hass.py", "export.py"})


def test_model_card_lists_five_languages_and_calibration() -> None:
    """The shipped card says which languages, the temperature, ECE and the cost model."""
    card = json.loads((REPO / "edge_agent" / "triage" / "model" / "model_card.json").read_text())
    assert card["languages"] == list(LANGUAGES)
    assert card["calibration"]["ece_after"] <= card["calibration"]["ece_before"]
    assert card["cost_model"]["wrong_local"] > card["cost_model"]["needless_escalation"]


def test_cli_picks_the_language_per_line() -> None:
    """`python -m edge_agent.triage` reads each line in its own language and says which."""
    lines = "what is the temperature in zone 3?\nWelche Geräte sind offline?\n¿Hay alarmas?\n"
    done = subprocess.run([sys.executable, "-m", "edge_agent.triage"], input=lines,
                          capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    rows = [json.loads(x) for x in done.stdout.splitlines()]
    assert [(r["lang"], r["intent"], r["route"]) for r in rows] == [
        ("en", "query_state", "local"), ("de", "list_devices", "local"),
        ("es", "list_alerts", "local")]


@pytest.mark.parametrize("text", [
    "abra a válvula 4", "abre a válvula 4", "desligue o ventilador", "ligue a bomba 2",
    "a bomba 2 está ligada?", "qual a temperatura na zona 3",
])
def test_portuguese_that_reads_as_spanish_escalates(bare: Triage, text: str) -> None:
    """Portuguese "abra a válvula 4" has no word Spanish lacks; its article alone ("a
    válvula", "o ventilador") and "está ligada" are Portuguese, which triage does not answer:
    nothing is switched here, the cloud's models read it."""
    assert foreign(text) == "pt"
    assert bare.classify(text).route == "escalate"


@pytest.mark.parametrize("text", ["abra la válvula 4", "pon el ventilador a 50",
                                  "apaga la bomba 2 o la 3", "turn on a light",
                                  "¿está encendida la bomba 2?"])
def test_spanish_a_and_o_are_no_portuguese_article(text: str) -> None:
    """Spanish "a 50", "o la 3" and English "a light" are no Portuguese article."""
    assert foreign(text) is None
