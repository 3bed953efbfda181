"""Delexicalisation: replace names, numbers, units and time windows by placeholder tokens.

The model should learn the *shape* of a request ("what's the temperature in <dev>"), not the
names in it, so training and inference both featurise the delexicalised token list. The span
finder is generic and registry-free: a word followed by a number or a code ("pump 2", "zone 3",
"hall B", "valve V3") or a bare code ("t-104", "p2", "PUMP_02") becomes ``<dev>``; a number
with a physical unit becomes ``<num> <unit>``; other numbers ``<num>``; a relative or calendar
window ("over the last 3 hours", "since yesterday") ``<window>``. A gateway may also pass the
compact keys of its registry names, so multi-word names it knows ("the boiler room") become
``<dev>`` too. Kind words ("temperature") are kept: they carry meaning.

Scheme 2 (models from triage-2.2 on; a model card's ``features.delex`` says which scheme a
model was trained with): a code takes the noun it abbreviates or follows as an article's
object, so "mill m-2", "feed auger fa-1" and "the gravek dp-6" become ``<dev>`` like "pump 2"
does, while a verb before a code stays ("schedule pm-11", "reset ch-2").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from edge_agent.triage import languages, lexicon

DEV, NUM, UNIT, WINDOW = "<dev>", "<num>", "<unit>", "<window>"
SCHEME = 2  # the newest delexicalisation scheme; models say theirs in the card
PLACEHOLDERS = frozenset((DEV, NUM, UNIT, WINDOW))
_WINDOW_MARK = " zzwindowzz "
_CAPITAL_MARK = "zzcapitalzz"
_CAPITAL = re.compile(r"(?<=[A-Za-z] )[B-HJ-Z]\b(?![-_#'’\d])")
_TOKEN = re.compile(
    r"zz(?:window|capital)zz|l/min|l/h|m3/h|°[cf]?|[a-z]{1,5}[-_#]?\d+[a-z]?\b|\d+(?:[.,]\d+)?"
    r"|[^\W\d_]+|[%?!/#¿]")
_CODE = re.compile(r"[a-z]{1,5}[-_#]?\d+[a-z]?")
# Chemical and unit spellings that look like codes but are words.
_NOT_CODES = frozenset(("co2", "o2", "h2o", "m3", "nh3", "no2", "so2", "ch4", "pm10", "pm25",
                        "pm2", "h2s", "mp3", "4g", "5g", "covid19"))
_UNITS = frozenset((
    "°", "°c", "c", "°f", "f", "%", "percent", "pct", "bar", "mbar", "psi", "kpa", "pa", "rpm",
    "lpm", "kw", "kwh", "hz", "ppm", "lux", "degrees", "degree", "deg", "degc", "celsius",
    "fahrenheit", "volts", "amps", "litres", "liters", "l", "mm", "cm", "kg", "tonnes", "w",
    "watts", "m3/h", "l/min", "l/h", "v", "ms", *languages.UNITS))
_TIME_WORDS = frozenset((
    "seconds", "second", "secs", "sec", "minutes", "minute", "mins", "min", "hours", "hour",
    "hrs", "hr", "h", "days", "day", "weeks", "week", "months", "month", "am", "pm", "oclock",
    "times", "years", "year", "s", "m", "d", *languages.TIME_WORDS))
_FUNCTION_WORDS = frozenset((
    "to", "at", "by", "of", "in", "on", "for", "from", "than", "last", "past", "previous", "next",
    "every", "each", "over", "under", "above", "below", "about", "around", "set", "is", "was",
    "it", "and", "the", "a", "an", "or", "be", "me", "up", "down", "until", "after", "before",
    "within", "between", "increase", "decrease", "raise", "lower", "reduce", "exceeds", "hits",
    "reaches", "reads", "goes", "drops", "falls", "rises", "are", "were", "if", "when", "once",
    "then", "with", "without", "into", "onto", "only", "just", "all", "any", "top", "first",
    "step", "steps", "number", "no", "than", "like", "nearly", "almost", "approximately", "max",
    "min", "maximum", "minimum", "least", "most", "exactly", "roughly", "plus", "minus", "x",
    "s", "t", "what", "whats", "how", "show", "give", "get", "put", "make", "bump", "turn",
    "change", "adjust", "move", "bring", "push", "drop", "boost", "open", "close", "start",
    "stop", "run", "via", "per", "out", "off", "again", "do", "does", "did", "has", "have",
    "had", "keep", "hold", "leave", "let", "stays", "stay", "remain", "remains", "exceed",
    "exceeded", "reached", "hit", "crossed", "cross", "beyond", "past", "since", "near",
    "say", "says", "read", "showing", "shows", "dim", "ramp", "dial", "throttle", "limit", "cap",
    "go", "went", "gone", "been", "being", "fill", "drain", "be", "should", "could", "would",
    "will", "can", "cut", "please", "pls", "now", "then", "so", "but", "because", "while",
    "this", "that", "these", "those", "there", "here", "i", "we", "you", "they", "he", "she",
    *(w for w in lexicon.KIND_OF_WORD if w != "level"), *_TIME_WORDS, *_UNITS,
    *languages.FUNCTION))
# Words after which a word is a noun, not an imperative verb: articles, possessives,
# prepositions and copulas ("the gravek dp-6", "on gravek dp-6", "ist Mühle xz-2").
_NOUN_MARKERS = frozenset((
    "the", "a", "an", "this", "that", "my", "our", "your", "of", "on", "in", "at", "for", "from",
    "is", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "ist",
    "le", "la", "les", "l", "du", "un", "une", "est", "el", "los", "las", "del", "al", "una",
    "es", "het", "de", "een", "van", "op"))
_LETTERS = re.compile(r"[a-z]+")
_KEY = re.compile(r"[^a-z0-9]")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(
    w for w in lexicon.NUMBER_WORDS if w not in ("one", "zero")) + r")\b")


def _blank_windows(text: str) -> str:
    """Replace relative and calendar time windows by one marker word."""
    text = lexicon.WINDOW.sub(_WINDOW_MARK, text)
    return lexicon.CALENDAR.sub(_WINDOW_MARK, text)


def name_key(name: str) -> str:
    """The key a registry name is matched by: lower-case letters and digits only."""
    return _KEY.sub("", name.lower())


def _known_names(words: list[str], names: Collection[str]) -> list[str]:
    """Merge spans of up to four words whose compact key is a registry name into ``<dev>``."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            key = _KEY.sub("", "".join(words[i : i + size]))
            if (i + size <= len(words) and key in names
                    and (size > 1 or words[i] not in _FUNCTION_WORDS)):
                out.append(DEV)
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _is_name_word(word: str) -> bool:
    return word.isalpha() and len(word) > 1 and word not in _FUNCTION_WORDS


def _noun_span(out: list[str], code: str) -> int:
    """How many words at the end of ``out`` are the noun a code names ("feed auger fa-1": 2).

    Words whose initials begin the code's letters are its noun; so is a single name word after
    an article or preposition. A word that is neither may be a verb, and stays.
    """
    letters = _LETTERS.match(code)
    if letters is None or not out or not _is_name_word(out[-1]):
        return 0
    for size in (3, 2):
        span = out[-size:]
        if (len(span) == size and all(_is_name_word(w) for w in span)
                and letters.group().startswith("".join(w[0] for w in span))):
            return size
    before = out[-2] if len(out) > 1 else ""
    return 1 if out[-1][0] == letters.group()[0] or before in _NOUN_MARKERS else 0


def _merge_names(words: list[str], scheme: int = SCHEME) -> list[str]:
    """Numbers, codes and designators after a name word, with that word, become ``<dev>``."""
    out: list[str] = []
    for i, word in enumerate(words):
        head = out[-1] if out else ""
        if word[0].isdigit():
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt in _UNITS and not (nxt in ("c", "f", "v", "w", "l") and head == DEV):
                out.append(NUM)
            elif _is_name_word(head) and nxt not in _TIME_WORDS:
                out[-1] = DEV
            else:
                out.append(NUM)
        elif _CODE.fullmatch(word) and word not in _NOT_CODES:
            if scheme >= 2 and (span := _noun_span(out, word)):
                del out[-span:]
                head = out[-1] if out else ""
            if head != DEV:  # a code names a device alone: "schedule pm-11" keeps its verb
                out.append(DEV)
        elif word == _CAPITAL_MARK:
            # "hall B", "building C": a capital letter names one of several
            if _is_name_word(head):
                out[-1] = DEV
            elif head != DEV:
                out.append(DEV)
        elif word in _UNITS and head == NUM:
            out.append(UNIT)
        elif word == "#" or (word == DEV and head == DEV):
            continue
        else:
            out.append(word)
    return out


def delex(text: str, names: Collection[str] = (), scheme: int = SCHEME) -> list[str]:
    """The request's tokens with names, numbers, units and windows as placeholders.

    ``scheme`` is the delexicalisation a model was trained with (1: triage-2.0 and before).
    """
    low = _CAPITAL.sub(_CAPITAL_MARK, text).lower()
    low = _blank_windows(_NUMBER_WORD.sub(lambda m: str(lexicon.NUMBER_WORDS[m.group()]), low))
    # No word is longer than 40 letters; a longer "word" is a paste or a key held down.
    words = [WINDOW if w == "zzwindowzz" else w for w in _TOKEN.findall(low) if len(w) <= 40]
    if names:
        words = _known_names(words, names)
    return _merge_names(words, scheme)
