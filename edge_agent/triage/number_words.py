"""Numbers from 0 to 100 as German, French, Spanish and Dutch write them, folded (no accents).

A set point is often said in words, and dictation writes it so: "einundzwanzig Grad",
"vingt-deux degrés", "soixante-dix pour cent", "treinta y cinco grados", "eenentwintig graden".
Read word by word, "vingt-deux" would be 20 and "quatre-vingt-dix" 4, and "einundzwanzig Komma
fünf" would leave the 5 alone as the value: every form of each number is listed whole, the
longest read first. English numbers in words are ``lexicon.NUMBER_PHRASE``'s.

"un", "une", "uno", "una", "ein" and "een" alone are articles and are not numbers here; inside a
compound ("vingt et un", "einundzwanzig") they are.
"""

from __future__ import annotations

import re

_ONES = {
    "de": ("", "eins", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht", "neun"),
    "fr": ("", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"),
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"),
}
_TEENS = {  # 10 to 19
    "de": ("zehn", "elf", "zwolf", "dreizehn", "vierzehn", "funfzehn", "sechzehn", "siebzehn",
           "achtzehn", "neunzehn"),
    "fr": ("dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept",
           "dix-huit", "dix-neuf"),
    "es": ("diez", "once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete",
           "dieciocho", "diecinueve"),
    "nl": ("tien", "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien",
           "achttien", "negentien"),
}
_TENS = {  # 20 to 90
    "de": ("zwanzig", "dreissig", "vierzig", "funfzig", "sechzig", "siebzig", "achtzig",
           "neunzig"),
    "fr": ("vingt", "trente", "quarante", "cinquante", "soixante", "septante", "huitante",
           "nonante"),
    "es": ("veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta",
           "noventa"),
    "nl": ("twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig",
           "negentig"),
}
_HUNDRED = {"de": ("hundert", "einhundert"), "fr": ("cent",), "es": ("cien",),
            "nl": ("honderd",)}
# Spellings besides the folded ones: "fuenf", "zwoelf", "dreißig" folded to "dreiss..."
_ALSO = {"de": {"fuenf": 5, "zwoelf": 12, "fuenfzehn": 15, "fuenfzig": 50, "dreisig": 30},
         "es": {"veintiun": 21, "veintiuna": 21},
         "fr": {"octante": 80, "quatre-vingts": 80}}


def _compounds(lang: str) -> dict[str, int]:
    """Every form of 21-99 that is not a ten."""
    ones, out = _ONES[lang], {}
    for ten, word in enumerate(_TENS[lang], start=2):
        for one in range(1, 10):
            if lang == "de":
                out[("ein" if one == 1 else ones[one]) + "und" + word] = ten * 10 + one
            elif lang == "nl":
                out[ones[one] + "en" + word] = ten * 10 + one
            elif lang == "es":
                out[("veinti" + ones[one]) if ten == 2 else f"{word} y {ones[one]}"] = \
                    ten * 10 + one
            else:
                joint = " et " if one == 1 else "-"
                out[word + joint + ones[one]] = ten * 10 + one
    return out


def _french() -> dict[str, int]:
    """70-79 and 80-99 as France writes them ("soixante-dix", "quatre-vingt-douze")."""
    out = {"soixante-dix": 70, "soixante et onze": 71, "quatre-vingt": 80}
    for one in range(2, 10):
        out["soixante-" + _TEENS["fr"][one]] = 70 + one
    for one in range(1, 10):
        out["quatre-vingt-" + _ONES["fr"][one]] = 80 + one
    for one in range(10):
        out["quatre-vingt-" + _TEENS["fr"][one]] = 90 + one
    return out


def _table(lang: str) -> dict[str, int]:
    # "un", "uno", "een" alone are articles; German "eins" is the number ("ein" is not)
    out = {word: n for n, word in enumerate(_ONES[lang])
           if word and (n != 1 or lang == "de")}
    out |= {word: 10 + n for n, word in enumerate(_TEENS[lang])}
    out |= {word: (n + 2) * 10 for n, word in enumerate(_TENS[lang])}
    out |= {word: 100 for word in _HUNDRED[lang]} | _compounds(lang) | _ALSO.get(lang, {})
    if lang == "fr":
        out |= _french()
    # dictation writes "vingt deux" and "soixante dix" as often as "vingt-deux"
    out |= {word.replace("-", " "): n for word, n in out.items() if "-" in word}
    return out


NUMBERS: dict[str, dict[str, int]] = {lang: _table(lang) for lang in _ONES}
# German "achtzehneinhalb": eighteen and a half
_HALF = {"de": "einhalb"}


def pattern(lang: str) -> re.Pattern[str]:
    """The number words of ``lang`` in folded text, longest first, not inside another word."""
    words = sorted(NUMBERS[lang], key=len, reverse=True)
    half = _HALF.get(lang)
    tail = f"(?:{half})?" if half else ""
    # "pour cent" is per cent, not "for 100"
    return re.compile(r"(?<![\w-])(?<!pour )(" + "|".join(re.escape(w) for w in words) + r")"
                      + tail + r"(?![\w-])")


def value(match: re.Match[str], lang: str) -> str:
    """The digits a ``pattern`` match stands for ("18.5" for "achtzehneinhalb")."""
    number = NUMBERS[lang][match.group(1)]
    half = _HALF.get(lang)
    return f"{number}.5" if half and match.group(0).endswith(half) else str(number)
