"""Questions the gateway does not answer from one reading: rankings, forecasts, a question
that also gives a command, and how or what to do, in five languages
(``edge_agent.triage.questions``)."""

from __future__ import annotations

import pytest

from edge_agent.triage import Triage
from edge_agent.triage.questions import beyond_a_reading
from tests.support.plant import registry_of


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The shipped model over the plant's registry: a named device may be read below the
    threshold there (``floors``), so only an escalated intent keeps a question off it."""
    return Triage(registry_of())


@pytest.mark.parametrize(("text", "why"), [
    ("which barn is the warmest right now?", "ranking"),
    ("welche Kühlzelle ist gerade am kältesten", "ranking"),
    ("quelle serre est la plus humide en ce moment ?", "ranking"),
    ("¿qué cámara está más fría ahora?", "ranking"),
    ("welke stal is nu het warmste?", "ranking"),
    ("which pump ran longest yesterday?", "ranking"),
    ("will the water in tank 1 last until Friday?", "forecast"),
    ("reicht das Futter im Silo 2 noch bis Montag?", "forecast"),
    ("y a-t-il assez d'eau dans la cuve 1 pour demain ?", "forecast"),
    ("¿hay suficiente pienso en el silo 3 hasta el lunes?", "forecast"),
    ("is er genoeg water in tank 1 voor morgen?", "forecast"),
    ("estimate how long silo 2 lasts at this rate", "forecast"),
    ("kannst du schätzen, wann Tank 1 leer ist?", "forecast"),
    ("will it rain tomorrow at the north site?", "forecast"),
    ("gaat het morgen regenen in Gent?", "forecast"),
    ("wie kalt wird es morgen früh im Stall 2?", "forecast"),
    ("¿qué temperatura habrá mañana en el invernadero 2?", "forecast"),
    ("which cold room is furthest from its set point?", "ranking"),
    ("welke koelcel zit het verst van zijn setpoint af?", "ranking"),
    ("which barn used the most water this month?", "ranking"),
    ("cuál de las tres naves ha gastado más agua este mes", "ranking"),
    ("welcher Stall hat diese Woche mehr Wasser verbraucht?", "ranking"),
    ("what's the pressure on pump 2, and switch off pump 5", "order"),
    ("wie ist der Druck an Pumpe 2? und schalte bitte Pumpe 5 aus", "order"),
    ("quelle est la pression de la pompe 2, et éteins la pompe 5", "order"),
    ("¿cuál es la presión de la bomba 2? y apaga la bomba 5", "order"),
    ("wat is de druk van pomp 2 en zet pomp 5 uit", "order"),
    ("how do I bleed the circulation pump on line 2?", "advice"),
    ("wie entlüfte ich die Umwälzpumpe im Keller?", "advice"),
    ("comment purger la pompe de circulation 3 ?", "advice"),
    ("¿Cómo se purga la bomba de circulación 3?", "advice"),
    ("Hoe ontlucht ik de circulatiepomp van zone 2?", "advice"),
    ("the milk tank temperature looks odd, what do we do?", "advice"),
    ("la temperatura del tanque de leche está rara, ¿qué hacemos?", "advice"),
    ("die Temperatur im Milchtank ist komisch, was tun wir?", "advice"),
    ("de temperatuur van de melktank is raar, wat moeten we doen?", "advice"),
    ("oxygen in pond 2 is at 3.1 mg/l, should I add more aeration?", "advice"),
    ("el oxígeno del estanque 4 marca 3 mg/l, ¿tenemos que airear más?", "advice"),
    ("moet ik de beluchting in vijver 2 opvoeren bij 3 mg/l zuurstof?", "advice"),
    ("was steht gerade auf Störung im Kesselhaus, und woran liegt das?", "advice"),
    ("interprète-moi les alarmes de la chaufferie", "advice"),
    ("why is there an alarm on pump 2?", "advice"),
    # fresh10's wrong local answers, read after it was scored (2026-12-08)
    ("Laquelle des chambres froides a le plus consommé ce mois-ci ?", "ranking"),
    ("Welke koelcel verbruikt het meeste stroom?", "ranking"),
    ("Il va geler cette nuit sur le parc, tu crois ?", "advice"),
    ("glaubst du, das Silo 3 reicht noch?", "advice"),
    ("Rolltor 4 noch nicht öffnen, da steht noch ein Stapler davor", "order"),
])
def test_rankings_forecasts_and_orders_escalate(triage: Triage, text: str, why: str) -> None:
    """Each is escalated, whatever intent the model reads: one reading would answer a
    comparison or a prediction wrong, or drop the command."""
    assert beyond_a_reading(text, "query_state") == why
    decision = triage.classify(text)
    assert (decision.intent, decision.route) == ("escalate", "escalate"), decision


@pytest.mark.parametrize(("text", "intent"), [
    ("what was the lowest temperature in zone 3 last night?", "query_history"),
    ("Quelle a été la température la plus basse de la cuve 2 cette nuit ?", "query_history"),
    ("¿Cuál fue la presión más alta en la línea 2 ayer?", "query_history"),
    ("what is the most recent reading of t-104?", "query_state"),
    ("quelle est la mesure la plus récente de la sonde t-104 ?", "query_state"),
    ("when did pump 2 last start and stop?", "query_history"),
    ("any alarms on the highest floor?", "list_alerts"),
    ("turn off pump 2 and switch off pump 5", "set_actuator"),
    ("what are the temperature and set point in zone 3?", "query_state"),
    ("is the door to zone 3 closed, open or locked?", "query_state"),
    ("wie warm war es heute Morgen im Stall 2?", "query_history"),
    ("Guten Morgen, wie warm ist es im Stall 2?", "query_state"),
    ("¿cuál fue la temperatura del silo 3 esta mañana?", "query_history"),
    ("wat was de temperatuur in stal 2 deze morgen?", "query_history"),
    ("welche Fühler melden seit gestern nichts mehr?", "query_history"),
    ("welke sensoren reageren niet meer sinds gisteren?", "query_history"),
    ("quelle sonde n'envoie plus de mesures depuis hier ?", "query_history"),
    ("which sensor hasn't sent any more readings since noon?", "query_history"),
    ("what is the most recent reading of t-104 and where is it?", "query_state"),
    ("how do I know if pump 2 is running?", "query_state"),
    ("comment va la pompe 3 ?", "query_state"),
    ("¿cómo está la bomba 3?", "query_state"),
    ("¿cómo se encuentra la bomba 3?", "query_state"),
    ("wie warm ist es in Zone 3?", "query_state"),
    ("hoe warm is het in zone 3?", "query_state"),
    ("hoe staat pomp 2 erbij?", "query_state"),
    ("is de sectionaaldeur 2 aan het sluiten", "query_state"),
    ("ist das Rolltor 4 noch am öffnen?", "query_state"),
    ("Rolltor 4: öffnen oder zu?", "query_state"),
])
def test_one_sensors_extreme_and_plain_requests_are_not_held(text: str, intent: str) -> None:
    """One sensor's maximum over a window, "most recent", a start and a stop, alerts and
    commands are what they seem: the rule leaves them to the model."""
    assert beyond_a_reading(text, intent) is None


@pytest.mark.parametrize("text", [
    "zijn er op dit moment temperatuurwaarschuwingen voor de koelcellen?",
    "gibt es gerade Temperaturwarnungen im Kühlhaus?",
    "sind Störmeldungen an der Pumpe 2 offen?",
])
def test_alerts_named_in_a_compound_are_no_reading(text: str) -> None:
    """"temperatuurwaarschuwingen" asks about alerts: read as a temperature question, it
    would be answered with a reading; it is held back, as the other questions here."""
    assert beyond_a_reading(text, "query_state") == "alerts"
