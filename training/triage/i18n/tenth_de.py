"""German templates of the tenth generation (triage-2.8), appended after all older ones.

Written by category from how operators talk, not from any evaluation sentence: "kannst du mal
schauen, ob ...", "wie sieht's aus mit ...", "was zeigt ... gerade an", "läuft ... noch",
object first ("Pumpe 3, mach die aus"), colloquial commands ("mach ... aus", "dreh ... runter"),
formal "Sie" ("könnten Sie ... abschalten"), devices named by a place ("die Beleuchtung in der
Halle"), and hard negatives in the same shapes (a vague amount of a kind,
"lohnt es sich ..."). Appended to ``de.TEMPLATES``.
Conditions, negated commands, a command for later and "X a bit higher" on a device are
left to ``edge_agent.triage.guards``, which escalates them whatever the model reads: as
templates they shared the plain commands' words and cost those confidence (candidate 2.8-a).
Training-only.
"""

from __future__ import annotations

# Appended to de.ACT / de.SENSOR / de.AREAS / de.WINDOWS / de.VALUES.
ACT = (
    "Notstromaggregat",
    "Magnetventil",
    "Frequenzumrichter",
    "Beleuchtung",
    "Markise",
    "Tauchpumpe",
    "Förderschnecke",
    "Boiler",
    "Vernebler",
    "Mischer",
    "Fütterungsanlage",
    "Tür",
    "Umwälzpumpe",
    "Scheinwerfer",
    "Klimagerät",
)
SENSOR = (
    "Durchflusssensor",
    "Hygrometer",
    "Manometer",
    "Thermostat",
    "Analysator",
    "Leitfähigkeitssensor",
    "Waage",
    "Pegelsonde",
    "Sauerstoffsensor",
    "Gaszähler",
)
AREAS = (
    "Küche",
    "Flur",
    "Rampe {n}",
    "Hof",
    "Scheune",
    "Dach",
    "Erdgeschoss",
    "Foyer",
    "Garage",
    "Pferdestall {n}",
    "Maschinenraum",
    "Zelle {n}",
    "Trockenraum",
    "Melkstand",
    "Gärtnerei",
    "Pumpenhaus",
    "Schweinestall {n}",
    "Empfang",
    "Lagerhalle {n}",
    "Waschküche",
)
WINDOWS = (
    "gestern Nachmittag",
    "heute Nacht",
    "gestern früh",
    "über Nacht",
    "diesen Monat",
    "heute früh",
    "am letzten Wochenende",
    "in der letzten Woche",
    "seit Freitag",
    "vor {n} Stunden",
)
VALUES = ("minus {n} Grad", "{n} Grad unter null", "auf {n} %", "{n} Prozent offen", "{n} °")

_CHECK = "(kannst du mal schauen|schau mal|guck mal|können Sie prüfen|check mal)"

TEMPLATES: dict[str, tuple[str, ...]] = {
    "query_state": (
        f"{_CHECK}, ob [die|der|das] {{act}} (läuft|an ist|offen ist|aus ist)",
        "wie (warm|kalt) ist's (gerade|jetzt|momentan) (im|in der|in) {area}",
        "wie sieht's (aus mit|mit) (der|dem) {act} [aus]",
        "was (zeigt|sagt|misst) [die|der|das] {sensor} (gerade|jetzt|momentan) [an]",
        "sag mal (die|den) {kind} (im|in der|in) {area}",
        "(läuft|ist) [die|der|das] {act} (noch|gerade) (an|aus|offen|zu)",
        "(kannst du|können Sie) mir (die|den) {kind} (im|in der|in) {area} (sagen|geben)",
        "{area}: (wie warm ist es|wie ist die {kind}|wieviel {kind}) [gerade]",
        "(läuft|arbeitet|dreht) [die|der|das] {act} (noch|gerade|jetzt) [oder nicht]",
        "(ich hätte gern|ich bräuchte) (die|den) {kind} (im|in der|in) {area}",
        "(wieviel|wie viel) {kind} (ist|herrscht) (gerade|jetzt) (im|in der|in) {area}",
        "(ist|steht) [die|der|das] {act} (oben|unten|offen|zu) [gerade]",
        "[die|der|das] {act}, (läuft die noch|ist die an|ist die aus)?",
        "auf wie viel (Grad|Prozent) (steht|ist) [die|der|das] {act} [gerade]",
    ),
    "query_history": (
        "wie (warm|kalt|feucht) war es {window} (im|in der|in) {area}",
        "was (hat|zeigte) [die|der|das] {sensor} {window} (angezeigt|gemessen|an)",
        "(lief|war) [die|der|das] {act} {window} (an|in Betrieb|offen)",
        "(wie hoch|wie niedrig) war (die|der) (höchste|niedrigste|mittlere) {kind} (im|in der"
        "|in) {area} {window}",
        "(kannst du|können Sie) mir (den Verlauf|die Historie|die Messwerte) (von|vom) {sensor}"
        " {window} (zeigen|schicken)",
        "wie viel (Strom|Energie) hat [die|der|das] {act} {window} (geschluckt|verbraten)",
        "wie oft (ist|hat) [die|der|das] {act} {window} (angelaufen|ausgelöst|geschaltet)",
        "(gib|schick) mir die (Messwerte|Werte|Daten) (von|vom) {sensor} {window}",
        "{window}, (wie war die|wieviel) {kind} (im|in der|in) {area}",
        "(den Verlauf|die Kurve|den Trend) (der|von der) {kind} (im|in der|in) {area} {window}",
    ),
    "set_actuator": (
        "mach [die|den|das] {act} (an|aus|auf|zu) [mal|bitte]",
        "(stopp|starte|stoppe) [die|den|das] {act} [mal|jetzt|bitte]",
        "(könnten Sie|können Sie|kannst du mal) [die|den|das] {act} (abschalten|einschalten"
        "|öffnen|schließen|stoppen) [bitte]",
        "[die|der|das] {act}, (mach die aus|mach die an|mach die zu|mach die auf) [mal]",
        "dreh [die|den|das] {act} (auf|zu|ab|runter|hoch) [mal|bitte]",
        "(mach|schalt) die Beleuchtung (im|in der|in) {area} (an|aus) (bitte|mal)",
        "stell [die|den|das] {act} mal auf {value} [bitte]",
        "(ich will|ich möchte), dass [die|der|das] {act} (ausgeht|angeht|aufgeht|zugeht)",
        "(schalt|schalte) [die|den|das] {act} (ein|aus|ab) [jetzt|bitte]",
        "(stopp|schalt aus) [die|den|das] {act} (im|in der|in) {area}",
        "(stell|dreh) die {kind} (im|in der|in) {area} auf {value} [bitte]",
        "{act} auf {value} (bitte|mal|danke)",
        "(fahr|lass) [die|den|das] {act} (hoch|runter|zu|auf) [bitte]",
    ),
    "list_devices": (
        "was (hängt|ist) [alles] (am Netz|an der Steuerung|im System) [in {area}]",
        "wie viele (Sensoren|Geräte|Zähler) (haben wir|gibt es) (im|in der|in) {area}",
        "welche (Geräte|Sensoren|Zähler) (melden sich nicht|sind offline|senden nichts)",
        "(gib|schick) mir die Liste (der|aller) (Geräte|Sensoren) [in {area}]",
        "(sind|ist) (Geräte|ein Sensor|ein Gerät) (offline|ohne Verbindung) [?]",
        "was für (Geräte|Sensoren) (haben wir|stehen) (im|in der|in) {area}",
        "(kannst du|können Sie) alle (Geräte|Sensoren|Pumpen) (auflisten|aufzählen)",
    ),
    "list_alerts": (
        "(gibt es|stehen) (Alarme|Meldungen) (offen|unquittiert|an) [?]",
        "(ist|hat) ein Alarm (ausgelöst|angeschlagen) [heute|in {area}]",
        "welche (Alarme|Meldungen) (stehen noch an|sind noch aktiv|sind offen)",
        "(kannst du|können Sie) (schauen|prüfen), ob (Alarme|Störungen|Meldungen) anstehen",
        "(haben wir|gibt es) (Störungen|Alarme) (im|in der|in) {area} [gerade]",
        "zeig [mir] mal die (offenen|unquittierten) (Störungen|Alarme)",
        "ist (irgendwas|was) (los|nicht in Ordnung) (im|in der|in) {area} [gerade]",
    ),
    "escalate": (
        "(dreh|stell) die {kind} (im|in der|in) {area} (ein bisschen|etwas|ein wenig) (höher"
        "|runter|niedriger)",
        "lohnt es sich, [die|den|das] {act} (nachts|jetzt) (abzuschalten|einzuschalten)",
        "wie oft (muss|sollte) [die|der|das] {act} (gewartet|geschmiert|gereinigt) werden",
        "(mach|schreib) [mir] einen (Bericht|Report|Überblick) (über|zu) {area} für (den Chef"
        "|morgen|die Geschäftsleitung)",
        "(kannst du|können Sie) (schauen|herausfinden), warum [die|der|das] {act} nicht"
        " (anläuft|angeht|startet)",
        "ist es normal, dass [die|der|das] {sensor} (so viel|so wenig|das) anzeigt",
        "was (sollte|müsste) [die|der|das] {sensor} (normalerweise|eigentlich) (anzeigen|messen)",
        "was passiert, wenn ich [die|den|das] {act} (jetzt|im Betrieb) (ausschalte|zumache"
        "|aufmache)",
        "warum (schaltet|fällt|löst) [die|der|das] {act} (jeden Abend|nachts|immer wieder)"
        " (ab|aus)",
        "[die|der|das] {act} (macht komische Geräusche|riecht verbrannt|leckt), (was tun|ist"
        " das schlimm)",
        "lass [die|den|das] {act} (an|aus) (bis|für) (Montag|heute Abend|zwei Stunden)",
        "was kostet es, [die|den|das] {act} (den ganzen Tag|einen Monat) laufen zu lassen",
    ),
}
