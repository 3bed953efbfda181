"""Places a request names that the gateway does not have: "in the barn", "im Stall".

A request that names a place with nothing of this gateway in it gets a clarifying question,
never an answer about, or a command to, devices of its kind elsewhere: before this, "turn on
the pump in the basement" on a gateway whose one pump is on line 2 switched that pump, and
"what's the temperature in the greenhouse" answered with every temperature sensor.

The registry's own names and areas are matched first (``slots._match_names``); what is left
after a place word ("in", "at", "im", "dans", "en", "bij") and its article, up to the next
word that cannot be part of a place name, is a place the gateway does not know. Words that
follow a place word without naming a place ("in use", "im Moment", "en marche", "in
percent") and the words of the registry's own areas, names and kinds ("in the tank" on a
gateway with "tank 1") never start one.
"""

from __future__ import annotations

from collections.abc import Container

from edge_agent.triage import languages, lexicon, slot_words

# Words that open a place phrase in one of the five languages (accents folded). "on", "auf",
# "sur", "a" and "op" are left out: they open values and states as often ("on", "auf 40").
_OPENERS = frozenset((
    "in", "at", "inside", "near", "within",  # en
    "im", "am", "beim", "innerhalb",  # de ("in" above)
    "dans", "au", "chez",  # fr
    "en", "dentro", "del",  # es
    "bij", "binnen",  # nl
))
# "de" and "du" open a place only before an article: "de la grange", "de l'atelier".
_OF = frozenset(("de", "du", "van", "des"))
_ARTICLES = frozenset((
    "the", "a", "an", "our", "my", "this", "that", "der", "die", "das", "dem", "den", "des",
    "einem", "einer", "unserem", "unserer", "le", "la", "les", "l", "ce", "cet", "cette",
    "notre", "el", "los", "las", "este", "esta", "ese", "esa", "nuestro", "nuestra", "de",
    "het", "een", "onze", "deze", "dit", "die", "its", "their", "diesem", "dieser", "diese",
    "dieses", "mein", "meinem", "unser", "mon", "ma", "mes", "nos", "mi", "mis", "mijn", "ons"))
# What follows a place word without naming a place, in the five languages.
_NOT_PLACES = frozenset((
    # settings and modes: "at high", "in eco mode", "auf Stufe 2", "en modo nocturno"
    "high", "low", "medium", "mid", "half", "eco", "boost", "turbo", "silent", "quiet", "mode",
    "modes", "modus", "modo", "stand", "stufe", "hoogste", "laagste", "once", "least", "most",
    "nocturno", "nuit", "speed", "setting", "settings", "position", "level",
    "here", "there", "use", "service", "operation", "standby", "auto", "automatic", "manual",
    "total", "general", "detail", "details", "short", "brief", "summary", "order", "case",
    "moment", "meantime", "while", "bit", "future", "past", "time", "morning", "afternoon",
    "evening", "night", "today", "tonight", "tomorrow", "yesterday", "advance", "progress",
    "range", "percent", "celsius", "fahrenheit", "kelvin", "degrees", "units", "english", "german",
    "french", "spanish", "dutch", "words", "numbers", "addition", "particular", "fact", "all",
    "real", "realtime", "live", "full", "stock", "effect", "response", "return", "hier", "dort",
    "betrieb", "ordnung", "zukunft", "grad", "prozent", "allgemeinen", "morgen", "abend", "nacht",
    "heute", "gestern", "ici", "la", "marche", "panne", "fonctionnement", "cours", "ce", "degres",
    "pourcentage", "aqui", "alli", "marcha", "servicio", "funcionamiento", "grados", "porcentaje",
    "este", "momento", "hoy", "ayer", "manana", "noche", "tarde", "daar", "bedrijf", "werking",
    "orde", "totaal", "graden", "procent", "vandaag", "gisteren", "avond", "algemeen", "het",
    "right", "now", "currently", "please", "thanks", "bitte", "jetzt", "gerade", "aktuell",
    "momentan", "maintenant", "actuellement", "svp", "plait", "ahora", "mismo", "favor",
    "actualmente", "nu", "momenteel", "alsjeblieft", "graag", "even", "alarm", "alarms",
    "alarmzustand", "storing", "fallo", "defaut", "fault", "faults", "error", "errors", "state",
    "status", "wise", "its", "lowest", "highest", "peak", "max", "min", "maximum", "minimum",
    "best", "worst", "any", "some", "point", "present", "last", "next", "first", "previous",
    "spec", "specs", "specification", "tolerance", "limit", "limits", "over", "under", "above",
    "below", "for", "from", "to", "since", "during", "until", "after", "before", "with", "without",
    "by", "and", "or", "but", "then", "are", "were", "be", "been", "has", "have", "had", "do",
    "does", "did", "it", "which", "what", "who", "how", "why", "when", "where", "goed", "good",
    "well", "gut", "bien", "bueno", "af", "weg", "offen", "geschlossen", "ouvert", "ouverte",
    "ferme", "fermee", "abierto", "abierta", "cerrado", "cerrada", "dicht", "open", "closed",
    "revoir", "sujet", "pause", "zoals", "je", "same", "tussentijd", "interim", "zwischenzeit",
    "attendant", "mientras", "tanto", "instant", "minute", "second", "hour", "day", "week",
    "month", "year",
))
_STOP = _NOT_PLACES | _OPENERS | _OF | frozenset(lexicon.UNITS) | frozenset(
    slot_words.fold(w) for table in (languages.FUNCTION, languages.TIME_WORDS, languages.UNITS,
                                     languages.WH, languages.ORDER, languages.SHOW,
                                     languages.COND, languages.REASON) for w in table)
_KIND_WORDS = frozenset(lexicon.KIND_OF_WORD)  # "cold" in "the cold room" is a thing
MAX_WORDS = 3  # a place name this long at most: "the north cold store"


def unknown_places(words: list[str], used: list[bool], raw: list[str],
                   *known: Container[str]) -> list[str]:
    """Place phrases in the scanned request that name nothing of this gateway.

    ``words`` are the request's tokens (kind and area words in English), ``used`` marks the
    tokens already read as a name, area, window or value, ``raw`` the tokens as written, and
    ``known`` are sets of words that name something here (the registry's areas, names and
    kinds, the actuator kind words); a plural counts as its singular.
    """

    def word_class(word: str) -> str:
        """"stop" ends a place; a "thing" (a kind, a word of this registry) may be part of
        one ("the boiler room", "the north gate") but is no place alone; else "place"."""
        if (not word.isalpha() or len(word) < 2 or word in _STOP
                or slot_words.is_switch_word(word)):
            return "stop"
        singular = word[:-1] if word.endswith("s") else word
        if word in _KIND_WORDS or any(word in k or singular in k for k in known):
            return "thing"
        return "place"

    out: list[str] = []
    n = len(words)
    for i, word in enumerate(words):
        if used[i] or not (word in _OPENERS or (word in _OF and i + 1 < n
                                                 and words[i + 1] in _ARTICLES)):
            continue
        start = i + 1
        while start < n and not used[start] and words[start] in _ARTICLES:
            start += 1
        end, places = start, 0
        while end < n and not used[end] and (kind := word_class(words[end])) != "stop":
            places += kind == "place"
            end += 1
        if places > 0 and end - start <= MAX_WORDS:
            code = end < n and not used[end] and (len(words[end]) == 1 or words[end].isdigit())
            out.append(" ".join(raw[start:end + code]))
    return out
