"""The languages triage understands, how a request's language is told, and their cue words.

``detect(text)`` scores a request against small per-language tables of function words and
letters (about 10 µs, no model): the language with most hits wins, English on a tie or when
nothing matches, since names, numbers and units are shared by all. The word tables also feed
the features (``features.cues``) and delexicalisation (``delex``), so "in den letzten 2
Stunden" is a time window and "Pumpe 3" a device in German as "pump 3" is in English.
"""

from __future__ import annotations

import re
from collections.abc import Collection

Language = str  # an ISO 639-1 code: "en", "de", "fr", "es", "nl"
LANGUAGES: tuple[Language, ...] = ("en", "de", "fr", "es", "nl")
DEFAULT: Language = "en"

_STOP: dict[Language, frozenset[str]] = {
    "en": frozenset((
        "the", "what", "whats", "is", "are", "of", "in", "on", "turn", "please", "how", "which",
        "show", "me", "all", "any", "why", "and", "to", "it", "set", "switch", "list", "was",
        "last", "hours", "should", "can", "you", "my", "does", "do", "there", "devices",
        "alarms", "alerts", "temperature", "with", "at", "this", "that", "tell", "give", "off",
        # frequent words and days, so a request with few of the words above is still told
        "for", "from", "has", "have", "been", "be", "will", "would", "could", "right", "now",
        "today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "week", "until", "enough", "still", "again", "many",
        "much", "hey", "pls", "currently", "current", "did", "when", "where", "who", "if")),
    "de": frozenset((
        "der", "die", "das", "den", "dem", "des", "ist", "sind", "wie", "was", "welche",
        "welcher", "welches", "warum", "wieso", "bitte", "schalte", "schalt", "mach", "mache",
        "ein", "eine", "einen", "aus", "an", "auf", "im", "in", "zeige", "zeig", "mir", "alle",
        "gibt", "es", "und", "ich", "soll", "sollte", "kannst", "du", "letzten", "stunden",
        "geräte", "alarme", "hoch", "runter", "öffne", "schließe", "stelle", "stell", "wieviel",
        "wo", "aktuelle", "aktuell", "gerade", "noch", "nicht", "läuft", "laufen", "mit", "vom",
        "seit", "heute", "nach", "oben", "unten", "irgendwelche", "fehler", "halle", "guten",
        "danke", "dir", "temperatur", "pumpe", "ventil", "lüfter", "heizung", "störungen",
        "zeig", "wieviele", "viele", "raum", "lauft", "morgen", "abend", "uhr",
        # infinitive commands: "Reservepumpe ausschalten" has no other German word
        "ausschalten", "einschalten", "abschalten", "anschalten", "ausmachen", "anmachen",
        "öffnen", "schließen", "zumachen", "aufmachen",
        # frequent words and days, so a request with few of the words above is still told
        "für", "zu", "zum", "zur", "bei", "über", "unter", "vor", "genug", "bis", "montag",
        "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "woche",
        "gestern", "wann", "weshalb", "hast", "haben", "hat", "wird", "werden", "kann",
        "können", "muss", "müssen", "mal", "doch", "schon", "jetzt", "wieder", "kein", "keine",
        "sehr", "dass", "oder", "aber", "auch", "ob", "wer", "welchen", "welchem", "hier",
        "zeigt", "misst", "meldet", "liegt", "steht", "hatte", "war", "waren", "liste")),
    "fr": frozenset((
        "le", "la", "les", "du", "des", "est", "quelle", "quel", "quels", "quelles", "pourquoi",
        "comment", "allume", "éteins", "eteins", "ouvre", "ferme", "règle", "regle", "mets",
        "dans", "sur", "pour", "moi", "tous", "toutes", "il", "y", "et", "je", "dois",
        "peux", "tu", "vous", "dernières", "dernieres", "heures", "appareils", "alarmes",
        "affiche", "montre", "liste", "qu", "que", "quoi", "s'il", "plaît", "plait", "au", "l",
        "en", "cours", "actuelle", "actuellement", "une", "un", "fonctionne", "marche",
        "bonjour", "merci", "beaucoup", "combien", "sondes", "pompe", "vanne", "température",
        "humidité", "chauffage", "salle", "ce", "est", "tout", "suite", "appareil", "pannes",
        "allumer", "éteindre", "eteindre", "ouvrir", "fermer", "arrêter", "arreter",
        # frequent words and days, so a request with few of the words above is still told
        "de", "à", "pas", "ne", "avec", "par", "son", "sa", "ses", "mon", "ma", "mes", "cette",
        "ces", "ça", "ca", "hier", "demain", "aujourd'hui", "lundi", "mardi", "mercredi",
        "jeudi", "vendredi", "samedi", "dimanche", "semaine", "jusqu", "assez", "encore",
        "déjà", "toujours", "quand", "où", "ou", "mais", "aussi", "peut", "faut", "fait",
        "sont", "ont", "suis", "va", "trop", "plus", "moins", "très", "se", "stp", "svp",
        "bonsoir", "salut", "pourrais", "pourriez", "voudrais", "actuel", "dernier",
        "dernière", "depuis", "pendant", "arrêt", "chambre", "froide", "allumé", "éteint",
        "ouverte", "fermée", "ouvert", "fermé", "tourne", "etat", "eteint", "alarme", "défaut",
        "humidite", "temperature", "fermee", "eclairage", "chaudiere")),
    "es": frozenset((
        "el", "la", "los", "las", "del", "es", "está", "esta", "están", "cuál", "cual",
        "cuáles", "qué", "que", "por", "porqué", "cómo", "como", "enciende", "apaga", "abre",
        "cierra", "pon", "ajusta", "en", "para", "me", "todos", "todas", "hay", "y", "debo",
        "puedes", "últimas", "ultimas", "horas", "dispositivos", "alarmas", "alertas",
        "muestra", "muéstrame", "dime", "lista", "favor", "actual", "ahora", "una", "un",
        "funciona", "sensores", "temperatura", "al", "lo", "bomba", "apagada", "apagado",
        "luz", "nave", "gracias", "muchas", "cuéntame", "chiste", "tarde", "las", "los",
        "válvula", "humedad", "calefacción", "hola", "buenos", "días", "cuánto", "cuántos",
        "encender", "apagar", "abrir", "cerrar", "arrancar", "detener",
        # frequent words and days, so a request with few of the words above is still told
        "de", "con", "sin", "su", "sus", "mi", "mis", "ese", "esa", "eso", "esto",
        "ayer", "hoy", "mañana", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado",
        "domingo", "semana", "hasta", "bastante", "suficiente", "todavía", "ya", "cuando",
        "dónde", "donde", "pero", "también", "puede", "hace", "son", "tiene", "tienen", "muy",
        "más", "menos", "mucho", "poco", "no", "se", "le", "nos", "usted", "porfa", "oye",
        # nouns as typed without accents
        "presion", "valvula", "calefaccion", "linea", "deposito", "camara", "bombas",
        # commands and set points as typed: "sube dos grados la sala 3", "bajá la bomba 2"
        "sube", "subí", "subi", "subir", "baja", "bajá", "bajar", "prende", "prendé", "apagá",
        "cerrá", "abrí", "poné", "grados", "sala", "dos")),
    "nl": frozenset((
        "de", "het", "een", "zijn", "wat", "welke", "waarom", "hoe", "zet", "doe",
        "aan", "uit", "sluit", "op", "voor", "mij", "alle", "er", "en", "onmiddellijk",
        "bedankt", "heel", "erg", "pomp", "klep", "verwarming", "hoeveel", "gisteren", "dit",
        "geef", "vol", "dicht", "naar", "terug", "draai", "toon", "hal", "aangesloten", "zo",
        "vochtig", "vertel", "grap", "goedemorgen", "waarde", "graden", "ruimte", "bij",
        "ik", "moet", "kun", "je", "jij", "laatste", "uur", "uren", "apparaten",
        "alarmen", "meldingen", "toon", "laat", "zien", "geef", "lijst", "alsjeblieft",
        "graag", "huidige", "nu", "staat", "draait", "van", "temperatuur", "niet", "nog",
        "uitzetten", "aanzetten", "uitschakelen", "inschakelen", "openen", "sluiten",
        # frequent words and days, so a request with few of the words above is still told
        "is", "in", "tot", "genoeg", "met", "te", "om", "maar", "ook", "al", "wel", "geen",
        "kan", "mag", "wil", "wordt", "worden", "heeft", "hebben", "hebt", "gaat", "welk",
        "wanneer", "hier", "daar", "deze", "die", "dat", "even", "eens", "vandaag", "morgen",
        "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
        "week", "dag", "sinds", "hoger", "lager", "nodig", "zit", "ligt", "alles", "iets",
        "niets", "wie", "waar", "hoelang", "gemiddeld", "gemiddelde", "vannacht", "vanochtend",
        "vanmorgen", "vanmiddag", "vanavond", "afgelopen", "klopt", "storing", "storingen",
        "sensoren", "ventilatie", "koeling", "koelcel", "zonder", "boven", "tussen", "binnen",
        "buiten", "beneden", "aub", "ajb", "ff", "hoi", "staan", "gaan", "doen", "draaien",
        "lopen", "loopt", "werkt", "geeft", "weet", "hoogste", "laagste", "schakel",
        "schakelen", "alstublieft")),
}
# Nouns of the gateway's world that name their language: a short request is often a kind, a
# preposition and a name ("niveau du réservoir 3 ?", "Druck in Linie 2"), with no function
# word of its own language to tell it by.
_NOUNS: dict[Language, frozenset[str]] = {
    "de": frozenset((
        "druck", "linie", "pegel", "füllstand", "feuchte", "feuchtigkeit", "luftfeuchtigkeit",
        "pumpen", "ventile", "sensoren", "behälter", "kessel", "gewächshaus", "stall",
        "leitung", "wert", "stand", "lüftung", "klappe", "förderband")),
    "fr": frozenset((
        "niveau", "réservoir", "cuve", "pression", "débit", "capteur", "capteurs", "sonde",
        "ventilateur", "lumière", "moteur", "ligne", "serre", "étable", "état", "pompes",
        "vannes", "four", "chaudière", "consigne", "valeur")),
    "es": frozenset((
        "presión", "nivel", "caudal", "depósito", "tanque", "línea", "nave", "invernadero",
        "ventilador", "bombas", "válvulas", "estado", "establo", "caldera", "valor")),
    "nl": frozenset((
        "niveau", "druk", "lijn", "kas", "stal", "pompen", "kleppen", "ventilator", "vocht",
        "vochtigheid", "ketel", "stand", "lampen", "waarde")),
}
_LETTERS: dict[Language, re.Pattern[str]] = {
    "de": re.compile(r"[äöüß]"),
    # é is French far more often than Spanish, whose "qué" and "también" carry other marks
    "fr": re.compile(r"[çèéêëàâîïôœùû]"),
    "es": re.compile(r"[ñ¿¡áíóú]"),
    "nl": re.compile(r"ij"),
}
# German and Dutch write a device's purpose into its kind ("Reservepumpe", "mestpomp"): such a
# compound tells its language where a short command has no other word of it.
_COMPOUNDS: dict[Language, tuple[str, ...]] = {
    "de": ("pumpe", "pumpen", "ventil", "ventile", "klappe", "heizung", "lüfter", "kammer",
           "zelle", "anlage", "behälter", "schieber", "leuchte"),
    "nl": ("pomp", "pompen", "klep", "kleppen", "kraan", "schuif", "ventiel", "luik", "kast",
           "cel", "lamp", "lampen", "verwarming", "ventilator"),
}
# ... and a compound's first part names what is measured ("Temperatursensoren",
# "temperatuursensor"): the longest of these a word starts with tells its language.
_STEMS: dict[str, Language] = {
    "temperatur": "de", "temperatuur": "nl", "feuchte": "de", "luftfeuchte": "de",
    "feuchtigkeit": "de", "vocht": "nl", "luchtvocht": "nl", "druck": "de", "druk": "nl",
    "füllstand": "de", "durchfluss": "de", "doorstroom": "nl", "niveaumeter": "nl"}
_STEM = re.compile("|".join(sorted(_STEMS, key=len, reverse=True)))
_WORD = re.compile(r"[^\W\d_]+")
# Each word's languages, a word several share ("in", "de", "es") counting for each in part.
_WORDS: dict[Language, frozenset[str]] = {
    lang: words | _NOUNS.get(lang, frozenset()) for lang, words in _STOP.items()}
_TABLE: dict[str, tuple[tuple[Language, float], ...]] = {
    w: tuple((lang, 1.0 / sum(w in words for words in _WORDS.values()))
             for lang, words in _WORDS.items() if w in words)
    for w in frozenset().union(*_WORDS.values())}


def detect(text: str, allowed: Collection[Language] = LANGUAGES) -> Language:
    """The language of one request among ``allowed`` (the first allowed one when unsure)."""
    low = text[:2000].lower()
    scores = _scores(low, _WORD.findall(low), allowed)
    fallback = DEFAULT if DEFAULT in scores else next(iter(allowed), DEFAULT)
    best = max(scores, key=lambda lang: (scores[lang], lang == fallback), default=fallback)
    return best if scores.get(best, 0.0) > 0 else fallback


def _scores(low: str, words: list[str], allowed: Collection[Language]) -> dict[Language, float]:
    """Each allowed language's score for a lower-cased request: its words, then its letters."""
    scores = dict.fromkeys(allowed, 0.0)
    for word in words:
        for lang, weight in _TABLE.get(word, ()):
            if lang in scores:
                scores[lang] += weight
    for lang, letters in _LETTERS.items():
        if lang in scores and letters.search(low):
            scores[lang] += 0.5 * min(3, len(letters.findall(low)))
    for lang, ends in _COMPOUNDS.items():
        if lang in scores:
            found = sum(len(w) > 6 and w.endswith(ends) for w in words[:50])
            scores[lang] += 0.5 * min(2, found)
    for word in words[:50]:
        stem = _STEM.match(word) if len(word) > 9 else None
        if stem is not None and _STEMS[stem.group()] in scores:
            scores[_STEMS[stem.group()]] += 0.5
    return scores


# Words that open a question, give an order, ask to show, make a condition or ask for
# reasoning, in every language: one hashed cue each (``features.cues``), whatever the language.
WH = frozenset((
    "wie", "was", "welche", "welcher", "welches", "wo", "wann", "ist", "sind", "gibt", "hat",
    "läuft", "quelle", "quel", "quels", "quelles", "comment", "combien", "où", "est", "qu",
    "qué", "que", "cuál", "cuáles", "cuánto", "cuánta", "cómo", "dónde", "está", "están",
    "hay", "wat", "welke", "hoe", "hoeveel", "waar", "staat", "zijn", "draait"))
ORDER = frozenset((
    "schalte", "schalt", "mach", "mache", "stelle", "stell", "setze", "öffne", "schließe",
    "starte", "stoppe", "erhöhe", "senke", "fahre", "allume", "éteins", "eteins", "ouvre",
    "ferme", "règle", "regle", "mets", "démarre", "arrête", "arrete", "augmente", "baisse",
    "enciende", "apaga", "abre", "cierra", "pon", "ajusta", "arranca", "detén",
    "sube", "baja", "zet", "doe", "sluit", "start", "stop", "verhoog", "verlaag", "draai"))
SHOW = frozenset((
    "zeige", "zeig", "liste", "nenne", "gib", "sag", "affiche", "montre", "donne", "dis",
    "muestra", "muéstrame", "dime", "lista", "dame", "enumera", "toon", "geef", "laat",
    "noem", "vertel"))
COND = frozenset((
    "wenn", "falls", "sobald", "bis", "jeden", "jede", "si", "quand", "lorsque", "dès",
    "chaque", "cuando", "cada", "hasta", "als", "zodra", "tot", "elke", "iedere"))
REASON = frozenset((
    "warum", "wieso", "weshalb", "sollte", "soll", "erkläre", "erklär", "plane", "vergleiche",
    "empfiehl", "normal", "ursache", "sicher", "pourquoi", "dois", "devrais", "explique",
    "planifie", "compare", "recommande", "cause", "sûr", "normale", "porqué", "debo",
    "debería", "explica", "planifica", "compara", "recomienda", "causa", "seguro", "waarom",
    "moet", "zou", "leg", "plan", "vergelijk", "raad", "oorzaak", "veilig", "normaal"))
DOMAIN = frozenset((
    "temperatur", "feuchtigkeit", "luftfeuchtigkeit", "druck", "füllstand", "pumpe", "pumpen",
    "ventil", "ventile", "lüfter", "heizung", "licht", "gerät", "geräte", "sensor", "sensoren",
    "alarm", "alarme", "warnung", "warnungen", "fehler", "störung", "störungen", "offline",
    "température", "humidité", "pression", "niveau", "pompe", "pompes", "vanne", "vannes",
    "ventilateur", "chauffage", "lumière", "appareil", "appareils", "capteur", "capteurs",
    "alarme", "alarmes", "alerte", "alertes", "défaut", "défauts", "panne", "pannes",
    "temperatura", "humedad", "presión", "presion", "nivel", "bomba", "bombas", "válvula",
    "valvula", "válvulas", "ventilador", "calefacción", "luz", "luces", "dispositivo",
    "dispositivos", "sensores", "alarma", "alarmas", "alerta", "alertas", "fallo", "fallos",
    "temperatuur", "vochtigheid", "luchtvochtigheid", "druk", "pomp", "pompen", "klep",
    "kleppen", "ventilator", "verwarming", "lamp", "apparaat", "apparaten", "sensoren",
    "melding", "meldingen", "storing", "storingen", "alarmen"))
# Words before a number that are not a device's name ("auf 21", "à 40", "op 3"), and time units
# after one ("2 Stunden"): delexicalisation keeps them, as it keeps "to 21" and "2 hours".
FUNCTION = frozenset((
    "auf", "zu", "bei", "um", "von", "bis", "über", "unter", "ab", "seit", "letzten",
    "vergangenen", "nächsten", "mit", "ohne", "pro", "für", "à", "au", "aux", "de", "du", "sur",
    "dans", "en", "par", "pour", "depuis", "dernières", "dernieres", "derniers", "derniers",
    "prochaines", "entre", "a", "al", "en", "del", "por", "para", "desde", "hasta", "últimas",
    "ultimas", "últimos", "ultimos", "próximas", "sobre", "op", "naar", "tot", "van", "met",
    "voor", "na", "sinds", "laatste", "afgelopen", "volgende", "per", "om", "le", "la", "les",
    "el", "los", "las", "der", "die", "das", "den", "dem", "het", "de", "een", "ein", "eine",
    "un", "une", "uno", "una", "et", "und", "y", "en", "ist", "est", "es", "is"))
TIME_WORDS = frozenset((
    "sekunden", "sekunde", "minuten", "minute", "stunden", "stunde", "tage", "tagen", "tag",
    "wochen", "woche", "monate", "monat", "uhr", "secondes", "seconde", "heures", "heure",
    "jours", "jour", "semaines", "semaine", "mois", "segundos", "segundo", "minutos", "minuto",
    "horas", "hora", "días", "dias", "día", "dia", "semanas", "meses", "mes", "seconden",
    "minuten", "uur", "uren", "dagen", "dag", "weken", "week", "maanden", "maand"))
UNITS = frozenset(("grad", "prozent", "degrés", "degres", "degré", "pourcent", "pour-cent",
                   "grados", "grado", "ciento", "graden", "procent"))
