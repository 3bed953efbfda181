"""German IoT templates and vocabulary, translated by hand (same syntax as ``templates``)."""

from training.triage.i18n import tenth_de

# The vocabularies grow by generation (appended at the end of this module): open tuples.
ACT: tuple[str, ...]
SENSOR: tuple[str, ...]
AREAS: tuple[str, ...]
WINDOWS: tuple[str, ...]
VALUES: tuple[str, ...]
ACT = ("Pumpe", "Ventil", "Lüfter", "Heizung", "Kältemaschine", "Kompressor", "Förderband",
       "Motor", "Licht", "Lampe", "Klappe", "Gebläse", "Sprinkler", "Kessel", "Rührwerk",
       "Schieber", "Rollladen", "Abluftventilator", "Befeuchter", "Entfeuchter", "Dosierpumpe",
       "Brenner", "Kühler", "Bewässerungsventil", "Dachfenster", "Tor", "Wärmepumpe", "Trockner")
SENSOR = ("Temperaturfühler", "Thermometer", "Sonde", "Feuchtesensor", "Drucksensor",
          "Durchflussmesser", "Füllstandssensor", "Tank", "Silo", "Bodensonde", "CO2-Sensor",
          "Stromzähler", "Energiezähler", "Vibrationssensor", "Wetterstation", "Regenmesser",
          "pH-Sonde", "Wasserzähler", "Behälter", "Gasmelder")
AREAS = ("Zone {n}", "Linie {n}", "Halle {L}", "Gewächshaus {n}", "Stall {n}", "Raum {n}",
         "Etage {n}", "Gebäude {L}", "Feld {n}", "Kühlhaus {n}", "Lager {n}", "Labor {n}",
         "Produktionslinie {n}", "Bucht {n}", "Keller", "Serverraum", "Heizraum", "Werkstatt",
         "Büro", "Kühlraum {n}", "Trakt {L}", "Block {L}")
KINDS = ("Temperatur", "Luftfeuchtigkeit", "Feuchte", "Druck", "Füllstand", "Durchfluss",
         "CO2", "Leistung", "Energieverbrauch", "Spannung", "Bodenfeuchte", "pH-Wert",
         "Vibration", "Drehzahl", "Helligkeit", "Sauerstoff")
VALUES = ("{n} Grad", "{n} %", "{n} Prozent", "{n} bar", "{n} °C", "{n}", "{n} U/min")
WINDOWS = ("in den letzten {n} Stunden", "seit gestern", "heute", "in der letzten Stunde",
           "in den letzten {n} Minuten", "diese Woche", "seit heute Morgen",
           "über die letzten {n} Tage", "letzte Nacht", "in den vergangenen {n} Stunden",
           "gestern", "letzten Monat",
           "im letzten Monat", "letzte Woche", "vorgestern", "seit Montag")
TOPICS = ("Tomaten", "Hühner", "Serverräume", "Weinlagerung", "Beton", "Setzlinge", "Käse")
CHAT = ("hallo", "guten Morgen", "danke", "wie geht's dir", "wer bist du", "erzähl mir einen Witz",
        "tschüss", "alles klar", "moment mal", "schönen Tag noch", "hmm", "ok danke",
        "was kannst du", "bist du ein Roboter", "gute Nacht", "super, danke")

TEMPLATES = {
    "query_state": (
        "(wie (hoch|warm|kalt) ist|was ist|wie ist) (die|der|das) {kind} (in|im|auf) {area}"
        " [gerade|aktuell|jetzt|im Moment]",
        "(zeig|zeige|sag) mir [bitte] (die|den|das) [aktuelle|aktuellen] {kind} (in|von) {area}",
        "(läuft|arbeitet) {act} [gerade|noch|jetzt]",
        "ist {act} (an|aus|offen|zu|geschlossen|eingeschaltet|ausgeschaltet) [oder nicht]",
        "was (zeigt|misst|meldet) {sensor} [gerade|aktuell|im Moment]",
        "(aktueller|aktuelle|momentaner) {kind} [in|von] {area}",
        "{kind} {area} [bitte|jetzt]", "(Status|Zustand|Wert|Messwert) von {dev}",
        "wie voll ist {sensor} [gerade]", "(welchen|welche) {kind} hat {area} [gerade|jetzt]",
        "auf welchem Wert steht {act}", "wie warm ist es (in|im) {area} [gerade]",
        "(kannst|könntest) du mir sagen, (wie|was) (die|der) {kind} (in|im) {area} ist",
        "wo steht {act} [gerade]", "was sagt {sensor}", "{dev} Status [bitte]",
        "welchen Stand hat {sensor}", "ist {act} noch (an|aktiv|in Betrieb)",
    ),
    "query_history": (
        "(durchschnittliche|mittlere|maximale|minimale|höchste|niedrigste) {kind} (in|im) {area}"
        " {window}",
        "(wie war|wie hat sich) (die|der) {kind} (in|im) {area} {window} [entwickelt]",
        "(zeig|zeige) mir den (Verlauf|Trend|Verlauf der Messwerte) von {sensor} {window}",
        "{kind}-Verlauf (in|im) {area} {window}", "Mittelwert {kind} {area} {window}",
        "(Spitzenwert|Höchstwert|Tiefstwert) von {sensor} {window}",
        "wie lange lief {act} {window}", "wie oft ist {act} {window} angelaufen",
        "(gib|zeig) mir die (Historie|Messwerte|Werte) von {dev} {window}",
        "wie hoch war (die|der) {kind} {window} (in|im) {area}",
        "Gesamtverbrauch von {act} {window}",
    ),
    "set_actuator": (
        "(schalte|schalt|mach|mache) {act} (an|ein|aus) [bitte]",
        "(schalte|schalt|mach) [bitte] (die|den|das) {act} (an|ein|aus)",
        "(stelle|stell|setze|setz) {act} auf {value} [bitte]",
        "(öffne|schließe|schließ|öffne bitte) {act}", "{act} (an|aus|auf|zu) [bitte|jetzt|sofort]",
        "(starte|stoppe|stopp|halte) {act} [an] [bitte]",
        "(erhöhe|senke|reduziere) (die|den) {kind} (in|im) {area} auf {value}",
        "(kannst|könntest) du {act} (einschalten|ausschalten|öffnen|schließen|starten|stoppen)",
        "bitte {act} (einschalten|ausschalten|öffnen|schließen|starten|stoppen)",
        "(fahre|fahr) {act} (hoch|runter|auf {value})", "{act} auf {value} (stellen|setzen)",
        "(dreh|drehe) {act} (auf|zu|hoch|runter)", "Heizung (in|im) {area} auf {value}",
        "ich möchte, dass du {act} (einschaltest|ausschaltest|öffnest|schließt)",
        "Licht (in|im) {area} (an|aus)", "{area} Lüftung auf {value}",
    ),
    "list_devices": (
        "(welche|was für) (Geräte|Sensoren|Aktoren|Pumpen|Ventile|Lüfter) (gibt es|sind"
        " (angeschlossen|verbunden|installiert|offline|online)) [in|im] [{area}]",
        "(zeig|zeige|liste) [mir] alle (Geräte|Sensoren|Aktoren|Pumpen) [auf] [in|im] [{area}]",
        "(liste|Liste) der (Geräte|Sensoren|Aktoren)", "alle Geräte [auflisten|anzeigen|bitte]",
        "welche Geräte sind (offline|nicht erreichbar|online|verbunden)",
        "wie viele (Geräte|Sensoren|Pumpen) (gibt es|hast du|sind angeschlossen) [in|im] [{area}]",
        "was ist alles (angeschlossen|installiert) [in|im] [{area}]",
        "welche {kind}sensoren gibt es (in|im) {area}", "Geräteliste [bitte]",
    ),
    "list_alerts": (
        "(gibt es|hast du|sind) [aktive|aktuelle|offene] (Alarme|Warnungen|Störungen|Fehler)",
        "(zeig|zeige|liste) [mir] [alle] [aktiven|offenen] (Alarme|Warnungen|Störungen)",
        "welche (Alarme|Warnungen|Störungen) (sind aktiv|gibt es|stehen an) [gerade|jetzt]",
        "(aktive|offene) (Alarme|Störungen|Warnungen) [bitte]", "irgendwelche Alarme",
        "was ist gerade (im Alarm|gestört|auffällig)", "Alarmliste [bitte|anzeigen]",
        "gibt es Probleme [in|im] [{area}]", "(Alarme|Warnungen) (in|im) {area}",
    ),
    "escalate": (
        "warum ist es (in|im) {area} (wärmer|kälter|feuchter) als (gestern|letzte Woche|sonst)",
        "warum (ist|hat) {act} (ausgefallen|abgeschaltet|gestoppt) [heute]",
        "wieso (steigt|fällt|schwankt) (die|der) {kind} (in|im) {area} [ständig|so stark]",
        "(soll|sollte) ich {act} vor dem (Sturm|Frost|Wochenende) (einschalten|abschalten|öffnen)",
        "was soll ich tun, wenn {act} (vibriert|leckt|überhitzt|laut ist)",
        "wie (kann|könnte) ich den Energieverbrauch (in|im) {area} senken",
        "wie funktioniert (eine|ein) {act}",
        "(plane|erstelle) (einen Wartungsplan|eine Abschaltung|den Neustart) für {area}",
        "(vergleiche|vergleich) {area} mit {area} und sag mir, was auffällt",
        "(ist|wäre) (die|der) {kind} (in|im) {area} (normal|zu hoch|gefährlich|in Ordnung)",
        "wann wird {sensor} (leer|voll) sein", "was passiert, wenn ich {act} (abschalte|öffne)",
        "(schalte|schalt) {act} (ein|aus), wenn (die|der) {kind} über {value} steigt",
        "wenn {sensor} {value} erreicht, (schalte|mach) {act} (an|aus)",
        "(schalte|schalt) {act} (um|ab) (6|8|22) Uhr (ein|aus)",
        "(schalte|schalt) {act} (ein|aus) und (öffne|schließe) danach {act}",
        "(in|nach) {n} Minuten {act} (ausschalten|einschalten)",
        "welche (Temperatur|Feuchte) ist (ideal|am besten) für {topic}",
        "(erkläre|erklär) mir, was (ein|eine) {kind} von {value} bedeutet",
        "(schreib|schreibe) einen Bericht über den Energieverbrauch (in|im) {area}",
        "muss {act} gewartet werden", "ist es sicher, {act} jetzt (abzuschalten|zu öffnen)",
        "wie hoch ist der Eiffelturm", "was ist die Hauptstadt von Frankreich",
        "wie wird das Wetter morgen", "schreib ein Gedicht über {topic}",
        "übersetze das ins Englische", "wie spät ist es in Tokio",
        "was kostet es, {act} einen Monat laufen zu lassen",
        "welche Ursache kann der Druckabfall (in|im) {area} haben",
        "wie kalibriere ich {sensor}", "(empfiehl|empfehle) mir eine Einstellung für {act}",
        "{chat}", "{chat}",
    ),
}

# Added for triage-2.1: other word orders (name first), frames, units, and hard negatives
# (requests that name a device but ask why, how or what to do). Appended, so the fold of every
# earlier template (index % 7) stays as it was.
MORE = {
    "query_state": (
        "{dev}: (wie ist der Stand|was ist los|alles an) [gerade]",
        "{area}, wie (warm|feucht|hoch) ist es da [gerade]",
        "(weißt du|kannst du nachsehen), ob {act} (läuft|an ist|offen ist)",
        "(gib|nenn) mir [mal] (die|den|das) {kind} von {sensor}",
        "(Messwert|Anzeige|Stand) {sensor} [bitte|jetzt]",
        "wie viel {kind} (hat|misst) {sensor} [gerade|jetzt]",
        "in welchem Zustand ist {act} [gerade]",
    ),
    "query_history": (
        "{kind} (in|im) {area} {window}, (Durchschnitt|Maximum|Minimum) [bitte]",
        "(gib|zeig) mir (den Mittelwert|das Maximum|das Minimum|die Kurve) von {sensor} {window}",
        "wie lange (war|lief) {act} {window} (an|in Betrieb|offen)",
        "welchen (höchsten|niedrigsten) Wert hatte {sensor} {window}",
        "wie (hat sich|entwickelte sich) (die|der) {kind} (in|im) {area}"
        " {window} (entwickelt|verändert)",
        "{sensor} {window}: (Verlauf|Trend|Historie) [bitte]",
    ),
    "set_actuator": (
        "{act} (bitte|sofort|jetzt) (ausschalten|einschalten|abschalten|starten|stoppen)",
        "(kannst|könntest) du {act} (ein|aus)schalten",
        "(dreh|stell) {act} (hoch|runter|ab|auf {value})",
        "(fahr|fahre) {act} (hoch|runter|an)",
        "(öffne|schließe|schliess) [bitte] {act} [sofort]",
        "(setz|setze) den Sollwert von {act} auf {value}",
    ),
    "list_devices": (
        "was für Geräte hast du (in|im) {area}",
        "(welche|was für) (Geräte|Sensoren|Zähler) (melden sich nicht|senden keine Daten) [mehr]",
        "(liste|nenn) [mir] (alle|sämtliche) (Aktoren|Ventile|Lüfter|Sensoren) [auf]",
        "welche (Geräte|Sensoren) kennst du",
    ),
    "list_alerts": (
        "(liegen|stehen) (gerade|aktuell) (Alarme|Störungen|Warnungen) an",
        "(gibt es|hast du) (offene|aktive) (Meldungen|Störungen|Alarme) (in|im) {area}",
        "ist irgendwo (ein Alarm|eine Störung) (aktiv|offen)",
    ),
    "escalate": (
        "was könnte die Ursache sein, dass {act} (so laut|so heiß|so langsam) (ist|läuft)",
        "(muss|sollte) ich {act} (tauschen|reparieren lassen|nachfüllen)",
        "wie lange hält {act} noch, bis (er|es|sie) (ausfällt|gewartet werden muss)",
        "(lohnt|rechnet) es sich, {act} (zu ersetzen|nachts abzuschalten)",
        "(erkläre|erklär) mir den Unterschied zwischen {act} und {act}",
        "(sag|sage) voraus, wann {sensor} (leer|voll|kritisch) (ist|wird)",
        "wieso zeigt {sensor} (so hohe|so niedrige|falsche) Werte",
        "wie oft muss {act} gewartet werden",
        "kannst du mir erklären, wie {act} funktioniert",
        "welche Einstellung (empfiehlst|würdest) du für {act} (bei|im) (Winter|Sommer)",
        "(hilf|helft) mir, den Fehler an {act} zu finden",
        "was bedeutet es, wenn {act} (blinkt|piept|rot leuchtet)",
    ),
}
# A "how long did it run" phrasing in a training fold (index % 7 < 5); the first one
# fell in the held-out fold.
MORE["query_history"] += ("wie viele Stunden (lief|war) {act} {window} (an|in Betrieb)",)
MORE["escalate"] += (
    "(fasse|fass|analysiere) (die|alle)"
    " (Alarme|Störungen|Warnungen) [von gestern|von heute] zusammen",
)
# Commands to a group ("alle Pumpen") and to several named devices ("{act} und {act2}"),
# alternating so that every fold gets both; appended, so earlier templates keep their folds.
MORE["set_actuator"] += (
    "schalte alle (Pumpen|Lüfter|Ventile|Heizungen|Lampen|Motoren) [in {area}] (aus|ein|an)",
    "schalte {act} und {act2} (aus|ein|an)",
    "mach alle (Pumpen|Lüfter|Lichter|Heizungen) [in {area}] (aus|an)",
    "(öffne|schließe) {act} und {act2}",
    "(stoppe|starte) alle (Pumpen|Motoren|Förderbänder|Lüfter) [in {area}]",
    "mach {act} und {act2} (aus|an) [bitte]",
    "(schließe|öffne) alle (Ventile|Klappen|Fenster) [in {area}]",
    "(stoppe|starte) {act} und {act2} [sofort]",
    "alle (Pumpen|Lüfter|Lampen) [in {area}] (aus|an) [bitte]",
    "{act} und {act2} (aus|an|auf|zu) [bitte]",
    "(kannst du|könntest du) alle (Pumpen|Lüfter|Lampen) [in {area}] (ausschalten|einschalten)",
    "stelle {act} und {act2} auf {value}",
    "schalte (beide|sämtliche) (Pumpen|Lüfter|Ventile) (aus|ein)",
    "(kannst du|könntest du) {act} und {act2} (ausschalten|einschalten)",
)
# Sixth generation (triage-2.4), appended: one command to two existing devices in more forms,
# terse and polite commands, "Status von X", "gerade/aktuell" questions, offline devices, and
# hard negatives that ask how something works or what it should be ("wie funktioniert X").
MORE["query_state"] += (
    "Status von {dev} [bitte]",
    "ist {act} (gerade|aktuell|noch) (an|aus|offen|zu)", "was ist die {kind} (in|im) {area}",
    "(kannst|könntest) du mir bitte die {kind} (in|im) {area} sagen",
    "wie ist der Status von {act} [gerade]", "{dev} Status?", "{kind} (von|bei) {dev} [bitte]",
    "wie (hoch|warm|kalt) ist (die|der) {kind} (in|im) {area} (gerade|aktuell|jetzt)",
    "was (zeigt|meldet) {sensor} (gerade|im Moment|aktuell)", "ist {act} (an|offen) oder (aus|zu)",
    "weißt du, ob {act} (läuft|an ist|offen ist)", "wie steht es um {dev}",
    "wie (warm|kalt|feucht) ist es (in|im) {area}",
    "{kind} (in|im|von) {area} (bitte|danke)",
)
MORE["set_actuator"] += (
    "schalte {act} und {act2} aus", "{act} aus", "mach {act} und {act2} an [bitte]",
    "{act} an [bitte]", "(schließe|schließ) {act} und {act2} [bitte]",
    "bitte (schalte|schalt) {act} aus", "(kannst|könntest) du bitte {act} und {act2} ausschalten",
    "(schalte|schalt) {act} (in|im) {area} (aus|ein|an) [bitte]", "{act} und {act2} aus [bitte]",
    "(öffne|schließe|starte|stoppe) {act} [bitte]", "(öffne|öffnet) {act} und {act2} [sofort]",
    "{act} sofort (aus|an)", "(schalte|schalt) {act} sowie {act2} (aus|ein)",
    "(kannst|könntest) du bitte {act} (schließen|öffnen)",
)
MORE["list_devices"] += (
    "welche (Sensoren|Fühler|Zähler|Geräte) sind (offline|getrennt|nicht verbunden) [gerade]",
    "(zeig|liste) [mir] (die|alle) (Geräte|Sensoren) (, die|die) offline sind",
    "sind (irgendwelche|welche) Geräte (offline|nicht erreichbar)",
)
MORE["escalate"] += (
    "{act} (meldet|zeigt) (Störung|Fehler|Alarm) {n}, was (nun|jetzt|tun)",
    "{act} (hat|zeigt) Fehlercode (E|F){n}, was soll ich machen",
    "wie funktioniert {act}", "wie (kalibriere|reinige|warte|konfiguriere) ich {dev}",
    "was (macht|steuert|regelt) {act}", "wie misst {sensor} (die|den) {kind}",
    "(erkläre|erklär) mir, wie {act} funktioniert", "wofür ist {dev} (da|gut)",
    "wie (warm|kalt|feucht) sollte es (in|im) {area} sein",
    "woran erkenne ich, dass {act} (defekt|verstopft|verschlissen) ist",
    "was sollte (die|der) {kind} (in|im) {area} sein", "wie bediene ich {act} (richtig|sicher)",
    "wie funktioniert {act} eigentlich", "warum ist {act} (an|aus|offen|zu) [gerade]",
    "was passiert, wenn ich {act} ausschalte", "wie wird {act} (gesteuert|angeschlossen)",
)
# Seventh generation (triage-2.5), appended: device lists with the place before "alles" or
# with other verbs ("was ist in Halle 2 alles verbaut"), counts of what is fitted in a place,
# and counts of switchings; hard negatives in the same shapes.
MORE["list_devices"] += (
    "was (ist|hängt) (in|im|an) {area} (alles|so) (verbaut|montiert|dran|vorhanden)",
    "welche (Geräte|Sensoren|Pumpen|Zähler) (hängen|sind) (in|im|an) {area} (dran|verbaut"
    "|montiert)",
    "wie viele (Fühler|Sensoren|Pumpen|Geräte) sind (in|im|an) {area} (verbaut|montiert"
    "|angemeldet)",
)
MORE["query_history"] += (
    "wie (viele|oft) (Schaltspiele|Einschaltungen|Anläufe) (hatte|hat) {act} {window}",
)
MORE["escalate"] += (
    "was sollte (in|im|an) {area} alles (verbaut|montiert) sein",
    "welche (Geräte|Sensoren) brauche ich (in|im|für) {area}",
)
# Eighth generation (triage-2.6), appended, by category: requests that open with a wish ("ich
# hätte gern ...", "ich würde gern wissen ...") for reads and commands, site-wide questions
# about anything unusual (the alert list), more ways to ask which devices are offline or
# registered, and hard negatives in the same shapes ("wie genau funktioniert X").
MORE["query_state"] += (
    "ich würde gern[e] (wissen|erfahren), ob {act} (läuft|an ist|offen ist|aus ist)",
    "ich wüsste gern[e], (wie hoch|wie viel|was) (die|der) {kind} (in|im) {area} (ist|gerade"
    " ist)",
    "ich hätte gern[e] (den aktuellen Wert|den letzten Messwert|den Stand) von {sensor}",
    "ich möchte (wissen|sehen), (was|wie viel) {sensor} (gerade|aktuell|jetzt) (anzeigt|misst)",
    "ich hätte gern[e] (den Status|den Zustand) von {dev}",
    "ich möchte gern[e] die {kind} (in|im|von) {area} (wissen|sehen|erfahren)",
    "mich würde interessieren, (wie|ob) {act} (läuft|steht|an ist)",
)
MORE["query_history"] += (
    "ich hätte gern[e] (den Verlauf|die Werte|die Messwerte) von {sensor} {window}",
    "ich möchte sehen, wie (die|der) {kind} (in|im) {area} {window} (war|verlaufen ist)",
    "ich würde gern[e] wissen, wie lange {act} {window} gelaufen ist",
)
MORE["set_actuator"] += (
    "ich hätte gern[e], dass du {act} (ausschaltest|einschaltest|öffnest|schließt|startest"
    "|stoppst)",
    "ich möchte {act} (ausschalten|einschalten|öffnen|schließen|starten|stoppen) [bitte]",
    "ich hätte gern[e] {act} (an|aus|offen|zu) [bitte]",
    "ich würde gern[e] {act} auf {value} (stellen|setzen)",
    "ich will, dass {act} (ausgeht|angeht|aufgeht|zugeht) [bitte]",
)
MORE["list_devices"] += (
    "welche (Geräte|Sensoren|Fühler|Zähler) sind (nicht erreichbar|offline|ausgefallen|nicht"
    " mehr verbunden) [gerade|im Moment]",
    "welche (Geräte|Sensoren|Pumpen) (senden|liefern|schicken) keine (Daten|Werte|Messwerte)"
    " mehr",
    "welche (Geräte|Sensoren|Aktoren) sind (am|im) (System|Netz|Controller) (angemeldet"
    "|registriert|eingebunden)",
    "was ist (am|im) (System|Controller) alles (angemeldet|registriert|eingebunden)",
    "(zeig|liste) [mir] (alle|die) (angemeldeten|registrierten|eingebundenen) (Geräte"
    "|Sensoren)",
    "wie viele (Geräte|Sensoren) sind (registriert|angemeldet|eingebunden) [insgesamt]",
    "ich hätte gern[e] (eine Liste|eine Übersicht) (aller|der) (Geräte|Sensoren|Pumpen)"
    " [in {area}]",
    "(gibt es|sind) (Geräte|Sensoren) (ohne Verbindung|offline|nicht erreichbar) [gerade]",
)
MORE["list_alerts"] += (
    "(gibt es|ist) (etwas|irgendwas) (Ungewöhnliches|Auffälliges|Außergewöhnliches"
    "|Seltsames) (auf dem Hof|im Betrieb|in der Anlage|im Gebäude|im Werk) [gerade|heute]",
    "(ist|läuft) (auf dem Hof|im Betrieb|in der Anlage|im Werk) alles (normal|in Ordnung"
    "|rund)",
    "(gibt es|hast du) (Unregelmäßigkeiten|Anomalien|Abweichungen) (im Betrieb|in der Anlage"
    "|auf dem Hof|im Werk) [heute]",
    "ich hätte gern[e] (die|alle) (aktiven|offenen) (Alarme|Meldungen|Störungen)",
    "ich möchte wissen, ob es (Alarme|Störungen|Warnungen) gibt",
)
MORE["escalate"] += (
    "ich (möchte|würde gern[e]) wissen, warum {act} (ausgefallen ist|nicht läuft|abschaltet)",
    "ich möchte verstehen, wie {act} funktioniert",
    "wie arbeitet {act} [eigentlich]",
    "wie genau funktioniert {act}",
    "kannst du mir erklären, wie {act} (funktioniert|arbeitet|gesteuert wird)",
    "nach welchem Prinzip (funktioniert|arbeitet) {act}",
    "wie funktioniert die {kind}regelung (in|im|von) {area}",
    "wie funktionieren (Pumpen|Ventile|Lüfter) wie {act}",
    "ich hätte gern[e] einen Rat, wie ich {act} (einstellen|warten|reinigen) soll",
    "ist (etwas|irgendwas) Ungewöhnliches an {act}, und warum",
)
# Ninth generation (triage-2.7), appended: siblings in the training folds for families that
# had one template, in the validation fold alone ("was ist gerade auffällig", "X meldet Fehler
# N, was nun"), "wann lief X zuletzt" as history, wish openers, and more plain commands.
MORE["query_state"] += (
    "wie (hoch|warm) ist (die|der) {kind} (in|im) {area} [gerade]",
    "ich hätte gern[e] gewusst, (wie hoch|wie viel) (die|der) {kind} (in|im) {area} ist",
    "läuft {act} (gerade|noch|jetzt)",
    "ich würde gern[e] wissen, (wie hoch|was) (die|der) {kind} (in|im) {area} (ist|gerade ist)",
    "sag mir (die|den) {kind} (in|im) {area}",
    "ist {act} (an|aus|offen|zu) [gerade]",
    "was (zeigt|misst) {sensor} gerade",
)
MORE["query_history"] += (
    "wann lief {act} zum letzten Mal",
    "wann wurde {act} zuletzt (eingeschaltet|gestartet|geöffnet|ausgeschaltet)",
    "wann war {act} (zuletzt|das letzte Mal) (an|in Betrieb|offen)",
    "wann ist {act} (zuletzt|das letzte Mal) gelaufen",
    "um wie viel Uhr (ging|ist) {act} {window} (an|aus|angegangen|ausgegangen)",
    "wie lange ist es her, dass {act} (lief|an war|gestartet wurde)",
    "wann hat {act} {window} (angefangen|aufgehört) zu laufen",
)
MORE["set_actuator"] += (
    "ich möchte, dass {act} und {act2} (ausgeschaltet|eingeschaltet) werden",
    "ich hätte gern[e] {act} und {act2} (aus|an|offen|zu)",
    "{act} (aus|an|ein)schalten [bitte]",
    "(mach|schalt) {act} (aus|an) [bitte|jetzt]",
    "(schließe|öffne) {act} [bitte|jetzt]",
    "schalte {act} (aus|ein|an)",
    "schalte {act} und {act2} (aus|ein|an) [bitte]",
)
MORE["list_alerts"] += (
    "was ist (gerade|im Moment) (ungewöhnlich|nicht in Ordnung|gestört)",
    "(gibt es|hast du) (Probleme|Auffälligkeiten) (im Betrieb|in der Anlage|auf dem Hof"
    "|irgendwo) [gerade|heute]",
    "ist (irgendwo|irgendwas) (gestört|auffällig|nicht in Ordnung) [gerade]",
    "was (ist|steht) (gerade|aktuell) (auf Störung|im Alarm)",
    "(läuft|ist) irgendwo etwas (Ungewöhnliches|Auffälliges|schief) [gerade|heute]",
    "(gibt es|ist) heute (etwas|irgendwas) (Auffälliges|Ungewöhnliches) (passiert|vorgefallen)",
    "welche (Störungen|Alarme) (liegen|stehen) (gerade|aktuell) an",
)
MORE["escalate"] += (
    "ist es (sicher|ok), an {act} zu arbeiten",
    "was soll ich mit {act} machen",
    "was bedeutet (Fehler|Störung|Code) {n} (an|bei) {act}",
    "wann wurde {act} (eingebaut|gekauft|in Betrieb genommen|zuletzt gewartet)",
    "(erkläre|deute) (mir) die (Alarme|Störungen|Meldungen) (in|im|von) {area}",
    "{act} (zeigt|meldet|gibt) (Fehler|Code|Störung) {n}, was (soll ich tun|mache ich jetzt)",
    "woran erkenne ich, ob {act} (verschlissen|verstopft|defekt|kaputt) ist",
    "wie wird {area} (effizienter|sparsamer)",
    "wie senke ich den (Energieverbrauch|Stromverbrauch) (von|bei) {act}",
    "wie (können|könnten) wir (Energie|Strom) (in|im|bei) {area} sparen",
    "wie (spare|sparen) (ich|wir) (Wasser|Energie) (in|im|bei) {area}",
)
# Tenth generation (triage-2.8), appended: spoken and formal forms, objects first, more device
# nouns and places, and hard negatives of the same breadth (``tenth_de``).
ACT += tenth_de.ACT
SENSOR += tenth_de.SENSOR
AREAS += tenth_de.AREAS
WINDOWS += tenth_de.WINDOWS
VALUES += tenth_de.VALUES
TEMPLATES = {
    k: v + MORE.get(k, ()) + tenth_de.TEMPLATES.get(k, ()) for k, v in TEMPLATES.items()
}
