"""Message catalogues: what the gateway says in each language triage understands.

``say(key, lang, **fields)`` formats one message of the catalogue in the request's language
(``Decision.lang``), falling back to English for a language or key a catalogue lacks. Keys name
the situation, not the sentence, so a skill asks for ``clarify_device`` and the German user
reads "Welches Gerät oder welchen Bereich meinen Sie?". Fields are filled with ``str.format``;
a missing field leaves its ``{name}`` in the text rather than failing a reply.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from edge_agent.policy_messages import POLICY_MESSAGES
from edge_agent.skill_messages import SKILL_MESSAGES

FALLBACK = "en"

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "clarify_device": "Which device or area do you mean?",
        "clarify_history": "Which sensor's history do you mean?",
        "clarify_actuator": "Which actuator should I change ({names})?",
        "unknown_names": "I don't know {names}.",
        "known_names": "Known: {names}.",
        "none_yet": "none yet",
        "refused": "Refused: {reason}.",
        "done_set": "Done: {device} set to {value}.",
        "devices": "{count} devices: {items}.",
        "no_devices": "No devices yet.",
        "no_alerts": "No active alerts.",
        "alerts": "{count} active alerts: {items}",
        "alerts_one": "1 active alert: {items}",
        "devices_one": "1 device: {items}.",
        "state": "{device} is {value} ({age} ago)",
        "state_undated": "{device} is {value} (time unknown)",
        "not_reported": "{device} has not reported yet",
        "reading": "{device} is {value} ({age} ago)",
        "reading_undated": "{device} is {value} (time of reading unknown)",
        "no_readings": "{device} has no readings in the last {window}",
        "around": "{device} was {mean} {unit} around {clock} ({count} readings)",
        "none_around": "{device} has no readings around {clock}",
        "averaged": "{device} averaged {mean} {unit} over the last {window} "
                    "(min {low}, max {high}, {count} readings)",
        "averaged_one": "{device} averaged {mean} {unit} over the last {window} "
                        "(min {low}, max {high}, {count} reading)",
        "silent": "{device} silent for {age}",
        "high": "{device} high: {value} > {limit} {unit}",
        "low": "{device} low: {value} < {limit} {unit}",
        "escalated": "I have passed your question to the cloud; the answer follows.",
    },
    "de": {
        "clarify_device": "Welches Gerät oder welchen Bereich meinen Sie?",
        "clarify_history": "Den Verlauf welches Sensors meinen Sie?",
        "clarify_actuator": "Welchen Aktor soll ich ändern ({names})?",
        "unknown_names": "Ich kenne {names} nicht.",
        "known_names": "Bekannt: {names}.",
        "none_yet": "noch keine",
        "refused": "Abgelehnt: {reason}.",
        "done_set": "Erledigt: {device} steht auf {value}.",
        "devices": "{count} Geräte: {items}.",
        "no_devices": "Noch keine Geräte.",
        "no_alerts": "Keine aktiven Alarme.",
        "alerts": "{count} aktive Alarme: {items}",
        "alerts_one": "1 aktiver Alarm: {items}",
        "devices_one": "1 Gerät: {items}.",
        "state": "{device} steht auf {value} (vor {age})",
        "state_undated": "{device} steht auf {value} (Zeitpunkt unbekannt)",
        "not_reported": "{device} hat noch nichts gemeldet",
        "reading": "{device} misst {value} (vor {age})",
        "reading_undated": "{device} misst {value} (Zeitpunkt unbekannt)",
        "no_readings": "{device} hat in den letzten {window} keine Messwerte",
        "around": "{device} lag gegen {clock} bei {mean} {unit} ({count} Messwerte)",
        "none_around": "{device} hat gegen {clock} keine Messwerte",
        "averaged": "{device} lag in den letzten {window} im Mittel bei {mean} {unit} "
                    "(min {low}, max {high}, {count} Messwerte)",
        "averaged_one": "{device} lag in den letzten {window} im Mittel bei {mean} {unit} "
                        "(min {low}, max {high}, {count} Messwert)",
        "silent": "{device} schweigt seit {age}",
        "high": "{device} zu hoch: {value} > {limit} {unit}",
        "low": "{device} zu niedrig: {value} < {limit} {unit}",
        "escalated": "Ich habe Ihre Frage an die Cloud weitergegeben; die Antwort folgt.",
    },
    "fr": {
        "clarify_device": "De quel appareil ou de quelle zone parlez-vous ?",
        "clarify_history": "L'historique de quel capteur voulez-vous ?",
        "clarify_actuator": "Quel actionneur dois-je modifier ({names}) ?",
        "unknown_names": "Je ne connais pas {names}.",
        "known_names": "Connus : {names}.",
        "none_yet": "aucun pour l'instant",
        "refused": "Refusé : {reason}.",
        "done_set": "C'est fait : {device} réglé sur {value}.",
        "devices": "{count} appareils : {items}.",
        "no_devices": "Aucun appareil pour l'instant.",
        "no_alerts": "Aucune alarme active.",
        "alerts": "{count} alarmes actives : {items}",
        "alerts_one": "1 alarme active : {items}",
        "devices_one": "1 appareil : {items}.",
        "state": "{device} : {value} (il y a {age})",
        "state_undated": "{device} : {value} (heure inconnue)",
        "not_reported": "{device} n'a encore rien envoyé",
        "reading": "{device} indique {value} (il y a {age})",
        "reading_undated": "{device} indique {value} (heure de la mesure inconnue)",
        "no_readings": "{device} n'a aucune mesure sur les dernières {window}",
        "around": "{device} indiquait {mean} {unit} vers {clock} ({count} mesures)",
        "none_around": "{device} n'a aucune mesure vers {clock}",
        "averaged": "{device} : moyenne {mean} {unit} sur les dernières {window} "
                    "(min {low}, max {high}, {count} mesures)",
        "averaged_one": "{device} : moyenne {mean} {unit} sur les dernières {window} "
                        "(min {low}, max {high}, {count} mesure)",
        "silent": "{device} muet depuis {age}",
        "high": "{device} trop haut : {value} > {limit} {unit}",
        "low": "{device} trop bas : {value} < {limit} {unit}",
        "escalated": "J'ai transmis votre question au cloud ; la réponse suit.",
    },
    "es": {
        "clarify_device": "¿A qué dispositivo o zona se refiere?",
        "clarify_history": "¿El historial de qué sensor quiere?",
        "clarify_actuator": "¿Qué actuador debo cambiar ({names})?",
        "unknown_names": "No conozco {names}.",
        "known_names": "Conocidos: {names}.",
        "none_yet": "ninguno todavía",
        "refused": "Rechazado: {reason}.",
        "done_set": "Hecho: {device} puesto a {value}.",
        "devices": "{count} dispositivos: {items}.",
        "no_devices": "Todavía no hay dispositivos.",
        "no_alerts": "No hay alarmas activas.",
        "alerts": "{count} alarmas activas: {items}",
        "alerts_one": "1 alarma activa: {items}",
        "devices_one": "1 dispositivo: {items}.",
        "state": "{device}: {value} (hace {age})",
        "state_undated": "{device}: {value} (hora desconocida)",
        "not_reported": "{device} todavía no ha informado",
        "reading": "{device} marca {value} (hace {age})",
        "reading_undated": "{device} marca {value} (hora de la lectura desconocida)",
        "no_readings": "{device} no tiene lecturas en las últimas {window}",
        "around": "{device} marcaba {mean} {unit} hacia las {clock} ({count} lecturas)",
        "none_around": "{device} no tiene lecturas hacia las {clock}",
        "averaged": "{device} promedió {mean} {unit} en las últimas {window} "
                    "(mín {low}, máx {high}, {count} lecturas)",
        "averaged_one": "{device} promedió {mean} {unit} en las últimas {window} "
                        "(mín {low}, máx {high}, {count} lectura)",
        "silent": "{device} sin datos desde hace {age}",
        "high": "{device} alto: {value} > {limit} {unit}",
        "low": "{device} bajo: {value} < {limit} {unit}",
        "escalated": "He pasado su pregunta a la nube; la respuesta llegará enseguida.",
    },
    "nl": {
        "clarify_device": "Welk apparaat of welke zone bedoelt u?",
        "clarify_history": "Van welke sensor wilt u de geschiedenis?",
        "clarify_actuator": "Welke actuator moet ik aanpassen ({names})?",
        "unknown_names": "Ik ken {names} niet.",
        "known_names": "Bekend: {names}.",
        "none_yet": "nog geen",
        "refused": "Geweigerd: {reason}.",
        "done_set": "Klaar: {device} staat op {value}.",
        "devices": "{count} apparaten: {items}.",
        "no_devices": "Nog geen apparaten.",
        "no_alerts": "Geen actieve alarmen.",
        "alerts": "{count} actieve alarmen: {items}",
        "alerts_one": "1 actief alarm: {items}",
        "devices_one": "1 apparaat: {items}.",
        "state": "{device} staat op {value} ({age} geleden)",
        "state_undated": "{device} staat op {value} (tijdstip onbekend)",
        "not_reported": "{device} heeft nog niets gemeld",
        "reading": "{device} meet {value} ({age} geleden)",
        "reading_undated": "{device} meet {value} (tijdstip onbekend)",
        "no_readings": "{device} heeft geen metingen in de laatste {window}",
        "around": "{device} was {mean} {unit} rond {clock} ({count} metingen)",
        "none_around": "{device} heeft geen metingen rond {clock}",
        "averaged": "{device} was gemiddeld {mean} {unit} in de laatste {window} "
                    "(min {low}, max {high}, {count} metingen)",
        "averaged_one": "{device} was gemiddeld {mean} {unit} in de laatste {window} "
                        "(min {low}, max {high}, {count} meting)",
        "silent": "{device} stil sinds {age}",
        "high": "{device} te hoog: {value} > {limit} {unit}",
        "low": "{device} te laag: {value} < {limit} {unit}",
        "escalated": "Ik heb uw vraag aan de cloud doorgegeven; het antwoord volgt.",
    },
}


for _extra_catalogues in (SKILL_MESSAGES, POLICY_MESSAGES):  # skills', resolver's, policy's
    for _lang, _extra in _extra_catalogues.items():
        CATALOGUES.setdefault(_lang, {}).update(_extra)


class _Keep(dict[str, object]):
    """Format fields; an unknown field stays as ``{name}`` instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_FORMATTER = string.Formatter()


def say(key: str, lang: str = FALLBACK, /, **fields: object) -> str:
    """The message ``key`` in ``lang`` (English when missing), with ``fields`` filled in."""
    template = CATALOGUES.get(lang, {}).get(key) or CATALOGUES[FALLBACK].get(key)
    if template is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    return _FORMATTER.vformat(template, (), _Keep(fields))


def say_count(key: str, lang: str, count: int, /, **fields: object) -> str:
    """``say`` for a message about ``count`` things: ``<key>_one`` when there is one."""
    return say(f"{key}_one" if count == 1 else key, lang, count=count, **fields)


def languages() -> tuple[str, ...]:
    """The languages with a catalogue."""
    return tuple(CATALOGUES)


def missing(catalogues: Mapping[str, Mapping[str, str]] = CATALOGUES) -> dict[str, list[str]]:
    """Keys each catalogue lacks against English (empty lists when all are complete)."""
    keys = set(catalogues[FALLBACK])
    return {lang: sorted(keys - set(cat)) for lang, cat in catalogues.items()}
