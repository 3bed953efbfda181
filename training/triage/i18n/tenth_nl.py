"""Dutch templates of the tenth generation (triage-2.8), appended after all older ones.

Written by category from how operators talk, not from any evaluation sentence: "kun je even
checken of ...", "hoe staat het met ...", spoken questions with the kind last ("hoe warm is
het in ..."), "wat hangt er aan ...", object first ("pomp 3, zet die uit"), short imperatives
("stop de ...", "zet ... aan"), formal "u" ("kunt u ... uitzetten"), devices named by a place
("de verlichting van de loods"), and hard negatives in the same shapes (a vague amount of a
kind, "is het verstandig om ..."). Appended to ``nl.TEMPLATES``.
Conditions, negated commands, a command for later and "X a bit higher" on a device are
left to ``edge_agent.triage.guards``, which escalates them whatever the model reads: as
templates they shared the plain commands' words and cost those confidence (candidate 2.8-a).
Training-only.
"""

from __future__ import annotations

# Appended to nl.ACT / nl.SENSOR / nl.AREAS / nl.WINDOWS / nl.VALUES.
ACT = (
    "aggregaat",
    "magneetklep",
    "frequentieregelaar",
    "verlichting",
    "zonnescherm",
    "dompelpomp",
    "vijzel",
    "boiler",
    "vernevelaar",
    "mixer",
    "voerband",
    "deur",
    "circulatiepomp",
    "schijnwerper",
    "airco",
)
SENSOR = (
    "debietsensor",
    "hygrometer",
    "manometer",
    "thermostaat",
    "analyser",
    "geleidbaarheidssensor",
    "weegschaal",
    "niveaumeter",
    "zuurstofsensor",
    "gasmeter",
)
AREAS = (
    "de keuken",
    "de gang",
    "dock {n}",
    "de boerderij",
    "de loods",
    "het dak",
    "de begane grond",
    "de hal",
    "de garage",
    "paardenstal {n}",
    "de machinekamer",
    "cel {n}",
    "de droogruimte",
    "de melkput",
    "de kwekerij",
    "het pomphuis",
    "varkensstal {n}",
    "de receptie",
    "het erf",
    "de wasruimte",
)
WINDOWS = (
    "gistermiddag",
    "vannacht",
    "gisterochtend",
    "tijdens de nacht",
    "deze maand",
    "vanochtend",
    "afgelopen weekend",
    "de afgelopen week",
    "sinds vrijdag",
    "{n} uur geleden",
)
VALUES = ("min {n} graden", "{n} graden onder nul", "op {n} %", "{n} procent open", "{n} °")

_CHECK = "(kun je even checken|kun je kijken|kunt u nagaan|check even|kijk even)"

TEMPLATES: dict[str, tuple[str, ...]] = {
    "query_state": (
        f"{_CHECK} of [de|het] {{act}} (draait|aan staat|open staat|loopt)",
        "hoe (warm|koud) is 't (nu|op dit moment) in {area}",
        "hoe staat het (met|ervoor met) [de|het] {act} [nu]",
        "(wat|hoeveel) geeft [de|het] {sensor} (nu|aan|op dit moment)",
        "(zeg|vertel) eens (de|het) {kind} (in|van|bij) {area}",
        "staat [de|het] {act} (nog|nu) (aan|uit|open|dicht)",
        "(kun je|kunt u) me (de|het) {kind} (in|van|bij) {area} (geven|vertellen)",
        "{area}: (hoe warm is het|wat is de {kind}|hoeveel {kind}) [nu]",
        "(draait|loopt|werkt) [de|het] {act} (nog|nu|op dit moment) [of niet]",
        "ik wil (de|het) {kind} (in|van|bij) {area} (even zien|even weten)",
        "(hoeveel|wat) {kind} (zit er|is er|heerst er) (nu|op dit moment) in {area}",
        "(is|staat) [de|het] {act} (omhoog|omlaag|open|dicht) [nu]",
        "[de|het] {act}, (draait die nog|staat die aan|staat die uit)?",
        "wat (meet|zegt|leest) [de|het] {sensor} [nu|op dit moment]",
    ),
    "query_history": (
        "(hoe warm|hoe koud|hoe vochtig) was het {window} in {area}",
        "wat (gaf|mat|zei) [de|het] {sensor} {window}",
        "(heeft|had) [de|het] {act} {window} (gedraaid|aangestaan|gelopen)",
        "(hoe hoog|hoe laag) (was|lag) de {kind} (in|van|bij) {area} {window}",
        "(kun je|kunt u) (het verloop|de geschiedenis|de metingen) van [de|het] {sensor}"
        " {window} (laten zien|tonen)",
        "hoeveel (stroom|energie) heeft [de|het] {act} {window} (gevreten|opgeslokt)",
        "hoe vaak (is|heeft) [de|het] {act} {window} (gestart|uitgevallen|geschakeld)",
        "(geef|stuur) me de (metingen|waarden|gegevens) van [de|het] {sensor} {window}",
        "{window}, (wat was de|hoeveel) {kind} (in|van|bij) {area}",
        "(het verloop|de grafiek|de trend) van de {kind} (in|van|bij) {area} {window}",
    ),
    "set_actuator": (
        "(stop|start|herstart) [de|het] {act} [even|nu|aub]",
        "zet [de|het] {act} (aan|uit|open|dicht) [even|aub|graag]",
        "(kunt u|kun je|zou je) [de|het] {act} (uitzetten|aanzetten|openen|sluiten|stoppen)"
        " [alstublieft|aub]",
        "[de|het] {act}, (zet die uit|zet die aan|doe die dicht|doe die open) [even]",
        "doe [de|het] {act} (aan|uit|open|dicht) [even|aub]",
        "(doe|zet) (even|eens) de verlichting (in|van|bij) {area} (aan|uit)",
        "zet [de|het] {act} (op|naar) {value} [even|aub]",
        "(ik wil|ik wil graag) dat [de|het] {act} (uit|aan|open|dicht) gaat",
        "(schakel|draai) [de|het] {act} (in|uit|open|dicht) [nu|aub]",
        "stop (even|eens) [de|het] {act} (in|van|bij) {area}",
        "(draai|zet) de {kind} (in|van|bij) {area} (op|naar) {value} [aub]",
        "(laat|haal) [de|het] {act} (zakken|omhoog|naar beneden) [even]",
    ),
    "list_devices": (
        "wat (hangt er|zit er) [allemaal] aan (het netwerk|de controller|het systeem) [in {area}]",
        "hoeveel (sensoren|apparaten|meters) (hebben we|zijn er) (in|bij) {area}",
        "welke (apparaten|sensoren|meters) (reageren niet|zijn offline|geven niks door)",
        "(geef|stuur) me de lijst (met|van) (apparaten|sensoren) [in {area}]",
        "(zijn er|is er een) (apparaten|sensor|apparaat) (offline|zonder verbinding) [?]",
        "wat voor (apparaten|sensoren) (hebben we|staan er) (in|bij) {area}",
        "(kun je|kunt u) alle (apparaten|sensoren|pompen) (opsommen|tonen)",
    ),
    "list_alerts": (
        "staan er (alarmen|meldingen) (open|onbevestigd) [?]",
        "(is er|ging er) een alarm (afgegaan|af) [vandaag|in {area}]",
        "welke (alarmen|meldingen) (staan nog open|zijn nog actief)",
        "(kun je|kunt u) (checken|nagaan) of er (alarmen|storingen|meldingen) zijn",
        "hebben we (storingen|alarmen) (in|bij) {area} (nu|op dit moment)",
        "laat (even|eens) de (openstaande|actieve) (storingen|alarmen) zien",
        "is er (iets mis|wat aan de hand) (in|bij) {area} [nu]",
    ),
    "escalate": (
        "zet de {kind} (in|van|bij) {area} (een beetje|iets) (hoger|lager)",
        "is het (verstandig|slim|nodig) om [de|het] {act} (nu|vannacht) (uit|aan) te zetten",
        "hoe vaak (moet|moeten) [de|het] {act} (gesmeerd|schoongemaakt|nagekeken) worden",
        "(maak|schrijf) een (rapport|overzicht|verslag) (van|over) {area} voor (de baas|morgen"
        "|het management)",
        "(kun je|kunt u) (checken|uitzoeken) waarom [de|het] {act} niet (start|aangaat|draait)",
        "is het normaal dat [de|het] {sensor} (zoveel|zo weinig|dat) aangeeft",
        "wat (zou|moet) [de|het] {sensor} (normaal|eigenlijk) (aangeven|meten)",
        "wat gebeurt er als ik [de|het] {act} (nu|tijdens bedrijf) (uitzet|dichtdoe|open zet)",
        "waarom (slaat|valt) [de|het] {act} (elke avond|'s nachts|telkens weer) (af|uit)",
        "[de|het] {act} (maakt een raar geluid|ruikt verbrand|lekt), (wat nu|is dat erg)",
        "laat [de|het] {act} (aan|uit) (tot|gedurende) (maandag|vanavond|twee uur)",
        "wat kost het om [de|het] {act} (de hele dag|een maand) te laten draaien",
    ),
}
