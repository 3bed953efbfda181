"""Dutch IoT templates and vocabulary, translated by hand (same syntax as ``templates``)."""

from training.triage.i18n import tenth_nl

# The vocabularies grow by generation (appended at the end of this module): open tuples.
ACT: tuple[str, ...]
SENSOR: tuple[str, ...]
AREAS: tuple[str, ...]
WINDOWS: tuple[str, ...]
VALUES: tuple[str, ...]
ACT = ("pomp", "klep", "ventilator", "verwarming", "koelmachine", "compressor",
       "transportband", "motor", "licht", "lamp", "schuif", "blazer", "sproeier", "ketel",
       "roerwerk", "rolluik", "afzuiger", "bevochtiger", "ontvochtiger", "doseerpomp",
       "brander", "beregeningsklep", "dakraam", "poort", "warmtepomp", "droger", "beluchter",
       "sirene")
SENSOR = ("temperatuursensor", "thermometer", "sonde", "vochtsensor", "druksensor",
          "debietmeter", "niveausensor", "tank", "silo", "bodemsonde", "CO2-sensor",
          "stroommeter", "energiemeter", "trillingssensor", "weerstation", "regenmeter",
          "pH-sonde", "watermeter", "reservoir", "gasdetector")
AREAS = ("zone {n}", "lijn {n}", "hal {L}", "kas {n}", "stal {n}", "ruimte {n}",
         "verdieping {n}", "gebouw {L}", "veld {n}", "koelcel {n}", "magazijn {n}", "lab {n}",
         "productielijn {n}", "vak {n}", "de kelder", "de serverruimte", "het ketelhuis",
         "de werkplaats", "het kantoor", "vleugel {L}", "blok {L}", "kippenhok {n}")
KINDS = ("temperatuur", "luchtvochtigheid", "vochtigheid", "druk", "niveau", "debiet", "CO2",
         "vermogen", "energieverbruik", "spanning", "bodemvocht", "pH", "trilling", "toerental",
         "lichtsterkte", "zuurstof")
VALUES = ("{n} graden", "{n} %", "{n} procent", "{n} bar", "{n} °C", "{n}", "{n} rpm")
WINDOWS = ("in de laatste {n} uur", "sinds gisteren", "vandaag", "in het afgelopen uur",
           "in de laatste {n} minuten", "deze week", "sinds vanochtend",
           "de afgelopen {n} dagen", "vannacht", "over de afgelopen {n} uur", "gisteren",
           "vorige maand",
           "vorige week", "eergisteren", "sinds maandag")
TOPICS = ("tomaten", "kippen", "een serverruimte", "wijn", "beton", "zaailingen", "kaas")
CHAT = ("hallo", "goedemorgen", "dank je", "hoe gaat het", "wie ben jij", "vertel een mop",
        "doei", "oké", "wacht even", "fijne dag", "hmm", "ok bedankt", "wat kun je",
        "ben jij een robot", "welterusten", "top, dank je")

TEMPLATES = {
    "query_state": (
        "(wat is|hoe hoog is|geef me) de {kind} (in|op|van) {area} [nu|op dit moment|momenteel]",
        "(toon|laat) [me] de {kind} (in|van) {area} [zien] [alsjeblieft|graag]",
        "(draait|werkt|loopt) {act} [nog|nu]",
        "(staat|is) {act} (aan|uit|open|dicht|gesloten)",
        "wat (meet|geeft|toont) {sensor} [nu|op dit moment] [aan]",
        "huidige {kind} (in|van) {area}", "{kind} {area} [graag|nu]",
        "(status|toestand|waarde|meetwaarde) van {dev}", "hoe vol is {sensor} [nu]",
        "hoe warm is het in {area} [nu]", "op welke waarde staat {act}",
        "wat is de status van {act}", "(kun|kan) je me de {kind} in {area} vertellen",
        "is {act} (aan|uit|open|dicht)?", "wat zegt {sensor}", "{dev} status [graag]",
        "welk niveau heeft {sensor}", "draait {act} nog?",
    ),
    "query_history": (
        "(gemiddelde|maximale|minimale|hoogste|laagste) {kind} (in|van) {area} {window}",
        "hoe is de {kind} in {area} {window} (verlopen|veranderd)",
        "(toon|laat) [me] (het verloop|de trend|de geschiedenis) van {sensor} {window} [zien]",
        "verloop {kind} (in|van) {area} {window}", "gemiddelde {kind} {area} {window}",
        "(piek|maximum|minimum) van {sensor} {window}", "hoe lang heeft {act} gedraaid {window}",
        "hoe vaak is {act} {window} gestart",
        "(geef|toon) [me] de (metingen|waarden) van {dev} {window}",
        "wat was de {kind} {window} in {area}", "totaal verbruik van {act} {window}",
    ),
    "set_actuator": (
        "(zet|doe) [de|het] {act} (aan|uit) [alsjeblieft|graag|nu]",
        "(open|sluit) [de|het] {act} [alsjeblieft|graag]",
        "(zet|stel) [de|het] {act} (op|in op) {value} [graag]",
        "(verhoog|verlaag) de {kind} in {area} (naar|tot) {value}",
        "(kun|kan|wil) je {act} (aanzetten|uitzetten|openen|sluiten|starten|stoppen)",
        "{act} (aan|uit|open|dicht) [graag]", "{act} op {value}",
        "zet de verwarming in {area} op {value}", "(zet|doe) het licht in {area} (aan|uit)",
        "ik wil dat je {act} (aanzet|uitzet|opent|sluit)", "(start|stop) [de|het] {act}",
        "schakel {act} (in|uit)", "draai {act} (open|dicht)", "{act} (starten|stoppen) graag",
    ),
    "list_devices": (
        "welke (apparaten|sensoren|actuatoren|pompen|kleppen) (zijn er|zijn (aangesloten|"
        "geïnstalleerd|offline|online)) [in|op] [{area}]",
        "(toon|geef) [me] (alle|de) (apparaten|sensoren|actuatoren) [in|op] [{area}]",
        "lijst van (apparaten|sensoren|actuatoren) [graag]",
        "welke apparaten zijn (offline|niet bereikbaar|online)",
        "hoeveel (apparaten|sensoren|pompen) (zijn er|zijn aangesloten) [in] [{area}]",
        "wat is er (aangesloten|geïnstalleerd) [in] [{area}]",
        "welke {kind}sensoren zijn er in {area}", "apparatenlijst [graag]",
    ),
    "list_alerts": (
        "(zijn er|heb je) [actieve|openstaande] (alarmen|meldingen|storingen|fouten)",
        "(toon|geef) [me] [alle] [actieve] (alarmen|meldingen|storingen)",
        "welke (alarmen|meldingen) (zijn actief|staan open) [nu]",
        "(actieve|openstaande) (alarmen|storingen) [graag]", "nog alarmen?",
        "wat staat er in (alarm|storing) [nu]", "alarmlijst [graag]",
        "zijn er problemen [in] [{area}]", "(alarmen|storingen) (in|op) {area}",
    ),
    "escalate": (
        "waarom is het in {area} (warmer|kouder|vochtiger) dan (gisteren|normaal|vorige week)",
        "waarom is {act} (gestopt|uitgevallen|uitgeschakeld) [vandaag]",
        "waarom (stijgt|daalt|schommelt) de {kind} in {area} [steeds]",
        "(moet|zou) ik {act} voor (de storm|de vorst|het weekend) (aanzetten|uitzetten|openen)",
        "wat moet ik doen als {act} (trilt|lekt|oververhit raakt|lawaai maakt)",
        "hoe kan ik het energieverbruik in {area} verlagen", "hoe werkt een {act}",
        "(plan|maak) (een onderhoudsplan|de stillegging|de herstart) voor {area}",
        "vergelijk {area} met {area} en zeg welke aandacht nodig heeft",
        "is de {kind} in {area} (normaal|te hoog|gevaarlijk)",
        "wanneer is {sensor} (leeg|vol)", "wat gebeurt er als ik {act} (uitzet|open)",
        "zet {act} (aan|uit) als de {kind} boven {value} komt",
        "als {sensor} {value} bereikt, zet {act} (aan|uit)",
        "zet {act} om (6|8|22) uur (aan|uit)", "zet {act} (aan|uit) en (open|sluit) daarna {act}",
        "over {n} minuten {act} (aanzetten|uitzetten)", "wat is de ideale {kind} voor {topic}",
        "leg uit wat een {kind} van {value} betekent",
        "schrijf een rapport over het verbruik in {area}", "moet {act} onderhouden worden",
        "is het veilig om {act} nu (uit te zetten|te openen)",
        "hoe hoog is de Eiffeltoren", "wat is de hoofdstad van Frankrijk",
        "wat voor weer wordt het morgen", "schrijf een gedicht over {topic}",
        "vertaal dit naar het Engels", "wat kost het om {act} een maand te laten draaien",
        "wat kan de oorzaak zijn van de drukval in {area}", "hoe kalibreer ik {sensor}",
        "raad me een instelling aan voor {act}", "{chat}", "{chat}",
    ),
}

# Added for triage-2.1: other word orders (name first), frames, units, and hard negatives
# (requests that name a device but ask why, how or what to do). Appended, so the fold of every
# earlier template (index % 7) stays as it was.
MORE = {
    "query_state": (
        "{dev}: (hoe staat het ervoor|wat is de stand|wat geeft hij aan) [nu]",
        "{area}, hoe (warm|vochtig|vol) is het daar [nu]",
        "(weet je|kun je kijken) of {act} (draait|aan staat|open staat)",
        "(geef|noem) me [even] de {kind} van {sensor}",
        "(meetwaarde|stand|uitlezing) {sensor} [graag|nu]",
        "hoeveel (geeft|meet) {sensor} [nu] [aan]",
        "in welke toestand is {act} [nu]",
    ),
    "query_history": (
        "{kind} in {area} {window}, (gemiddeld|maximum|minimum) [graag]",
        "(geef|toon) me (het gemiddelde|het maximum|het minimum|de grafiek) van {sensor} {window}",
        "hoe lang (stond|draaide) {act} {window} (aan|open)",
        "wat was de (hoogste|laagste) waarde van {sensor} {window}",
        "hoe is de {kind} in {area} {window} (veranderd|verlopen)",
        "{sensor} {window}: (verloop|trend|geschiedenis) [graag]",
    ),
    "set_actuator": (
        "{act} (graag|meteen|nu) (aanzetten|uitzetten|openen|sluiten|starten|stoppen)",
        "(kun|kan|zou) je {act} (aanzetten|uitzetten|openen|sluiten|starten|stoppen)",
        "(draai|zet) {act} (hoger|lager|open|dicht)",
        "(schakel|zet) {act} (in|uit|aan)",
        "stop {act} (meteen|direct|nu)",
        "zet het setpoint van {act} op {value}",
        "doe {act} (open|dicht) [graag]",
    ),
    "list_devices": (
        "wat voor apparaten heb je in {area}",
        "(geef|noem) (alle|een lijst van de) (actuatoren|kleppen|sensoren|pompen)",
        "welke (apparaten|sensoren) ken je",
    ),
    "list_alerts": (
        "welke (alarmen|meldingen) staan er (nu|op dit moment) open",
        "staat er ergens een alarm (actief|open)",
    ),
    "escalate": (
        "wat kan de oorzaak zijn dat {act} zo (lawaaiig|heet|traag) is",
        "(moet|zou) ik {act} (vervangen|laten repareren|bijvullen)",
        "hoe lang houdt {act} het nog vol voor (het uitvalt|onderhoud nodig is)",
        "loont het om {act} (te vervangen|'s nachts uit te zetten)",
        "leg me het verschil uit tussen {act} en {act}",
        "voorspel wanneer {sensor} (leeg|vol|kritiek) is",
        "waarom geeft {sensor} zulke (hoge|lage|rare) waarden",
        "hoe vaak moet {act} onderhouden worden",
        "kun je uitleggen hoe {act} werkt",
        "welke instelling (raad je aan|adviseer je) voor {act} in de (winter|zomer)",
        "help me de storing van {act} te vinden",
        "wat betekent het als {act} (knippert|piept|rood brandt)",
    ),
}
# A "how long did it run" phrasing in a training fold (index % 7 < 5); the first one
# fell in the held-out fold.
MORE["query_history"] += ("hoeveel uur (stond|draaide) {act} {window} (aan|)",)
MORE["escalate"] += (
    "(vat|analyseer) (de|alle) (alarmen|storingen|meldingen)"
    " [van gisteren|van vandaag] [samen]",
)
# Commands to a group ("alle Pumpen") and to several named devices ("{act} und {act2}"),
# alternating so that every fold gets both; appended, so earlier templates keep their folds.
MORE["set_actuator"] += (
    "zet alle (pompen|ventilatoren|lampen|kleppen|motoren) [in {area}] (uit|aan)",
    "zet {act} en {act2} (uit|aan)",
    "doe alle (lampen|lichten|pompen) [in {area}] (uit|aan)",
    "(open|sluit) {act} en {act2}",
    "(stop|start) alle (pompen|motoren|transportbanden|ventilatoren) [in {area}]",
    "doe {act} en {act2} (uit|aan) [alsjeblieft]",
    "(sluit|open) alle (kleppen|ramen|luiken) [in {area}]",
    "(stop|start) {act} en {act2} [nu|meteen]",
    "alle (pompen|lampen|ventilatoren) [in {area}] (uit|aan) [graag|alsjeblieft]",
    "{act} en {act2} (uit|aan|open|dicht) [graag]",
    "(kun je|kan je) alle (pompen|lampen|ventilatoren) [in {area}] (uitzetten|aanzetten)",
    "zet {act} en {act2} op {value}",
    "zet beide (pompen|ventilatoren|kleppen) (uit|aan)",
    "(kun je|kan je) {act} en {act2} (uitzetten|aanzetten)",
)
# Sixth generation (triage-2.4), appended: one command to two existing devices in more forms,
# terse and polite commands, "status van X", "nu/op dit moment" questions, offline devices, and
# hard negatives that ask how something works or what it should be ("hoe werkt X").
MORE["query_state"] += (
    "status van {dev} [graag]",
    "staat {act} (nu|nog) (aan|uit|open|dicht)", "wat is de {kind} in {area}",
    "(kun|kan) je me de {kind} in {area} vertellen [alsjeblieft]",
    "wat is de status van {act} [nu]", "{dev} status?", "{kind} van {dev} [graag]",
    "hoe (hoog|warm|koud) is de {kind} in {area} (nu|op dit moment|momenteel)",
    "wat (meet|meldt|geeft) {sensor} (nu|op dit moment) [aan]", "staat {act} aan of uit",
    "weet je of {act} (draait|aan staat|open staat)", "hoe staat het met {dev}",
    "hoe (warm|koud|vochtig) is het in {area}",
    "{kind} (in|van) {area} (graag|alsjeblieft)",
)
MORE["set_actuator"] += (
    "zet {act} en {act2} uit", "{act} uit", "zet {act} en {act2} aan [graag]",
    "{act} aan [graag]", "sluit {act} en {act2} [alsjeblieft]",
    "zet alsjeblieft {act} uit", "(kun|kan) je {act} en {act2} uitzetten [alsjeblieft]",
    "zet {act} in {area} (uit|aan) [graag]", "{act} en {act2} uit [graag]",
    "(open|sluit|start|stop) {act} [graag]", "open {act} en {act2} [nu]",
    "{act} meteen (uit|aan)", "zet {act} en ook {act2} (uit|aan)",
    "(kun|kan) je {act} (sluiten|openen) [alsjeblieft]",
)
MORE["list_devices"] += (
    "welke (sensoren|apparaten|meters|toestellen) zijn (offline|niet verbonden) [nu]",
    "toon [me] de (apparaten|sensoren) die offline zijn",
    "zijn er (apparaten|sensoren) (offline|onbereikbaar|niet verbonden)",
)
MORE["escalate"] += (
    "{act} (meldt|geeft) (storing|fout|alarm) {n}, wat (nu|moet ik doen)",
    "{act} (toont|geeft) foutcode (E|F){n}, wat moet ik doen",
    "hoe werkt {act}", "hoe (kalibreer|reinig|onderhoud|configureer) ik {dev}",
    "wat (doet|regelt|stuurt) {act}", "hoe meet {sensor} de {kind}",
    "waar is {dev} voor",
    "hoe (warm|koud|vochtig) moet het in {area} zijn",
    "hoe weet ik of {act} (kapot|verstopt|versleten) is",
    "wat zou de {kind} in {area} moeten zijn", "hoe bedien ik {act} (goed|veilig)",
    "hoe werkt {act} eigenlijk", "waarom staat {act} (aan|uit|open|dicht)",
    "wat gebeurt er als ik {act} uitzet", "hoe wordt {act} (aangestuurd|aangesloten)",
)
# Eighth generation (triage-2.6), appended, by category: requests that open with a wish ("ik
# zou graag ...", "ik wil graag weten ...") for reads and commands, site-wide questions about
# anything unusual (the alert list), more ways to ask which devices are offline or registered,
# and hard negatives that ask how something works ("hoe werkt X precies", "hoe functioneert
# X"), in every fold.
MORE["query_state"] += (
    "ik zou graag (willen weten|weten) (wat|hoe hoog) de {kind} (in|van) {area} is",
    "ik zou graag de (status|stand|waarde) van {dev} (willen weten|weten|zien)",
    "ik wil graag weten of {act} (draait|aan staat|open staat)",
    "ik zou willen weten wat {sensor} (nu|op dit moment) (meet|aangeeft)",
    "graag zou ik de {kind} (in|van) {area} weten",
    "mag ik de {kind} (in|van) {area} (weten|zien)",
)
MORE["query_history"] += (
    "ik zou graag het verloop van {sensor} {window} (zien|willen zien)",
    "ik wil graag weten hoe lang {act} {window} (aan stond|gedraaid heeft)",
    "wat (mat|gaf) {sensor} {window} [aan]",
    "(stond|draaide) {act} {window} (aan|nog)",
)
MORE["set_actuator"] += (
    "ik zou graag willen dat je {act} (aanzet|uitzet|opent|sluit|start|stopt)",
    "ik wil graag {act} (aanzetten|uitzetten|openen|sluiten) [alsjeblieft]",
    "ik zou {act} graag (aan|uit|open|dicht) (hebben|willen)",
    "ik zou graag {act} op {value} (zetten|willen zetten)",
)
MORE["list_devices"] += (
    "welke (apparaten|sensoren|meters) (zijn|staan) (offline|niet bereikbaar|zonder verbinding)"
    " [nu]",
    "welke (sensoren|apparaten) (sturen|versturen) geen (data|metingen|waarden) meer",
    "welke (apparaten|sensoren) zijn (aangemeld|geregistreerd|gekoppeld|ingeleerd) (bij|in|op)"
    " (het systeem|de controller)",
    "wat is er (aangemeld|geregistreerd|gekoppeld) (bij|in|op) (het systeem|de controller)",
    "(toon|geef) [me] de (geregistreerde|gekoppelde|aangemelde) (apparaten|sensoren)",
    "hoeveel (apparaten|sensoren) zijn (geregistreerd|gekoppeld|aangemeld) [in totaal]",
    "ik zou graag een (lijst|overzicht) van (alle|de) (apparaten|sensoren|pompen) (zien"
    "|willen)",
)
MORE["list_alerts"] += (
    "is er iets (vreemds|ongewoons|raars|abnormaals) (op het terrein|in de fabriek|in het"
    " gebouw|op de boerderij|in de installatie) [nu|vandaag]",
    "is alles (normaal|in orde|goed) (op het terrein|in de fabriek|in het gebouw|op de"
    " boerderij|in de installatie) [nu]",
    "(zie|merk) je (iets vreemds|afwijkingen|iets ongewoons) (op het terrein|in de fabriek|in"
    " de installatie) [vandaag]",
    "zijn er (afwijkingen|onregelmatigheden|bijzonderheden) (op het terrein|in de fabriek|in"
    " het gebouw|in de installatie) [vandaag|nu]",
    "ik zou graag de (actieve|openstaande) (alarmen|meldingen) zien",
    "ik wil graag weten of er (alarmen|storingen|meldingen) zijn",
)
MORE["escalate"] += (
    "hoe werkt {act} precies",
    "hoe functioneert {act}",
    "kun je me vertellen hoe {act} werkt",
    "wat is het werkingsprincipe van {act}",
    "hoe werkt de {kind}regeling (in|van) {area}",
    "hoe werken (pompen|kleppen|ventilatoren) zoals {act}",
    "ik zou graag willen weten waarom {act} (uitvalt|stilstaat|niet start)",
    "ik wil graag begrijpen hoe {act} werkt",
    "hoe werkt {act} (in de winter|bij vorst|'s nachts)",
    "leg eens uit hoe {act} werkt",
    "hoe werkt het (aansturen|regelen|schakelen) van {act}",
    "waarom (stond|draaide) {act} {window} (uit|aan|stil)",
    "ik zou graag advies over het (instellen|onderhouden|schoonmaken) van {act}",
    "is er iets (vreemds|raars) met {act} en waarom",
)
# Ninth generation (triage-2.7), appended: siblings in the training folds for families that
# had one template, in the validation fold alone ("hoe weet ik of X versleten is", "wat staat
# er in storing"), "wanneer draaide X voor het laatst" as history, site-wide questions about
# anything unusual, wish openers ("ik zou graag ... weten"), and more plain commands.
MORE["query_state"] += (
    "ik zou graag (willen) weten of {act} (aan staat|draait|open staat)",
    "ik zou graag de {kind} (in|van) {area} (willen) weten",
    "(geef|zeg) me de {kind} (in|van) {area}",
    "staat {act} (aan|uit|open|dicht) [nu]",
    "wat is de {kind} (in|van) {area} [nu]",
    "ik zou graag willen weten wat {sensor} (meet|aangeeft)",
    "draait {act} (nog|nu) [of niet]",
)
MORE["query_history"] += (
    "wanneer (draaide|stond) {act} voor het laatst (aan|open)",
    "wanneer ging {act} voor het laatst (aan|open|uit)",
    "wanneer heeft {act} voor het laatst (gedraaid|aangestaan)",
    "hoe laat (ging|sloeg) {act} {window} (aan|uit|af)",
    "hoe lang geleden (draaide|stond) {act} (aan|voor het laatst)",
    "wanneer ging {act} {window} (aan|uit|open|dicht)",
    "hoe laat (startte|stopte) {act} {window}",
)
MORE["set_actuator"] += (
    "zet {act} en {act2} (uit|aan) [alsjeblieft|graag]",
    "ik zou graag willen dat {act} en {act2} (uit|aan) gaan",
    "zet {act} (uit|aan)",
    "(sluit|open) {act} [alsjeblieft|nu]",
    "wil je {act} (uitzetten|aanzetten|openen|sluiten)",
    "doe {act} (uit|aan|open|dicht) [alsjeblieft]",
    "schakel {act} (uit|in) [nu]",
)
MORE["list_alerts"] += (
    "is er ergens iets (afwijkends|vreemds|ongewoons|mis) [nu|vandaag]",
    "welke (apparaten|pompen) staan (nu|op dit moment) in (storing|alarm)",
    "zijn er (problemen|storingen|afwijkingen) op het bedrijf [vandaag|nu]",
    "is er (vandaag|net) iets (vreemds|afwijkends) gebeurd",
    "wat is er (mis|niet in orde|afwijkend) [op dit moment|nu]",
    "gaat alles goed op het (bedrijf|terrein) [vandaag]",
    "(merk|zie) je ergens iets (afwijkends|vreemds) [vandaag]",
)
MORE["escalate"] += (
    "is het veilig om aan {act} te werken",
    "wat moet ik met {act} doen",
    "wat houdt (code|foutcode) {n} (op|van|bij) {act} in",
    "wanneer is {act} (geplaatst|gekocht|in gebruik genomen|voor het laatst onderhouden)",
    "(leg uit|verklaar) de (alarmen|meldingen|storingen) (in|van|op) {area}",
    "hoe (zie|merk) ik (of|dat) {act} (versleten|verstopt|kapot) is",
    "{act} (toont|geeft) (code|fout|storing) {n}, wat (nu|moet ik doen)",
    "hoe maak ik {area} (zuiniger|efficiënter)",
    "hoe verlaag ik het (energieverbruik|stroomverbruik) van {act}",
    "hoe (kunnen|kan) (we|ik) energie besparen (in|op|bij) {area}",
    "hoe (bespaar|besparen) (ik|we) (water|energie) (in|op) {area}",
)
# Tenth generation (triage-2.8), appended: spoken and formal forms, objects first, more device
# nouns and places, and hard negatives of the same breadth (``tenth_nl``).
ACT += tenth_nl.ACT
SENSOR += tenth_nl.SENSOR
AREAS += tenth_nl.AREAS
WINDOWS += tenth_nl.WINDOWS
VALUES += tenth_nl.VALUES
TEMPLATES = {
    k: v + MORE.get(k, ()) + tenth_nl.TEMPLATES.get(k, ()) for k, v in TEMPLATES.items()
}
