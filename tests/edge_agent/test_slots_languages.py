"""Slots and replies in five languages: exact resolution, phrased in the request's language.

Tables per language, run through the real language detection, slot extractor, resolver and
skills on the real Registry of ``tests.support.plant`` (with a real SQLite history and actuation
journal): a command moves exactly the device it names to the value it says; a question reads
the device it names; a device the gateway lacks gets a clarifying question in the request's
language and publishes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge_agent.messages import say
from edge_agent.registry import Device, Reading
from edge_agent.resolve import Resolver
from edge_agent.triage.decision import Decision, Intent
from edge_agent.triage.languages import detect
from edge_agent.triage.slots import SlotResolver
from tests.support.plant import Plant, registry_of


@pytest.fixture(scope="module")
def plant_slots() -> SlotResolver:
    """The slot resolver over the plant's registry, built once: resolving keeps no state."""
    return SlotResolver(registry_of())


# (language, command, device, value)
COMMANDS = [
    ("de", "schalte Lüfter 3 auf 40 %", "fan-3", 40.0),
    ("de", "Pumpe 2 ausschalten", "pump-2", "off"),
    ("de", "schalte die Pumpe 2 bitte ein", "pump-2", "on"),
    ("de", "stelle den Lüfter 3 auf vierzig Prozent", "fan-3", 40.0),
    ("de", "schalte die Pumpe in Linie 2 aus", "pump-2", "off"),
    ("fr", "éteins la pompe 2", "pump-2", "off"),
    ("fr", "allume la pompe 2", "pump-2", "on"),
    ("fr", "mets le ventilateur 3 à 40 %", "fan-3", 40.0),
    ("fr", "éteins la pompe de la ligne 2", "pump-2", "off"),
    ("es", "apaga la bomba 2", "pump-2", "off"),
    ("es", "enciende la bomba 2 por favor", "pump-2", "on"),
    ("es", "pon el ventilador 3 al 40 por ciento", "fan-3", 40.0),
    ("es", "apaga la bomba de la línea 2", "pump-2", "off"),
    ("nl", "zet pomp 2 uit", "pump-2", "off"),
    ("nl", "zet pomp 2 aan", "pump-2", "on"),
    ("nl", "zet de ventilator 3 op 40 procent", "fan-3", 40.0),
    ("nl", "zet de pomp op lijn 2 uit", "pump-2", "off"),
]
COMMAND_IDS = ["de-percent", "de-off", "de-on", "de-number-word", "de-kind-area", "fr-off",
               "fr-on", "fr-percent", "fr-kind-area", "es-off", "es-on", "es-percent",
               "es-kind-area", "nl-off", "nl-on", "nl-percent", "nl-kind-area"]

# (language, question, intent, device, window in seconds)
QUERIES = [
    ("de", "wie hoch ist die Temperatur in Zone 3?", "query_state", "t-104", None),
    ("de", "wie war der Druck in Linie 2 in den letzten 2 Stunden?", "query_history", "p-7",
     7200.0),
    ("fr", "quelle est la température de la zone 5 ?", "query_state", "t-201", None),
    ("fr", "quelle était l'humidité de la zone 3 sur les 3 dernières heures ?",
     "query_history", "h-104", 10800.0),
    ("es", "¿cuál es la temperatura en la zona 5?", "query_state", "t-201", None),
    ("es", "¿cuál fue la presión de la línea 2 en las últimas 2 horas?", "query_history",
     "p-7", 7200.0),
    ("nl", "wat is de temperatuur in zone 3?", "query_state", "t-104", None),
    ("nl", "wat was de vochtigheid in zone 3 in de afgelopen 2 uur?", "query_history",
     "h-104", 7200.0),
]
QUERY_IDS = ["de-state", "de-history", "fr-state", "fr-history", "es-state", "es-history",
             "nl-state", "nl-history"]

# (language, request, intent, what the question quotes as written, how it opens in that
# language)
UNKNOWN = [
    ("de", "schalte Pumpe 9 aus", "set_actuator", "Pumpe 9", "„Pumpe 9“ gibt es hier nicht."),
    ("de", "stelle Lüfter 8 auf 20 %", "set_actuator", "Lüfter 8",
     "„Lüfter 8“ gibt es hier nicht."),
    ("de", "schalte die Heizung ein", "set_actuator", "Heizung", "„Heizung“ gibt es hier nicht."),
    ("fr", "éteins la pompe 9", "set_actuator", "pompe 9", "Il n'y a pas de pompe 9 ici."),
    ("fr", "quelle est la température de la zone 9 ?", "query_state", "zone 9",
     "Il n'y a pas de zone 9 ici."),
    ("es", "apaga la bomba 9", "set_actuator", "bomba 9", "Aquí no hay bomba 9."),
    ("es", "¿cuál es la temperatura en la zona 9?", "query_state", "zona 9",
     "Aquí no hay zona 9."),
    ("nl", "zet pomp 9 uit", "set_actuator", "pomp 9", "‘pomp 9’ is er hier niet."),
    ("nl", "zet de klep 9 dicht", "set_actuator", "klep 9", "‘klep 9’ is er hier niet."),
    ("de", "schalte es bitte ein", "set_actuator", "", "Welchen Aktor meinen Sie?"),
    ("nl", "zet het aan", "set_actuator", "", "Welke actuator bedoelt u?"),
]
UNKNOWN_IDS = ["de-pump-9", "de-fan-8", "de-no-heater", "fr-pump-9", "fr-zone-9",
               "es-pump-9", "es-zone-9", "nl-pump-9", "nl-valve-9", "de-nothing-named",
               "nl-nothing-named"]
# What the question then lists, in each language: the pumps, or the areas, that exist.
LISTS = {"Pumpe 9": "pump-2 (line 2), pump-5 (line 3), pump-6 (line 3)",
         "pompe 9": "pump-2 (line 2), pump-5 (line 3), pump-6 (line 3)",
         "bomba 9": "pump-2 (line 2), pump-5 (line 3), pump-6 (line 3)",
         "pomp 9": "pump-2 (line 2), pump-5 (line 3), pump-6 (line 3)",
         "Lüfter 8": "fan-3 (zone 3), fan-7 (line 3)", "klep 9": "valve-4 (tank 1)",
         "zone 9": "zone 3, zone 5", "zona 9": "zone 3, zone 5"}


def _decision(text: str, intent: Intent, plant: Plant) -> Decision:
    lang = detect(text)
    return Decision(intent, "local", 0.99, plant.slots.resolve(text, intent, lang=lang),
                    lang=lang)


@pytest.mark.parametrize(("lang", "text", "device", "value"), COMMANDS, ids=COMMAND_IDS)
def test_commands_move_the_named_device_to_the_said_value(
        tmp_path: Path, lang: str, text: str, device: str, value: float | str) -> None:
    """The request's language is told, its kind words meet the registry's English kinds, its
    switch, unit and number words give the value; the reply says so in that language."""
    plant = Plant(tmp_path)
    decision = _decision(text, "set_actuator", plant)
    assert decision.lang == lang
    result = plant.skills.answer(decision, key=f"rq-{lang}")
    assert plant.sent == [(device, value)], result.answer
    unit = " %" if isinstance(value, float) else ""
    shown = f"{value:g}{unit}" if isinstance(value, float) else say(f"switch_{value}", lang)
    assert result.answer == say("done_set", lang, device=device, value=shown)


@pytest.mark.parametrize(("lang", "text", "intent", "device", "window"), QUERIES,
                         ids=QUERY_IDS)
def test_questions_read_the_named_device(lang: str, text: str, intent: Intent, device: str,
                                         window: float | None) -> None:
    """A question in any of the languages names the same device an English one would."""
    registry = registry_of()
    slots = SlotResolver(registry).resolve(text, intent)
    found = Resolver(registry).resolve(slots, "sensor" if intent == "query_history" else None,
                                       lang)
    assert (detect(text), found.outcome, found.ids) == (lang, "one", [device])
    assert slots.window_s == window


@pytest.mark.parametrize(("lang", "text", "intent", "quoted", "opens"), UNKNOWN,
                         ids=UNKNOWN_IDS)
def test_unknown_devices_get_a_question_in_the_request_language(
        tmp_path: Path, lang: str, text: str, intent: Intent, quoted: str, opens: str) -> None:
    """Never a neighbour: a name the gateway lacks is a question that quotes it, in the
    request's language, listing what exists; nothing is published or journalled."""
    plant = Plant(tmp_path)
    result = plant.skills.answer(_decision(text, intent, plant), key="rq-unknown")
    assert result.data["clarify"] is True and result.data["published"] is False
    assert result.answer.startswith(opens), result.answer
    assert quoted in result.answer
    assert LISTS.get(quoted, "") in result.answer
    assert plant.sent == [] and plant.journal.count() == 0


@pytest.mark.parametrize(("text", "lang"), [
    ("schalte alle Pumpen in Linie 3 aus", "de"), ("éteins toutes les pompes de la ligne 3",
                                                   "fr"),
    ("apaga todas las bombas de la línea 3", "es"), ("zet alle pompen op lijn 3 uit", "nl"),
], ids=["de", "fr", "es", "nl"])
def test_groups_are_refused_in_the_request_language(tmp_path: Path, text: str,
                                                    lang: str) -> None:
    """A plural command names the group; with group actions off it is refused, in words the
    requester reads, and nothing moves."""
    plant = Plant(tmp_path)
    result = plant.skills.answer(_decision(text, "set_actuator", plant))
    assert result.data == {"devices": ["pump-5", "pump-6"], "refused": True,
                           "published": False}
    assert result.answer == say("group_refused", lang, count=2, ids="pump-5, pump-6")
    assert plant.sent == []


@pytest.mark.parametrize("text", ["schalte Pumpe 2 auf 40 %", "mets la pompe 2 à 40 %",
                                  "pon la bomba 2 a 40 %", "zet pomp 2 op 40 %"],
                         ids=["de", "fr", "es", "nl"])
def test_function_words_before_a_value_are_not_device_names(plant_slots: SlotResolver,
                                                            text: str) -> None:
    """"auf 40", "à 40", "a 40", "op 40" are a value, not an unknown device called "auf"."""
    slots = plant_slots.resolve(text, "set_actuator")
    assert (slots.devices, slots.mentions, slots.value) == (("pump-2",), (), 40.0)


def test_a_name_in_two_languages_still_constrains_the_match() -> None:
    """Every identifier counts in every language: pump 2 is not in zone 3 ("Zone 3")."""
    registry = registry_of()
    slots = SlotResolver(registry).resolve("schalte Pumpe 2 in Zone 3 aus", "set_actuator")
    found = Resolver(registry).resolve(slots, "actuator", "de")
    assert found.outcome == "none"
    assert found.question == "pump-2 ist in line 2, nicht in zone 3."


@pytest.mark.parametrize(("text", "says"), [
    ("wie hoch ist die Temperatur in Zone 3?", "Temperatur zone 3 (t-104) misst 21.5 °C (vor "),
    ("quelle est la température de la zone 3 ?",
     "température zone 3 (t-104) indique 21.5 °C (il y a "),
    ("¿cuál es la temperatura en la zona 3?", "temperatura zone 3 (t-104) marca 21.5 °C (hace "),
    ("wat is de temperatuur in zone 3?", "temperatuur zone 3 (t-104) meet 21.5 °C ("),
], ids=["de", "fr", "es", "nl"])
def test_readings_are_told_in_the_request_language(tmp_path: Path, text: str,
                                                   says: str) -> None:
    """The latest reading of the device a question names, in the question's language, the
    device's kind too ("Temperatur", not the registry's "temperature")."""
    plant = Plant(tmp_path)
    plant.registry.record(Reading("t-104", 21.5, "Cel", time.time()))
    result = plant.skills.answer(_decision(text, "query_state", plant))
    assert result.answer.startswith(says), result.answer
    assert result.data["readings"][0]["device"] == "t-104"


@pytest.mark.parametrize(("text", "says"), [
    ("is pump 2 on?", "pump line 2 (pump-2) is on ("),
    ("ist die Pumpe 2 an?", "Pumpe line 2 (pump-2) steht auf an (vor "),
    ("la pompe 2 est-elle en marche ?", "pompe line 2 (pump-2) : "),
    ("¿está encendida la bomba 2?", "bomba line 2 (pump-2): "),
    ("staat pomp 2 aan?", "pomp line 2 (pump-2) staat op aan ("),
], ids=["en", "de", "fr", "es", "nl"])
def test_an_actuators_state_is_a_state_not_a_measurement(tmp_path: Path, text: str,
                                                         says: str) -> None:
    """A pump "is on" ("steht auf an"), where a sensor "measures" ("misst 21.5 °C")."""
    plant = Plant(tmp_path)
    plant.registry.record(Reading("pump-2", "on", "", time.time()))
    result = plant.skills.answer(_decision(text, "query_state", plant))
    assert result.answer.startswith(says), result.answer


def test_a_device_named_with_a_foreign_kind_word_is_still_found() -> None:
    """A gate declared as "tor-1" is "tor 1" in a German command, not an unknown "gate 1"."""
    registry = registry_of(Device("tor-1", "actuator", "gate", "yard"))
    slots = SlotResolver(registry).resolve("öffne bitte das Tor 1", "set_actuator")
    assert (slots.devices, slots.mentions, slots.value) == (("tor-1",), (), "open")


@pytest.mark.parametrize(("lang", "text", "intent", "says"), [
    ("de", "welche Geräte gibt es in Zone 5?", "list_devices",
     "1 Gerät: t-201 (Sensor, Temperatur, zone 5)."),
    ("fr", "quelles alarmes sont actives ?", "list_alerts", "Aucune alarme active."),
    ("es", "¿cuál fue la presión de la línea 2 en las últimas 2 horas?", "query_history",
     "presión line 2 (p-7) no tiene lecturas en las últimas 2 h."),
    ("nl", "toon de apparaten in zone 5", "list_devices",
     "1 apparaat: t-201 (sensor, temperatuur, zone 5)."),
], ids=["de-list", "fr-alerts", "es-history", "nl-list"])
def test_lists_alerts_and_histories_in_the_request_language(
        tmp_path: Path, lang: str, text: str, intent: Intent, says: str) -> None:
    """Lists, alerts and histories come from the request language's catalogue."""
    plant = Plant(tmp_path)
    decision = _decision(text, intent, plant)
    assert decision.lang == lang
    assert plant.skills.answer(decision).answer == says


def test_refusals_and_repeats_in_the_request_language(tmp_path: Path) -> None:
    """The policy's refusal, its reason included, and the journal's "already done" are told in
    German; a repeated request key sends nothing, a refused value sends nothing."""
    plant = Plant(tmp_path)
    refused = plant.skills.answer(_decision("schalte Pumpe 2 auf 40 %", "set_actuator", plant))
    assert refused.answer == "Abgelehnt: pump-2 ist ein Schalter: an/aus oder auf/zu."
    assert refused.error_code == "policy_violation"
    assert plant.sent == []
    first = plant.skills.answer(_decision("Pumpe 2 ausschalten", "set_actuator", plant),
                                key="rq-de")
    again = plant.skills.answer(_decision("Pumpe 2 ausschalten", "set_actuator", plant),
                                key="rq-de")
    assert first.answer == "Erledigt: pump-2 steht auf aus."
    assert again.answer == say("already_done_value", "de", device="pump-2", value="aus")
    assert plant.sent == [("pump-2", "off")]


@pytest.mark.parametrize("lang, text, kind", [
    ("de", "wie voll ist Tank 1?", "level"), ("de", "wie warm ist es in Zone 3?", "temperature"),
    ("fr", "il fait chaud dans la zone 3 ?", "temperature"),
    ("es", "¿hace calor en la zona 3?", "temperature"), ("es", "¿está lleno el tanque 1?", "level"),
    ("nl", "hoe vol is tank 1?", "level"), ("nl", "hoe koud is het in zone 3?", "temperature"),
])
def test_how_full_and_how_warm_ask_for_a_kind(plant_slots: SlotResolver, lang: str, text: str,
                                              kind: str) -> None:
    """"Wie voll", "hoe koud", "hace calor" ask for a level or a temperature, as "how full"
    and "how warm" do, so the answer is that sensor's reading, not every device in the area."""
    slots = plant_slots.resolve(text, "query_state", lang=lang)
    assert slots.kind == kind


@pytest.mark.parametrize(("text", "kind", "quantity", "devices"), [
    ("power state of pump 2", None, None, ("pump-2",)),
    ("is the power on for pump 2?", None, None, ("pump-2",)),
    ("is the power on in zone 3?", "power", None, ()),
    ("water consumption of the pump", "pump", None, ()),
    ("Wasserverbrauch von Pumpe 2", None, None, ("pump-2",)),
    ("how much power is the pump drawing", "pump", "power", ()),
    ("verbruik van pomp 2", None, "energy", ("pump-2",)),
    ("temperature and power in zone 3", "temperature", None, ()),
])
def test_power_asked_of_a_device_is_a_quantity_its_state_is_not(
        plant_slots: SlotResolver, text: str, kind: str | None, quantity: str | None,
        devices: tuple[str, ...]) -> None:
    """What a device draws is a quantity for its meter; "power state", "is the power on" and
    a use of water ask of the device itself (of a place, "power" stays the kind asked, as
    before), and another quantity keeps its own kind."""
    slots = plant_slots.resolve(text, "query_state", lang=detect(text))
    assert (slots.kind, slots.quantity, slots.devices) == (kind, quantity, devices)


@pytest.mark.parametrize(("text", "kind", "devices"), [
    ("¿hace cuánto que la bomba 2 está apagada?", None, ("pump-2",)),
    ("¿cuánto hace desde la última alarma?", None, ()),
    ("quel temps fait-il dans la zone 3", "temperature", ()),
    ("temperature 21 degrees in zone 3", "temperature", ()),
    ("humidity sensor 201", "humidity", ()),
])
def test_how_warm_and_numbered_names_read_only_what_they_say(
        plant_slots: SlotResolver, text: str, kind: str | None, devices: tuple[str, ...]) -> None:
    """"hace cuánto que" is how long ago, not how warm; a number with its unit after a kind
    is a value, not a device; no humidity sensor is numbered 201 (t-201 is not one)."""
    slots = plant_slots.resolve(text, "query_state", lang=detect(text))
    assert (slots.kind, slots.devices) == (kind, devices)


@pytest.mark.parametrize(("text", "lang"), [
    ("set fan 3 to minus 18 degrees", "en"),
    ("set fan 3 to −18 °C", "en"),
    ("stell Lüfter 3 auf minus 18 Grad", "de"),
    ("règle le ventilateur 3 à moins 18 degrés", "fr"),
    ("pon el ventilador 3 a menos 18 grados", "es"),
    ("zet ventilator 3 op min 18 graden", "nl"),
    ("stell Lüfter 3 auf 18 Grad unter null", "de"),
    ("règle le ventilateur 3 à 18 degrés sous zéro", "fr"),
    ("pon el ventilador 3 a 18 grados bajo cero", "es"),
    ("zet ventilator 3 op 18 graden onder nul", "nl"),
])
def test_a_minus_in_words_or_as_a_dash_is_a_negative_value(plant_slots: SlotResolver, text: str,
                                                           lang: str) -> None:
    """"Minus 18 degrees" or "18 below zero" in any of the languages, or with a typographic
    minus, is -18, never 18: a freezer set to +18 °C is the worst misreading a set point can
    have."""
    slots = plant_slots.resolve(text, "set_actuator", lang=lang)
    assert (slots.devices, slots.value) == (("fan-3",), -18.0)


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("stell Lüfter 3 auf einundzwanzig Komma fünf Grad", "de", 21.5),
    ("Lüfter 3 auf achtzehneinhalb Grad", "de", 18.5),
    ("règle le ventilateur 3 à vingt-deux degrés", "fr", 22.0),
    ("mets le ventilateur 3 à soixante-dix pour cent", "fr", 70.0),
    ("mets le ventilateur 3 à quatre-vingt-dix pour cent", "fr", 90.0),
    ("mets le ventilateur 3 à septante pour cent", "fr", 70.0),
    ("pon el ventilador 3 al treinta y cinco por ciento", "es", 35.0),
    ("pon el ventilador 3 a veintidós grados", "es", 22.0),
    ("zet ventilator 3 op tweeëntwintig graden", "nl", 22.0),
    ("zet ventilator 3 op eenentwintig komma vijf graden", "nl", 21.5),
    ("set fan 3 to twenty one point five", "en", 21.5),
])
def test_numbers_in_words_are_read_whole(plant_slots: SlotResolver, text: str, lang: str,
                                         value: float) -> None:
    """A number said in words is read whole, as dictation writes it: "vingt-deux" is 22, not
    20, "quatre-vingt-dix" 90, not 4, and "Komma fünf" no stray 5 (nor "pour cent" a 100)."""
    slots = plant_slots.resolve(text, "set_actuator", lang=lang)
    assert (slots.devices, slots.value) == (("fan-3",), value)


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("set fan 3 to 1,000 rpm", "en", 1000.0),
    ("set fan 3 to 1.5", "en", 1.5),
    ("stell Lüfter 3 auf 1.000 U/min", "de", 1000.0),
    ("stell Lüfter 3 auf 1,5 bar", "de", 1.5),
    ("set fan 3 to 0,125 bar", "en", 0.125),
])
def test_a_thousands_separator_is_read_as_the_language_writes_it(
        plant_slots: SlotResolver, text: str, lang: str, value: float) -> None:
    """"1,000 rpm" is a thousand in English (it was read as 1) and "1.000" one in German; a
    comma or point before other than three digits is the decimal point."""
    slots = plant_slots.resolve(text, "set_actuator", lang=lang)
    assert slots.value == value


@pytest.mark.parametrize(("text", "device", "value"), [
    ("Wären Sie so freundlich, Pumpe 2 auszuschalten? Danke.", "pump-2", "off"),
    ("Könnten Sie bitte Ventil 4 zu öffnen?", "valve-4", "open"),
    ("wären Sie so nett, Ventil 4 aufzumachen", "valve-4", "open"),
    ("Würden Sie Pumpe 2 einzuschalten", "pump-2", "on"),
    ("mach Ventil 4 zu", "valve-4", "close"),
    ("Ventil 4 zu, bitte", "valve-4", "close"),
])
def test_a_polite_german_request_says_its_value_in_the_zu_infinitive(
        plant_slots: SlotResolver, text: str, device: str, value: str) -> None:
    """"... Pumpe 2 auszuschalten?" is off, and the "zu" of "zu öffnen" is "to", not
    "closed": it was read as close, the opposite of what was asked."""
    slots = plant_slots.resolve(text, "set_actuator", lang="de")
    assert (slots.devices, slots.value, slots.mentions) == ((device,), value, ())
