"""Text from the outside, made safe to classify, store and quote: one function per kind of text.

Requests and device labels arrive from anyone who can publish on the gateway's broker. Before
triage sees them they are folded (Unicode NFKC, so look-alike and full-width forms match the
vocabulary), stripped of control, format (zero-width, bidi override) and surrogate characters,
collapsed to single spaces and capped in length.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode categories that carry no visible text: controls, formats (zero-width joiners, bidi
# overrides, soft hyphens), lone surrogates (valid in JSON, unencodable in UTF-8), unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACES = re.compile(r"\s+")
# Registered kind and area: letters, digits, spaces, "_" and "-"; they start with a letter or digit.
_LABEL = re.compile(r"[^\W_][\w -]*")
KIND_MAX_CHARS = 32
AREA_MAX_CHARS = 40


def normalise_text(text: str, max_chars: int) -> str:
    """NFKC, no invisible characters, single spaces, at most ``max_chars`` characters."""
    folded = unicodedata.normalize("NFKC", text[: max_chars * 4])
    visible = "".join(
        " " if ch.isspace() else ch
        for ch in folded
        if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE
    )
    return _SPACES.sub(" ", visible).strip()[:max_chars].rstrip()


def has_invisible(text: str) -> bool:
    """Whether the text holds a control, format, surrogate or unassigned character."""
    return any(unicodedata.category(ch) in _INVISIBLE for ch in text)


def clean_label(name: str, value: str, max_chars: int) -> str:
    """A self-registered kind or area, normalised; ValueError says why it is refused."""
    label = normalise_text(value, max_chars * 4)
    if len(label) > max_chars:
        raise ValueError(f"{name} is {len(label)} characters; the limit is {max_chars}")
    if label and not _LABEL.fullmatch(label):
        raise ValueError(f"{name} may hold only letters, digits, spaces, '_' and '-', "
                         "starting with a letter or digit")
    return label
