"""The word tables of ``guards``: what makes a command one the gateway must not carry out as
the model reads it, in English, German, French, Spanish and Dutch (lower case, accents kept,
with the folded spelling beside where people type it so).

Each table maps a language to one pattern; ``guards.held_back`` tries the request's language
and English, and the negations of every language (a request that mixes "nicht" into English
is still negated).
"""

from __future__ import annotations

import re

APOSTROPHE = "['’]"


def _table(words: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {code: re.compile(pattern) for code, pattern in words.items()}


# "don't", "avoid turning off", "without", "neither ... nor", "stop pump 2 from turning off",
# "no need to", "stop turning off", "interdit de", "deja de": what must not happen, in words
# the model reads as the command itself. Italian and Portuguese "non" and "não" count too.
NEGATION = _table({
    "en": r"\b(?:not|never|cannot|(?:do|does|did|should|must|would|could|ca|wo|is|are|was"
          r"|were|need)n" + APOSTROPHE + r"?t|without|neither|nor|avoid\w*|refrain\w*"
          r"|prevent\w*|no need|hold off|quit|cease|undo|cancel\w*|forbid\w*|prohibit\w*"
          r"|forget|non|não|nao|nobody|no one|noone)\b|\bfrom\s+\w+ing\b|\bstop\s+\w+ing\b",
    "de": r"\b(?:nicht|nie|niemals|niemand|keine?[nmrs]?|ohne|weder|vermeide\w*|verboten|untersagt"
          r"|hör auf|hört auf|aufhören|abbrechen|storniere\w*)\b",
    # "ne-2" and "no. 2" are names and numbers, not negations
    "fr": r"\b(?:pas|jamais|sans|ni|évite\w*|evite\w*|interdit\w*|défendu|annule\w*"
          r"|inutile|(?:arrête|arrete|cesse)\w*\s+(?:de|d'))\b|\bne\b(?![-\d])"
          r"|\bn" + APOSTROPHE + r"(?=\w)",
    "es": r"\b(?:nunca|jamás|sin|ni|nadie|evita\w*|prohibido|cancela\w*|(?:deja|para)\s+de)\b"
          r"|\bno\b(?![.º°]|\s*\d)",
    "nl": r"\b(?:niet|nooit|geen|niemand|zonder|vermijd\w*|verboden|stop met|hou op|houd op"
          r"|annuleer)\b",
})
# A command the speaker corrects or takes back as they give it: "Pumpe 2 aus, nein, Pumpe
# 3", "set fan 3 to 40, no wait, 60", "zet pomp 2 uit, ik bedoel pomp 3", "turn off pump 2
# sorry pump 3", "Pumpe 2 aus, ach lass mal", "zet pomp 2 uit, laat maar". Read whole, it
# names both devices or the value taken back, or one nobody wants switched any more. The word
# must follow something said ("Nein, schalte Pumpe 2 aus" is no correction); "no", "sorry"
# and the like must follow a value or a state ("pump no 2" is a number, "can you please
# sorry, could you ..." a restart of politeness).
_AFTER = r"(?<=\w)[\s,;:–—-]+"
_AFTER_VALUE = (r"(?:(?<=[\d%°])|(?<=\boff)|(?<=\bon)|(?<=\bopen)|(?<=\bclosed)|(?<=\bclose)"
                r"|(?<=\baus)|(?<=\ban)|(?<=\bein)|(?<=\bzu)|(?<=\bauf)|(?<=\buit)|(?<=\baan)"
                r"|(?<=\bdicht))[\s,;:–—-]+")
_SORRY = (_AFTER_VALUE + r"(?:no|sorry|oops|pardon|perd[óo]n|oeps|oups)\b"
          r"(?!\s+(?:rush|hurry|problem|worries|stress)\b)")
# A filler between two values takes the first back: "Lüfter 3 auf 40, ähm, 60".
_HESITATED = (r"\d\s*(?:%|°\w?)?[\s,;:–—-]*\b(?:uh|um|uhm|er|erm|äh|ähm|öh|euh|heu|eh|ehm"
              r"|este)\b[\s,;:–—-]+[-+]?\d")
CORRECTED = _table({code: f"{_SORRY}|{_HESITATED}|{_AFTER}(?:{words})\\b" for code, words in {
    "en": r"no wait|i mean|i meant|correction|scratch that|make that|my bad|never ?mind"
          r"|forget it|cancel that|just kidding|jk|leave it(?!\s+(?:on|off|open|closed|running))",
    "de": r"(?:(?:äh|ähm|oh)\s+)?nein|ich meine?|korrektur|quatsch|besser gesagt|vergiss es"
          r"|doch nicht|schon gut|(?:ach\s+)?lass (?:mal|es|gut sein)\W*$",
    "fr": r"(?:euh\s+)?non|je veux dire|je voulais dire|correction|laisse tomber|oublie"
          r"|je plaisante",
    "es": r"digo|quiero decir|quise decir|mejor dicho|corrijo|correcci[óo]n|d[ée]ja(?:lo|la)"
          r"(?!\s+(?:encendid|apagad|abiert|cerrad|prendid|en marcha|as[ií]|puest)\w*)"
          r"|olv[íi]dalo|mejor no|es broma",
    "nl": r"(?:eh\s+|uh\s+)?(?:nee|neen)|ik bedoel|correctie|beter gezegd|vergeet het"
          r"|toch maar niet|grapje|laat (?:maar|het|zitten)\W*$",
}.items()})
# Everything but, or instead of, what is named: "turn off everything but the fan",
# "alles außer Pumpe 2", "tout sauf la pompe 2", "todo menos la bomba 2", "open valve 4
# instead": read as a command, the device named is the one that must not move. So is a
# device named as the model to follow, after the value: "set fan 3 to 40 like fan 7" set
# both fans ("I'd like fan 3 at 40" is a wish, not a model).
_LIKE = (r"|" + _AFTER_VALUE + r"(?:like|same as|similar to|as on|genauso wie|gleich wie|wie"
         r"|comme|pareil que|igual que|como|lo mismo que|zoals|net als|hetzelfde als)\s+"
         r"(?:[^\W\d_]+\s+){0,2}[\w-]*\d")
EXCEPTED = _table({code: words + _LIKE for code, words in {
    "en": r"\b(?:except\w*|but|apart from|other than|besides|instead|rather than)\b",
    "de": r"\b(?:außer|ausser|bis auf|statt|anstatt|stattdessen|anstelle|ausgenommen)\b",
    "fr": r"\b(?:sauf|excepté|excepte|hormis|à part|au lieu|plutôt)\b",
    # "menos" before degrees is a minus sign ("la cámara 3 a menos 20 grados"); "todas las
    # bombas menos 2" spares pump 2
    "es": r"\b(?:menos(?!\s+\d+(?:[.,]\d+)?\s*(?:°|º|grados?\b|c\b))|excepto|salvo|en lugar"
          r"|en vez|aparte de)\b",
    "nl": r"\b(?:behalve|uitgezonderd|in plaats|i\.p\.v)\b",
}.items()})
# "by 10 %", "um 5 Grad", "met 10 %", "de 10 %" / "en 2 grados" after a word that raises or
# lowers, "un 10 %", and "2 degrees more" ("2 grados más", "2 Grad mehr") in each language;
# "a bit", "ein bisschen", "un peu", "un poco", "een beetje" (by how much is not said);
# "about 40 %", "40ish", "partly", "ungefähr", "environ", "alrededor de", "ongeveer" (the
# value said is not the value meant); "up 10" and "+10" (steps, not settings).
# The word between the number and "more" is a unit, never a preposition: in "pon la cámara 3
# en menos 20 grados" the 3 is a name and "menos 20" the value.
_MORE = (r"\b\d+(?:[.,]\d+)?\s*(?:%|(?!(?:en|a|al|de|à|au|to|on|in|at|auf|op|naar)\b)\w+\.?)?"
         r"\s*(?:{})\b")
RELATIVE = _table({
    "en": r"\bby\s+(?:[-+]?\d|(?:a\s+)?(?:few|couple|several)\b)|"
          + _MORE.format("more|less|higher|lower|warmer|hotter|cooler|colder|brighter|dimmer"
                         "|faster|slower|stronger|weaker")
          + r"|\b(?:a (?:bit|little|tad|touch)|slightly|somewhat|a notch|about|around"
          r"|roughly|approx\w*|circa|partly|partially|mostly|most of the way|part[- ]?way"
          r"|or so|or thereabouts|give or take)\b"
          r"|\d\s*-?ish\b|\b(?:up|down)\s+[-+]?\d|(?:^|\s)\+\s*\d",
    "de": r"\bum\s+[-+]?\d|"
          + _MORE.format("mehr|weniger|höher|niedriger|wärmer|waermer|kälter|kaelter|kühler"
                         "|kuehler|heißer|heisser|heller|dunkler|schneller|langsamer|stärker"
                         "|staerker|schwächer|schwaecher")
          + r"|\b(?:(?:ein )?(?:bisschen|wenig|bissel|stück)|etwas|leicht|ungefähr"
          r"|ungefaehr|etwa|circa|zirka|rund|teilweise|größtenteils|grösstenteils|oder so)\b",
    "fr": r"\b(?:augment|baiss|diminu|rédui|redui|réduis|mont|descend|hauss)\w*\b"
          r".*\bde\s+[-+]?\d|" + _MORE.format("de plus|de moins|plus|moins")
          + r"|\b(?:un (?:peu|chouia)|légèrement|legerement|environ|à peu près"
          r"|a peu pres|partiellement|en partie)\b",
    "es": r"\b(?:sub|baj|aument|disminu|reduc|reduz|increment)\w*\b"
          r".*\b(?:en\s+|un\s+)(?:un\s+)?[-+]?\d|" + _MORE.format("más|mas|menos")
          + r"|\b(?:un (?:poco|poquito)|ligeramente|algo|alrededor|aproximadamente"
          r"|más o menos|mas o menos|unos|unas|parcialmente|en parte)\b",
    "nl": r"\bmet\s+[-+]?\d|"
          + _MORE.format("meer|minder|hoger|lager|warmer|kouder|koeler|heter|lichter"
                         "|donkerder|sneller|langzamer|trager|sterker|zwakker")
          + r"|\b(?:een (?:beetje|tikje)|iets|ongeveer|circa|zo'n|rond|gedeeltelijk"
          r"|deels|wat (?:hoger|lager|meer|minder|warmer|kouder|verder)|of zo)\b",
})
# What someone did or what happened, not a command: "I turned off pump 2", "pump 2 was
# switched off", "Tom turned off pump 2", "pump 2 went off", "ich habe Pumpe 2
# ausgeschaltet", "Tom schaltete Pumpe 2 aus", "j'ai éteint la pompe 2", "Tom a éteint la
# pompe 2", "he apagado la bomba 2", "Tom apagó la bomba 2", "ik heb pomp 2 uitgezet", "Tom
# zette pomp 2 uit".
_DID = r"(?:turned|switched|closed|opened|started|stopped|powered|killed)"
_DONE = r"(?:turned|switched|shut|closed|opened|started|stopped|set|put|powered|killed)"
REPORTED = _table({
    "en": r"\b(?:i|we|they|he|she|someone|somebody|operator)\s+(?:have\s+|had\s+|just\s+"
          r"|already\s+)*" + _DID + r"\b|\b(?:i|we|they|you)" + APOSTROPHE + r"(?:ve|d)\s+"
          r"(?:just\s+|already\s+)?" + _DONE + r"\b|\b(?:was|were|has been|have been|got"
          r"|is being)\s+(?:just\s+|already\s+)?" + _DONE + r"\b"
          # a name or a noun before the past form: "Tom turned off pump 2"
          r"|\b(?!(?:be|get|got|keep|kept|leave|left|have|to|is|are|being)\b)[a-z]+\s+"
          r"(?:just\s+|already\s+)?" + _DID + r"\s+(?:\w+\s+){0,3}?(?:off|on|down|up|it"
          r"|the)\b|\b(?:went|goes|gone|came|tripped|failed|died)\s+(?:off|on|down|out)\b"
          r"|\b(?:by itself|on its own)\b|\b(?:he|she|someone|somebody|they)\s+(?:turns"
          r"|switches|closes|opens|sets|puts|stops|starts|will|is|wants)\b",
    "de": r"\b(?:habe|hab|haben|hat|hatte|hatten|wurde|wurden|worden|schaltete|schalteten"
          r"|machte|machten|stellte|stellten|drehte|drehten|öffnete|öffneten|offnete"
          r"|schloss|schlossen|stoppte|stoppten|startete|starteten)\b|\b(?:er|sie|man"
          r"|jemand)\s+(?:schaltet|macht|stellt|dreht|öffnet|schließt|schliesst|stoppt)\b",
    "fr": r"\b(?:j|on|nous|il|elle|ils|elles)\s*(?:" + APOSTROPHE + r"\s*)?"
          r"(?:ai|a|avons|ont)\s+\w+|\b(?:a|ont)\s+été\b"
          r"|\b(?:a|ont|avait|avaient)\s+(?:éteint|allumé|fermé|ouvert|coupé|arrêté|démarré"
          r"|mis|réglé|baissé|monté|eteint|allume|ferme|coupe|arrete|demarre|regle)\w*"
          r"|\b(?:éteignit|alluma|ferma|ouvrit|coupa|arrêta)\b",
    "es": r"\b(?:he|hemos|ha|han|habían|había)\s+\w+(?:ado|ido|ierto|cho)a?s?\b"
          r"|\b(?:fue|fueron)\s+\w+(?:ado|ida|ido|ada)s?\b"
          r"|\b\w+(?:ó|aron|ieron)\b|\b(?:apagué|cerré|abrí|encendí|prendí|puse|paré)\b",
    "nl": r"\b(?:heb|hebben|heeft|had|hadden|werd|werden|is\s+\w+\s+ge\w+d|zette|deed|deden"
          r"|schakelde|schakelden|sloot|sloten|opende|stopte|stopten|startte|draaide"
          r"|draaiden)\b|\b(?:hij|zij|ze|men|iemand)\s+(?:zet|doet|schakelt|sluit|opent"
          r"|draait|stopt)\b",
})
# Someone else doing it, now: "Tom turns off pump 2", "der Techniker öffnet Ventil 4", "Marie
# éteint la pompe 2", "el técnico abre la válvula 4", "Jan zet pomp 2 uit". French, Spanish and
# Dutch spell that verb as they spell the command ("ouvre", "abre", "zet"), so what tells a
# report from a command is a subject before the verb: a name, or a noun with its article, where
# a command has nothing, or a word that opens one ("please", "bitte", "vite", "ahora", "nu");
# and a vocative has a comma ("Juan, apaga ...") or is the gateway's own name.
_OPENS_COMMAND = (
    r"please|pls|plz|now|just|ok|okay|so|then|and|also|quickly|quick|hey|right|yes|go|pump"
    r"|bitte|jetzt|sofort|dann|und|mal|nun|schnell|los|gleich|auch|ja|doch|also"
    r"|stp|svp|vite|maintenant|alors|et|puis|donc|aussi|allez|oui|bon|tout|vas-y"
    r"|ahora|ya|y|luego|entonces|oye|vale|venga|bueno|rápido|rapido|porfa|por|favor|también"
    r"|tambien|sí|si|nu|en|dan|snel|even|ook|graag|alsjeblieft|alstublieft|maar|toch|direct"
    r"|meteen|gauw"
    # fillers and greetings before the imperative: "euh coupe ...", "pues apaga ...", "eh zet"
    r"|euh|heu|hum|eh|ehm|äh|ähm|aeh|uh|uhm|um|pues|mira|oiga|nou|hè|hé|dus|oké|allee|tiens"
    r"|écoute|ecoute|hola|buenas|bonjour|salut|hallo|hoi|moin|servus|hi|hello")
_SUBJECT = (r"^\W*(?:(?:the|our|my|der|die|das|unser\w*|mein\w*|le|la|les|mon|ma|notre|el|los"
            r"|las|mi|nuestr[oa]|de|het|mijn|onze|ons)\s+|l['’]\s*)?"
            r"(?:(?!(?:" + _OPENS_COMMAND + r")\b)[^\W\d_]+\s+){1,2}")
# The gateway addressed by its name, as "hey" or "please" would open the command: "Nanogate
# apaga la bomba 2" is said to the gateway, not a report of what it does (with an article, "la
# passerelle ouvre la vanne 4", it still is one). Only where the command's verb is spelt as
# the report's: "Nanogate turns off pump 2" and "Nanogate schaltet Pumpe 2 aus" report.
_ADDRESSED = r"^\W*(?!(?:nanogate|gateway|passerelle|pasarela)\b)"
_SAME_VERB = ("fr", "es", "nl")
_ACTS = {
    "en": r"turns|switches|shuts|closes|opens|sets|puts|starts|stops|powers|cuts|kills|keeps"
          r"|runs|restarts|raises|lowers|increases|decreases|adjusts|changes",
    "de": r"schaltet|macht|stellt|dreht|öffnet|offnet|schließt|schliesst|setzt|startet|stoppt"
          r"|fährt|faehrt|regelt|drosselt|erhöht|erhoeht|senkt|aktiviert|deaktiviert",
    "fr": r"éteint|eteint|allume|ouvre|ferme|coupe|met|arrête|arrete|démarre|demarre|règle"
          r"|regle|lance|baisse|monte|active|désactive|desactive|stoppe|relance|augmente"
          r"|diminue|remet",
    "es": r"apaga|enciende|abre|cierra|pone|para|arranca|detiene|sube|baja|activa|desactiva"
          r"|corta|prende|ajusta|regula|aumenta|reduce",
    "nl": r"zet|schakelt|doet|opent|sluit|draait|stopt|start|regelt|activeert|verhoogt"
          r"|verlaagt",
}
ACTING = _table({code: (_ADDRESSED if code in _SAME_VERB else "") + _SUBJECT + r"(?:" + verbs
                  + r")\b" for code, verbs in _ACTS.items()})
# The speaker, or someone, says they do it or will do it themselves: "I'm going to turn off pump
# 2", "I'll switch off pump 2", "Tom will turn off pump 2", "ich schalte Pumpe 2 aus", "wir
# schalten ...", "j'éteins la pompe 2", "je vais éteindre ...", "apago la bomba 2", "voy a
# apagar ...", "ik zet pomp 2 uit", "ik ga ... uitzetten": an announcement, not a command.
_VERB_EN = (r"turn|switch|shut|close|open|set|put|start|stop|power|cut|kill|turning|switching"
            r"|shutting|closing|opening|setting|starting|stopping")
ANNOUNCED = _table({
    "en": r"\b(?!you\b|u\b)[a-z]+(?:['’]ll|['’]m|['’]re|\s+(?:will|shall|am|are|is))\s+"
          r"(?:going\s+to\s+|gonna\s+)?(?:just\s+)?(?:" + _VERB_EN + r")\b"
          # "I turn off pump 2", not "can I turn off pump 2"
          r"|(?:^|[,.;!]\s*|\b(?:so|now|then|and)\s+)(?:i|we)\s+(?:just\s+|now\s+)?"
          r"(?:" + _VERB_EN + r")\b",
    "de": r"\b(?:ich|wir)\s+(?:schalte|schalten|mache|machen|stelle|stellen|drehe|drehen"
          r"|öffne|öffnen|offne|offnen|schließe|schließen|schliesse|schliessen|setze|setzen"
          r"|starte|starten|stoppe|stoppen|werde|werden)\b"
          r"|\b(?!sie\b|du\b|ihr\b)\w+\s+(?:wird|werden)\s+(?:\w+\s+){1,4}?\w*schalten\b",
    "fr": r"\b(?:j['’]\s*|je\s+|nous\s+)(?:vais\s+|allons\s+)?(?:éteins|eteins|allume|ouvre"
          r"|ferme|coupe|mets|arrête|arrete|démarre|demarre|règle|regle|éteindre|eteindre"
          r"|allumer|ouvrir|fermer|couper|mettre|arrêter|arreter|démarrer|demarrer|régler"
          r"|regler|éteignons|eteignons|allumons|ouvrons|fermons|coupons|mettons|arrêtons)\b"
          r"|\bon\s+va\s+\w+er\b",
    "es": r"\b(?:apago|cierro|abro|enciendo|prendo|pongo|paro|arranco|apagamos|cerramos"
          r"|abrimos|encendemos|ponemos|paramos|(?:voy|vamos|va|van)\s+a\s+\w+r)\b",
    "nl": r"\b(?:ik|we|wij)\s+(?:zet|zetten|schakel|schakelen|doe|doen|open|openen|sluit"
          r"|sluiten|draai|draaien|ga|gaan|stop|stoppen|start|starten)\b",
})
# "maybe", "hypothetically", "just kidding": the asker has not decided, or does not mean it.
# Not for real: an example, an exercise, a test or a simulation ("example: pump 2 off",
# "Übung: Ventil 4 öffnen", "exemple : éteindre la pompe 2", "dry run: turn off pump 2").
_FRAMED = {
    "en": r"\b(?:example|for instance|e\.g|dry[- ]run|simulat\w*|drill|exercise|test run"
          r"|demo|scenario|rehears\w*)\b|^\W*test\s*:",
    "de": r"\b(?:beispiel\w*|z\.\s?b|übung|uebung|probelauf|simulation|simulier\w*|testlauf"
          r"|szenario|trockenlauf)\b|^\W*test\s*:",
    "fr": r"\b(?:exemple|par ex|exercice|simulation|simule\w*|scénario|scenario|à blanc)\b"
          r"|^\W*test\s*:",
    "es": r"\b(?:ejemplo|p\.\s?ej|ejercicio|simulacro|simulación|simulacion|simula\w*"
          r"|escenario)\b|^\W*prueba\s*:",
    "nl": r"\b(?:voorbeeld|bijv|oefening|simulatie|simuleer\w*|proefdraai\w*|scenario)\b"
          r"|^\W*test\s*:",
}
# A suggestion, not a command: "we could turn off pump 2", "someone should", "man könnte",
# "es wäre gut", "on pourrait", "il faudrait", "se podría", "sería bueno", "we zouden ...
# kunnen". Asking the gateway ("could you", "könnten Sie", "pourriez-vous") is a command.
# So is a state a device is expected to be in, not an order: "pump 2 should be off" (by now?
# so why is it running?), "Pumpe 2 sollte aus sein", "la pompe 2 devrait être arrêtée".
_SUGGESTED = {
    "en": r"\b(?:we|i|one|someone|somebody|they)\s+(?:could|should|might|ought|may)\b"
          r"|\b(?:it|that)\s+(?:would|might|could)\s+be\b|\blet['’]?s\s+(?:think|consider)\b"
          r"|\b(?:should|ought to|is supposed to|are supposed to)\s+be\b",
    "de": r"\b(?:man|wir|ich|jemand|es|das)\s+(?:könnte|koennte|sollte|müsste|muesste"
          r"|wäre|waere|dürfte)\w*|\b(?:wäre|waere)\s+(?:gut|besser|schön|sinnvoll)\b"
          r"|\b(?:sollte|sollten|müsste|muesste|müssten)\b(?:\s+\w+){1,3}\s+sein\b",
    "fr": r"\b(?:on|nous|je|quelqu['’]un)\s+(?:pourr\w+|devr\w+)|\bil\s+(?:serait|faudrait"
          r"|vaudrait)\b|\bce\s+serait\b|\b(?:devrait|devraient)\s+(?:être|etre)\b",
    "es": r"\bse\s+(?:podría|podria|debería|deberia)\b|\b(?:sería|seria)\s+(?:bueno|mejor"
          r"|conveniente)\b|\b(?:podríamos|podriamos|habría|habria|convendría|convendria)\b"
          r"|\b(?:debería|deberia|deberían|deberian)\s+(?:estar|ser)\b",
    "nl": r"\b(?:we|wij|ik|men|iemand)\s+(?:zou|zouden|kunnen|kan|moet|moeten|zal|zullen)\b"
          r"|\bhet\s+zou\b|\b(?:zou|zouden)\b(?:\s+\w+){1,3}\s+moeten\s+(?:zijn|staan)\b",
}
HEDGED = _table({code: words + "|" + _FRAMED[code] + "|" + _SUGGESTED[code] for code, words in {
    "en": r"\b(?:maybe|perhaps|probably|possibly|might|hypothetical\w*|theoretical\w*"
          r"|in theory|suppose|supposing|imagine|pretend|kidding|joking|jk|j/k)\b"
          r"|(?:^|\s)/s\b",
    "de": r"\b(?:vielleicht|eventuell|womöglich|wahrscheinlich|möglicherweise|angenommen"
          r"|hypothetisch|theoretisch|stell dir vor|spaß|scherz)\b",
    "fr": r"\b(?:peut-être|peut-etre|peut être|éventuellement|eventuellement|probablement"
          r"|supposons|imagine\w*|hypothétique\w*|théorique\w*|blague|rigole)\b",
    "es": r"\b(?:quizás|quizá|quizas|quiza|tal vez|a lo mejor|probablemente|supongamos"
          r"|imagina\w*|hipotétic\w*|teóric\w*|broma)\b",
    "nl": r"\b(?:misschien|eventueel|wellicht|waarschijnlijk|stel dat|hypothetisch"
          r"|theoretisch|grapje)\b",
}.items()})
# Whether to do it, not to do it: "should I turn off pump 2", "is it safe to", "what if",
# "soll ich", "dois-je", "¿debo ...?", "moet ik". A question mark makes any command a
# question, unless it asks someone to do it ("can you ...?", "kannst du ...?").
ASKED = _table({
    "en": r"\b(?:should|shall|must|ought)\s+(?:i|we|one)\b|\bdo\s+(?:i|we)\s+(?:need|have)\b"
          r"|\bis\s+it\s+(?:safe|ok|okay|wise|fine|possible|allowed)\b"
          r"|\bwhat\s+(?:if|happens)\b|\bhow\s+(?:do|can|to|would)\b",
    "de": r"\b(?:soll|sollte|sollen|sollten|muss|müssen)\s+(?:ich|wir|man)\b"
          r"|\bwas\s+(?:passiert|geschieht|wenn)\b|\bist\s+es\s+(?:sicher|ok|okay)\b"
          r"|\bwie\s+(?:schalte|mache|stelle|kann)\b",
    "fr": r"\b(?:dois|doit|devons|devrais|devrait|devrions|faut)[- ](?:je|nous|on|il)\b"
          r"|\bque se passe\b|\bcomment\b",
    "es": r"\b(?:debo|debemos|debería|deberia|deberíamos|tengo que|hay que)\b"
          r"|\bqué pasa\b|\bque pasa\b|\bes seguro\b|\bcómo\b",
    "nl": r"\b(?:moet|moeten|zal|zullen|zou|zouden)\s+(?:ik|we|wij|men)\b"
          r"|\bwat\s+(?:gebeurt|als)\b|\bis\s+het\s+veilig\b|\bhoe\s+(?:zet|doe|kan)\b",
})
QUESTION = re.compile(r"\?|¿")
# Asking someone to do it: a request, even with a question mark.
ASKING_YOU = _table({
    "en": r"\b(?:can|could|would|will|wo)n?" + APOSTROPHE + r"?t?\s+(?:you|u)\b|\bplease\b",
    "de": r"\b(?:kannst|könntest|kannste|würdest|wirst|können|könnten|würden|wären|waeren|wärst"
          r"|waerst|dürfte)\s+(?:du|sie|ihr|ich)\b"
          r"|\b(?:du|sie)\s+(?:kannst|könntest|können|könnten)\b"
          r"|\bbitte\b",
    "fr": r"\b(?:peux|pourrais|pouvez|pourriez|veux|voulez|voudriez|auriez|aurais|seriez"
          r"|serais)[- ](?:tu|vous)\b|\bveuillez\b"
          r"|\b(?:tu|vous)\s+(?:peux|pourrais|pouvez|pourriez|veux|voulez|voudriez)\b"
          r"|\bplaît\b|\bplait\b",
    "es": r"\b(?:puedes|podrías|podrias|puede|podría|podria|pueden|quieres|quiere)\b"
          r"|\b(?:sería|seria|serías|serias) tan amable\b|\bme (?:haría|haria|harías|harias)"
          r" el favor\b|\b(?:le|te) importaría\b"
          r"|\bpor favor\b",
    "nl": r"\b(?:kun|kan|kunt|wil|wilt|zou)\s+(?:je|jij|u)\b"
          r"|\b(?:je|jij|u)\s+(?:kunt|kan|wilt)\b|\balsjeblieft\b|\balstublieft\b",
})
# A command quoted or passed on, not given: "the manual says 'turn off pump 2'", «éteins la
# pompe 2», "my boss told me to ...", "he yelled: ...", "Tom suggests ...".
QUOTE = r"[\"“”„«»‹›‘]|(?:^|\s)'[^']+'"
QUOTED = _table({code: QUOTE + "|" + words for code, words in {
    "en": r"\b(?:says?|said|told\s+\w+\s+to|tells?\s+\w+\s+to|asked|reads|wrote|writes|yell\w*"
          r"|shout\w*|scream\w*|order\w*|suggest\w*|recommend\w*|propos\w*|advis\w*"
          r"|remind\s+\w+\s+to|ask\s+\w+\s+to|wants|everyone|everybody|someone|somebody"
          r"|anyone|anybody|guys|folks)\b",
    "de": r"\b(?:sagt|sagte|steht|stand|meint|meinte|schreibt|schrieb|rief|schrie|befahl"
          r"|empfiehlt|empfahl|schlägt vor|sag|sage|erinnere\w*)\b"
          r"|\b(?!ich\b)\w+\s+(?:will|möchte|mochte)\b",
    "fr": r"\b(?:dit|disait|écrit|ecrit|demandé|demande de|crie|crié|cria|propose\w*"
          r"|suggère|suggere|recommande\w*|dis à|dis a|demande à|demande a|rappelle-moi"
          r"|rappelle-nous|veut)\b",
    "es": r"\b(?:dice|dicen|dijo|dijeron|decía|pidió|pidieron|escribió|pone que|grita"
          r"|sugiere|recomienda|propone|dile|dígale|digale|pídele|pidele|recuérdame"
          r"|recuerdame|quiere)\b",
    "nl": r"\b(?:zegt|zei|staat|stond|schrijft|schreef|vroeg|riep|schreeuwde|stelt voor"
          r"|raadt aan|adviseert|zeg tegen|vraag aan|herinner\w*)\b"
          r"|\b(?!ik\b|je\b|jij\b|u\b)\w+\s+wil\b(?!\s+(?:je|jij|u)\b)",
}.items()})
# Later, for a while, or on a day: "at 5 pm", "for 5 minutes", "tomorrow", "briefly", "um 17
# Uhr", "kurz", "à 17h", "a las 5", "om 17 uur", "bis morgen", "at sunset", "bij
# zonsondergang": the gateway switches now or never.
_TIME_UNITS = (r"seconds?|secs?|minutes?|hours?|hrs?|days?|weeks?|sekunden?|minuten?"
               r"|stunden?|tagen?|wochen?|secondes?|heures?|jours?|semaines?|segundos?"
               r"|minutos?|horas?|días?|dias?|semanas?|seconden?|minuut|uur|uren|dagen?|weken")
# ("min" alone is a minimum or a minus as often: "op min 20"; "20 min" is minutes)
_WHEN = (rf"\b(?:{_TIME_UNITS})\b|\b\d{{1,2}}[:h]\d{{2}}\b|\b\d{{1,2}}\s*(?:h|uhr|uur)\b"
         r"|\b\d+\s*mins?\b|")
# "until", "bis", "jusqu'à", "hasta", "tot" before a number say the target: "hasta 21 grados"
_NOT_TARGET = r"(?!\s*(?:['’]\s*)?(?:à|a|auf|el|la|op)?\s*\d)"
DEFERRED = _table({code: _WHEN + words for code, words in {
    "en": r"\b(?:until|till)\b" + _NOT_TARGET + r"|\b(?:tomorrow|tonight|later|soon"
          r"|afterwards|before|after|daily|hourly|weekly|noon|midnight|o'?clock|briefly"
          r"|temporarily|momentarily|for now|at some point|eventually|sometime|some time"
          r"|for a (?:while|bit|moment)|in a (?:moment|bit|while|sec)|overnight|next"
          r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|weekend|nightly|at night"
          r"|in the (?:morning|afternoon|evening)s?|sunset|sunrise|dusk|dawn|nightfall"
          r"|daybreak|first light)\b"
          r"|\bevery\s+(?:day|hour|morning|evening|night|week|time|\d+)\b"
          r"|\b\d{1,2}\s*[ap]\.?m\b",
    "de": r"(?<!guten )\b(?:morgen|übermorgen|später|nachher|heute abend|heute nacht|bald"
          r"|demnächst|nach\s+(?:der|dem|einer|einem)|bis\b" + _NOT_TARGET
          + r"|täglich|stündlich|mittag|mitternacht|kurz"
          r"|kurzzeitig|vorübergehend|zeitweise|feierabend|morgens|mittags|nachmittags"
          r"|abends|nachts|sonnenuntergang|sonnenaufgang|dämmerung|abenddämmerung"
          r"|morgengrauen|einbruch der dunkelheit"
          r"|(?:mon|diens|donners|frei|sams|sonn)tag|mittwoch)\b",
    "fr": r"\b(?:demain|plus tard|ce soir|cette nuit|cet après-midi|bientôt|tout à l'heure"
          r"|jusqu\b" + _NOT_TARGET + r"|avant|après"
          r"|chaque\s+(?:jour|heure|matin|soir|nuit|semaine)|tous les jours|quotidien\w*"
          r"|midi|minuit|temporairement|brièvement|momentanément"
          r"|un (?:moment|instant)|(?:lun|mar|mercre|jeu|vendre|same)di|dimanche"
          r"|le (?:soir|matin|week-end)|la nuit|coucher du soleil|lever du soleil"
          r"|crépuscule|crepuscule|aube|aurore|tombée de la nuit|tombee de la nuit)\b",
    "es": r"\b(?:mañana|más tarde|mas tarde|esta noche|esta tarde|luego|pronto|después"
          r"|despues|antes|hasta\b" + _NOT_TARGET
          + r"|cada\s+(?:día|dia|hora|mañana|noche|semana)|todos los días|a las?\s+\d+"
          r"|mediodía|medianoche|un rato|un momento|temporalmente|brevemente"
          r"|lunes|martes|miércoles|jueves|viernes|sábado|domingo"
          r"|por la (?:noche|tarde|mañana)|de noche|atardecer|amanecer|anochecer"
          r"|puesta (?:de|del) sol|salida (?:de|del) sol|madrugada)\b",
    "nl": r"\b(?:morgen|overmorgen|later|straks|vanavond|vannacht|vanmiddag|vanochtend"
          r"|vanmorgen|binnenkort|zo meteen|dadelijk|dagelijks|tijdelijk|kortstondig"
          r"|(?:elke|iedere|elk)\s+(?:dag|uur|ochtend|avond|nacht|week)|tot\b" + _NOT_TARGET
          + r"|voordat|nadat"
          r"|middag|middernacht|(?:maan|dins|woens|donder|vrij|zater|zon)dag"
          r"|zonsondergang|zonsopgang|zonsopkomst|schemer\w*|dageraad)\b"
          r"|['’]s\s+(?:morgens|ochtends|middags|avonds|nachts)\b",
}.items()})
# Only when something holds: "if the tank is full", "wenn", "si", "cuando", "zodra".
CONDITIONAL = _table({
    "en": r"\b(?:if|when|whenever|unless|while|as soon as|as long as|in case|provided|should"
          r"\s+it)\b|(?<!at )\bonce\b",
    "de": r"\b(?:wenn|falls|sobald|sofern|solange|während|nötigenfalls)\b",
    "fr": r"\b(?:si|s'il(?! (?:te|vous) pla)|quand|lorsque|lorsqu|d[èe]s qu|tant qu|au cas"
          r"|pendant|au besoin)e?\b",  # "dès que", "dès qu'il", "tant qu'il"
    "es": r"\b(?:si|cuando|en cuanto|a menos que|mientras|en caso|durante)\b",
    "nl": r"\b(?:als|wanneer|zodra|indien|tenzij|zolang|terwijl|gedurende)\b",
})
# Two values for one change: "off and on", "40 or 50 %", "aus und an", and "1,000", which is
# a thousand in English and one in German.
_STATE = r"(?:off|on|open|close|an|aus|ein|auf|zu|uit|aan|dicht)"
_COMMAND = (r"turn|switch|open|close|shut|start|stop|set|put|power|schalte|schalt|mach|mache"
            r"|stell|stelle|dreh|drehe|öffne|schließ|schließe|setz|setze|éteins|eteins|allume"
            r"|ouvre|ferme|coupe|mets|arrête|arrete|démarre|demarre|règle|regle|apaga"
            r"|enciende|abre|cierra|pon|arranca|prende|zet|schakel|doe|sluit|draai")
SEVERAL = re.compile(
    rf"\b{_STATE}\s+(?:and|or|then|und|oder|dann|et|ou|puis|y|o|luego|en|of|dan)\s+{_STATE}\b"
    # two values or two devices to choose from: "40 or 50 %", "pump 2 or pump 5", "Pumpe 2
    # oder 5", "la bomba 2 o la 5", "pomp P-2 of P-5"
    r"|\d\s*%?\s+(?:or|oder|ou|o|of)\s+(?:[^\W\d_]+[\s-]+){0,2}\d|\d[,.]\d{3}(?!\d)"
    # German split verbs, two states in one: "auf- und wieder zumachen", "an- und ausschalten"
    r"|\b(?:auf|an|ein|aus|zu|ab)-\s*(?:und|oder)\s"
    # off and on again: "restart", "neu starten", "redémarre", "reinicia", "herstart"
    r"|\b(?:restart\w*|reboot\w*|power[- ]?cycle\w*|neu\s*start\w*|neustart\w*|red[ée]marr\w*"
    r"|reinici\w*|herstart\w*|reset\w*)\b"
    # two commands: "open valve 4, close valve 4", "turn on pump 2 and off pump 2"
    rf"|\b(?:{_COMMAND})\b[^,;]*[,;]\s*(?:{_COMMAND})\b"
    rf"|\b(?:{_COMMAND})\b.*\b(?:and|then|und|dann|et|puis|y|luego|en|daarna)\s+"
    rf"(?:(?:then|dann|puis|luego|daarna)\s+)?(?:(?:{_COMMAND})\b|{_STATE}\s+[^\W\d_])"
    # a fraction: "3 quarters" is not 3
    r"|\d\s+(?:quarters?|thirds?|halves|fifths?|tenths?|viertel|drittel|quarts?|tiers"
    r"|cuartos?|tercios?|kwart|derden?)\b")
