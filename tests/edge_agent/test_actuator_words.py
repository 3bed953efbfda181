"""Commands whose words do not fit the device they name move nothing: a verb its kind does not
take ("close pump 2"), a word after its name the gateway does not know ("pump 2 north"), a
value said with a magnitude or a unit it does not take. Each gets a question or a refusal in
the request's language, read by the shipped model over a real registry, SQLite journal and the
actuation policy; plain commands in the same words still act."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.errors import PolicyViolation
from edge_agent.floors import answer_here_after_all
from edge_agent.kind_names import kind_name
from edge_agent.policy import ActuationPolicy, Rule
from edge_agent.registry import Device
from edge_agent.skill_result import SkillResult
from edge_agent.triage import Triage
from tests.support.plant import Plant, registry_of


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model over the plant's registry (slow to load: once per module)."""
    return Triage(registry_of())


def _ask(plant: Plant, triage: Triage, text: str) -> SkillResult:
    """What the gateway answers itself, as ``AskHandler`` decides it (the request must be
    one it answers here)."""
    decision = triage.classify(text)
    assert decision.route == "local" or answer_here_after_all(decision, plant.skills), decision
    return plant.skills.answer(decision, key=f"rq-{text}")


WRONG_VERB = [
    ("close pump 2", "Refused: pump-2 is a pump: it is switched on or off, not opened or "
                     "closed."),
    ("open pump 2", "Refused: pump-2 is a pump: it is switched on or off, not opened or "
                    "closed."),
    ("schließe Pumpe 2", "Abgelehnt: pump-2 ist vom Typ Pumpe: es wird ein- oder "
                         "ausgeschaltet, nicht geöffnet oder geschlossen."),
    ("ferme la pompe 2", "Refusé : pump-2 est de type pompe : il se met en marche ou à "
                         "l'arrêt, il ne s'ouvre ni ne se ferme."),
    ("cierra la bomba 2", "Rechazado: pump-2 es de tipo bomba: se enciende o se apaga, no se "
                          "abre ni se cierra."),
    ("sluit pomp 2", "Geweigerd: pump-2 is van het type pomp: die gaat aan of uit, niet open "
                     "of dicht."),
    ("turn on valve 4", "Refused: valve-4 is a valve: it is opened or closed, not switched on "
                        "or off."),
    ("schalte Ventil 4 ein", "Abgelehnt: valve-4 ist vom Typ Ventil: es wird geöffnet oder "
                             "geschlossen, nicht ein- oder ausgeschaltet."),
    ("open fan 3", "Refused: fan-3 is a fan: it is switched on or off, not opened or closed."),
]


@pytest.mark.parametrize(("text", "says"), WRONG_VERB,
                         ids=[f"{i}-{t.split()[0]}" for i, (t, _) in enumerate(WRONG_VERB)])
def test_a_verb_the_devices_kind_does_not_take_is_refused(tmp_path: Path, triage: Triage,
                                                          text: str, says: str) -> None:
    """"close pump 2" is not sent as ``close`` to a pump, nor "turn on valve 4" as ``on`` to a
    valve: the reply says what the device takes, in the request's language."""
    plant = Plant(tmp_path)
    result = _ask(plant, triage, text)
    assert (result.answer, result.data["published"]) == (says, False)
    assert plant.sent == [] and plant.journal.count() == 0


@pytest.mark.parametrize(("text", "sent"), [
    ("turn off pump 2", ("pump-2", "off")), ("schalte Pumpe 2 ein", ("pump-2", "on")),
    ("ferme la vanne 4", ("valve-4", "close")), ("abre la válvula 4", ("valve-4", "open")),
    ("zet ventilator 3 uit", ("fan-3", 0.0)), ("keep pump 2 on", ("pump-2", "on")),
], ids=["en-pump", "de-pump", "fr-valve", "es-valve", "nl-fan", "keep"])
def test_the_words_a_kind_takes_still_act(tmp_path: Path, triage: Triage, text: str,
                                          sent: tuple[str, float | str]) -> None:
    """Pumps and fans are switched, valves opened and closed; "keep pump 2 on" asks for a
    state, as "pump 2 on" does, and is sent."""
    plant = Plant(tmp_path)
    result = _ask(plant, triage, text)
    assert plant.sent == [sent], result.answer


@pytest.mark.parametrize(("kind", "value", "allowed"), [
    ("gate valve", "on", False), ("gate valve", "close", True), ("heat pump", "open", False),
    ("relay", "on", True), ("relay", "open", True), ("", "close", True),
], ids=["gate-valve-on", "gate-valve-close", "heat-pump-open", "own-kind-on",
        "own-kind-open", "no-kind"])
def test_a_kind_is_read_by_its_last_word_and_an_unknown_kind_takes_both(
        kind: str, value: str, allowed: bool) -> None:
    """"gate valve" opens and closes, "heat pump" is switched; a kind of the site's own, or
    none, takes either pair, as every switch did before kinds counted."""
    policy = ActuationPolicy([Rule("a-1", "switch", kind=kind)])
    if allowed:
        assert policy.check("a-1", value, "local") == value
    else:
        with pytest.raises(PolicyViolation):
            policy.check("a-1", value, "local")


QUALIFIED = [
    ("pump 2 north", "There is no pump 2 north here. Pumps: pump-2 (line 2)"),
    ("turn off pump 2 north side", "There is no pump 2 north side here. Pumps: pump-2"),
    ("turn off pump 2 of the north building", "There is no pump 2 of the north building"),
    ("Pumpe 2 Reserve ausschalten", "„Pumpe 2 Reserve“ gibt es hier nicht. Aktoren vom Typ "
                                    "Pumpe: pump-2 (line 2)"),
    ("éteins la pompe 2 nord", "Il n'y a pas de pompe 2 nord ici."),
    ("apaga la bomba 2 de reserva", "Aquí no hay bomba 2 de reserva."),
    ("zet pomp 2 reserve uit", "‘pomp 2 reserve’ is er hier niet."),
]


@pytest.mark.parametrize(("text", "opens"), QUALIFIED,
                         ids=[f"{i}-{t.split()[0]}" for i, (t, _) in enumerate(QUALIFIED)])
def test_a_word_after_a_name_that_the_gateway_lacks_is_a_question(
        tmp_path: Path, triage: Triage, text: str, opens: str) -> None:
    """"pump 2 north" is not pump 2, as "the north pump 2" is not: a question in the request's
    language that lists the pumps, and nothing moves."""
    plant = Plant(tmp_path)
    result = _ask(plant, triage, text)
    assert result.data["clarify"] is True and result.answer.startswith(opens), result.answer
    assert plant.sent == []


@pytest.mark.parametrize("text", [
    "turn pump 2 back on", "turn off pump 2 immediately", "schalte Pumpe 2 sofort aus",
    "éteins la pompe 2 immédiatement", "apaga la bomba 2 ya", "zet pomp 2 meteen uit",
    "pump 2 off please", "turn off pump 2 on line 2",
], ids=["back", "immediately", "sofort", "immediatement", "ya", "meteen", "please", "area"])
def test_how_and_where_after_a_name_are_no_qualifier(tmp_path: Path, triage: Triage,
                                                     text: str) -> None:
    """Words that say how or when ("back", "sofort", "meteen") or the device's own area after
    its name leave the command as it is."""
    plant = Plant(tmp_path)
    result = _ask(plant, triage, text)
    assert len(plant.sent) == 1 and plant.sent[0][0] == "pump-2", result.answer


@pytest.mark.parametrize(("text", "says"), [
    ("set fan 3 to fifty-five thousand", "Refused: 55000 is outside the allowed range of "
                                         "fan-3 (0 to 100)."),
    ("set fan 3 to 5 mil", "Refused: 5000 is outside the allowed range of fan-3 (0 to 100)."),
    ("set fan 3 to 50 litres", "fan-3 is set in %, not in l; say the value in %. Nothing was "
                               "sent."),
    ("set fan 3 to 50‰", "fan-3 is set in %, not in ‰; say the value in %. Nothing was sent."),
    ("set fan 3 to half past", "Refused: say what to set fan-3 to."),
], ids=["thousand", "mil", "litres", "per-mille", "half-past"])
def test_a_number_is_read_with_its_magnitude_and_unit(tmp_path: Path, triage: Triage,
                                                      text: str, says: str) -> None:
    """"fifty-five thousand" is 55000, not 55; "50 litres" and "50‰" are not 50 %; "half
    past" is a time, not half: each is refused, and nothing moves."""
    plant = Plant(tmp_path)
    assert _ask(plant, triage, text).answer == says
    assert plant.sent == []


@pytest.mark.parametrize(("lang", "pump", "sluice"), [
    ("en", "pump", "sluice"), ("de", "Pumpe", "„sluice“"), ("fr", "pompe", "« sluice »"),
    ("es", "bomba", "«sluice»"), ("nl", "pomp", "‘sluice’"),
])
def test_kinds_are_named_in_the_replys_language(lang: str, pump: str, sluice: str) -> None:
    """A kind the catalogue knows is translated; one it does not know is the registry's word,
    quoted so it reads as a name."""
    assert (kind_name("pump", lang), kind_name("sluice", lang)) == (pump, sluice)


def test_a_listing_names_kinds_in_the_requests_language(tmp_path: Path, triage: Triage) -> None:
    """"welche Aktoren gibt es" lists the devices with their kinds in German; a kind of the
    site's own stays as the registry spells it, quoted."""
    plant = Plant(tmp_path)
    plant.registry.add(Device("s-1", "actuator", "sluice", "tank 1"))
    answer = _ask(plant, triage, "liste alle Geräte").answer
    assert "pump-2 (Aktor, Pumpe, line 2)" in answer and "t-104 (Sensor, Temperatur" in answer
    assert "s-1 (Aktor, „sluice“, tank 1)" in answer
