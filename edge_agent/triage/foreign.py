"""Requests in a language triage does not answer, told apart from the five it does.

Without this a request in another language is read as its nearest neighbour ("qual è la
temperatura nella zona 3?" scores as Spanish, "hvad er temperaturen i zone 3?" as Dutch) and
answered, when the model is confident, in a language the asker did not use. Such a request
escalates instead: the cloud's models read it and answer in its language.

Three signs, each cheap (a few µs, no model):
- letters of another script (Cyrillic, Greek, Arabic, Hebrew, CJK, Devanagari, Thai, ...);
- Latin letters none of the five languages writes (ł, ř, ø, å, ğ, ș, ő, ã, ...);
- function and domain words of other Latin-script languages that none of the five uses;
- Portuguese phrasing Spanish never has ("abra a válvula 4": the article alone before a noun),
  which alone tells the language, since the words of such a command are all Spanish too.

A request counts as foreign when at least two of its words carry the last two signs and they
outnumber its words of the five languages, or when at least a third of its letters are of
another script. One foreign word (a device called "Øst 2", a "kapat" in a log line) does not
make a request foreign, unless it opens the request: a short command such as "desliga a bomba
2" (Portuguese) has one word of its language, its verb, and the rest reads as Spanish.
"""

from __future__ import annotations

import re

from edge_agent.triage.languages import _TABLE, _WORD, LANGUAGES, _scores

MAX_CHARS = 2000

# Words of languages triage does not answer. Words any of the five languages' tables hold are
# taken out below, and words other languages share with English, German, French, Spanish or
# Dutch ("i", "w", "nie", "son", "ne", "zona", "kan", "on") were left out by hand.
_WORDS: dict[str, frozenset[str]] = {
    "it": frozenset((
        "è", "nella", "nel", "della", "dello", "delle", "degli", "gli", "sono", "spegni",
        "accendi", "qual", "quali", "quale", "perché", "grazie", "favore", "mostrami", "dimmi",
        "quanti", "quante", "ultime", "ore", "acceso", "accesa", "spento", "spenta",
        "dispositivi", "allarmi", "ciao", "buongiorno", "umidità", "pompa", "valvola",
        "riscaldamento", "ventola", "luce", "imposta", "apri", "chiudi", "livello", "sensori",
        "elenca")),
    "pt": frozenset((
        "não", "você", "obrigado", "obrigada", "desligue", "desliga", "ligue", "liga", "são",
        "qual", "quais", "é", "mostre", "diga", "últimos", "umidade", "aquecimento",
        "ventoinha", "estão", "nível", "pressão", "olá", "bom", "agora", "atual", "sensores",
        "ligada", "ligado", "desligada", "desligado")),
    "da": frozenset((
        "hvad", "hvilken", "hvilke", "hvordan", "hvorfor", "ikke", "jeg", "venligst", "sluk",
        "tænd", "åbn", "luk", "vis", "temperaturen", "fugtighed", "trykket", "niveauet",
        "ventilen", "alarmer", "enheder", "seneste", "nuværende", "tilstand", "hej", "tak")),
    "sv": frozenset((
        "vad", "vilken", "vilka", "hur", "varför", "är", "och", "inte", "jag", "visa", "stäng",
        "slå", "sätt", "öppna", "tack", "snälla", "fuktighet", "trycket", "nivån", "larm",
        "enheter", "senaste", "timmarna", "nuvarande", "hej", "zon", "tillstånd", "på", "av")),
    "nb": frozenset((
        "hva", "hvilken", "hvordan", "hvorfor", "ikke", "jeg", "meg", "vis", "skru", "slå",
        "av", "på", "fuktighet", "trykket", "nivået", "alarmer", "enheter", "siste", "timene",
        "nåværende", "hei", "sone", "takk", "vennligst")),
    "pl": frozenset((
        "jaka", "jaki", "jakie", "jest", "są", "jak", "dlaczego", "ile", "gdzie", "wyłącz",
        "włącz", "pokaż", "ustaw", "otwórz", "zamknij", "proszę", "dziękuję", "wilgotność",
        "ciśnienie", "poziom", "pompę", "zawór", "strefie", "strefa", "czujniki", "alarmy",
        "urządzenia", "ostatnie", "godziny", "teraz", "aktualna", "aktualny", "czy", "się")),
    "cs": frozenset((
        "jaká", "jaký", "jsou", "proč", "kolik", "kde", "vypni", "zapni", "ukaž", "nastav",
        "otevři", "zavři", "prosím", "děkuji", "teplota", "vlhkost", "tlak", "hladina",
        "čerpadlo", "zóně", "čidla", "zařízení", "poslední", "hodiny", "teď", "aktuální")),
    "tr": frozenset((
        "nedir", "kaç", "neden", "nerede", "nasıl", "kapat", "aç", "göster", "ayarla",
        "lütfen", "teşekkürler", "sıcaklık", "sıcaklığı", "nem", "basınç", "seviye",
        "seviyesi", "vana", "bölge", "bölgedeki", "bölgesindeki", "sensörler", "alarmlar",
        "cihazlar", "saat", "şimdi", "mevcut", "durumu", "pompayı", "kapalı", "açık")),
    "fi": frozenset((
        "mikä", "mitkä", "mitä", "miten", "miksi", "kuinka", "missä", "sammuta", "käynnistä",
        "näytä", "aseta", "avaa", "sulje", "kiitos", "lämpötila", "kosteus", "paine",
        "pumppu", "venttiili", "vyöhykkeen", "vyöhyke", "anturit", "hälytykset", "laitteet",
        "viimeiset", "tunnit", "nyt", "nykyinen", "päälle", "pois")),
    "ro": frozenset((
        "care", "este", "sunt", "câte", "unde", "oprește", "opreşte", "pornește", "porneşte",
        "arată", "setează", "deschide", "închide", "rog", "mulțumesc", "umiditatea",
        "presiunea", "nivelul", "supapa", "senzorii", "alarmele", "dispozitivele", "ultimele",
        "acum", "actuală", "starea")),
    "hu": frozenset((
        "mennyi", "milyen", "hol", "miért", "hogyan", "kapcsold", "mutasd", "állítsd",
        "nyisd", "zárd", "kérlek", "köszönöm", "hőmérséklet", "hőmérséklete", "páratartalom",
        "nyomás", "szint", "szivattyú", "szelep", "zónában", "érzékelők", "riasztások",
        "eszközök", "utolsó", "órában", "jelenlegi", "állapota")),
    "ca": frozenset((
        "quina", "quin", "quins", "quines", "és", "són", "engega", "encén", "digues", "tanca",
        "gràcies", "humitat", "pressió", "vàlvula", "dispositius", "darreres", "últimes",
        "hores", "ara", "estat")),
    "id": frozenset((
        "berapa", "suhu", "matikan", "nyalakan", "hidupkan", "tampilkan", "apa", "yang",
        "tolong", "sekarang", "kelembaban", "tekanan", "perangkat", "terakhir", "keadaan")),
}
_TABLES: dict[str, frozenset[str]] = {
    lang: words - frozenset(_TABLE) for lang, words in _WORDS.items()}
_ANY = frozenset().union(*_TABLES.values())
# Words that may open a request of another language; not "ore" and "care", English words too
# ("ore level in crusher 2", "care to show me the alarms?").
_OPENERS = _ANY - {"ore", "care"}

# Portuguese phrasing Spanish never has, enough alone to tell the language: the article alone
# before a noun of the gateway's world, where Spanish writes "la" and "el" ("abra a válvula
# 4", "desligue o ventilador", "qual a temperatura"; Spanish has "a" and "o" only as words of
# their own: "a 50 %", "a la bomba", "bomba 2 o 3"), and "is on / off" ("a bomba 2 está
# ligada"). Nouns English shares ("a sensor", "a motor") are left out.
_PT_SIGNS = re.compile(
    r"(?:^|(?<=[^\W\d_])\s)(?:a|o|os|as)\s+(?:válvulas?|valvulas?|bombas?|ventilador(?:es)?"
    r"|ventoinhas?|temperatura|umidade|pressão|pressao|luz|luzes|lâmpadas?|lampadas?"
    r"|aquecedor(?:es)?|aquecimento|sensores|tanques?|linha|zona|nível|nivel|portas?"
    r"|caldeiras?|alarmes|dispositivos)\b|\best[áa]\s+(?:des)?ligad[oa]s?\b")

# Latin letters that none of the five languages writes: Polish, Czech and Slovak, the
# Scandinavian languages, Turkish, Romanian, Hungarian, Portuguese, Italian, Icelandic, the
# Baltic languages, Croatian.
_ODD_LETTERS = re.compile(
    "[ąćęłńśźżčďěňřšťůžýľĺŕæøåğışșţțőűãõìòþðāēīūģķļņėįųđ]")
# A letter outside the Latin script's blocks (µ, ª and º, which units and ordinals use, are
# Latin enough).
_OTHER_SCRIPT = re.compile("[^\\W\\d_a-zA-Z\u00aa\u00b5\u00ba\u00c0-\u024f\u1e00-\u1eff]")


def foreign(text: str) -> str | None:
    """The language (ISO 639-1 where its words tell it, else ``und``) of a request written in
    one triage does not answer, or None for a request in one of the five or in none at all."""
    low = text[:MAX_CHARS].lower()
    words = _WORD.findall(low)
    other = sum(len(w) for w in words if _OTHER_SCRIPT.search(w))
    if other >= 2 and 3 * other >= sum(len(w) for w in words):
        return "und"
    odd = [w for w in words if w in _ANY or _ODD_LETTERS.search(w)]
    if words and words[0] in _OPENERS:  # the verb or question word of a command or question
        odd.append(words[0])
    if _PT_SIGNS.search(low):
        return "pt"
    if len(odd) < 2 or len(odd) <= max(_scores(low, words, LANGUAGES).values()):
        return None
    hits = {lang: sum(w in table for w in odd) for lang, table in _TABLES.items()}
    lang = max(hits, key=lambda k: hits[k])
    return lang if hits[lang] else "und"
