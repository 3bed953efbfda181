"""Slot extraction: resolve the devices, area, kind, value, window and aggregate of a request
against the gateway's live registry.

Device names match by a compact key (lower case, letters and digits only, leading zeros
dropped), so "pump 2", "Pump-2", "PUMP_02" and the id ``pump-2`` meet; a short code ("p2")
matches when only one device has it; a typo in the word part ("pmup 2") matches by edit
distance. The indexes are built once from the registry and then follow each change (a
registration costs a few insertions, a request a few lookups). What looks
like a device or area but resolves to nothing goes to ``Slots.mentions``.

``Slots.devices`` holds only the devices the text names itself (by id, name, code or typo);
which devices a kind and an area select is for ``edge_agent.resolve`` to decide, exactly.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from edge_agent.registry import Device, Registry
from edge_agent.triage import languages, lexicon, numbered, slot_words, values
from edge_agent.triage.decision import Intent, Slots
from edge_agent.triage.names import NameIndex, compact
from edge_agent.triage.places import Unknown, Written

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,]\d+)?")
_NOT_NAMES = frozenset((
    "to", "at", "by", "of", "in", "on", "for", "from", "than", "last", "past", "previous",
    "next", "every", "each", "over", "under", "above", "below", "about", "around", "set", "is",
    "was", "it", "and", "the", "a", "an", "or", "be", "me", "up", "down", "until", "after",
    "before", "within", "between", "increase", "decrease", "raise", "lower", "reduce", "hours",
    "hour", "minutes", "minute", "days", "day", "weeks", "hrs", "mins", "seconds", "h",
    "degrees", "percent", "times", *lexicon.UNITS))
MAX_SPAN = 4
# Words that name kinds of actuators, so that "turn on the heater" on a gateway without one
# is a kind that matches nothing (a clarifying question), not a request that names nothing.
ACTUATOR_KINDS = {
    "pump": "pump", "fan": "fan", "valve": "valve", "heater": "heater", "boiler": "boiler",
    "chiller": "chiller", "compressor": "compressor", "damper": "damper", "motor": "motor",
    "blower": "blower", "conveyor": "conveyor", "mixer": "mixer", "sprinkler": "sprinkler",
    "lamp": "light", "light": "light", "relay": "relay", "door": "door", "gate": "gate",
    "vent": "vent", "ahu": "ahu", "humidifier": "humidifier", "dehumidifier": "dehumidifier",
    "shutter": "shutter", "siren": "siren",
    "agitator": "agitator", "burner": "burner", "extractor": "extractor", "feeder": "feeder",
}
_PLURAL = re.compile(r"\b(all|every|everything|each|both)\b")
# "pump II", "Pumpe IV" (and "Ⅶ", which NFKC makes "VII"): a number in Roman numerals, so a
# name the registry lacks, not the kind alone (only after a kind word: "i" and "v" are a word
# and a unit elsewhere).
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{1,3})|x{1,3}v?|x{0,3}v|x{2,3}")
_FUNCTION = frozenset(slot_words.fold(w) for w in languages.FUNCTION)
_TIME_AFTER = frozenset((
    "h", "hr", "hrs", "hour", "hours", "min", "mins", "minute", "minutes", "s", "sec", "secs",
    "second", "seconds", "day", "days", "week", "weeks", "month", "months", "am", "pm",
    *(slot_words.fold(w) for w in languages.TIME_WORDS)))
# "pump number 2", "Pumpe Nr. 2", "pompe numéro 2", "bomba n.º 2", "pomp nummer 2": pump 2
_NUMBER_SIGN = re.compile(r"(?<=[a-z] )(?:number|no\.?|nr\.?|nummer|numero|num\.?|n\.?o|"
                          r"n°|n\.?º|#)\s*(?=\d)")
_NOT_SUFFIX = frozenset("aeiouy") | frozenset(lexicon.UNITS)
_AND = frozenset(("and", "und", "et", "y", "e", "en", "sowie", "plus"))
_JOINERS = frozenset(("the", "die", "der", "das", "den", "le", "la", "l", "les", "el", "los",
                      "las", "de", "het", "its"))
# Quantities long enough that a word a letter or two off is a typo of one, not another word.
_LONG_KINDS = tuple(k for k in lexicon.KIND_WORDS if len(k) >= 8)




def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, giving up past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit and (i < 2 or min(prev) > limit):
            return limit + 1  # no cell can come back under the limit (a transposition reaches
            # back two rows, so both must be past it)
        prev2, prev = prev, row
    return prev[-1]


@dataclass(slots=True)
class _Scan:
    """Working state while one request is resolved."""

    words: list[str]
    spans: list[tuple[int, int]]
    used: list[bool]
    text: str = ""

    lang: str = languages.DEFAULT
    translated: list[bool] = field(default_factory=list)  # tokens read as an English word
    other_areas: list[str] = field(default_factory=list)  # "hall 77" on a gateway with "hall"

    @classmethod
    def of(cls, text: str, lang: str = languages.DEFAULT) -> _Scan:
        """Tokens of the text, kind and area words in English ("pumpe" -> "pump")."""
        matches = list(_TOKEN.finditer(text))
        found = [m.group() for m in matches]
        words = [slot_words.english(w, lang) for w in found]
        return cls(words, [m.span() for m in matches], [False] * len(found), text, lang,
                   [a != b for a, b in zip(found, words, strict=True)])

    def raw(self, start: int, end: int) -> list[str]:
        """Tokens start..end as written, before kind and area words became English."""
        return [self.text[a:b] for a, b in self.spans[start:end]]

    def joined(self, i: int, marks: str = "-_") -> bool:
        """Whether token i and the next are written as one id ("f-2599", "t_7")."""
        end, start = self.spans[i][1], self.spans[i + 1][0]
        return start == end + 1 and self.text[end] in marks

    def attached(self, i: int) -> bool:
        """Whether token i, a number, goes on into the next ("2-b", "2_1", "2/3", "2 b")."""
        if not (self.words[i].isdigit() and self.joined(i, "-_/ ")):
            return False
        if self.text[self.spans[i][1]] != " ":
            return True
        after = self.text[self.spans[i + 1][1]:self.spans[i + 1][1] + 1]
        return _suffix(self.words[i + 1]) and after not in ("'", "’")  # "2 s'il", "2 d'abord"

    def free_text(self, text: str) -> str:
        """The text with used tokens blanked out, positions kept."""
        chars = list(text)
        for (start, end), used in zip(self.spans, self.used, strict=True):
            if used:
                chars[start:end] = " " * (end - start)
        return "".join(chars)


class _Kinds:
    """Kind words of devices: the registry's own and every actuator kind word."""

    def __init__(self, index: NameIndex) -> None:
        self._index = index

    def __contains__(self, word: object) -> bool:
        return (word in ACTUATOR_KINDS or word in self._index.kinds
                or word in self._index.actuator_kinds)


class SlotResolver:
    """Resolves slots against one registry; indexes it once, then follows each change."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._index = NameIndex(registry)
        for device in registry.watch(self._changed):
            self._index.add(device)

    def _changed(self, old: Device | None, new: Device) -> None:
        if old is not None:
            self._index.remove(old)
        self._index.add(new)

    def _current(self) -> NameIndex:
        return self._index

    def names(self) -> AbstractSet[str]:
        """Name keys of the registry's devices and areas, for delexicalising requests."""
        return self._index.names

    def resolve(self, text: str, intent: Intent, now: float | None = None,
                lang: str | None = None) -> Slots:
        """The slots of one request; ``intent`` decides whether on/off words are a value.

        ``lang`` is the request's language (detected when None): its kind, area, switch,
        unit, number and time words are read as their English counterparts.
        """
        index = self._current()
        lang = languages.detect(text[:2000]) if lang is None else lang
        norm = lexicon.NUMBER_PHRASE.sub(lambda m: str(lexicon.number_of(m.group())),
                                         slot_words.normalise(text.lower(), lang))
        norm = values.signed(_NUMBER_SIGN.sub("", norm))  # "18 Grad unter null": -18
        scan = _Scan.of(norm, lang)
        devices, areas = _match_names(scan, index)
        area = areas[0] if areas else None
        devices += _match_fuzzy(scan, index, devices)
        window_s, norm_free = values.window(scan.free_text(norm), now)
        at, norm_free = values.clock(norm_free, intent, now)
        _blank_window(scan, norm_free)
        if intent != "set_actuator":  # "temp sensor 104": t-104, when no other device fits
            devices += _match_numbered(scan, index, self._registry)
        # A second area is not dropped: it goes with the mentions, for a question.
        written = Written(text)
        mentions = [*areas[1:], *(written.of(m) for m in (*scan.other_areas, *_mentions(scan)))]
        unknown = Unknown(scan.words, scan.used, scan.text, scan.spans, index.words,
                          _Kinds(index))
        places = [written.of(place) for place in (
            *unknown.places(question=intent != "set_actuator"),
            *unknown.qualifiers(lang, command=intent == "set_actuator"))]
        kind, plural_kind = _kind(scan.free_text(norm), index, intent, lang)
        if intent == "set_actuator" and kind is None and not devices:
            # "set the temperature in zone 3 to 21" names what is measured, not an actuator:
            # the kind then matches no actuator (a question), not the fan that is in zone 3.
            kind, _ = _kind(scan.free_text(norm), index, "query_state", lang)
        value, unit = values.value(scan.free_text(norm_free), intent, lang)
        free = scan.free_text(norm_free)
        several = intent == "set_actuator" and (values.count(free) > 1
                                                or values.state_and_number(free, lang))
        status = next((name for name, p in lexicon.STATUS if p.search(text.lower())), None) \
            if intent == "list_devices" else None
        plural = (plural_kind or _PLURAL.search(norm) is not None
                  or slot_words.plural(norm, lang))
        question = intent in ("query_state", "query_history")
        quantity, kind = slot_words.metered(norm, kind, bool(devices)) if question else (None, kind)
        also = _second_kind(scan.free_text(norm), kind, lang) if question else None
        return Slots(devices=tuple(dict.fromkeys(devices)), area=area, kind=kind, value=value,
                     unit=unit, window_s=window_s, at=at, aggregate=values.aggregate(norm),
                     mentions=tuple(mentions), places=tuple(places), plural=plural,
                     status=status, several=several,
                     role=slot_words.role(slot_words.fold(norm))
                     if intent == "list_devices" else None,
                     unread_time=_unread_time(scan.free_text(norm_free), written)
                     if question else None, also_kind=also, quantity=quantity)


def _unread_time(free: str, written: Written) -> str | None:
    """A time the question names that no window read, as the request wrote it."""
    said = values.unread_time(slot_words.fold(free))
    return None if said is None else written.of(said)


def _match_names(scan: _Scan, index: NameIndex) -> tuple[list[str], list[str]]:
    """Longest spans first: device ids and names, then areas (in the order found)."""
    devices: list[str] = []
    areas: list[str] = []
    n = len(scan.words)
    for size in range(min(MAX_SPAN, n), 0, -1):
        for start in range(n - size + 1):
            if any(scan.used[start : start + size]) or (
                    start + size < n and scan.attached(start + size - 1)):
                continue  # "pump 2-b", "pump 2/3": a longer name than "pump 2"
            key = compact("".join(scan.words[start : start + size]))
            if not key or key.isdigit() or (size == 1 and key in _NOT_NAMES):
                continue
            ids = index.lookup(key)
            if not ids and any(scan.translated[start : start + size]):  # as written: "tor 1"
                ids = index.lookup(compact("".join(scan.raw(start, start + size))))
            if ids:
                devices.extend(ids)
            elif key in index.areas and key[-1].isalpha() and _numbered(scan, start + size):
                size += 1  # "in hall 77" or "hall b" is another hall than this gateway's
                scan.other_areas.append(scan.text[scan.spans[start][0]:
                                                  scan.spans[start + size - 1][1]])
            elif key in index.areas:
                if index.areas[key] not in areas:
                    areas.append(index.areas[key])
            else:
                continue
            scan.used[start : start + size] = [True] * size
    return devices, areas


def _numbered(scan: _Scan, i: int) -> bool:
    """Whether token i is the number or letter of an area's name ("hall 77", "hall b"), not a
    value ("hall 21 degrees") nor an English article ("in the hall a bit warmer")."""
    if i >= len(scan.words) or scan.used[i]:
        return False
    word, after = scan.words[i], scan.words[i + 1] if i + 1 < len(scan.words) else ""
    if re.fullmatch(r"\d+[a-z]?", word):  # not "hall 21 degrees", "hall 2 hours ago", "hall 40%"
        sign = scan.text[scan.spans[i][1]:].lstrip()[:1]
        return after not in lexicon.UNITS and after not in _TIME_AFTER and sign not in ("%", "°")
    return len(word) == 1 and word.isalpha() and not (word == "a" and scan.lang == "en")


def _match_fuzzy(scan: _Scan, index: NameIndex, found: list[str]) -> list[str]:
    """A mistyped word before a number ("pmup 2"), matched to one device with those digits."""
    out: list[str] = []
    for i in range(len(scan.words) - 1):
        word, digits = scan.words[i], scan.words[i + 1]
        if (scan.used[i] or scan.used[i + 1] or not word.isalpha() or not digits.isdigit()
                or (i + 2 < len(scan.words) and scan.attached(i + 1))):
            continue
        limit = 1 if len(word) < 6 else 2
        hits = {dev for letters, dev in index.split_names.get(str(int(digits)), ())
                if dev not in found and _distance(word, letters, limit) <= limit}
        if len(hits) == 1:
            out.extend(hits)
            scan.used[i] = scan.used[i + 1] = True
    return out


def _match_numbered(scan: _Scan, index: NameIndex, registry: Registry) -> list[str]:
    """Devices named by a kind or sensor word and their number (``numbered``)."""
    out: list[str] = []
    for start, end, device in list(numbered.matches(scan.words, scan.used, scan.lang, index,
                                                    registry, scan.attached)):
        out.append(device)
        scan.used[start:end] = [True] * (end - start)
    return out


def _mentions(scan: _Scan) -> list[str]:
    """Unresolved name-shaped phrases: a word then a number ("pump 9"), or a code ("v12")."""
    out: list[str] = []
    words = scan.words
    for i, word in enumerate(words):
        pair = (i + 1 < len(words) and word.isalpha() and not scan.used[i + 1]
                and (re.fullmatch(r"\d+[a-z]?", words[i + 1]) is not None
                     or _roman(scan, i)))
        id_shaped = pair and scan.joined(i)  # "f-2599": an id even if "f" is a unit
        if scan.used[i] or (_not_name(word, scan.lang) and not id_shaped):
            continue
        if re.fullmatch(r"[a-z]{1,4}\d+[a-z]?", word):
            out.append(word)
            scan.used[i] = True
        elif pair and (id_shaped or i + 2 >= len(words) or not values.is_unit(words[i + 2],
                                                                         scan.lang)):
            end = i + 1
            while end + 1 < len(words) and scan.attached(end):  # "pump 2-b"
                end += 1
            out.append(scan.text[scan.spans[i][0]:scan.spans[end][1]])
            scan.used[i:end + 1] = [True] * (end + 1 - i)
    return out


def _suffix(word: str) -> bool:
    """Whether a word after a number is a letter of the name ("pump 2 b"), not a word ("a",
    "y", "o": and, or) or a unit ("2 c")."""
    return len(word) == 1 and word.isalpha() and word not in _NOT_SUFFIX


def _roman(scan: _Scan, i: int) -> bool:
    """Whether token i is a kind word and the next a Roman numeral ("pump II"), not the
    start of an id ("V-9")."""
    return (scan.words[i].rstrip("s") in ACTUATOR_KINDS
            and _ROMAN.fullmatch(scan.words[i + 1]) is not None
            and not (i + 2 < len(scan.words) and scan.joined(i + 1)))


def _not_name(word: str, lang: str) -> bool:
    """Whether a word before a number is not a name: "to 21", and "auf 40" in German."""
    return word in _NOT_NAMES or (lang != languages.DEFAULT and word in _FUNCTION)


def _blank_window(scan: _Scan, free: str) -> None:
    """Mark tokens the window phrase consumed, so "last 2 hours" is no device or value."""
    for i, (start, _end) in enumerate(scan.spans):
        if free[start] == " ":
            scan.used[i] = True


def _kind(text: str, index: NameIndex, intent: Intent,
          lang: str = languages.DEFAULT) -> tuple[str | None, bool]:
    """The kind the text names, and whether it names it in the plural ("pumps").

    A command names actuator kinds only ("set the heater to 21 degrees" names a heater, not a
    temperature); a question may name either. Other languages' kind words count as English.
    """
    words = [slot_words.english(w, lang) for w in _TOKEN.findall(text)]
    if lang != languages.DEFAULT:
        text = " ".join(words)
    for word in words:
        word = slot_words.compound(word, lang) or word  # "reservepumpe": a pump
        singular = word[:-1] if word.endswith("s") and len(word) > 3 else word
        for form in dict.fromkeys((word, singular)):
            kind = index.actuator_kinds.get(form) or ACTUATOR_KINDS.get(form)
            if kind is not None:
                return index.kinds.get(kind, kind), form != word
    if intent == "set_actuator":
        return None, False
    match = lexicon.KIND_PATTERN.search(text)
    if match:
        canonical = lexicon.KIND_OF_WORD[match.group(1)]
        return index.kinds.get(canonical, canonical), False
    for word in words:
        singular = word[:-1] if word.endswith("s") and len(word) > 3 else word
        if singular in index.kinds:
            return index.kinds[singular], singular != word
    for word in words:  # "Durchschnittstemperatur", "temprature", "humidty"
        kind = (slot_words.measured(word, lang) or slot_words.any_measured(word)
                or _mistyped(word))
        if kind is not None:
            return index.kinds.get(kind, kind), False
    kind = slot_words.implied_kind(" ".join(words))  # "il fait combien": how warm it is
    return (index.kinds.get(kind, kind) if kind else None), False


def _second_kind(text: str, first: str | None, lang: str) -> str | None:
    """A second measured quantity a question joins to the first ("temperature and humidity",
    "Temperatur und Luftfeuchtigkeit"), so that neither is dropped; None when there is none."""
    if first is None:
        return None
    words = [slot_words.english(w, lang) for w in _TOKEN.findall(text)]
    kinds = [(i, lexicon.KIND_OF_WORD.get(w)) for i, w in enumerate(words)]
    named = [(i, k) for i, k in kinds if k is not None]
    for (i, a), (j, b) in itertools.pairwise(named):
        between = set(words[i + 1:j])
        if a != b and between & _AND and between <= _AND | _JOINERS:
            return b if a == first else a if b == first else None
    return None


def _mistyped(word: str) -> str | None:
    """The measured quantity a long word misspells by a letter or two ("temprature")."""
    if len(word) < 7:
        return None
    limit = 1 if len(word) < 9 else 2
    return next((kind for kind in _LONG_KINDS if _distance(word, kind, limit) <= limit), None)
