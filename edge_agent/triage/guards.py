"""Commands the gateway must not carry out as the model reads them: negated, relative,
reported, hedged, asked, quoted, deferred, conditional, excepted and corrected ones.

The model knows intents, not meaning: "don't turn off pump 2", "Pumpe 2 nicht ausschalten"
and "zet pomp 2 niet uit" are ``set_actuator`` with the value "off" at 0.90, and "increase fan
3 by 10%" is "set fan 3 to 10 %". Carried out locally, each would do the opposite of, or
something other than, what was asked. "I turned off pump 2" reports what someone did, and
"open valve 4 a bit" asks for a change by an amount nobody named: carried out, the first
would repeat a switch nobody asked for. So would "Tom schaltet Pumpe 2 aus" and "Marie éteint
la pompe 2" (what someone does), "we could turn off pump 2" (a suggestion), "example: pump 2
off" (not meant) and "remind me to turn off pump 2" (passed on); and so do "maybe turn off
pump 2", "¿puedo apagar la bomba 2?", "the manual says 'turn off pump 2'", "schalte Pumpe 2
morgen aus", "turn off pump 2 if the tank is full", "turn off everything but the fan", "set
fan 3 to 40 or 50" and "Pumpe 2 aus, nein, Pumpe 3" (read whole, it names both pumps): the
gateway switches now, as said, or not at all. Such a command escalates: a cloud model reads
it, and its proposal goes through the actuation policy like any other.

The words are in ``guard_words``.
"""

from __future__ import annotations

import re

from edge_agent.triage import guard_words as words
from edge_agent.triage import number_words, questions, slot_words

_TABLES: tuple[tuple[str, dict[str, re.Pattern[str]]], ...] = (
    ("relative", words.RELATIVE), ("reported", words.REPORTED), ("reported", words.ACTING),
    ("announced", words.ANNOUNCED),
    ("hedged", words.HEDGED),
    ("asked", words.ASKED), ("quoted", words.QUOTED), ("deferred", words.DEFERRED),
    ("conditional", words.CONDITIONAL), ("excepted", words.EXCEPTED),
    ("corrected", words.CORRECTED))

# A change by an amount without "by": "turn fan 3 up 10%", "turn the heater up 2 degrees",
# "Lüfter 3 10 % runter", "baja el ventilador 3 10 %", "fan 3 +10%". A number with a unit is
# a target only after "to", "auf", "à", "al", "op" ...; after a word that raises or lowers, or
# signed, it is a step. The direction words of every language count in each.
_DIRECTION = re.compile(
    r"\b(?:up|down|raise|increase|decrease|lower|reduce|boost|bump|crank|drop|nudge|"
    r"hoch\w*|runter\w*|herunter\w*|rauf\w*|herauf\w*|erh[öo]h\w*|senk\w*|reduzier\w*|"
    r"verringer\w*|steiger\w*|augment\w*|baiss\w*|diminu\w*|r[ée]dui\w*|monte[rsz]?|"
    r"descend\w*|hausse[rsz]?|sube|subir|subid\w*|baja|bajar|aument\w*|disminu\w*|"
    r"reduc\w*|increment\w*|omhoog|omlaag|hoger|lager|verhoog\w*|verlaag\w*|"
    # the same said with a pronoun ("subile 2 grados", "bajale"), or as warming or cooling
    # ("enfría la cámara 2 tres grados", "koel cel 2 2 graden af", "heiz Raum 4 2 Grad")
    r"sub[ií](?:le|lo|la)|subele|baj[aá](?:le|lo|la)|heat|warm|cool|chill|heiz(?:e|en)?|"
    r"aufheizen|w[äa]rm(?:e|en)|k[üu]hl(?:e|en)?|abk[üu]hlen|chauff(?:e|er|ez)|"
    r"r[ée]chauff(?:e|er|ez)|refroidi(?:s|r|ssez)|calient(?:a|e|ar|ale|alo|ala)|"
    r"enfr[íi](?:a|e|ar|ale|alo|ala)|verwarm(?:en)?|koel(?:en)?|afkoelen|opwarmen)\b")
_STEP = re.compile(
    r"(?<![\w.,])([-+]?)\d+(?:[.,]\d+)?\s*(?:%|°|percent\b|per\s*cent\b|prozent\b|"
    r"pour\s*cent\b|pourcent\b|por\s*ciento\b|procent\b|degrees?\b|deg\b|grad\b|grados?\b|"
    r"degr[ée]s?\b|graden\b|[cfk]\b|bar\b|rpm\b)")
_DIRECTION_BY = re.compile(_DIRECTION.pattern + r"\s+[-+]?\d")  # "fan 3 up 10"
_TARGET = frozenset(("to", "at", "till", "=", "auf", "bei", "bis", "à", "a", "sur", "al",
                     "hasta", "op", "naar", "tot", "jusqu'à", "jusqu’à", "jusqu'a"))


def _stepped(low: str) -> bool:
    """Whether a number is a step, not a target ("up 10%", "+10%", "fan 3 up 10"); after a
    target word it never is ("to -18 °C")."""
    if _DIRECTION_BY.search(low):
        return True
    for match in _STEP.finditer(low):
        before = low[:match.start()].split()
        if before and before[-1] in _TARGET:
            continue
        if match.group(1) or _DIRECTION.search(low):
            return True
    return False


def held_back(text: str, lang: str) -> str | None:
    """Why a command must not run on the gateway as read, or None: ``negated`` ("don't
    turn off pump 2"), ``relative`` ("increase fan 3 by 10%", "open valve 4 a bit", "turn fan
    3 up 10%"), ``reported`` ("I turned off pump 2"), ``hedged`` ("maybe ..."), ``asked``
    ("should I ...?"), ``quoted``, ``deferred`` ("... at 5 pm", "... for 5 minutes"),
    ``conditional`` ("if ..."), ``excepted`` ("all but ..."), ``corrected`` ("pump 2 off,
    no, pump 3") or ``several`` (two values, or two clauses that each set something: "Licht
    in Halle A aus und Tor 2 zu").
    The request's language and English count, and every language's negations, as requests
    mix them. Number words count as numbers: "by two degrees" is "by 2 degrees"."""
    low = slot_words.digits(text.lower(), lang)
    if any(pattern.search(low) for pattern in words.NEGATION.values()):
        return "negated"
    codes = tuple(dict.fromkeys((lang, "en")))
    for name, table in _TABLES:
        if any(code in table and table[code].search(low) for code in codes):
            return name
    if _stepped(low) or _stepped_in_other_words(low, lang):
        return "relative"
    if words.QUESTION.search(low) and not any(
            code in words.ASKING_YOU and words.ASKING_YOU[code].search(low) for code in codes):
        return "asked"
    return "several" if words.SEVERAL.search(low) or _two_settings(low, lang) else None


def _stepped_in_other_words(low: str, lang: str) -> bool:
    """Whether a number in another language's words is a step ("sube dos grados la sala 3",
    told as French): language detection errs on short requests, and a step read as a target
    sets the wrong value. Converting more words can only hold more commands back."""
    for other in number_words.NUMBERS:
        if other != lang:
            said = slot_words.digits(low, other)
            if said != low and (_stepped(said) or words.RELATIVE[other].search(said)):
                return True
    return False


# Clauses of one request: "Licht in Halle A aus und Tor 2 zu", "pump 2 off, valve 4 open"
# (not the comma of "16,2 %"). English joins clauses in every language's requests.
_JOIN = {"en": "and|then", "de": "und|dann|danach|sowie", "fr": "et|puis|ensuite",
         "es": "y|luego|después|despues", "nl": "en|dan|daarna"}
_CLAUSE = {lang: re.compile(rf"\s*(?:[,;](?!\d)|\b(?:{joins}|{_JOIN['en']})\b)\s*")
           for lang, joins in _JOIN.items()}
# A value to set, said as a target: "to 40 %", "auf 18 Grad", "à 20", "al 50", "op 30".
_TARGET_VALUE = re.compile(r"\b(?:to|auf|à|a|al|sur|op|naar)\s+[-+−]?\d")
# "on" as a place, not a state: "the awning on kitchen 6" ("turn it on now" and "the lights
# on in hall B" keep it).
_ON_A_PLACE = re.compile(r"(?<!turn )(?<!switch )(?<!power )(?<!put )(?<!it )(?<!them )"
                         r"\bon\s+(?=(?!(?:please|now|again|asap|pls|too|in|at|for|across"
                         r"|inside|outside|throughout|during|everywhere|here|there)\b)"
                         r"[^\W\d_])")


# Doing something to a device that is no switch: "... en de voerbak vullen", "fill tank 2".
_ACTS = re.compile(
    r"\b(?:fill|refill|empty|drain|flush|vullen|bijvullen|legen|leegmaken|spoelen|füllen"
    r"|fuellen|auffüllen|leeren|entleeren|spülen|spuelen|remplir|remplis|remplissez|vider|vide"
    r"|videz|rincer|llenar|llena|rellenar|rellena|vaciar|vac[íi]a|enjuagar)\b")


def _two_settings(low: str, lang: str) -> bool:
    """Whether two clauses of a command each set something ("Licht in Halle A aus und Tor 2
    zu", "fan 3 to 40 % and pump 2 on"): two commands in one, where the model reads one
    value and one device, and would set that device to the other's value."""
    clauses = _CLAUSE.get(lang, _CLAUSE["en"]).split(low)
    if len(clauses) < 2:  # most commands: one clause sets one thing at most
        return False
    settings = 0
    for clause in clauses:
        said = slot_words.fold(_ON_A_PLACE.sub("", clause))
        if clause and (slot_words.switch(said, lang) is not None
                       or _TARGET_VALUE.search(clause) or _ACTS.search(clause)):
            settings += 1
    return settings >= 2


_QUOTE_MARK = re.compile(words.QUOTE)


def quotes_a_command(text: str, lang: str) -> bool:
    """Whether a request quotes a command ("le manuel dit « éteins la pompe 2 »"): whatever
    the model reads it as (a question about pump 2), it is neither that question nor the
    command, and it escalates."""
    low = text.lower()
    return (_QUOTE_MARK.search(low) is not None
            and slot_words.switch(slot_words.fold(low), lang) is not None)


# Questions the model takes for alerts questions that ask something else: which reading is
# highest ("which zone is warmest", "wo ist es am kältesten", "où fait-il le plus chaud") or
# what runs ("is anything running", "läuft irgendwas", "draait er iets"). Answered "no active
# alerts", they would be answered wrong; they escalate, with the readings as context.
_NOT_ALERTS = re.compile(
    rf"\b(?:{questions.SUPERLATIVES}|{questions.MOST}\w+|"
    r"(?:anything|something|what(?:'s| is)?|which \w+ (?:is|are)) (?:running|on|switched on)|"
    r"l[äa]uft (?:irgend)?(?:was|etwas|gerade)|(?:quelque chose|quoi|qu'est-ce qui) "
    r"(?:tourne|marche|fonctionne)|(?:algo|qu[ée]) (?:est[áa] )?(?:funcionando|encendido|en "
    r"marcha)|(?:draait|loopt|werkt) er (?:iets|wat))\b")
# Whether one numbered device runs: "is pump 2 still running", "ist Pumpe 2 in Betrieb", "la
# pompe 2 est-elle en marche", "is de dompelpomp DP-2 nog in bedrijf" ("is everything running
# normally", "läuft irgendwo etwas schief" name no device and may ask about alerts).
_RUNS = re.compile(
    r"\b(?:running|in operation|in betrieb|l[äa]uft|en marche|en service|en fonctionnement|"
    r"en funcionamiento|funcionando|in bedrijf|draait)\b")
_NUMBERED = re.compile(r"[^\W\d_]+[ -]?\d")
# A question with one of these words is about alerts whatever else it says ("any alarms on
# the highest floor").
_ALERT_WORDS = re.compile(
    r"\b(?:alarm|alert|warning|fault|error|incident|alarme|alerte|avertissement|d[ée]faut|"
    r"panne|st[öo]rung|warnung|fehler|meldung|alarma|alerta|aviso|fallo|aver[íi]a|storing|"
    r"melding|waarschuwing|fout)\w*")


def not_alerts(text: str) -> bool:
    """Whether a question the model reads as one about alerts compares readings or asks what
    runs ("which zone is warmest", "is anything running", "is pump 2 still running"), in any
    of the five languages."""
    low = text.lower()
    asks_runs = _RUNS.search(low) is not None and _NUMBERED.search(low) is not None
    return (asks_runs or _NOT_ALERTS.search(low) is not None) and _ALERT_WORDS.search(low) is None
