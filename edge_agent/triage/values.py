"""Values and times a request says: a number and its unit, an on/off word, "halfway", "max",
the unit an answer is wanted in, a time window and a time of day.

``value`` reads a command's value or a question's unit from text whose names are blanked out
(``slots.SlotResolver``); ``window`` and ``clock`` find the time a question asks about and
blank it, so "last 2 hours" is no value and "at 2 pm" no device.
"""

from __future__ import annotations

import re
import time

from edge_agent.triage import languages, lexicon, slot_words
from edge_agent.triage.decision import Intent

# "open valve 4 halfway", "zur Hälfte", "à moitié", "a medias", "voor de helft": 50 %, which a
# switch refuses (it opens or closes fully) and a level actuator takes.
_HALF = re.compile(r"\b(?:half ?way|half(?!\s+(?:an?\s+|een\s+)?"
                   r"(?:hour|minute|day|uur|minuut|dag|past))|halb|halbwegs|zur halfte|a moitie|"
                   r"mi-course|a medias|a la mitad|halfweg|voor de helft)\b")
# "fan 3 to max", "auf volle Leistung", "à fond", "al máximo", "op vol": a level actuator's
# top of range (its bottom for "min"); a switch refuses them (policy.py).
_EXTREMES = (
    ("max", re.compile(r"\b(?:max|maximum|full (?:speed|power|blast)|the top|volle?n? "
                       r"(?:leistung|kraft|stufe|pulle|drehzahl)|vollgas|a fond|au maximum|"
                       r"al maximo|a tope|a toda potencia|maximaal|op vol|volle kracht)\b")),
    ("min", re.compile(r"\b(?:min|minimum|lowest setting|au minimum|al minimo|minimaal)\b")),
)
# A question's unit for the answer: "in fahrenheit", "en degrés Fahrenheit", "in Kelvin"
_AS_UNIT = re.compile(r"\b(?:in|en|auf)\s+(?:degrees?\s+|grad\s+|grados?\s+|degres?\s+"
                      r"|graden\s+)?(fahrenheit|kelvin|celsius)\b")
_AS = {"fahrenheit": "°F", "kelvin": "K", "celsius": "°C"}
_A_IS_TO = ("fr", "es")
# "55 thousand", "5 mil", "2 duizend": the number said is the digits times this, not the digits
_MAGNITUDE = re.compile(r"\s*(hundred|hundert|cent|cien|honderd|thousand|tausend|mille|mil"
                        r"|duizend|millions?|millionen|millón|millon|millones|miljoen)\b")
_TIMES = {"hundred": 1e2, "hundert": 1e2, "cent": 1e2, "cien": 1e2, "honderd": 1e2,
          "thousand": 1e3, "tausend": 1e3, "mille": 1e3, "mil": 1e3, "duizend": 1e3}


def is_unit(word: str, lang: str) -> bool:
    """Whether a word after a number is its unit: in French and Spanish "a" ("à") is "to"
    ("ventilateur 4 à 50 %" names fan 4, not 4 amperes)."""
    return word in lexicon.UNITS and not (word == "a" and lang in _A_IS_TO)


def window(text: str, now: float | None) -> tuple[float | None, str]:
    """Seconds in the time window the text names, and the text with the window blanked."""
    match = lexicon.WINDOW.search(text)
    if match:
        amount = match.group(1) or "1"
        count = 0.5 if amount.startswith("half") else (
            1.0 if amount in ("a", "an", "one") else float(amount))
        seconds = count * lexicon.unit_seconds(match.group(2))
    else:
        match = lexicon.CALENDAR.search(text)
        if not match:
            return None, text
        seconds = lexicon.calendar_seconds(match.group(1), time.time() if now is None else now)
    start, end = match.span()
    return seconds, text[:start] + " " * (end - start) + text[end:]


def clock(text: str, intent: Intent, now: float | None) -> tuple[float | None, str]:
    """For a question, the moment a time of day names ("at 2 pm"), and the text without it."""
    if intent not in ("query_state", "query_history"):
        return None, text
    clock = lexicon.clock_time(text, time.time() if now is None else now)
    if clock is None:
        return None, text
    at, said = clock
    start = text.index(said)
    return at, text[:start] + " " * len(said) + text[start + len(said):]


# A minus said in words or typed as a dash ("minus 18 degrees", "à moins 18 degrés", "a menos
# 18 grados", Dutch "min 18 graden", "-18 °C" with a typographic minus): the value is -18,
# never 18. "min" counts only before degrees, where it cannot be "minimum" (a bare Dutch "op
# min 20" is read as a name, "min 20", and gets a question).
_MINUS = re.compile(r"(?<![\w.,])(?:[−–‒]\s*|\b(?:minus|moins|menos)\s+|\bmin\s+"
                    r"(?=\d+(?:[.,]\d+)?\s*(?:degrees?|°)))(?=\d)")
# ... and so is "18 below zero", "18 Grad unter null", "18 degrés sous zéro", "18 grados bajo
# cero", "18 graden onder nul": the sign goes before the number, the words go.
_BELOW_ZERO = re.compile(
    r"(?<![\w.,-])(\d+(?:[.,]\d+)?\s*(?:degrees?|°\s*c?|c)?)\s*(?:below|unter|sous|bajo|onder)"
    r"\s+(?:zero|z[ée]ro|null|cero|nul|0|freezing|dem gefrierpunkt|het vriespunt)\b")


# A decimal point said as a word, as dictation writes it: "twenty one point five" (by then
# "21 point 5"), "21 Komma 5", "21 virgule 5", "21 coma 5", "21 punto 5", "21 komma 5".
_SPOKEN_POINT = re.compile(r"\b(\d+) (?:(point|punto)|komma|virgule|coma) (\d+)\b")
# Words without which each rewrite below has nothing to do.
_POINT_WORDS = ("point", "punto", "komma", "virgule", "coma")
_MINUS_WORDS = ("min", "moins", "menos", "−", "–", "‒")
_BELOW_WORDS = ("below", "unter", "sous", "bajo", "onder")


def signed(text: str) -> str:
    """The text with its numbers as digits write them: a negative one with its sign ("-18
    degrees"), a spoken decimal point as a point or comma ("21.5", "21,5"). The slot resolver
    applies it once, before a request is scanned; ``count`` and ``value`` read its result."""
    # Most requests hold none of these words: a substring test is cheaper than each regex.
    if any(word in text for word in _POINT_WORDS):
        text = _SPOKEN_POINT.sub(lambda m: f"{m[1]}{'.' if m[2] else ','}{m[3]}", text)
    if any(word in text for word in _MINUS_WORDS):
        text = _MINUS.sub("-", text)
    if any(word in text for word in _BELOW_WORDS):
        text = _BELOW_ZERO.sub(r"-\1", text)
    return text


# The separator that groups thousands in each language ("1,000 rpm", "1.000 U/min"); the other
# one is the decimal point ("21,5 Grad", "21.5 degrees").
_THOUSANDS = {"en": ",", "de": ".", "fr": ".", "es": ".", "nl": "."}


def _number(said: str, lang: str) -> float:
    """A number as the request's language writes it: "1,000" is a thousand in English and
    one in German, "1.000" the other way round; any other separator is the decimal point."""
    head, separator, tail = said.lstrip("-").partition(_THOUSANDS.get(lang, ","))
    if separator and len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0"):
        number = float(head + tail)
    else:
        number = float(said.lstrip("-").replace(",", "."))
    return -number if said.startswith("-") else number


def count(text: str) -> int:
    """How many different numbers a command says once names are blanked ("from 50 to 30")."""
    return len({match.group(1) for match in lexicon.VALUE.finditer(text)})


# A word that makes the number after it the value to set ("to 40", "auf 40", "zu 40", "à 40",
# "op 40"), or the next name of a list ("vents 1 and 2", "ventanas 1 y 2").
_TARGET_BEFORE = re.compile(r"\b(?:to|at|auf|bei|zu|à|a|al|sur|op|naar|tot|hasta"
                            r"|and|und|et|y|e|en|&)\s+$|[,&]\s*$")


def state_and_number(text: str, lang: str = languages.DEFAULT) -> bool:
    """Whether a command (names blanked) says a state and a bare number no target word
    introduces: "turn off fan 3 7" is "off", or 7 %, or fans 3 and 7; read as 7 % it set the
    fan it was to turn off."""
    if slot_words.switch(text, lang) is None:
        return False
    return any(not match.group(2) and not _TARGET_BEFORE.search(text[:match.start()])
               for match in lexicon.VALUE.finditer(text))


def value(text: str, intent: Intent,
           lang: str = languages.DEFAULT) -> tuple[float | str | None, str | None]:
    """A number with its unit; for actuator commands without a number, an on/off word
    (the request's language's first, then English); for questions without a number, the
    unit the answer is wanted in ("in fahrenheit")."""
    for match in lexicon.VALUE.finditer(text):
        said = match.group(2) or ""
        unit = lexicon.UNITS.get(said) if is_unit(said, lang) else None
        if unit or intent == "set_actuator":
            times = _MAGNITUDE.match(text, match.end())
            number = _number(match.group(1), lang)
            return number * (_TIMES.get(times.group(1), 1e6) if times else 1), unit
    if intent != "set_actuator":
        asked = _AS_UNIT.search(text)
        return None, _AS[asked.group(1)] if asked else None
    folded = slot_words.fold(text)
    if _HALF.search(folded):
        return 50.0, "%"
    said = slot_words.switch(text, lang)
    if said is not None:
        return said, None
    # after on/off: "switch off fan 3, it is at max" is "off"
    return next(((extreme, None) for extreme, pattern in _EXTREMES
                 if pattern.search(folded)), (None, None))


# Times a question may name that no window or time of day reads (accents folded, after the
# window and clock are blanked): a weekday ("last Tuesday", "mardi dernier"), a month ("in
# March"), "ago" without "last", a day before yesterday, and any future ("next 2 hours",
# "tomorrow", "prochaines heures"). "may" is left out: "may I ask" is no month.
_UNREAD_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch"
    r"|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|lunes|martes|miercoles|jueves|viernes|sabado|domingo|maandag|dinsdag|woensdag"
    r"|donderdag|vrijdag|zaterdag|zondag|january|february|march|april|june|july|august"
    r"|september|october|november|december|januar|februar|marz|juni|juli|oktober|dezember"
    r"|janvier|fevrier|mars|avril|juin|juillet|aout|septembre|octobre|novembre|decembre"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
    r"|diciembre|januari|februari|maart|mei|augustus|ago|geleden|vorgestern|avant-hier"
    r"|anteayer|eergisteren|next|coming|tomorrow|nachste\w*|kommende\w*|morgen|ubermorgen"
    r"|prochaine?s?|demain|proxim[oa]s?|manana|komende|volgende|overmorgen)\b")


def unread_time(text: str) -> str | None:
    """A time the (folded, window-blanked) text names that the gateway cannot read as a
    window, as written there; None when there is none."""
    match = _UNREAD_TIME.search(text)
    return match.group() if match else None


# Aggregates a question may ask for together; two of them ("min and max") are all of them.
_TOGETHER = frozenset(("mean", "min", "max"))


def aggregate(text: str) -> str | None:
    """The one aggregate the text asks for ("max"); None when it names none, or several of
    mean, min and max (the answer then gives all three)."""
    named = [name for name, pattern in lexicon.AGGREGATES if pattern.search(text)]
    if len(_TOGETHER.intersection(named)) > 1:
        return None
    return named[0] if named else None
