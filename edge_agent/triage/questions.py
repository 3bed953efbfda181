"""Questions the gateway must not answer from its own readings, whatever the model reads them
as: a ranking, a forecast, and a question that also gives a command.

- A ranking compares devices or places: "which barn is warmest", "welcher Stall hat die
  höchste Temperatur", "où fait-il le plus chaud". Answered here, it would get one reading, or
  a clarifying question about a place called "höchste Temperatur".
- A forecast asks what will be: "is there enough feed until Monday", "reicht das Wasser bis
  Freitag", "when will tank 1 be empty", "estimate how long the silo lasts". A reading is not
  a prediction.
- A question with a command in it: "how warm is it in zone 3, and close the vents". Answered
  as the question, the command would be dropped without a word.
- A question about what to do: how to do something ("how do I bleed the pump", "hoe ontlucht
  ik de circulatiepomp", "¿cómo se purga la bomba?") or what to do now ("the milk tank is
  odd, what do we do?", "qué hacemos"). A reading answers neither.

Each escalates, with the readings as context. A command read as a command has its own guards
(``guards``); an alerts question read as "no active alerts" its own (``guards.not_alerts``).
"""

from __future__ import annotations

import re

from edge_agent.triage.languages import ORDER

# Superlatives of readings and of running, in the five languages; ``guards.not_alerts`` reads
# them too. The French and Spanish "le plus ..." / "el más ..." form is ``MOST`` and a word.
SUPERLATIVES = (
    r"warmest|hottest|coldest|coolest|highest|lowest|wettest|driest|fullest|emptiest|"
    r"most humid|longest|shortest|furthest|farthest|biggest|largest|smallest|(?:am )?"
    r"(?:w[äa]rmst|hei(?:ß|ss)est|k[äa]ltest|k[üu]hlst|h[öo]chst|niedrigst|feuchtest|"
    r"trockenst|vollst|l[äa]ngst|weitest|gr[öo](?:ß|ss)t|kleinst)\w*|(?:warmste|koudste|"
    r"heetste|hoogste|laagste|vochtigste|droogste|volste|langste|verste?|grootste|"
    r"kleinste)|m[áa]s (?:caliente|lejos|"
    r"fr[íi][oa]|calor|alt[oa]|baj[oa]|h[úu]med[oa]|sec[oa]|llen[oa]|tiempo)")
MOST = r"(?:le|la|les|el|lo|los|las) (?:plus|m[áa]s|moins|menos) "
# "la plus récente", "más tarde": not a ranking of readings.
SUPERLATIVE = re.compile(
    rf"\b(?:{SUPERLATIVES}|{MOST}(?!r[ée]cent|recient|tard|vite|pronto)\w+)\b")
# Words that ask which one, or where: with a superlative, a past reading is a ranking too
# ("which zone was warmest yesterday"), where "the highest temperature in zone 3 yesterday"
# is one sensor's maximum, and so is "quelle a été / cuál fue la temperatura más alta".
_WHICH = re.compile(
    r"\b(?:which|where|welche[rsmn]?|wo|o[ùu]|d[óo]nde|welke?|waar|l(?:a|es)?quel(?:le)?s?"
    r"|(?:quel(?:le)?s?|cu[áa]l(?:es)?)"
    r"(?! (?:a été|ont été|est|sont|était|fut|fue|fueron|es|son|era|ha sido)\b))\b")
# A comparison: with a word that asks which one or where, "more", "less" and "most" rank
# devices or places ("which barn used the most water this month", "cuál de las naves ha
# gastado más agua", "welcher Stall hat mehr verbraucht"), unless the request is negated:
# "nichts mehr", "niet meer", "ne ... plus", "not any more" are "no longer".
_COMPARATIVE = re.compile(
    r"\b(?:more|most(?! recent)|less|least|m[áa]s|menos|mehr|meisten|weniger|wenigsten|meer|"
    r"meest|meeste|minder|minst|minste)\b|\b(?:le|la|les) (?:plus|moins)\b|\b(?:plus|moins) d[e']")
_NEGATION = re.compile(
    r"\b(?:not|no|never|nicht|nichts|kein\w*|nie|ne|pas|jamais|niet|niets|geen|nooit|nunca)\b"
    r"|n[’']t\b|\bn[’']")
# A day or week still to come: the gateway has readings of the past only ("will it rain
# tomorrow", "gaat het morgen regenen"). German "morgen" and Spanish "mañana" are also the
# morning, after the words in ``_MORNING``: "heute Morgen", "guten Morgen", "esta mañana".
_FUTURE = re.compile(
    r"\b(?:tomorrow|next week|[üu]bermorgen|overmorgen|n[äa]chste woche|(?:apr[èe]s-?)?demain|"
    r"semaine prochaine|pasado ma[ñn]ana|pr[óo]xima semana|semana que viene|volgende week)\b")
_MORGEN = re.compile(r"(?:(\w+) )?\b(?:morgen(?:ochtend|middag|avond|nacht)?|ma[ñn]ana)\b")
_MORNING = frozenset((
    "heute", "gestern", "seit", "am", "diesen", "den", "ganzen", "vom", "jeden", "guten",
    "frühen", "fruehen", "deze", "goede", "la", "esta", "cada", "por", "de", "toda", "una"))


def _asks_ahead(low: str) -> bool:
    """Whether a lower-cased request names a day or week still to come."""
    return bool(_FUTURE.search(low)) or any(
        match.group(1) not in _MORNING for match in _MORGEN.finditer(low))


_FORECAST = re.compile(
    r"\b(?:enough|genug|gen[üu]gend|ausreichend|reicht|reichen|assez|suffisan\w*|"
    r"suficiente\w*|bastante|alcanza\w*|genoeg|voldoende|run(?:s|ning)? out|when will|"
    r"last(?:s|ing)? (?:until|till|through|into)|how long \w+(?: \w+)? lasts?|estim\w*|"
    r"predict\w*|forecast\w*|sch[äa]tz\w*|vorhersag\w*|prognos\w*|pr[ée]vo(?:ir|is|it|yez)|"
    r"pr[ée]vision\w*|predic\w*|pron[óo]stic\w*|voorspel\w*|inschat\w*|"
    r"how long (?:will|until|till|before)|wie lange (?:noch|reicht|h[äa]lt)|wann (?:ist|wird)"
    r" \w+ (?:leer|voll)|durera|va durer|tiendra|durar[áa]|aguanta\w*|houdt\w* het|hoelang "
    r"nog)\b")
# A clause that opens with an order: "..., and close the vents", "... und schalte Pumpe 2
# aus", "... y cierra la válvula 4". The verb must have something after it ("start and stop"
# is no order), and neither "set point" nor "open or closed" is one.
_VERBS = ORDER | {"turn", "switch", "set", "open", "close", "shut", "start", "stop", "put",
                  "raise", "lower"}
_ORDER_CLAUSE = re.compile(
    r"(?:[,;]|\b(?:and|then|und|dann|et|puis|y|luego|en|dan))\s+(?:(?:also|please|auch|bitte|"
    r"aussi|también|ook|graag|ensuite|dann)\s+)*(?:" + "|".join(sorted(_VERBS, key=len,
                                                                      reverse=True))
    + r")(?!\s+points?\b|\s+(?:or|oder|ou|o|of)\b)\s+\w")

# How to do something, or what to do: "how do I", "how to", "what should we do", "wie kann
# ich", "wie entlüfte ich", "was tun wir", "comment faire", "comment purger", "qu'est-ce
# qu'on fait", "cómo se purga", "cómo purgar", "qué hacemos", "hoe ontlucht ik", "wat moeten
# we doen"; whether to do something ("should I ...", "tengo que ...", "moet ik ..."); and
# why, or what something means ("woran liegt das", "interprète les alarmes").
# A verb must follow French "comment" and Spanish "cómo" in the infinitive, or a
# reflexive "se", so "comment va la pompe 3" and "¿cómo está la bomba?" stay state questions;
# German "wie" and Dutch "hoe" count before a verb and a person ("wie entlüfte ich"), so "wie
# warm ist es" and "hoe warm is het" stay readings.
_ADVICE = re.compile(
    r"\bhow (?:(?:do|can|should|would|could|must) (?:i|we|you|one)|to) (?!know|see|tell|check|"
    r"find|read)\w|\bwhat (?:do|should|can|must|shall) (?:i|we) do\b|\bwhat now\b|"
    r"\bwie (?:kann|soll|sollte|muss|könnte|koennte) (?:ich|man|wir)\b|\bwie (?!viel|hoch|warm|"
    r"kalt|lange|oft|gross|groß|voll|feucht|nass|laut|schnell|spät|spaet)\w+ (?:ich|man|wir)\b|"
    r"\bwas (?:tun|machen) wir\b|\bwas (?:soll|sollen|muss|müssen|muessen) (?:ich|wir) "
    r"(?:tun|machen)\b|\bwas tun\b|"
    r"\bcomment (?:faire|fait-on|on fait|je|puis-je|dois-je|faut-il|peut-on|on peut)\b|"
    r"\bcomment (?!votre|notre|entre|contre|autre|quatre|être|etre)\w+(?:er|ir|re)\b|"
    r"\bqu['’]est-ce qu['’](?:on|il faut|je dois) fai\w*|\bque faire\b|\bon fait quoi\b|"
    r"\bc[óo]mo (?:se (?!encuentra|ven?\b|est[áa]|siente|porta)|puedo|debo|hago|podemos|debemos"
    r"|hacemos|hay que)\b|\bc[óo]mo \w+(?:ar|er|ir)(?:lo|la|los|las)?\b|\bqu[ée] (?:hacemos"
    r"|hago|hacer|hay que hacer|debo hacer|debemos hacer|tengo que hacer|tenemos que hacer)\b|"
    r"\bhoe (?:moet|kan|kun|zou|zouden|moeten|kunnen) (?:ik|je|jij|we|wij|men|u)\b|"
    r"\bhoe (?!warm|koud|hoog|laag|vol|lang|laat|vaak|veel|snel|groot|nat|vochtig)\w+ (?:ik|je"
    r"|jij|we|wij|men|u)\b|\bwat (?:moet|moeten|kan|kunnen|zullen) (?:ik|we|wij|je) (?:nu )?"
    r"doen\b|\bwat doen we\b|"
    # whether to do something: "should I add more aeration?", "¿tengo que meter más aireación?"
    r"\bshould (?:i|we)\b|\bdo (?:i|we) (?:need|have) to\b|\b(?:soll|sollte|muss) ich\b|"
    r"\b(?:sollen|sollten|müssen|muessen) wir\b|\b(?:dois-je|devrais-je|faut-il|devons-nous"
    r"|devrions-nous)\b|\b(?:tengo|tenemos|debo|debemos|deber[íi]a|deber[íi]amos) que\b|"
    r"\b(?:deber[íi]a|deber[íi]amos|debo|debemos) \w+(?:ar|er|ir)\b|\b(?:moet|moeten|zou"
    r"|zouden) (?:ik|we|wij)\b|"
    # why, or what it means: "what's in fault, and why", "woran liegt das", "interprète les
    # alarmes", "¿qué significa?"
    r"\b(?:why|warum|wieso|weshalb|pourquoi|por ?qu[ée]|waarom|woran liegt|d['’]o[ùu] vient|a "
    r"qu[ée] se debe|hoe komt|what does (?:it|this|that) mean|was bedeutet|que signifie"
    r"|qu[ée] significa|wat betekent|explain|erkl[äa]r\w*|expliqu\w*|explica\w*|verklaar"
    r"|leg (?:uit|me uit)|interpret\w*|interpr[èe]t\w*|deute\w*)\b")

# An alert named inside a German or Dutch compound ("Temperaturwarnungen", "Störmeldung",
# "temperatuurwaarschuwingen", "brandalarm"): the question is about alerts, not a reading.
_ALERT_COMPOUND = re.compile(
    r"\w+(?:warnung|warnungen|alarm|alarme|störung|stoerung|störungen|stoerungen|meldung|"
    r"meldungen|waarschuwing|waarschuwingen|alarmen|storing|storingen|melding|meldingen)\b")

# What someone thinks is no reading: "Il va geler cette nuit, tu crois ?", "glaubst du, das
# reicht?", "¿crees que aguanta?", "denk je dat ...".
_OPINION = re.compile(
    r"\b(?:do you think|you think|d'you think|tu crois|tu penses|crois-tu|penses-tu|vous croyez"
    r"|vous pensez|croyez-vous|pensez-vous|glaubst du|denkst du|meinst du|glauben sie|meinen sie"
    r"|denken sie|crees|cree usted|piensas|piensa usted|denk je|denkt u|vind je|vindt u)\b")
# A command in the infinitive, without a question: "Rolltor 4 noch nicht öffnen, da steht ein
# Stapler davor", "klep 4 sluiten", "ne pas ouvrir la porte 2". Read as a question, it would be
# answered with the door's state. "aan het sluiten", "am öffnen" ask whether it is closing.
_INFINITIVE_ORDER = re.compile(
    r"(?<!aan het )(?<!am )(?<!beim )\b(?:öffnen|oeffnen|schließen|schliessen|ausschalten"
    r"|einschalten|abschalten|anschalten|aufmachen|zumachen|openen|sluiten|uitzetten"
    r"|aanzetten|uitschakelen|inschakelen|ouvrir"
    r"|fermer|éteindre|eteindre|allumer|abrir|cerrar|apagar|encender)\b")
_ASKS = re.compile(r"[?¿]")

QUESTIONS = frozenset(("query_state", "query_history", "list_devices", "list_alerts"))


def beyond_a_reading(text: str, intent: str) -> str | None:
    """Why a question read as ``intent`` must not be answered here from the readings
    (``ranking``, ``forecast``, ``order`` (a command in it, or one in the infinitive),
    ``advice`` (how, whether, why, or an opinion), or ``alerts`` named in a compound), or
    None."""
    if intent not in QUESTIONS:
        return None
    low = text.lower()
    if _ORDER_CLAUSE.search(low):
        return "order"
    if _ADVICE.search(low) or _OPINION.search(low):
        return "advice"
    if _INFINITIVE_ORDER.search(low) and not _ASKS.search(low):
        return "order"
    if intent in ("query_state", "query_history") and _ALERT_COMPOUND.search(low):
        return "alerts"
    if _FORECAST.search(low) or _asks_ahead(low):
        return "forecast"
    if intent == "list_alerts":  # "any alarms on the highest floor" (``guards.not_alerts``)
        return None
    if SUPERLATIVE.search(low) and (intent != "query_history" or _WHICH.search(low)):
        return "ranking"
    if (intent != "list_devices" and _WHICH.search(low) and _COMPARATIVE.search(low)
            and not _NEGATION.search(low)):
        return "ranking"
    return None
