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
    "en": re.compile(r"\bby\s+[-+]?\d|" + _MORE.format(
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
    "nl": r"\b(?:een (?:beetje|tikje)|iets)\b",
}
for _code, _words in _SOME.items():
    _RELATIVE[_code] = re.compile(_RELATIVE[_code].pattern + "|" + _words)
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
    turned off pump 2"), or None. English counts in every language, as requests mix it in."""
    low = text.lower()
    for name, table in (("negated", _NEGATION), ("relative", _RELATIVE),
                        ("reported", _REPORTED)):
        for code in dict.fromkeys((lang, "en")):
            pattern = table.get(code)
            if pattern is not None and pattern.search(low):
                return name
    return None
