"""Slot words of German, French, Spanish and Dutch, mapped onto the English the slot parser reads.

The registry speaks English kinds ("pump", "valve") and the slot parser English phrases ("last 2
hours", "40 percent", "off"). ``normalise(text, lang)`` folds accents ("éteins" -> "eteins") and
rewrites a request's number words, units, time windows and calendar words into that English;
``english(word, lang)`` maps one kind or area word ("pumpe", "bomba", "pomp" -> "pump"; "linie"
-> "line"), token by token, so a name the registry lacks is still quoted as the user wrote it
("pumpe 9"). ``switch(text, lang)`` finds an on/off/open/close word. English passes through.
"""

from __future__ import annotations

import re
import unicodedata

from edge_agent.triage import lexicon, number_words

# Kind words (folded), singular and plural, to the registry's English kinds.
_KINDS: dict[str, dict[str, str]] = {
    "de": {
        "pumpe": "pump", "pumpen": "pumps", "ventil": "valve", "ventile": "valves",
        "lufter": "fan", "ventilator": "fan", "ventilatoren": "fans", "heizung": "heater",
        "heizungen": "heaters", "heizer": "heater", "kessel": "boiler", "kompressor":
        "compressor", "verdichter": "compressor", "klappe": "damper", "klappen": "dampers",
        "motor": "motor", "motoren": "motors", "licht": "light", "lichter": "lights",
        "lampe": "light", "lampen": "lights", "relais": "relay", "tur": "door", "tor": "gate",
        "sirene": "siren", "ruhrwerk": "agitator", "mischer": "mixer", "brenner": "burner",
        "forderband": "conveyor", "temperatur": "temperature", "feuchtigkeit": "humidity",
        "luftfeuchtigkeit": "humidity", "luftfeuchte": "humidity", "feuchte": "humidity",
        "druck": "pressure",
        "fullstand": "level", "pegel": "level", "durchfluss": "flow", "leistung": "power",
        "energie": "energy", "spannung": "voltage", "bodenfeuchte": "moisture",
        "drehzahl": "speed", "larm": "noise", "sauerstoff": "oxygen",
        # adjectives that ask for a kind, as "how full" and "how warm" do in English
        "voll": "level", "leer": "level", "warm": "temperature", "kalt": "temperature",
        "heiss": "temperature", "feucht": "humidity", "trocken": "humidity"},
    "fr": {
        "pompe": "pump", "pompes": "pumps", "vanne": "valve", "vannes": "valves",
        "ventilateur": "fan", "ventilateurs": "fans", "chauffage": "heater",
        "radiateur": "heater", "chaudiere": "boiler", "compresseur": "compressor",
        "registre": "damper", "moteur": "motor", "moteurs": "motors", "lumiere": "light",
        "lumieres": "lights", "lampe": "light", "lampes": "lights", "relais": "relay",
        "porte": "door", "portail": "gate", "sirene": "siren", "agitateur": "agitator",
        "melangeur": "mixer", "bruleur": "burner", "convoyeur": "conveyor",
        "arroseur": "sprinkler", "temperature": "temperature", "humidite": "humidity",
        "pression": "pressure", "niveau": "level", "debit": "flow", "puissance": "power",
        "energie": "energy", "tension": "voltage", "vitesse": "speed", "bruit": "noise",
        "oxygene": "oxygen", "plein": "level", "pleine": "level", "vide": "level",
        "chaud": "temperature", "froid": "temperature", "humide": "humidity"},
    "es": {
        "bomba": "pump", "bombas": "pumps", "valvula": "valve", "valvulas": "valves",
        "ventilador": "fan", "ventiladores": "fans", "calefaccion": "heater",
        "calentador": "heater", "caldera": "boiler", "compresor": "compressor",
        "compuerta": "damper", "motor": "motor", "motores": "motors", "luz": "light",
        "luces": "lights", "lampara": "light", "rele": "relay", "puerta": "door",
        "porton": "gate", "sirena": "siren", "agitador": "agitator", "mezclador": "mixer",
        "quemador": "burner", "transportador": "conveyor", "aspersor": "sprinkler",
        "temperatura": "temperature", "humedad": "humidity", "presion": "pressure",
        "nivel": "level", "caudal": "flow", "flujo": "flow", "potencia": "power",
        "energia": "energy", "voltaje": "voltage", "tension": "voltage",
        "velocidad": "speed", "ruido": "noise", "oxigeno": "oxygen", "lleno": "level",
        "llena": "level", "vacio": "level", "vacia": "level", "caliente": "temperature",
        "frio": "temperature", "fria": "temperature", "calor": "temperature",
        "humedo": "humidity", "humeda": "humidity", "seco": "humidity"},
    "nl": {
        "pomp": "pump", "pompen": "pumps", "klep": "valve", "kleppen": "valves",
        "ventiel": "valve", "ventielen": "valves", "ventilator": "fan", "ventilatoren": "fans",
        "verwarming": "heater", "kachel": "heater", "ketel": "boiler", "compressor":
        "compressor", "motor": "motor", "motoren": "motors", "lamp": "light",
        "lampen": "lights", "licht": "light", "lichten": "lights", "relais": "relay",
        "deur": "door", "poort": "gate", "sirene": "siren", "roerwerk": "agitator",
        "menger": "mixer", "brander": "burner", "transportband": "conveyor",
        "sproeier": "sprinkler", "temperatuur": "temperature", "vochtigheid": "humidity",
        "luchtvochtigheid": "humidity", "druk": "pressure", "niveau": "level",
        "debiet": "flow", "vermogen": "power", "energie": "energy", "spanning": "voltage",
        "snelheid": "speed", "geluid": "noise", "zuurstof": "oxygen", "vol": "level",
        "leeg": "level", "warm": "temperature", "koud": "temperature", "heet": "temperature",
        "vochtig": "humidity", "droog": "humidity"},
}
# Area words (folded) to the English ones areas are usually declared with ("zone 3").
_AREAS: dict[str, dict[str, str]] = {
    "de": {"zone": "zone", "linie": "line", "leitung": "line", "halle": "hall", "raum": "room",
           "behalter": "tank",
           "etage": "floor", "stockwerk": "floor", "gebaude": "building",
           "gewachshaus": "greenhouse"},
    "fr": {"zone": "zone", "ligne": "line", "hall": "hall", "salle": "room",
           "reservoir": "tank", "cuve": "tank",
           "etage": "floor", "batiment": "building", "serre": "greenhouse"},
    "es": {"zona": "zone", "linea": "line", "nave": "hall", "sala": "room",
           "tanque": "tank", "deposito": "tank",
           "planta": "floor", "piso": "floor", "edificio": "building",
           "invernadero": "greenhouse"},
    "nl": {"zone": "zone", "lijn": "line", "hal": "hall", "ruimte": "room", "kamer": "room",
           "verdieping": "floor", "gebouw": "building", "kas": "greenhouse"},
}
_WORDS = {lang: {**_AREAS[lang], **kinds} for lang, kinds in _KINDS.items()}
# What a German or Dutch compound may end with to name a kind of device ("Reservepumpe",
# "Abluftventilator", "afvoerklep"): kind words of four letters or more ("tor" also ends
# "Motor" and "Sektor"), longest first, without measured quantities ("Raumtemperatur") and
# "licht" ("Tageslicht" is measured light too).
_COMPOUND_ENDS = {lang: sorted((w for w, kind in _KINDS[lang].items()
                                if len(w) >= 4 and w != "licht"
                                and kind.removesuffix("s") not in lexicon.KIND_WORDS),
                               key=len, reverse=True) for lang in ("de", "nl")}

# Switch words per language, most cautious first (off before on), like lexicon.SWITCH_WORDS.
_SWITCH: dict[str, tuple[tuple[str, str], ...]] = {
    # a separable verb with or without the "zu" of a polite request: "... Pumpe 2 auszuschalten?"
    "de": (("off", r"aus|aus(?:zu)?schalten|aus(?:zu)?machen|ab(?:zu)?schalten|ab(?:zu)?stellen"
                   r"|stopp\w*|an(?:zu)?halten|deaktivier\w*|ausgeschaltet|abgeschaltet|abgestellt"
                   r"|ausgemacht"),
           # "zu" is "closed", but not as the "to" of another verb ("Ventil 4 zu öffnen")
           ("close", r"schliess\w*|geschlossen|zugemacht|zu(?:zu)?machen|zu(?:zu)?drehen"
                     r"|zu(?!\s+(?:offne\w*"
                     r"|auf\w*|ein\w*|aus\w*|an\w*|ab\w*|start\w*|stopp\w*|schalt\w*"
                     r"|aktivier\w*|deaktivier\w*|betatig\w*)\b)"),
           ("open", r"offne\w*|offnen|geoffnet|auf(?:zu)?machen|aufgemacht|auf(?:zu)?drehen"
                    r"|auf(?=\W*$)"),
           ("on", r"an|ein|ein(?:zu)?schalten|an(?:zu)?schalten|an(?:zu)?machen|starte\w*"
                  r"|aktivier\w*|eingeschaltet|angeschaltet|angemacht|gestartet")),
    "fr": (("off", r"eteins|eteindre|eteignez|eteint\w*|arrete\w*|stoppe\w*|coupe\w*"
                   r"|desactive\w*"),
           ("close", r"ferme\w*"),
           ("open", r"ouvre\w*|ouvrir|ouvert\w*"),
           ("on", r"allume\w*|demarre\w*|active\w*|marche")),
    "es": (("off", r"apaga\w*|deten\w*|detener|desactiva\w*|corta\w*|^\W*para"),
           ("close", r"cierra\w*|cerrar|cerrad[oa]s?"),
           ("open", r"abre|abrir|abra|abiert[oa]s?"),
           ("on", r"enciende\w*|encender|encienda|encendid[oa]s?|prende\w*|prendid[oa]s?"
                  r"|activa\w*|arranca\w*|en marcha")),
    "nl": (("off", r"uit\w*|stop\w*"),
           ("close", r"sluit\w*|dicht\w*|gesloten"),
           ("open", r"open\w*|geopend"),
           ("on", r"aan\w*|start\w*|inschakelen")),
}
_SWITCH_PATTERNS = {lang: tuple((value, re.compile(rf"\b(?:{words})\b"))
                                for value, words in pairs) for lang, pairs in _SWITCH.items()}
_ANY_SWITCH = re.compile("|".join(f"(?:{words})" for pairs in _SWITCH.values()
                                  for _, words in pairs))

_NUMBERS = number_words.NUMBERS
_LETTERS = re.compile(r"[^\W\d_]+")
_NUMBER_PATTERNS = {lang: number_words.pattern(lang) for lang in _NUMBERS}

_UNITS: dict[str, tuple[tuple[str, str], ...]] = {
    "de": ((r"prozent", "percent"), (r"grad", "degrees")),
    "fr": ((r"pour[ -]?cent", "percent"), (r"degres?", "degrees")),
    "es": ((r"por ?ciento", "percent"), (r"grados?", "degrees")),
    "nl": ((r"procent", "percent"), (r"graden", "degrees")),
}
_UNIT_PATTERNS = {lang: tuple((re.compile(rf"\b{pattern}\b"), english)
                              for pattern, english in pairs) for lang, pairs in _UNITS.items()}

_AMOUNT = r"(\d+(?:[.,]\d+)?)"
_TIME_UNIT = {
    "de": r"sekunden?|minuten?|stunden?|tagen?|tage|wochen?|monaten?|monate|monat",
    "fr": r"secondes?|minutes?|heures?|jours?|semaines?|mois",
    "es": r"segundos?|minutos?|horas?|dias?|semanas?|mes(?:es)?",
    "nl": r"seconden?|minuten?|minuut|uur|uren|dagen?|weken|week|maanden?",
}
_LAST = {"de": r"(?:letzten|letzte|letzter|vergangenen|vergangene|seit)",
         "fr": r"(?:derniere?s?|depuis)", "es": r"(?:ultim[oa]s?|hace)",
         "nl": r"(?:laatste|afgelopen|voorbije|sinds)"}
# "letzten 2 Stunden", "2 dernières heures", "últimas 2 horas", "afgelopen uur".
_WINDOWS = {lang: re.compile(
    rf"(?:\b{_AMOUNT}\s+)?\b{_LAST[lang]}\s+(?:{_AMOUNT}\s+)?({_TIME_UNIT[lang]})\b")
    for lang in _LAST}
_ENGLISH_UNIT = (("sem", "weeks"), ("se", "seconds"), ("mi", "minutes"), ("st", "hours"),
                 ("he", "hours"), ("ho", "hours"), ("u", "hours"), ("t", "days"),
                 ("j", "days"), ("d", "days"), ("w", "weeks"), ("m", "months"))
# Longest phrase first: "seit heute Morgen" is this morning, not today.
_CALENDAR: dict[str, tuple[tuple[str, str], ...]] = {
    "de": ((r"(?:seit )?heute (?:morgen|fruh)", "since this morning"),
           (r"(?:seit )?gestern", "since yesterday"), (r"heute", "today")),
    "fr": ((r"(?:depuis )?ce matin", "since this morning"),
           (r"(?:la )?semaine derniere", "last week"),
           (r"(?:depuis )?hier", "since yesterday"), (r"aujourd ?hui", "today")),
    "es": ((r"(?:desde )?esta manana", "since this morning"),
           (r"(?:la )?semana pasada", "last week"),
           (r"(?:desde )?ayer", "since yesterday"), (r"hoy", "today")),
    "nl": ((r"(?:sinds )?(?:vanochtend|vanmorgen)", "since this morning"),
           (r"vorige week", "last week"),
           (r"(?:sinds )?gisteren", "since yesterday"), (r"vandaag", "today")),
}
_CALENDAR_PATTERNS = {lang: tuple((re.compile(rf"\b{pattern}\b"), english)
                                  for pattern, english in pairs)
                      for lang, pairs in _CALENDAR.items()}


def fold(text: str) -> str:
    """Lower case without accents: "Éteins" -> "eteins", "Schließe" -> "schliesse"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def english(word: str, lang: str) -> str:
    """The English kind or area word for one (folded, lower-case) word; the word otherwise."""
    return _WORDS.get(lang, {}).get(word, word)


def digits(text: str, lang: str) -> str:
    """The text with English numbers in words, read whole as the slots read them ("by forty
    five percent" -> "by 45 percent"), and the number words of ``lang`` as digits, accents
    kept elsewhere ("by two degrees" -> "by 2 degrees", "um fünf Grad" -> "um 5 Grad")."""
    text = lexicon.NUMBER_PHRASE.sub(lambda m: str(lexicon.number_of(m.group())), text)
    table = _NUMBERS.get(lang, {})

    def number(match: re.Match[str]) -> str:
        found = table.get(fold(match.group()))
        return match.group() if found is None else str(found)
    return _LETTERS.sub(number, text) if table else text


def compound(word: str, lang: str) -> str | None:
    """The English kind a German or Dutch compound names ("reservepumpe" -> "pump",
    "afvoerkleppen" -> "valves"), or None for any other word (a kind word itself included)."""
    if word in _WORDS.get(lang, {}):
        return None
    for end in _COMPOUND_ENDS.get(lang, ()):
        if word.endswith(end) and len(word) - len(end) >= 3 and word[:-len(end)].isalpha():
            return _KINDS[lang][end]
    return None


def normalise(text: str, lang: str) -> str:
    """The request (lower case) with accents folded and number words, units, time windows and
    calendar words in English; English text is returned unchanged."""
    if lang not in _KINDS:
        return text
    out = fold(text)
    out = _NUMBER_PATTERNS[lang].sub(lambda m: number_words.value(m, lang), out)
    for pattern, unit in _UNIT_PATTERNS[lang]:
        out = pattern.sub(unit, out)
    out = _WINDOWS[lang].sub(_english_window, out)
    for pattern, phrase in _CALENDAR_PATTERNS[lang]:
        out = pattern.sub(phrase, out)
    return out


def _english_window(match: re.Match[str]) -> str:
    amount = match.group(1) or match.group(2)
    unit = next(english for prefix, english in _ENGLISH_UNIT
                if match.group(3).startswith(prefix))
    return f"last {amount} {unit}" if amount else f"last {unit.rstrip('s')}"


_PLURAL = {"de": r"alle|alles|beide", "fr": r"tous|toutes|tout|chaque",
           "es": r"todos|todas|todo|cada|ambos|ambas", "nl": r"alle|allemaal|elke|beide"}
_PLURAL_PATTERNS = {lang: re.compile(rf"\b(?:{words})\b") for lang, words in _PLURAL.items()}


def plural(text: str, lang: str) -> bool:
    """Whether the (normalised) text says "all" or "both" in ``lang``."""
    pattern = _PLURAL_PATTERNS.get(lang)
    return pattern is not None and pattern.search(text) is not None


def is_switch_word(word: str) -> bool:
    """Whether one folded word is a switch state or verb in any language ("aus", "uit")."""
    return _ANY_SWITCH.fullmatch(word) is not None or any(
        p.fullmatch(word) for _, p in lexicon.SWITCH_WORDS)


def switch(text: str, lang: str) -> str | None:
    """The switch word ("on", "off", "open", "close") the text says, in ``lang`` first, then
    in English (requests mix it in), if any."""
    for value, pattern in (*_SWITCH_PATTERNS.get(lang, ()), *lexicon.SWITCH_WORDS):
        if pattern.search(text):
            return value
    return None


# Words for the two roles in the five languages (folded), compounds included
# ("Temperatursensoren", "capteurs", "Aktoren"): "list the sensors" lists sensors only.
_ROLES = (("sensor", re.compile(r"\b\w*(?:sensor|capteur|fuhler|messfuhler)\w*\b")),
          ("actuator", re.compile(r"\b\w*(?:actuat|aktor|aktuator|actionneur|actuador|stellglied)"
                                  r"\w*\b")))


def role(text: str) -> str | None:
    """The role ("sensor" or "actuator") the (folded) text names, when it names one only."""
    named = [name for name, pattern in _ROLES if pattern.search(text)]
    return named[0] if len(named) == 1 else None


# Measured quantities of German and Dutch, to read compounds ("Durchschnittstemperatur",
# "Temperatursensor", "gemiddeldetemperatuur") as the quantity they start or end with.
_MEASURED = {lang: sorted((w for w, kind in _KINDS[lang].items()
                           if len(w) >= 5 and kind in lexicon.KIND_WORDS), key=len, reverse=True)
             for lang in ("de", "nl")}


def measured(word: str, lang: str) -> str | None:
    """The English quantity a German or Dutch compound names by its first or last part
    ("durchschnittstemperatur", "temperatursensoren" -> "temperature"); None otherwise."""
    if word in _WORDS.get(lang, {}):
        return None
    for part in _MEASURED.get(lang, ()):
        rest = word.removeprefix(part) if word.startswith(part) else word.removesuffix(part)
        if rest != word and len(rest) >= 3 and rest.isalpha():
            return _KINDS[lang][part]
    return None


# Measured quantities in any of the four languages, five letters or more ("luchtvochtigheid"
# in a request read as English or German): short words ("vol", "warm", "druk") say other
# things in other languages.
_ANY_MEASURED = {w: kind for table in _KINDS.values() for w, kind in table.items()
                 if len(w) >= 5 and kind in lexicon.KIND_WORDS}


def any_measured(word: str) -> str | None:
    """The English quantity a (folded) word of any of the four languages names, if any."""
    return _ANY_MEASURED.get(word)


# Questions that ask how warm it is without naming a quantity: "il fait combien dans la zone
# 3", "quel temps fait-il", "¿cuánto hace en la zona 3?", "¿qué tiempo hace?" (English, German
# and Dutch say "how warm", "wie warm", "hoe warm", which name it). Not "hace cuánto que ..."
# nor "cuánto hace desde ...": how long ago.
_WARMTH = re.compile(
    r"\b(?:(?:il )?fait combien|combien (?:il )?fait|quel temps (?:il )?fait"
    r"|cuanto hace(?! que| desde)|hace cuanto(?! tiempo| que| desde| rato)"
    r"|que tiempo hace)\b")


def implied_kind(text: str) -> str | None:
    """The quantity a question asks about by its idiom alone ("il fait combien":
    temperature), in its folded, space-joined words; None when it has none."""
    return "temperature" if _WARMTH.search(text) else None


# What a device draws from the mains, asked in the five languages (folded): "how much power is
# the pump drawing", "Stromverbrauch von Pumpe 2", "consommation de la pompe 2", "¿cuánta
# potencia consume la bomba 2?", "verbruik van pomp 2". A use or draw of water, feed, gas or
# air ("water consumption", "Wasserverbrauch", "consumo de agua") is no electrical quantity.
ELECTRICAL_KINDS = ("power", "energy", "current")
_ELECTRICAL = (
    ("current", re.compile(r"\b(?:amps?|amperage|amperes?|amperios?|courant|corriente"
                           r"|how much current)\b")),
    ("energy", re.compile(r"\b(?:energy|kwh|energie\w*|energia|electricity|elektrizitat"
                          r"|electricite|electricidad|elektriciteit)\b")),
    ("power", re.compile(r"\b(?:power|watts?|wattage|kw|kilowatts?|leistung\w*|strom\w*"
                         r"|puissance|potencia|vatios|vermogen|stroom\w*)\b")),
)
# "power" that asks whether a device runs: "power state of pump 2", "is the power on?".
_RUNS = re.compile(r"\bpower\s+(?:state|status|supply|outage|failure|cycle|cut)\w*"
                   r"|\b(?:is|was|are)\s+(?:the\s+)?power\s+(?:on|off)\b"
                   r"|\bpower(?:ed)?\s+(?:on|off|up|down)\W*$")
# Words that ask what a device uses or draws, electrical unless a medium is named.
_USES = re.compile(r"\b(?:consumption|consum(?:e|es|ed|ing)|draw|drawing|draws|zieht"
                   r"|\w*verbrauch\w*|\w*verbruik\w*|consommation|consomm\w*|consumo"
                   r"|consumen?)\b")
_MEDIUM = re.compile(r"\b(?:water|wasser|eau|agua|feed|futter|voer|pienso|aliment|gas|air|luft"
                     r"|lucht|aire|fuel|diesel|oil|heizol|mazout|gasoleo)\w*")


def electrical(text: str) -> str | None:
    """The electrical quantity ("current", "energy" or "power") a (folded) question asks
    about, if any: the first of them it names, else "energy" for a use without a medium."""
    text = _RUNS.sub(" ", text)
    named = next((kind for kind, pattern in _ELECTRICAL if pattern.search(text)), None)
    if named is None and _USES.search(text) and not _MEDIUM.search(text):
        return "energy"
    return named


def metered(text: str, kind: str | None, named: bool) -> tuple[str | None, str | None]:
    """The electrical quantity a question asks of what it names, and the kind left naming
    that: ("power", "pump") for "how much power is the pump drawing", ("power", None) for
    "power on line 2"; (None, kind) when it asks another quantity or none. ``named``: the
    question names a device ("power state of pump 2" asks whether it runs)."""
    asked = electrical(text)
    low = (kind or "").lower()
    measured = low in lexicon.KIND_WORDS
    if asked is None and low == "power" and named and _RUNS.search(text):
        return None, None  # "power state of pump 2": whether it runs, no quantity
    if asked is None or (measured and low not in ELECTRICAL_KINDS):
        return None, kind
    return asked, None if measured else kind
