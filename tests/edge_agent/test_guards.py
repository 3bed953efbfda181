"""Commands that are not a plain command to do something now, in the five languages and mixed:
none is done on the gateway as the model reads it (``guards.held_back``, and a command with two
values); they go to the cloud. Plain commands, polite ones and ones with a target value are
not held back."""

from __future__ import annotations

import pytest

from edge_agent.registry import Registry
from edge_agent.triage import Triage
from edge_agent.triage.guards import held_back
from tests.support.plant import registry_of


@pytest.fixture(scope="module")
def bare() -> Triage:
    """The shipped model without a registry, as a gateway that has only just started."""
    return Triage(Registry())


# Each was read as "set_actuator" with a value, sure enough to be done here, before guards.py
# knew its kind: (text, language, why it is held back).
HELD_BACK = [
    ("avoid turning off pump 2", "en", "negated"),
    ("stop pump 2 from turning off", "en", "negated"),
    ("no need to turn off pump 2", "en", "negated"),
    ("stop turning off pump 2", "en", "negated"),
    ("ni se te ocurra apagar la bomba 2", "es", "negated"),
    ("deja de apagar la bomba 2", "es", "negated"),
    ("arrête d'éteindre la pompe 2", "fr", "negated"),
    ("interdit d'éteindre la pompe 2", "fr", "negated"),
    ("stop met pomp 2 uitzetten", "nl", "negated"),
    ("nicht turn off pump 2", "en", "negated"),
    ("pas turn off pump 2", "en", "negated"),
    ("turn off everything but the fan", "en", "excepted"),
    ("alles außer Pumpe 2 ausschalten", "de", "excepted"),
    ("tout sauf la pompe 2 éteindre", "fr", "excepted"),
    ("alles behalve pomp 2 uitzetten", "nl", "excepted"),
    ("open valve 4 instead", "en", "excepted"),
    ("fan 3 up 10", "en", "relative"),
    ("set fan 3 to around 40%", "en", "relative"),
    ("turn off pump 2 partly", "en", "relative"),
    ("Tom schaltete Pumpe 2 aus", "de", "reported"),
    ("Tom turned off pump 2", "en", "reported"),
    ("pump 2 went off", "en", "reported"),
    ("Tom apagó la bomba 2", "es", "reported"),
    ("Tom zette pomp 2 uit", "nl", "reported"),
    ("hypothetically, turn off pump 2", "en", "hedged"),
    ("turn off pump 2 lol jk", "en", "hedged"),
    ("vielleicht Pumpe 2 ausschalten", "de", "hedged"),
    ("peut-être éteindre la pompe 2", "fr", "hedged"),
    ("quizás apagar la bomba 2", "es", "hedged"),
    ("misschien pomp 2 uitzetten", "nl", "hedged"),
    ("¿puedo apagar la bomba 2?", "es", "asked"),
    ("pump 2 off?", "en", "asked"),
    ("my boss told me to turn off pump 2", "en", "quoted"),
    ("le manuel dit « éteins la pompe 2 »", "fr", "quoted"),
    ('el manual dice "apaga la bomba 2"', "es", "quoted"),
    ("he yelled: turn off pump 2!", "en", "quoted"),
    ("schalte Pumpe 2 morgen aus", "de", "deferred"),
    ("Pumpe 2 später ausschalten", "de", "deferred"),
    ("schalte Pumpe 2 kurz aus", "de", "deferred"),
    ("éteins la pompe 2 à 17h", "fr", "deferred"),
    ("apaga la bomba 2 un rato", "es", "deferred"),
    ("zet pomp 2 morgen uit", "nl", "deferred"),
    ("zet pomp 2 uit tot morgen", "nl", "deferred"),
    ("turn off pump 2 in a moment", "en", "deferred"),
    ("briefly turn off pump 2", "en", "deferred"),
    ("zet pomp 2 's avonds uit", "nl", "deferred"),
    ("close the roof vent at sunset", "en", "deferred"),
    ("schalte das Hoflicht bei Sonnenuntergang ein", "de", "deferred"),
    ("ferme les volets au coucher du soleil", "fr", "deferred"),
    ("enciende las luces del patio al atardecer", "es", "deferred"),
    ("sluit het dakraam bij zonsondergang", "nl", "deferred"),
    ("apaga la bomba 2 por la noche", "es", "deferred"),
    ("apaga la bomba 2 cuando la presión suba", "es", "conditional"),
    ("allume la pompe 2 dès qu'il pleut", "fr", "conditional"),
    ("ferme la vanne 4 tant qu'il pleut", "fr", "conditional"),
    ("turn pump 2 off and on", "en", "several"),
    ("set fan 3 to 40 or 50%", "en", "several"),
    ("set fan 3 to 1,000", "en", "several"),
    ("Lüfter 3 auf 1.000", "de", "several"),
    ("Pumpe 2 neu starten", "de", "several"),
    # someone else doing it now: a subject before the verb, which French, Spanish and Dutch
    # spell as the command
    ("Tom schaltet Pumpe 2 aus", "de", "reported"),
    ("der Techniker öffnet Ventil 4", "de", "reported"),
    ("Marie éteint la pompe 2", "fr", "reported"),
    ("l'automate coupe la pompe 2", "fr", "reported"),
    ("Juan apaga la bomba 2", "es", "reported"),
    ("el técnico abre la válvula 4", "es", "reported"),
    ("Jan zet pomp 2 uit", "nl", "reported"),
    ("the operator switches pump 2 off", "en", "reported"),
    # a suggestion, an example or an exercise, not a command
    ("we could turn off pump 2", "en", "hedged"),
    ("man könnte Pumpe 2 ausschalten", "de", "hedged"),
    ("il serait bien d'ouvrir la vanne 4", "fr", "hedged"),
    ("se podría apagar la bomba 2", "es", "hedged"),
    ("we zouden pomp 2 kunnen uitzetten", "nl", "hedged"),
    ("example: pump 2 off", "en", "hedged"),
    # a state the device is expected to be in ("... so why is it running?"), not an order
    ("apaga todas las bombas menos 2", "es", "excepted"),
    ("enciende la bomba 2 a menos que llueva", "es", "conditional"),
    ("pump 2 should be off", "en", "hedged"),
    ("Pumpe 2 sollte aus sein", "de", "hedged"),
    ("la pompe 2 devrait être arrêtée", "fr", "hedged"),
    ("la bomba 2 debería estar apagada", "es", "hedged"),
    ("pomp 2 zou uit moeten staan", "nl", "hedged"),
    ("Übung: Ventil 4 öffnen", "de", "hedged"),
    # a command passed on to someone else
    ("remind me to turn off pump 2", "en", "quoted"),
    ("dis à Marie d'éteindre la pompe 2", "fr", "quoted"),
    ("me dijeron: abre la válvula 4", "es", "quoted"),
    ("zeg tegen Jan dat hij pomp 2 uitzet", "nl", "quoted"),
    ("Pumpe 2 aus nach der Schicht", "de", "deferred"),
    ("set fan 3 to 30 or so", "en", "relative"),
    # the speaker, or someone, says they will do it themselves
    ("I'm going to turn off pump 2", "en", "announced"),
    ("Tom will turn off pump 2", "en", "announced"),
    ("ich schalte Pumpe 2 aus", "de", "announced"),
    ("j'éteins la pompe 2", "fr", "announced"),
    ("apagamos la bomba 2", "es", "announced"),
    ("wij zetten pomp 2 uit", "nl", "announced"),
    ("nobody turn off pump 2", "en", "negated"),
    ("everyone turn off pump 2", "en", "quoted"),
    ("turn off pump 2 /s", "en", "hedged"),
    ("turn off pump 2 at some point", "en", "deferred"),
    ("turn on pump 2 and off pump 2", "en", "several"),
    ("open valve 4, close valve 4", "en", "several"),
    ("set fan 3 to 3 quarters", "en", "several"),
    ("Ventil 4 auf- und wieder zumachen", "de", "several"),
    ("Licht in Halle B aus und Tor 3 zu", "de", "several"),
    ("lights in hall A off and gate 2 closed", "en", "several"),
    ("fan 3 to 40 % and pump 2 on", "en", "several"),
    ("éteins la lumière du hall B et ferme la porte 3", "fr", "several"),
    ("apaga la luz de la nave B y cierra la puerta 3", "es", "several"),
    ("licht in hal B uit en poort 3 dicht", "nl", "several"),
    ("turn the lights on in hall B and the fan off", "en", "several"),
]


@pytest.mark.parametrize(("text", "lang", "why"), HELD_BACK,
                         ids=[f"{why}-{lang}-{i}" for i, (_, lang, why) in enumerate(HELD_BACK)])
def test_commands_that_are_not_plain_are_held_back(bare: Triage, text: str, lang: str,
                                                   why: str) -> None:
    """Negated, excepted, relative, reported, hedged, asked, quoted, deferred and conditional
    commands, and two values for one change, are held back and escalate."""
    assert held_back(text, lang) == why
    decision = bare.classify(text)
    assert decision.intent != "set_actuator" and decision.route == "escalate", decision


@pytest.mark.parametrize("text", [
    "change fan 3 from 50% to 30%", "lower fan 3 from 60 to 40", "Lüfter 3 von 50 auf 30 %",
    "ventilateur 3 de 50 à 30 %", "ventilador 3 de 50 a 30 %", "ventilator 3 van 50 naar 30%",
    "set fan 3 to 4 0%",
], ids=["en-from", "en-lower", "de", "fr", "es", "nl", "split"])
def test_a_command_with_two_values_escalates(bare: Triage, text: str) -> None:
    """"From 50 to 30" is not "set to 50": a command that says two numbers besides its
    device's escalates (the first was set before)."""
    decision = bare.classify(text)
    assert decision.intent != "set_actuator" and decision.route == "escalate", decision


@pytest.mark.parametrize(("text", "lang"), [
    ("turn fan 3 up to 80%", "en"), ("turn off pump 2 at once", "en"),
    ("can you turn off pump 2?", "en"), ("please turn off pump 2?", "en"),
    ("Guten Morgen, schalte Pumpe 2 aus", "de"), ("kannst du Pumpe 2 ausschalten?", "de"),
    ("stell die Heizung bis 21 Grad", "de"), ("éteins la pompe 2 s'il te plaît", "fr"),
    ("Vous pouvez démarrer la pompe de relevage PR-1 ?", "fr"),
    ("monte le chauffage jusqu'à 21 degrés", "fr"),
    ("Sube la calefacción de la sala 5 hasta 21 grados", "es"),
    ("¿puedes apagar la bomba 2?", "es"), ("koelcel 4 op min 20 zetten", "nl"),
    ("kun je pomp 2 uitzetten?", "nl"), ("set dosing pump DP-3 flow to 2.5 l/min", "en"),
    ("Schalten Sie Pumpe 2 aus", "de"), ("bitte schalte Pumpe 2 aus", "de"),
    ("ich möchte Pumpe 2 ausschalten", "de"), ("I want pump 2 off", "en"),
    ("could you turn off pump 2", "en"), ("vite, ferme la vanne 4", "fr"),
    ("maintenant ouvre la vanne 4", "fr"), ("por favor abre la válvula 4", "es"),
    ("ahora apaga la bomba 2", "es"), ("nu zet pomp 2 uit", "nl"),
    ("Juan, apaga la bomba 2", "es"), ("go ahead and turn on pump 2", "en"),
    ("s'il te plaît, éteins la pompe 2", "fr"), ("please close valve 4 and shutter 1", "en"),
    ("pon la cámara 3 a menos 18 grados", "es"),
    ("pon el termostato de la cámara 3 en menos veinte grados", "es"),
    ("Wären Sie so freundlich, Pumpe 2 auszuschalten? Danke.", "de"),
    ("¿Sería tan amable de apagar la bomba 2? Gracias", "es"),
    ("Auriez-vous l'amabilité d'éteindre la pompe 2 ?", "fr"),
    ("euh coupe la pompe 2", "fr"), ("pues apaga la bomba 2", "es"),
    ("eh zet pomp 2 uit", "nl"), ("hola, apaga la bomba 2", "es"),
    ("turn off pump 2 and valve 3", "en"), ("close the awning on kitchen 6", "en"),
    ("zet voerband 6 op 7,4 procent open", "nl"), ("turn it on now and thanks", "en"),
])
def test_plain_and_polite_commands_with_a_target_are_not_held_back(text: str,
                                                                   lang: str) -> None:
    """A target after "up to", "bis", "jusqu'à", "hasta"; "Guten Morgen"; "at once"; a
    question mark after "can you", "vous pouvez", "kun je", "Wären Sie so freundlich", "¿Sería
    tan amable", "Auriez-vous l'amabilité"; "min 20", "a menos 18 grados" (a minus); a filler
    or greeting before the imperative ("euh", "pues", "eh", "hola"); an imperative
    after "bitte", "vite", "ahora", "nu", or with "Sie"; a vocative ("Juan, ..."); a wish of
    one's own ("ich möchte"): none holds a command back."""
    assert held_back(text, lang) is None


@pytest.mark.parametrize(("text", "device"), [
    ("Nanogate apaga la bomba 2", "pump-2"), ("Nanogate ouvre la vanne 4", "valve-4"),
    ("Nanogate zet pomp 2 uit", "pump-2"), ("nanogate cierra la válvula 4", "valve-4"),
    ("hey nanogate, éteins la pompe 2", "pump-2"), ("Nanogate turn off pump 2", "pump-2"),
])
def test_the_gateway_addressed_by_name_is_given_the_command(text: str, device: str) -> None:
    """"Nanogate apaga la bomba 2": the gateway's own name before a French, Spanish or Dutch
    command, where the verb is spelt as a report's, is who is asked, not who acts: the command
    is carried out here, as in English."""
    decision = Triage(registry_of()).classify(text)
    assert (decision.intent, decision.route, decision.slots.devices) == (
        "set_actuator", "local", (device,))


@pytest.mark.parametrize("text", ["Juan apaga la bomba 2", "la passerelle ouvre la vanne 4",
                                  "Nanogate turns off pump 2", "Nanogate schaltet Pumpe 2 aus"])
def test_someone_else_or_the_gateway_with_an_article_still_reports(bare: Triage,
                                                                   text: str) -> None:
    """A person's name, "la passerelle" with its article, and a verb spelt only as a report
    ("turns", "schaltet") still say what someone does: nothing is done here."""
    assert bare.classify(text).route == "escalate"
