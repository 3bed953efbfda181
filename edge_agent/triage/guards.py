"""Commands the gateway must not carry out as the model reads them: negated and relative ones.

The model knows intents, not meaning: "don't turn off pump 2", "Pumpe 2 nicht ausschalten"
and "zet pomp 2 niet uit" are ``set_actuator`` with the value "off" at 0.90, and "increase fan
3 by 10%" is "set fan 3 to 10 %". Carried out locally, each would do the opposite of, or
something other than, what was asked. Such a command escalates: a cloud model reads the
negation, or works out the new value from the current one, and its proposal goes through the
actuation policy like any other.
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


def held_back(text: str, lang: str) -> str | None:
    """Why a command must not run on the gateway as read: ``negated`` ("don't turn off pump
    2"), ``relative`` ("increase fan 3 by 10%"), or None. English counts in every language,
    as requests mix it in."""
    low = text.lower()
    for name, table in (("negated", _NEGATION), ("relative", _RELATIVE)):
        for code in dict.fromkeys((lang, "en")):
            pattern = table.get(code)
            if pattern is not None and pattern.search(low):
                return name
    return None
