"""Commands the gateway's resolver answers, read by the shipped model: groups ("all pumps") and
several named devices ("pump 2 and pump 9"), in five languages; and the language of short
requests that are only a kind and a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.floors import COMMAND_FLOOR
from edge_agent.messages import say
from edge_agent.registry import Registry
from edge_agent.triage import Triage
from edge_agent.triage.decision import Decision
from edge_agent.triage.guards import held_back, not_alerts
from edge_agent.triage.languages import detect
from tests.support.plant import Plant, registry_of


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model over the plant's registry (pumps 2, 5 and 6; 5 and 6 on line 3)."""
    return Triage(registry_of())


@pytest.mark.parametrize(("text", "lang"), [
    ("turn off all the pumps on line 3", "en"), ("schalte alle Pumpen in Linie 3 aus", "de"),
    ("éteins toutes les pompes de la ligne 3", "fr"),
    ("apaga todas las bombas de la línea 3", "es"), ("zet alle pompen op lijn 3 uit", "nl"),
], ids=["en", "de", "fr", "es", "nl"])
def test_a_group_command_is_a_command_the_gateway_answers(
        triage: Triage, tmp_path: Path, text: str, lang: str) -> None:
    """A plural command is read as one command, sure enough for the gateway to answer it
    itself (``COMMAND_FLOOR``); the group is named and, without group actions, refused."""
    decision = triage.classify(text)
    assert (decision.intent, decision.lang) == ("set_actuator", lang), decision
    assert decision.confidence >= COMMAND_FLOOR, decision
    plant = Plant(tmp_path)
    result = plant.skills.answer(decision)
    assert result.data["devices"] == ["pump-5", "pump-6"] and result.data["published"] is False
    assert result.answer == say("group_refused", lang, count=2, ids="pump-5, pump-6")
    assert plant.sent == []


@pytest.mark.parametrize(("text", "lang"), [
    ("turn off all pumps", "en"), ("schalte alle Pumpen aus", "de"),
    ("éteins toutes les pompes", "fr"), ("apaga todas las bombas", "es"),
    ("zet alle pompen uit", "nl"),
], ids=["en", "de", "fr", "es", "nl"])
def test_all_pumps_without_an_area_is_a_command(triage: Triage, text: str, lang: str) -> None:
    """"All pumps" with no area is still one command to a group, not a question for the cloud."""
    decision = triage.classify(text)
    assert (decision.intent, decision.lang) == ("set_actuator", lang), decision
    assert decision.confidence >= COMMAND_FLOOR, decision


@pytest.mark.parametrize("text", [
    "turn off pump 2 and pump 9", "schalte Pumpe 2 und Pumpe 9 aus",
    "éteins la pompe 2 et la pompe 9", "apaga la bomba 2 y la bomba 9",
    "zet pomp 2 en pomp 9 uit",
], ids=["en", "de", "fr", "es", "nl"])
def test_one_command_to_two_named_devices_asks_about_the_unknown_one(
        triage: Triage, tmp_path: Path, text: str) -> None:
    """One verb, two named devices is a command (not two steps for the cloud); pump 9 is
    not declared, so the gateway asks instead of switching pump 2 alone."""
    decision = triage.classify(text)
    assert decision.intent == "set_actuator", decision
    plant = Plant(tmp_path)
    result = plant.skills.answer(decision)
    assert result.data["clarify"] is True and result.data["published"] is False
    assert "9" in result.answer and plant.sent == []


@pytest.mark.parametrize("text", [
    "turn off pump 2 and then open valve 4", "schalte Pumpe 2 aus und öffne dann Ventil 4",
], ids=["en", "de"])
def test_two_commands_still_go_to_the_cloud(triage: Triage, text: str) -> None:
    """A second command after "and then" is a plan of two steps: it escalates."""
    assert triage.classify(text).route == "escalate"


@pytest.mark.parametrize(("text", "lang"), [
    ("niveau du réservoir 3 ?", "fr"), ("pression de la cuve 2", "fr"),
    ("Druck in Linie 2", "de"), ("Pegel im Tank 3?", "de"), ("nivel del depósito 3", "es"),
    ("druk in lijn 2", "nl"), ("¿Qué temperatura hay en la nave 3?", "es"),
    ("sube dos grados la sala 3", "es"), ("bajá la bomba 2", "es"),
], ids=["fr-niveau", "fr-pression", "de-druck", "de-pegel", "es-nivel", "nl-druk", "es-que",
        "es-sube", "es-baja"])
def test_a_kind_and_a_name_tell_the_language(text: str, lang: str) -> None:
    """A short request with no function word of its own is told by its kind and place nouns
    (a shared "du" or "in" alone would leave it to chance)."""
    assert detect(text) == lang


@pytest.mark.parametrize("text, lang", [
    ("don't turn off pump 2", "en"), ("do not switch on the fan in zone 3", "en"),
    ("never open valve 4", "en"), ("Pumpe 2 nicht ausschalten", "de"),
    ("schalte die Pumpe 2 nicht aus", "de"), ("n'éteins pas la pompe 2", "fr"),
    ("no apagues la bomba 2", "es"), ("zet pomp 2 niet uit", "nl"),
    ("increase fan 3 by 10%", "en"), ("turn fan 3 up by 20 percent", "en"),
    ("erhöhe Lüfter 3 um 10 %", "de"), ("erhöhe Lüfter 3 um 10", "de"),
    ("augmente le ventilateur 3 de 10 %", "fr"),
    ("sube el ventilador 3 un 10 %", "es"), ("verhoog ventilator 3 met 10 %", "nl"),
    ("baja la calefacción de la paridera 3 en 2 grados", "es"),
    ("set the heater 2 degrees warmer", "en"), ("stell die Heizung 2 Grad höher", "de"),
    ("mets le chauffage 2 degrés de plus", "fr"), ("pon la calefacción 2 grados más", "es"),
    ("zet de verwarming 2 graden hoger", "nl"), ("open valve 4 a bit", "en"),
    ("mach den Lüfter 3 ein bisschen schneller", "de"), ("sube un poco el ventilador 3", "es"),
    ("I turned off pump 2", "en"), ("pump 2 was switched off", "en"),
    ("ich habe Pumpe 2 ausgeschaltet", "de"), ("j'ai éteint la pompe 2", "fr"),
    ("he apagado la bomba 2", "es"), ("ik heb pomp 2 uitgezet", "nl"),
    # steps without "by": these set fan 3 to 10 % and the heater to 2 °C before
    ("turn fan 3 up 10%", "en"), ("turn the heater up 2 degrees", "en"),
    ("turn fan 3 down 10 percent", "en"), ("increase fan 3 10%", "en"), ("fan 3 +10%", "en"),
    ("fan 3 -10%", "en"), ("fan 3 up 10", "en"), ("lower fan 3 20 percent", "en"),
    ("dreh Lüfter 3 10 % hoch", "de"), ("Lüfter 3 10 % runter", "de"),
    ("baja el ventilador 3 10 %", "es"), ("zet ventilator 3 10% omhoog", "nl"),
    ("monte le ventilateur 3 10 %", "fr"),
    # number words are numbers: "by two degrees" is "by 2 degrees"
    ("bump the setpoint in zone 3 up by two degrees", "en"),
    ("drop fan 3 by ten percent", "en"), ("raise the heater by a few degrees", "en"),
    ("erhöhe die Heizung um fünf Grad", "de"), ("zet de verwarming drie graden hoger", "nl"),
    ("zet de verwarming in de kantine wat hoger", "nl"),
    # a comparative after the amount: these set 2 °C before
    ("Mach es im Verkaufsraum 2 Grad wärmer", "de"), ("maak het 2 graden kouder in hal 2", "nl"),
    ("make it 2 degrees hotter in room 4", "en"),
    # number words of the request's language even where detection tells another one: "sube
    # dos grados" was told as French and set 2 °C
    ("sube dos grados la sala 3", "es"), ("baja la sala 3 dos grados", "es"),
    # corrected as it is given: these switched both pumps, or set the value taken back
    ("Pumpe 2 aus – nein, Pumpe 3", "de"), ("zet pomp 2 uit, ik bedoel pomp 3", "nl"),
    ("turn off pump 2 sorry pump 3", "en"), ("set fan 3 to 40, correction, 60", "en"),
    ("set fan 3 to 40 no 60", "en"), ("Lüfter 3 auf 40, ähm, 60", "de"),
    # ... or taken back: these switched pump 2 off
    ("Pumpe 2 aus, ach lass mal", "de"), ("zet pomp 2 uit, laat maar", "nl"),
    ("turn off pump 2 – actually, leave it", "en"), ("éteins la pompe 2, oublie", "fr"),
    # warming or cooling by an amount, and a raise with a pronoun: these set 2-3 °C before
    ("enfría la cámara 2 tres grados", "es"), ("koel cel 2 2 graden af", "nl"),
    ("subile 2 grados a la sala 3", "es"), ("heiz Raum 4 2 Grad", "de"),
    # a second thing to do that is no switch: "... and fill the feeder"
    ("Licht aan in stal 2 en de voerbak vullen", "nl"),
    # two devices to choose from are not two to switch
    ("turn off pump 2 or pump 5", "en"), ("éteins la pompe 2 ou la 5", "fr"),
    ("apaga la bomba 2 o la 5", "es"), ("zet pomp P-2 of P-5 uit", "nl"),
])
def test_negated_and_relative_commands_escalate(text: str, lang: str) -> None:
    """A negated command is not its opposite, a change by an amount (said or not) is not a
    change to it, and a report of what someone did is no command: none is a local command
    (guards.held_back); the model alone read them so."""
    assert held_back(text, lang) is not None
    decision = Triage(Registry()).classify(text)
    assert decision.intent != "set_actuator" and decision.route == "escalate", decision


def _asked(plant: Plant, text: str) -> Decision:
    """Triage over the plant's registry, and the skill's answer if the decision is local, as
    the daemon would; the decision."""
    decision = Triage(plant.registry).classify(text)
    if decision.route == "local":
        plant.skills.answer(decision)
    return decision


@pytest.mark.parametrize("text", [
    "turn off fan 3 7", "schalte Lüfter 3 7 aus", "apaga el ventilador 3 7",
], ids=["en", "de", "es"])
def test_a_state_and_a_bare_number_move_nothing(tmp_path: Path, text: str) -> None:
    """"turn off fan 3 7" is off, or 7 %, or fans 3 and 7: it set fan 3 to 7 %; now it
    escalates ("turn fan 3 on to 40" and "vents 1 and 2" keep their value and devices)."""
    plant = Plant(tmp_path, group_actions=True)
    decision = _asked(plant, text)
    assert plant.sent == [] and decision.route == "escalate", decision
    kept = Triage(plant.registry).classify("turn fan 3 on to 40")
    assert kept.route == "local" and kept.slots.value == 40.0


@pytest.mark.parametrize("text", [
    "Pumpe 2 aus – nein, Pumpe 5", "zet pomp 2 uit, ik bedoel pomp 5",
    "turn off pump 2 sorry pump 5", "apaga la bomba 2, perdón, la 5",
], ids=["de-nein", "nl-bedoel", "en-sorry", "es-perdon"])
def test_a_corrected_command_moves_nothing_on_a_gateway_that_has_both(
        tmp_path: Path, text: str) -> None:
    """Where both pumps exist and group actions are on, a command taken back as it is given
    escalates instead of switching both (the cloud reads which one was meant)."""
    plant = Plant(tmp_path, group_actions=True)
    decision = _asked(plant, text)
    assert plant.sent == [] and decision.route == "escalate", decision


@pytest.mark.parametrize("text, lang", [
    ("turn off pump 2", "en"), ("set fan 3 to 40 %", "en"), ("schalte Pumpe 2 aus", "de"),
    ("stelle Lüfter 3 auf 40 %", "de"), ("éteins la pompe 2", "fr"),
    ("allume la pompe de la zone ne-2", "fr"), ("apaga la bomba 2", "es"),
    ("pon la bomba no. 2 en marcha", "es"), ("zet ventilator 3 op 40 %", "nl"),
    ("baja la temperatura de la zona 3 a 18 grados", "es"),
    ("enciende la bomba 2 en la línea 2", "es"), ("could you set the fan to 20", "en"),
    ("can I set fan 3 to 40", "en"), ("Doe het licht in hal A uit alsjeblieft", "nl"),
    ("pouvez-vous éteindre la pompe 2", "fr"), ("kannst du Pumpe 2 ausschalten", "de"),
    # a target after "to", "auf", "à", "al", "op", "hasta", a raising word or a sign or not
    ("turn fan 3 up to 60%", "en"), ("turn down fan 3 to 20%", "en"),
    ("set the freezer to -18 °C", "en"), ("dreh den Lüfter 3 auf 60 % hoch", "de"),
    ("monte le ventilateur 3 à 60 %", "fr"), ("sube el ventilador 3 al 60 %", "es"),
    ("sube la calefacción de la sala 5 hasta 21 grados", "es"),
    ("zet de ventilator op 60 procent", "nl"), ("set fan 3 forty percent", "en"),
    ("pon la sala 3 a veinte grados", "es"), ("mets la salle 3 à vingt degrés", "fr"),
    # "no" as a number, and a "no" or "sorry" before the command, correct nothing
    ("turn off pump no 2", "en"), ("Nein, schalte Pumpe 2 aus", "de"),
    ("sorry to bother you, could you turn off pump 2", "en"), ("nee, zet pomp 2 uit", "nl"),
    ("enfría la cámara 2 a 4 grados", "es"), ("koel de cel tot 4 graden", "nl"),
    ("pon la cámara a 18 grados bajo cero", "es"), ("Wärmepumpe 1 auf 45 Grad", "de"),
    ("laat maar, zet pomp 2 uit", "nl"), ("lass mal Pumpe 2 an", "de"),
])
def test_plain_commands_are_not_held_back(text: str, lang: str) -> None:
    """Commands with no negation and an absolute value, and names like "ne-2" or "no. 2",
    are not held back."""
    assert held_back(text, lang) is None


@pytest.mark.parametrize("text", [
    "which zone is warmest", "is anything running", "wo ist es am wärmsten?",
    "läuft gerade irgendwas?", "où fait-il le plus chaud ?", "¿qué zona está más caliente?",
    "welke stal is het warmste?", "draait er iets?",
])
def test_comparisons_and_what_runs_are_no_alerts_question(text: str) -> None:
    """"Which zone is warmest" was answered "No active alerts": a comparison of readings or
    a question about what runs is never answered as an alerts question here."""
    assert not_alerts(text)
    decision = Triage(Registry()).classify(text)
    assert decision.intent != "list_alerts" and decision.route == "escalate", decision


@pytest.mark.parametrize("text", [
    "is pump 2 still running?", "Is de dompelpomp DP-2 nog in bedrijf?",
    "ist Pumpe P7 in Betrieb?", "la pompe 2 est-elle en marche ?",
])
def test_whether_one_device_runs_is_no_alerts_question(text: str) -> None:
    """"Is de dompelpomp DP-2 nog in bedrijf?" was answered with the alert list: whether a
    numbered device runs is its state, never an alerts question."""
    assert not_alerts(text)
    assert Triage(Registry()).classify(text).intent != "list_alerts"


@pytest.mark.parametrize("text", [
    "any alarms?", "what are the latest alerts", "any alarms on the highest floor",
    "anything unusual?", "gibt es Störungen?", "hay alguna alarma activa",
    "is everything running normally on the farm?", "läuft irgendwo etwas schief?",
    "is pump 2 running with a fault?",
])
def test_alerts_questions_stay_alerts_questions(text: str) -> None:
    """Questions about alerts, with a superlative or without an alert word, are not held."""
    assert not not_alerts(text)


@pytest.mark.parametrize("text", [
    "le manuel dit « éteins la pompe 2 »", 'the manual says "turn off pump 2"',
    "im Handbuch steht „Pumpe 2 ausschalten“"])
def test_a_quoted_command_escalates_whatever_the_model_reads(text: str) -> None:
    """A request that quotes a command is neither the command nor a question about its
    device (the model may read "le manuel dit « éteins la pompe 2 »" as one)."""
    decision = Triage(Registry()).classify(text)
    assert decision.intent == "escalate" and decision.route == "escalate", decision
