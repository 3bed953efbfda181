"""Detectors for personal data in free text: each finds spans to hide, with checks against
look-alikes (a card number passes Luhn, an IBAN mod 97, an address ``ipaddress``).

Pure functions over one string, standard library only, so they fit a gateway's budget. Person
names are found only where the text marks them (a title such as ``Dr.``, or "my name is");
a statistical name recogniser would cost a model download and hundreds of MB, which a gateway
does not have. Names of the site's people can be listed in ``[privacy] people`` instead.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

Kind = Literal["email", "iban", "card", "mac", "ip", "phone", "person"]
# In this order: on overlapping spans the earlier kind wins (a card number is no phone).
KINDS: tuple[Kind, ...] = ("email", "iban", "card", "mac", "ip", "phone", "person")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
                  r"(?![\w:-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])")
_PHONE = re.compile(r"(?<![\w.+/-])(?:\+|00)?\(?\d[\d ()./-]{5,20}\d(?![\w/-]|\.\d)")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|Dhr|Mevr|Sr|Sra)\.? "
    r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)?"
    r"|\b(?:[Mm]y name is|[Ii]ch heiße|[Jj]e m'appelle|[Mm]e llamo|[Ii]k heet) [A-Z][\w'-]+")

_TITLE_WORDS = frozenset({"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Herr", "Frau", "Mme", "Mlle",
                          "Dhr", "Mevr", "Sr", "Sra", "name", "heiße", "m'appelle", "llamo",
                          "heet"})
_PUNCTUATION = str.maketrans(dict.fromkeys(".,;:!?()[]{}<>\"/", " "))
Span = tuple[int, int]


def _matches(pattern: re.Pattern[str], text: str,
             valid: Callable[[str], bool] = lambda _: True) -> Iterator[Span]:
    for m in pattern.finditer(text):
        if valid(m.group()):
            yield m.span()


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn check that card numbers carry."""
    total = 0
    for n, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    return 13 <= len(digits) <= 19 and digits[0] != "0" and luhn_ok(digits)


def iban_ok(raw: str) -> bool:
    """Whether a string is an IBAN by its ISO 13616 mod-97 check."""
    s = raw.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ip(raw: str) -> bool:
    try:
        ipaddress.ip_address(raw.split("%")[0])
    except ValueError:
        return False
    return True


def _phone(raw: str) -> bool:
    """A phone number, not a date, version, reading or serial: 8-15 digits, written as
    people write numbers (international prefix, trunk 0 or groups), no dots unless ``+``."""
    digits = re.sub(r"\D", "", raw)
    if not 8 <= len(digits) <= 15 or _DATE.fullmatch(raw.strip("()")):
        return False
    international = raw.startswith(("+", "00"))
    if "." in raw and not international:
        return False
    groups = len(re.findall(r"\d+", raw))
    return international or digits[0] == "0" or groups >= 3


def _detectors() -> dict[Kind, Callable[[str], Iterable[Span]]]:
    return {
        "email": lambda t: _matches(_EMAIL, t),
        "iban": lambda t: _matches(_IBAN, t, iban_ok),
        "card": lambda t: _matches(_CARD, t, _card),
        "mac": lambda t: _matches(_MAC, t),
        "ip": lambda t: (*_matches(_IPV4, t, _ip), *_matches(_IPV6, t, _ip)),
        "phone": lambda t: _matches(_PHONE, t, _phone),
        "person": lambda t: _matches(_TITLE, t),
    }


DETECTORS = _detectors()


def _worth_a_look(text: str) -> dict[Kind, bool]:
    """Cheap tests that rule a detector out before its regular expression runs."""
    digits = sum(text.count(d) for d in "0123456789")
    colons = text.count(":")
    return {"email": "@" in text, "iban": digits >= 8, "card": digits >= 13,
            "phone": digits >= 8, "mac": colons >= 5 or text.count("-") >= 5,
            "ip": (digits >= 4 and "." in text) or colons >= 2,
            "person": not _TITLE_WORDS.isdisjoint(text.translate(_PUNCTUATION).split())}


def find(text: str, kinds: tuple[Kind, ...] = KINDS) -> list[tuple[int, int, Kind]]:
    """Spans of personal data in ``text``, sorted, never overlapping (earlier kinds win)."""
    taken: list[tuple[int, int, Kind]] = []
    look = _worth_a_look(text)
    for kind in KINDS:
        if kind not in kinds or not look[kind]:
            continue
        for start, end in DETECTORS[kind](text):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, kind))
    return sorted(taken)
