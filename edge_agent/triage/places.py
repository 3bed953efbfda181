"""Places and qualifiers a request names that the gateway does not have: "in the barn",
"im Stall", "the backup pump", "la bomba de reserva".

A request that names a place with nothing of this gateway in it, or a device by a kind and a
word that picks out one this gateway lacks, gets a clarifying question, never an answer
about, or a command to, devices of that kind elsewhere: before this, "turn on the pump in the
basement" and "turn off the backup pump" on a gateway whose one pump is on line 2 switched
that pump, and "what's the temperature in the greenhouse" answered with every temperature
sensor.

The registry's own names and areas are matched first (``slots._match_names``); what is left
after a place word ("in", "at", "im", "dans", "en", "bij") and its article, up to the next
word that cannot be part of a place name, is a place the gateway does not know. Words that
follow a place word without naming a place ("in use", "im Moment", "en marche", "in
percent") and the words of the registry's own areas, names and kinds ("in the tank" on a
gateway with "tank 1") never start one. A qualifier is read the same way from the words
between an article and a kind word ("the backup pump", "de grote pomp"), and in French and
Spanish from the word after "de" ("la vanne de vidange").
"""

from __future__ import annotations

import re
from collections.abc import Container

from edge_agent.triage import languages, lexicon, slot_words

# Words that open a place phrase in one of the five languages (accents folded). "on", "auf",
# "sur", "a" and "op" are left out: they open values and states as often ("on", "auf 40").
_OPENERS = frozenset((
    "in", "at", "inside", "near", "within",  # en
    "im", "am", "beim", "vom", "innerhalb",  # de ("in" above)
    "dans", "au", "du", "chez",  # fr ("du" holds its article: "le ventilateur 3 du bureau")
    "en", "dentro", "del",  # es
    "bij", "binnen",  # nl
))
# "de" opens a place only before an article: "de la grange", "de l'atelier".
_OF = frozenset(("de", "d", "du", "van", "des"))
# What a question asks about, after "is" or "of" and an article: "how warm is the
# greenhouse", "the max temperature of the north zone" (not when it holds a kind word).
_SUBJECT = frozenset(("is", "are", "of"))
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
    "month", "year", "current", "actual", "latest", "live", "average", "mean", "overall",
    "real", "exact", "approximate", "normal", "usual", "whole", "entire", "only", "single",
    "aktuelle", "aktuellen", "derzeitige", "actuel", "actuelle", "moyenne", "medio",
    "media", "huidige", "gemiddelde", "temps", "tiempo", "tijd", "zeit", "samtliche", "alle",
    "allen", "tous", "toutes", "todos", "todas", "every", "each", "both", "beide", "ya",
    "inmediatamente", "enseguida", "rapido", "maintenant", "immediatement", "vite", "tout",
    "toute", "stp", "merci", "gracias", "encore", "nouveau", "aussi", "tambien", "otra", "vez",
    "porfa", "completement", "completamente", "entierement", "fond", "fondo", "maximo",
    "minimo", "maximum", "minimum", "puissance", "potencia", "vitesse", "velocidad",
    # values said in words ("open valve 4 halfway", "Ventil 4 zur Hälfte", "fan 3 full blast")
    "halfway", "partway", "halb", "halbwegs", "zur", "halfte", "moitie", "mitad", "medias",
    "halfweg", "helft", "vol", "volle", "voll", "vollgas", "tope", "blast", "top", "kracht",
    "pulle", "maximaal", "minimaal",
    "value", "values", "reading", "readings", "measurement", "measurements", "result",
    "results", "situation", "weather", "data", "latest", "same", "case",
))
# How or when a command is to be done, after the device it names ("pump 2 off again",
# "turn pump 2 back on"): no qualifier of the device ("at the back" is still a place).
_HOW = frozenset((
    "again", "immediately", "asap", "back", "completely", "fully", "away", "manually",
    "quickly", "too", "also", "instantly", "straight", "promptly", "down", "up", "fast",
    "sofort", "wieder", "nochmal", "nochmals", "erneut", "gleich", "schnell", "mal", "komplett",
    "ganz", "vollstandig", "manuell", "meteen", "weer", "direct", "nogmaals", "opnieuw",
    "helemaal", "volledig", "handmatig", "suite", "manuellement", "rapidement", "nuevo",
    "nuevamente", "manualmente", "totalmente", "inmediato", "seguida", "ahorita",
    # the state wished for, after the device: "I'd like pump 2 switched off", "Pumpe 2
    # ausgeschaltet, bitte", "la bomba 2 apagada ya"
    "switched", "turned", "set", "shut", "powered", "put", "started", "stopped", "opened",
    "geschaltet", "ausgeschaltet", "eingeschaltet", "abgeschaltet", "angeschaltet",
    "gestartet", "gestoppt", "geoffnet", "geschlossen", "allume", "allumee", "eteint",
    "eteinte", "coupe", "coupee", "arrete", "arretee", "apagado", "apagada", "encendido",
    "encendida", "prendido", "prendida", "puesto", "puesta", "uitgezet", "aangezet",
    "uitgeschakeld", "ingeschakeld", "gezet", "gestart", "gestopt", "geopend", "gesloten",
))
_STOP = _NOT_PLACES | _OPENERS | _OF | _ARTICLES | frozenset(lexicon.UNITS) | frozenset(
    slot_words.fold(w) for table in (languages.FUNCTION, languages.TIME_WORDS, languages.UNITS,
                                     languages.WH, languages.ORDER, languages.SHOW,
                                     languages.COND, languages.REASON) for w in table)
_KIND_WORDS = frozenset(lexicon.KIND_OF_WORD)  # "cold" in "the cold room" is a thing
MAX_WORDS = 3  # a place name this long at most: "the north cold store"
# Words between an article and a kind that qualify it ("die große alte Pumpe"); the bound also
# keeps a 600-character "pump pump pump ..." from costing a scan back per word.
_QUALIFIER_WORDS = 6
_WRITTEN = re.compile(r"[^\W_]+")  # a word as written, accents and all
_FOLDED = re.compile(r"[a-z0-9]+")  # the same word once folded, as the slot parser reads it


class Written:
    """The request's words as written, to name a phrase read from its folded form back as the
    user wrote it ("kuhlhaus" -> "Kühlhaus", "etable" -> "étable"). The words are read once, on
    the first phrase: a 10 kB request of repeated names stays within the latency budget."""

    def __init__(self, text: str) -> None:
        self._text = text[:2000]
        self._words: list[tuple[str, int, int]] | None = None

    def of(self, phrase: str) -> str:
        """The phrase as written; the phrase itself when the request does not hold it word for
        word (a number word became a digit)."""
        if self._words is None:
            self._words = [(part, m.start(), m.end()) for m in _WRITTEN.finditer(self._text)
                           for part in _FOLDED.findall(slot_words.fold(m.group()))]
        words, want = self._words, _FOLDED.findall(phrase)
        for i in range(len(words) - len(want) + 1):
            if want and all(words[i + k][0] == w for k, w in enumerate(want)):
                return self._text[words[i][1]:words[i + len(want) - 1][2]]
        return phrase


class Unknown:
    """The request's tokens, read for places and qualifiers this gateway does not have.

    ``words`` are the request's tokens (kind and area words in English), ``used`` marks the
    tokens already read as a name, area, window or value, ``text`` is the request as scanned
    and ``spans`` where each token is in it;
    ``registry`` holds the words of the registry's areas, names and kinds, ``kinds`` the kind
    words of devices (a plural counts as its singular).
    """

    def __init__(self, words: list[str], used: list[bool], text: str,
                 spans: list[tuple[int, int]], registry: Container[str],
                 kinds: Container[str]) -> None:
        self.words, self.used, self._text, self._spans = words, used, text, spans
        self._registry, self._kinds = registry, kinds

    def _class(self, i: int) -> str:
        """"stop" ends a phrase; a "thing" (a kind word, a word of this registry) may be part
        of one ("the boiler room", "the north gate") but names nothing unknown alone; else
        "unknown"."""
        word = self.words[i]
        if (self.used[i] or not word.isalpha() or len(word) < 2 or word in _STOP
                or slot_words.is_switch_word(word)):
            return "stop"
        singular = word[:-1] if word.endswith("s") else word
        if self._kind(word) or word in self._registry or singular in self._registry:
            return "thing"
        return "unknown"

    def _kind(self, word: str) -> bool:
        singular = word[:-1] if word.endswith("s") else word
        return word in self._kinds or singular in self._kinds or word in _KIND_WORDS

    def places(self, *, question: bool = False) -> list[str]:
        """Place phrases that name nothing of this gateway ("in the barn" -> "barn"); in a
        ``question``, also what it asks about ("how warm is the greenhouse")."""
        out: list[str] = []
        words, n = self.words, len(self.words)
        for i, word in enumerate(words):
            subject = (question and word in _SUBJECT and i + 1 < n
                       and words[i + 1] in _ARTICLES)
            if self.used[i] or not (word in _OPENERS or subject or (
                    word in _OF and i + 1 < n and words[i + 1] in _ARTICLES)):
                continue
            start = self._past_articles(i + 1)
            end, unknown = start, 0  # longer than MAX_WORDS is no place: stop scanning there
            while end < n and end - start <= MAX_WORDS and (kind := self._class(end)) != "stop":
                unknown += kind == "unknown"
                end += 1
            if subject and any(self._kind(w) or slot_words.any_measured(w)
                               for w in words[start:end]):
                continue  # "is the pump running", "what is die Temperatur" ask about a kind
            if unknown > 0 and end - start <= MAX_WORDS:
                out.append(self._said(start, end + self._code(end)))
        return out

    def qualifiers(self, lang: str, *, command: bool = False) -> list[str]:
        """Devices named by a kind with a word this gateway does not know: "the backup pump",
        "die große Pumpe", "la bomba de reserva", "Reservepumpe" -> "backup pump",
        "grosse pumpe", ..., "reservepumpe" (a German or Dutch compound, article or not).

        Words before the kind count after an article ("turn fan off" has none), also before a
        name that starts with the kind ("the north pump 2"), and in a ``command`` the words
        right after such a name ("pump 2 north", "Pumpe 2 Reserve", "la bomba 2 de reserva",
        "pump 2 of the north building"); in French and
        Spanish, words after "de" do too ("vanne de vidange"), and in a ``command`` the word
        right after the kind ("allume la pompe principale"; in a question a verb may follow).
        """
        out: list[str] = []
        words, n = self.words, len(self.words)
        for i in range(n):
            if (not self.used[i] and words[i] not in self._registry
                    and slot_words.compound(words[i], lang)):
                out.append(self._said(i, i + 1))  # "die Reservepumpe", "de afvoerklep"
                continue
            if command and (after := self._after_name(i)):
                out.append(after)
                continue
            # a kind word that opens a name counts too: "the north pump 2" is not pump 2
            if not self._kind(words[i]) or (self.used[i] and (i == 0 or self.used[i - 1])):
                continue
            start, unknown = i, 0
            while start > 0 and i - start <= _QUALIFIER_WORDS and (
                    kind := self._class(start - 1)) != "stop":
                unknown += kind == "unknown"
                start -= 1
            if (unknown and start > 0 and i - start <= _QUALIFIER_WORDS
                    and words[start - 1] in _ARTICLES):
                out.append(self._said(start, i + 1))
                continue
            if lang not in ("fr", "es") or i + 1 >= n:
                continue
            if i + 2 < n and words[i + 1] in _OF:
                end = self._past_articles(i + 2)
                if end == i + 2 and self._class(end) == "unknown":  # "de la grange": a place
                    code = self._code(end + 1)  # "du hall C" is a place, "de vidange" not
                    out.append(self._said(end, end + 2) if code else self._said(i, end + 1))
            elif command and self._class(i + 1) == "unknown":  # "la pompe principale"
                out.append(self._said(i, i + 2))
        return out

    def _after_name(self, i: int) -> str | None:
        """"pump 2 north side" when token i ends a name made of a kind and a number ("pump 2")
        and words this gateway does not know follow it, or follow "of", "de", "van" and an
        article after it; None otherwise."""
        words, n = self.words, len(self.words)
        if not (0 < i < n - 1 and self.used[i] and self.used[i - 1] and words[i].isdigit()
                and not self.used[i + 1] and self._kind(words[i - 1])):
            return None
        start = self._past_articles(i + 2) if words[i + 1] in _OF | {"of", "von"} else i + 1
        end, unknown = start, 0
        while (end < n and end - start < MAX_WORDS and words[end] not in _HOW
               and (kind := self._class(end)) != "stop"):
            unknown += kind == "unknown"
            end += 1
        return self._said(i - 1, end) if unknown else None

    def _code(self, i: int) -> bool:
        """Whether token i is the letter or number of a place's name ("hall b")."""
        return i < len(self.words) and not self.used[i] and (
            len(self.words[i]) == 1 or self.words[i].isdigit())

    def _said(self, start: int, end: int) -> str:
        """Tokens start..end as the request wrote them, with what stood between them."""
        return self._text[self._spans[start][0]:self._spans[end - 1][1]]

    def _past_articles(self, i: int) -> int:
        while i < len(self.words) and not self.used[i] and self.words[i] in _ARTICLES:
            i += 1
        return i
