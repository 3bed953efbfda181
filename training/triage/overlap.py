"""Which of our phrasing templates could have produced a sentence: keeps evaluation sets honest.

A template becomes a regular expression: ``(a|b)`` and ``[x]`` as written, ``<macro>`` expanded,
``{kind}`` any kind word of our vocabularies, other ``{slot}`` one to three words. Templates with
fewer than two literal words ("{kind} {area}", "{chat}") would match almost anything and are
left out. ``python -m training.triage.overlap FILE...`` prints every template-shaped line.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from functools import lru_cache

from training.triage import i18n, templates, vocab
from training.triage.corpus import TEMPLATES

_PART = re.compile(r"\(|\)|\[|\]|\||\{\w+\}|<\w+>|[^()\[\]|{}<>]+")
_LITERAL = re.compile(r"[^\W\d_]{2,}")
_NAME = r"[\w#°%,.'-]+(?: [\w#°%,.'-]+){0,2}"


def _kinds() -> str:
    words = {*vocab.KIND_WORDS, *(k for lang in i18n.LANGS for k in i18n.module(lang).KINDS)}
    return "(?:" + "|".join(re.escape(w.lower()) for w in sorted(words, key=len,
                                                                  reverse=True)) + ")"


def pattern(template: str, macros: dict[str, str]) -> str:
    """The regular expression of one template (lower case)."""
    out = []
    for part in _PART.findall(template.lower()):
        if part in ("(", "["):
            out.append("(?:")
        elif part == ")":
            out.append(")")
        elif part == "]":
            out.append(")?")
        elif part == "|":
            out.append("|")
        elif part.startswith("<"):
            out.append(f"(?:{pattern(macros[part[1:-1]], macros)})")
        elif part == "{kind}":
            out.append(_kinds())
        elif part.startswith("{"):
            out.append(_NAME)
        else:
            out.append(r"\s*".join(re.escape(w) for w in part.split(" ")))
    return "".join(out)


@lru_cache(maxsize=8)
def compiled(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each template of one language with at least two literal words, compiled."""
    if lang == "en":
        group = [t for ts in TEMPLATES.values() for t in ts]
        macros = {k: v.lower() for k, v in templates.MACROS.items()}
    else:
        group = [t for ts in i18n.module(lang).TEMPLATES.values() for t in ts]
        macros = {}
    out = []
    for template in group:
        literal = _LITERAL.findall(re.sub(r"\{\w+\}|<\w+>", " ", template))
        if len(literal) >= 2:
            out.append((template, re.compile(pattern(template, macros))))
    return tuple(out)


def shaped(text: str, lang: str) -> str | None:
    """The first template that could have produced ``text`` (punctuation aside), or None."""
    clean = " ".join(re.sub(r"[?!¿¡.,:;]", " ", text.lower()).split())
    return next((t for t, p in compiled(lang) if p.fullmatch(clean)), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Print template-shaped lines of JSON-lines files; exit 1 if there are any."""
    found = 0
    for path in argv if argv is not None else sys.argv[1:]:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                template = shaped(row["text"], row.get("lang", "en"))
                if template is not None:
                    found += 1
                    sys.stdout.write(f"{path}: {row['text']!r} <= {template!r}\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
