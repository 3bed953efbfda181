"""Commands the gateway must not carry out as the model reads them: negated, relative and
reported ones.

The model knows intents, not meaning: "don't turn off pump 2", "Pumpe 2 nicht ausschalten"
and "zet pomp 2 niet uit" are ``set_actuator`` with the value "off" at 0.90, and "increase fan
3 by 10%" is "set fan 3 to 10 %". Carried out locally, each would do the opposite of, or
something other than, what was asked. "I turned off pump 2" reports what someone did, and
"open valve 4 a bit" asks for a change by an amount nobody named: carried out, the first
would repeat a switch nobody asked for. Such a command escalates: a cloud model reads the
negation, the report or the amount, and its proposal goes through the actuation policy like
any other.
"""

from __future__ import annotations

import re

from edge_agent.triage import slot_words

_APOSTROPHE = "['’]"
_NEGATION: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:not|never|cannot|(?:do|does|did|should|must|would|could|ca|wo|is|are|was|were)n"
        + _APOSTROPHE + r"?t)\b"),
    "de": re.compile(r"\b(?:nicht|nie|niemals|keine?[nmrs]?)\b"),
    # "ne-2" and "no. 2" are names and numbers, not negations
    "fr": re.compile(r"\b(?:pas|jamais)\b|\bne\b(?![-\d])|\bn" + _APOSTROPHE + r"(?=\w)"),
    "es": re.compile(r"\b(?:nunca|jamás)\b|\bno\b(?![.º°]|\s*\d)"),
    "nl": re.compile(r"\b(?:niet|nooit|geen)\b"),
}
# "by 10 %", "um 5 Grad", "met 10 %", "de 10 %" / "en 2 grados" after a word that raises or
# lowers, "un 10 %", and "2 degrees more" ("2 grados más", "2 Grad mehr") in each language
_MORE = r"\b\d+(?:[.,]\d+)?\s*(?:%|\w+\.?)?\s*(?:{})\b"
_RELATIVE: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\bby\s+(?:[-+]?\d|(?:a\s+)?(?:few|couple|several)\b)|" + _MORE.format(
        "more|less|higher|lower|warmer|cooler|colder")),
    "de": re.compile(r"\bum\s+[-+]?\d|" + _MORE.format("mehr|weniger|höher|niedriger")),
    "fr": re.compile(r"\b(?:augment|baiss|diminu|rédui|redui|réduis|mont|descend|hauss)\w*\b"
                     r".*\bde\s+[-+]?\d|" + _MORE.format("de plus|de moins|plus|moins")),
    "es": re.compile(r"\b(?:sub|baj|aument|disminu|reduc|reduz|increment)\w*\b"
                     r".*\b(?:en\s+|un\s+)(?:un\s+)?[-+]?\d|" + _MORE.format("más|mas|menos")),
    "nl": re.compile(r"\bmet\s+[-+]?\d|" + _MORE.format("meer|minder|hoger|lager")),
}
# "a bit", "slightly", "ein bisschen", "un peu", "un poco", "een beetje": by how much is not said
_SOME = {
    "en": r"\b(?:a (?:bit|little|tad|touch)|slightly|somewhat|a notch)\b",
    "de": r"\b(?:(?:ein )?(?:bisschen|wenig|bissel|stück)|etwas|leicht)\b",
    "fr": r"\b(?:un (?:peu|chouia)|légèrement|legerement)\b",
    "es": r"\b(?:un (?:poco|poquito)|ligeramente|algo)\b",
    "nl": r"\b(?:een (?:beetje|tikje)|iets|wat (?:hoger|lager|meer|minder|warmer|kouder|verder))\b",
}
for _code, _words in _SOME.items():
    _RELATIVE[_code] = re.compile(_RELATIVE[_code].pattern + "|" + _words)
# A change by an amount without "by": "turn fan 3 up 10%", "turn the heater up 2 degrees",
# "Lüfter 3 10 % runter", "baja el ventilador 3 10 %", "fan 3 +10%". A number with a unit is
# a target only after "to", "auf", "à", "al", "op" ...; after a word that raises or lowers, or
# signed, it is a step. The direction words of every language count in each.
_DIRECTION = re.compile(
    r"\b(?:up|down|raise|increase|decrease|lower|reduce|boost|bump|crank|drop|nudge|"
    r"hoch\w*|runter\w*|herunter\w*|rauf\w*|herauf\w*|erh[öo]h\w*|senk\w*|reduzier\w*|"
    r"verringer\w*|steiger\w*|augment\w*|baiss\w*|diminu\w*|r[ée]dui\w*|monte[rsz]?|"
    r"descend\w*|hausse[rsz]?|sube|subir|subid\w*|baja|bajar|aument\w*|disminu\w*|"
    r"reduc\w*|increment\w*|omhoog|omlaag|hoger|lager|verhoog\w*|verlaag\w*)\b")
_STEP = re.compile(
    r"(?<![\w.,])([-+]?)\d+(?:[.,]\d+)?\s*(?:%|°|percent\b|per\s*cent\b|prozent\b|"
    r"pour\s*cent\b|pourcent\b|por\s*ciento\b|procent\b|degrees?\b|deg\b|grad\b|grados?\b|"
    r"degr[ée]s?\b|graden\b|[cfk]\b|bar\b|rpm\b)")
_TARGET = frozenset(("to", "at", "till", "=", "auf", "bei", "bis", "à", "a", "sur", "al",
                     "hasta", "op", "naar", "tot"))


_DIRECTION_BY = re.compile(_DIRECTION.pattern + r"\s+[-+]?\d")  # "fan 3 up 10"


def _stepped(low: str) -> bool:
    """Whether a number is a step, not a target ("up 10%", "+10%", "fan 3 up 10"); after a
    target word it never is ("to -18 °C")."""
    if _DIRECTION_BY.search(low):
        return True
    for match in _STEP.finditer(low):
        before = low[:match.start()].split()
        if before and before[-1] in _TARGET:
            continue
        if match.group(1) or _DIRECTION.search(low):
            return True
    return False


# What someone did or what happened, not a command: "I turned off pump 2", "pump 2 was
# switched off", "ich habe Pumpe 2 ausgeschaltet", "j'ai éteint la pompe 2", "he apagado la
# bomba 2", "ik heb pomp 2 uitgezet".
_DID = r"(?:turned|switched|closed|opened|started|stopped|powered|killed)"
_DONE = r"(?:turned|switched|shut|closed|opened|started|stopped|set|put|powered|killed)"
_REPORTED: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:i|we|they|he|she|someone|somebody|operator)\s+(?:have\s+|had\s+|just\s+|"
        r"already\s+)*" + _DID + r"\b|\b(?:i|we|they|you)" + _APOSTROPHE + r"(?:ve|d)\s+"
        r"(?:just\s+|already\s+)?" + _DONE + r"\b|\b(?:was|were|has been|have been|got|is being)"
        r"\s+(?:just\s+|already\s+)?" + _DONE + r"\b"),
    "de": re.compile(r"\b(?:habe|hab|haben|hat|hatte|hatten|wurde|wurden|worden)\b"),
    "fr": re.compile(r"\b(?:j|on|nous|il|elle|ils|elles)\s*(?:" + _APOSTROPHE + r"\s*)?"
                     r"(?:ai|a|avons|ont)\s+\w+|\b(?:a|ont)\s+été\b"),
    "es": re.compile(r"\b(?:he|hemos|ha|han|habían|había)\s+\w+(?:ado|ido|ierto|cho)a?s?\b"
                     r"|\b(?:fue|fueron)\s+\w+(?:ado|ida|ido|ada)s?\b"),
    "nl": re.compile(r"\b(?:heb|hebben|heeft|had|hadden|werd|werden|is\s+\w+\s+ge\w+d)\b"),
}


def held_back(text: str, lang: str) -> str | None:
    """Why a command must not run on the gateway as read: ``negated`` ("don't turn off pump
    2"), ``relative`` ("increase fan 3 by 10%", "open valve 4 a bit"), ``reported`` ("I
    turned off pump 2"), or None. English counts in every language, as requests mix it in.
    Number words count as numbers: "by two degrees" is "by 2 degrees"."""
    low = slot_words.digits(text.lower(), lang)
    for name, table in (("negated", _NEGATION), ("relative", _RELATIVE),
                        ("reported", _REPORTED)):
        for code in dict.fromkeys((lang, "en")):
            pattern = table.get(code)
            if pattern is not None and pattern.search(low):
                return name
    return "relative" if _stepped(low) else None


# Questions the model takes for alerts questions that ask something else: which reading is
# highest ("which zone is warmest", "wo ist es am kältesten", "où fait-il le plus chaud") or
# what runs ("is anything running", "läuft irgendwas", "draait er iets"). Answered "no active
# alerts", they would be answered wrong; they escalate, with the readings as context.
_NOT_ALERTS = re.compile(
    r"\b(?:warmest|hottest|coldest|coolest|highest|lowest|wettest|driest|fullest|emptiest|"
    r"most humid|(?:am )?(?:w[äa]rmst|hei(?:ß|ss)est|k[äa]ltest|k[üu]hlst|h[öo]chst|niedrigst|"
    r"feuchtest|trockenst|vollst)\w*|(?:le|la|les|el|lo|los|las) (?:plus|m[áa]s|moins|menos)"
    r" \w+|(?:warmste|koudste|heetste|hoogste|laagste|vochtigste|droogste|volste)|"
    r"(?:anything|something|what(?:'s| is)?|which \w+ (?:is|are)) (?:running|on|switched on)|"
    r"l[äa]uft (?:irgend)?(?:was|etwas|gerade)|(?:quelque chose|quoi|qu'est-ce qui) "
    r"(?:tourne|marche|fonctionne)|(?:algo|qu[ée]) (?:est[áa] )?(?:funcionando|encendido|en "
    r"marcha)|(?:draait|loopt|werkt) er (?:iets|wat)|m[áa]s (?:caliente|fr[íi][oa]|calor|"
    r"alt[oa]|baj[oa]|h[úu]med[oa]|sec[oa]|llen[oa]))\b")
# A question with one of these words is about alerts whatever else it says ("any alarms on
# the highest floor").
_ALERT_WORDS = re.compile(
    r"\b(?:alarm|alert|warning|fault|error|incident|alarme|alerte|avertissement|d[ée]faut|"
    r"panne|st[öo]rung|warnung|fehler|meldung|alarma|alerta|aviso|fallo|aver[íi]a|storing|"
    r"melding|waarschuwing|fout)\w*")


def not_alerts(text: str) -> bool:
    """Whether a question the model reads as one about alerts compares readings or asks what
    runs ("which zone is warmest", "is anything running"), in any of the five languages."""
    low = text.lower()
    return _NOT_ALERTS.search(low) is not None and _ALERT_WORDS.search(low) is None
