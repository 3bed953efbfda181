"""Word tables and compiled patterns for slot extraction: kinds, units, windows, aggregates.

Everything here is compiled once at import, so resolving a request only runs ready regexes.
"""

from __future__ import annotations

import re
import time

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
# A whole number said in words: "forty five" is 45 (not 40 and 5), "two hundred" 200, "a
# hundred and fifty" 150; "three quarters" is a fraction, no number at all.
_UNIT_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_BELOW_100 = (r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
              rf"(?:[\s-]+(?:{_UNIT_WORDS}))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
              rf"|nineteen|{_UNIT_WORDS}|zero")
NUMBER_PHRASE = re.compile(
    rf"\b(?:(?:(?:a|{_UNIT_WORDS})\s+)?hundred(?:\s+(?:and\s+)?(?:{_BELOW_100}))?"
    rf"|{_BELOW_100})\b(?![\s-]*(?:quarters?|thirds?|fifths?|sixths?|eighths?|tenths?|halves))")


def number_of(phrase: str) -> int:
    """The number a phrase ``NUMBER_PHRASE`` matched says ("forty-five" -> 45)."""
    total = 0
    for word in re.findall(r"[a-z]+", phrase):
        if word == "hundred":
            total = max(total, 1) * 100
        else:
            total += NUMBER_WORDS.get(word, 0)
    return total

# Canonical sensor kinds and the words that name them.
KIND_WORDS = {
    "temperature": ("temperature", "temp", "hot", "warm", "cold", "cool", "degrees", "heat"),
    "humidity": ("humidity", "humid", "rh", "dry"),
    "pressure": ("pressure",),
    "level": ("level", "full", "empty", "fill"),
    "flow": ("flow", "flowrate"),
    "co2": ("co2", "carbon dioxide"),
    "power": ("power", "watts", "wattage", "load"),
    "energy": ("energy", "consumption", "kwh"),
    "voltage": ("voltage", "volts"),
    "current": ("amps", "amperage"),
    "moisture": ("moisture", "soil moisture"),
    "ph": ("ph",),
    "vibration": ("vibration",),
    "speed": ("speed", "rpm"),
    "light": ("lux", "light level", "illuminance", "brightness"),
    "oxygen": ("oxygen", "o2"),
    "noise": ("noise", "loud"),
}
# Actuator kinds a registry may spell as the system rather than the device: what German
# "Heizung", French "chauffage" and English "heater" name is a "heating" there.
ACTUATOR_ALIASES = {"heating": "heater", "lighting": "light"}
KIND_PATTERN = re.compile(r"\b(" + "|".join(sorted(
    (w for words in KIND_WORDS.values() for w in words), key=len, reverse=True)) + r")\b")
KIND_OF_WORD = {w: k for k, words in KIND_WORDS.items() for w in words}

UNITS = {
    "°c": "°C", "c": "°C", "degc": "°C", "deg c": "°C", "degrees c": "°C", "celsius": "°C",
    "degrees celsius": "°C", "degrees": "°C", "deg": "°C", "°": "°C",
    "°f": "°F", "f": "°F", "degrees f": "°F", "fahrenheit": "°F", "degrees fahrenheit": "°F",
    "%": "%", "percent": "%", "pct": "%", "bar": "bar", "mbar": "mbar", "psi": "psi",
    "kpa": "kPa", "pa": "Pa", "rpm": "rpm", "l/min": "l/min", "lpm": "l/min", "l/h": "l/h",
    "m3/h": "m3/h", "kw": "kW", "w": "W", "hz": "Hz", "ppm": "ppm", "lux": "lux", "v": "V",
    "a": "A", "mm": "mm", "cm": "cm", "m": "m", "litres": "l", "litre": "l", "liters": "l",
    "liter": "l", "kwh": "kWh", "kg": "kg", "m3": "m3", "‰": "‰", "per mille": "‰",
    "permille": "‰", "promille": "‰",
}
VALUE = re.compile(
    r"(?<![\w.,/])(-?\d+(?:[.,]\d+)?)\s*(" + "|".join(
        re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")?(?![\w/]|[.,]\d)")

SWITCH_WORDS = (
    # "shut pump 2 down" is off, not the "shut" of a valve
    ("off", re.compile(r"\b(off|stop|halt|kill|disable|deactivate|shut ?down|power down|cut"
                       r"|(?:shut|power)\s+(?:[\w-]+\s+){0,3}down)\b")),
    ("close", re.compile(r"\b(close|closed|shut|seal)\b")),
    ("open", re.compile(r"\b(open|unlock)\b")),
    ("on", re.compile(r"\b(on|start|enable|activate|power up|fire up|resume|run|engage)\b")),
)

# Whether devices report, in the five languages ("which devices are offline?"); the words
# that deny a connection are tried first, so "nicht erreichbar" is offline, not "erreichbar".
STATUS = (
    ("offline", re.compile(
        r"\b(offline|off-line|off line|not (?:reporting|responding|connected|sending)|"
        r"unresponsive|unreachable|disconnected|(?:gone|went|are|is) (?:silent|quiet)|"
        r"stopped (?:reporting|sending)|(?:not|never|n't) reported|"
        r"hors[- ]ligne|déconnecté\w*|deconnecte\w*|injoignable\w*|muets?|"
        r"ne (?:répond|repond|envoi)\w* (?:plus|pas|rien)|"
        r"nicht (?:erreichbar|verbunden|online)|getrennt|ausgefallen|"
        r"(?:antwort|meld|send)\w* (?:nicht|nichts|keine)|"
        r"desconectad\w*|sin conexión|sin conexion|fuera de línea|"
        r"no (?:responde|envía|envia|informa)\w*|"
        r"niet (?:bereikbaar|verbonden|online)|verbroken|"
        r"(?:reageer|reageren|meld|stuur)\w* (?:niet|niets|geen))\b")),
    ("online", re.compile(
        r"\b(online|on-line|reporting|connected|en ligne|connecté\w*|erreichbar|verbunden|"
        r"conectad\w*|en línea|bereikbaar|verbonden)\b")),
)

AGGREGATES = (
    ("mean", re.compile(r"\b(average|mean|avg|typical)\b")),
    ("min", re.compile(r"\b(min|minimum|lowest|coldest)\b")),
    ("max", re.compile(r"\b(max|maximum|highest|peak|hottest)\b")),
    ("sum", re.compile(r"\b(total|sum|cumulative|overall)\b")),
    ("count", re.compile(r"\bhow (many|often)\b|\bnumber of times\b")),
    ("trend", re.compile(r"\b(trend\w*|evolve\w*|chang\w+|rising|falling|history)\b")),
)

_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
            "hr": 3600, "hour": 3600, "d": 86400, "day": 86400, "w": 604800, "wk": 604800,
            "week": 604800, "month": 2592000}
WINDOW = re.compile(
    r"\b(?:last|past|previous|prior|recent)\s+(\d+(?:\.\d+)?|a|an|one|half an?|half)?\s*"
    r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?)\b")
CALENDAR = re.compile(
    r"\b(since yesterday|yesterday|today|since midnight|(?:since )?this morning|this week"
    r"|this month|overnight|last night|over the weekend|since (?:monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday))\b")


# A time of day, in the five languages (accents folded): "at 2 pm", "at 14:30", "um 14 Uhr",
# "à 14h30", "a las 2 de la tarde", "om 14 uur", "at noon". An hour alone needs a mark (pm,
# Uhr, h, uur) or "a las": "at 40" is a value, not a time.
CLOCK = re.compile(
    r"\b(?:at|um|a|om|vers|sobre|gegen|rond)\s+(?:(?:las|la)\s+)?"
    r"(?:(\d{1,2})[:.h](\d{2})\s*(am|pm|uhr|h|uur)?"
    r"|(\d{1,2})\s*(am|pm|uhr|h|uur|o'?clock)\b"
    r"|(noon|midday|mittag|midi|mediodia|middag|midnight|mitternacht|minuit|medianoche"
    r"|middernacht))"
    r"|\ba las (\d{1,2})\b")
_AFTERNOON = re.compile(r"\s*(?:de la tarde|de la noche|nachmittags|abends|de l'?apres-midi"
                        r"|du soir|'?s middags|'?s avonds|in the (?:afternoon|evening))\b")
_NOON = ("noon", "midday", "mittag", "midi", "mediodia", "middag")  # else it is midnight


def clock_time(text: str, now: float) -> tuple[float, str] | None:
    """The latest moment at or before ``now`` with the time of day the text names (today's,
    else yesterday's; the gateway's local time), and the time as the text said it."""
    match = CLOCK.search(text)
    if match is None:
        return None
    hour_s, minute_s, mark, bare, bare_mark, word, las = match.groups()
    if word:
        hour, minute = (12 if word in _NOON else 0), 0
    else:
        hour = int(hour_s or bare or las)
        minute = int(minute_s or 0)
        later = _AFTERNOON.match(text, match.end()) is not None
        if ((mark or bare_mark) == "pm" or later) and hour < 12:
            hour += 12
        elif (mark or bare_mark) == "am" and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        return None
    today = time.localtime(now)
    moment = time.mktime((today.tm_year, today.tm_mon, today.tm_mday, hour, minute, 0, 0, 0, -1))
    if moment > now:
        moment -= 86400
    return moment, match.group(0).strip()


def unit_seconds(word: str) -> float:
    """Seconds in one time unit word ("hours" -> 3600)."""
    word = word.rstrip("s") if len(word) > 2 else word
    return float(_SECONDS.get(word, _SECONDS.get(word[:3], 3600)))


def calendar_seconds(phrase: str, now: float) -> float:
    """Length of a calendar window ending now ("since yesterday", "this week")."""
    local = time.localtime(now)
    midnight = local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec
    if phrase.endswith(("today", "midnight", "this morning")):
        return float(max(midnight, 60))
    if "yesterday" in phrase:
        return float(midnight + 86400)
    if phrase == "this week":
        return float(midnight + local.tm_wday * 86400)
    if phrase == "this month":
        return float(midnight + (local.tm_mday - 1) * 86400)
    if phrase in ("overnight", "last night"):
        return 12 * 3600.0
    if phrase == "over the weekend":
        return 3 * 86400.0
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    back = (local.tm_wday - days.index(phrase.split()[-1])) % 7
    return float(midnight + back * 86400)
