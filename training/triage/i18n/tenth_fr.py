"""French templates of the tenth generation (triage-2.8), appended after all older ones.

Written by category from how operators talk, not from any evaluation sentence: spoken
questions with the subject last or "là" at the end ("elle est à combien la température ..."),
"tu peux me dire / vous pouvez me dire", formal "vous" commands ("pourriez-vous couper ..."),
"ça donne quoi", "ça marche ou pas", object first ("la pompe 3, coupe-la"), "je voudrais
connaître", devices named by a part of a place ("l'éclairage du hangar"), and hard negatives in
the same shapes (a vague amount of a kind, "ça vaut le coup de ...").
Each tuple is appended to its intent in ``fr.TEMPLATES``.
Conditions, negated commands, a command for later and "X a bit higher" on a device are
left to ``edge_agent.triage.guards``, which escalates them whatever the model reads: as
templates they shared the plain commands' words and cost those confidence (candidate 2.8-a).
Training-only.
"""

from __future__ import annotations

# Appended to fr.ACT / fr.SENSOR / fr.AREAS / fr.WINDOWS / fr.VALUES.
ACT = (
    "groupe électrogène",
    "électrovanne",
    "variateur",
    "éclairage",
    "store",
    "pompe de relevage",
    "vis sans fin",
    "chauffe-eau",
    "brumisateur",
    "broyeur",
    "mélangeur",
    "porte",
    "pompe immergée",
    "projecteur",
    "climatiseur",
)
SENSOR = (
    "capteur de débit",
    "hygromètre",
    "manomètre",
    "thermostat",
    "analyseur",
    "sonde de conductivité",
    "balance",
    "transmetteur de niveau",
    "capteur d'oxygène",
    "compteur de gaz",
)
AREAS = (
    "la cuisine",
    "le couloir",
    "le quai {n}",
    "la ferme",
    "le hangar",
    "la toiture",
    "le rez-de-chaussée",
    "le hall d'entrée",
    "le garage",
    "l'écurie {n}",
    "la salle des machines",
    "la chambre {n}",
    "le séchoir",
    "la salle de traite",
    "la pépinière",
    "le local pompes",
    "la porcherie {n}",
    "l'accueil",
    "la cour",
    "la buanderie",
)
WINDOWS = (
    "hier après-midi",
    "cette nuit",
    "hier matin",
    "pendant la nuit",
    "ce mois-ci",
    "ce matin",
    "le week-end dernier",
    "sur la dernière semaine",
    "depuis vendredi",
    "il y a {n} heures",
)
VALUES = (
    "moins {n} degrés",
    "{n} degrés en dessous de zéro",
    "à {n} %",
    "{n} pour cent d'ouverture",
    "{n} °",
)

_ASK = "(tu peux me dire|vous pouvez me dire|pourriez-vous me dire|tu me dis|dis-moi)"

TEMPLATES: dict[str, tuple[str, ...]] = {
    "query_state": (
        f"{_ASK} (la|le) {{kind}} (dans|de|du|à) {{area}} [stp|svp|s'il vous plaît]",
        "(c'est combien|ça donne quoi) la {kind} (dans|de|du|à) {area} [là]",
        "[le|la|l'] {act} (tourne|marche|est allumé|est allumée) (ou pas|là|encore) [?]",
        "(ça dit quoi|ça affiche quoi|ça indique combien) [le|la|l'] {sensor} [là|en ce moment]",
        "je (voudrais|souhaiterais|aimerais) connaître (la|le) {kind} (dans|de|du) {area}",
        "(tu peux|vous pouvez|tu pourrais) (vérifier|regarder) si [le|la|l'] {act} (tourne"
        "|est allumé|est allumée|est ouvert|est ouverte)",
        "on est à combien de (degrés|pour cent) (dans|à) {area} [là|maintenant]",
        "{area}, (la|le) {kind} (c'est combien|ça donne quoi) [là|stp]",
        "(il fait|fait-il) combien (dans|à) {area} [là|en ce moment]",
        "[le|la|l'] {act} (est|reste) (en marche|à l'arrêt|ouvert|fermé|ouverte|fermée)"
        " (là|en ce moment|actuellement)?",
        "(donne-moi|donnez-moi|file-moi) (la|le) {kind} (dans|de|du) {area} [stp|svp]",
        "combien (affiche|indique|mesure) [le|la|l'] {sensor} (là|là maintenant)",
        "[le|la|l'] {act} (est-il|est-elle) (levé|levée|baissé|baissée) (là|en ce moment)",
        "je (voudrais|veux) savoir (si le|si la) {act} (tourne|est allumé|est allumée|marche)",
    ),
    "query_history": (
        "(elle était à combien|c'était combien) la {kind} (dans|de|du) {area} {window}",
        "(ça a donné quoi|c'était comment) (la|le) {kind} (dans|de|du) {area} {window}",
        "(combien|quelle valeur) (a affiché|a indiqué|a mesuré) [le|la|l'] {sensor} {window}",
        "[le|la|l'] {act} (a tourné|était allumé|était allumée|a marché) {window} [?]",
        "(vous pouvez|tu peux|pourriez-vous) me montrer (l'historique|l'évolution|la courbe)"
        " (de la|du|de l') {sensor} {window}",
        "(quel a été|c'était quoi) le (pic|minimum|maximum) de {kind} (dans|de|du) {area} {window}",
        "(combien|combien d'énergie) (a consommé|a bouffé) [le|la|l'] {act} {window}",
        "(la|le) {kind} (dans|de|du) {area} {window}, (ça a donné quoi|c'était combien)",
        "combien de fois [le|la|l'] {act} (a démarré|s'est arrêté|a déclenché) {window}",
        "(envoie-moi|donne-moi|sors-moi) les (relevés|mesures|valeurs) (de la|du|de l')"
        " {sensor} {window}",
    ),
    "set_actuator": (
        "(pourriez-vous|vous pouvez|tu peux) (couper|allumer|éteindre|fermer|ouvrir|arrêter)"
        " [le|la|l'] {act} [svp|s'il vous plaît]",
        "(coupez|allumez|éteignez|fermez|ouvrez|arrêtez) [le|la|l'] {act} [svp|s'il vous plaît]",
        "[le|la|l'] {act}, (coupe-le|coupe-la|allume-le|allume-la|ferme-le|ferme-la|ouvre-la)"
        " [stp]",
        "(tu me coupes|tu m'allumes|tu me fermes|tu m'ouvres) [le|la|l'] {act} [stp]",
        "(rallume|coupe-moi) l'éclairage (du|de la|de l') {area} [stp]",
        "(mets|règle|passe) [le|la|l'] {act} (à|sur) {value} [stp|svp]",
        "(relance|redémarre|démarre|lance) [le|la|l'] {act} [stp|maintenant]",
        "(baisse|monte|lève|remonte) [le|la|l'] {act} [stp|svp]",
        "(coupe-moi|éteins-moi|arrête-moi) [le|la|l'] {act} (du|de la|de l') {area} [stp]",
        "(mets-moi en route|mets-moi à l'arrêt) [le|la|l'] {act} [stp]",
        "je (voudrais|veux) que tu (coupes|allumes|éteignes|fermes|ouvres) [le|la|l'] {act}",
        "(baisse|monte) la {kind} (de la|du|dans) {area} à {value} [stp]",
        "{act} (à|sur) {value} (stp|svp|merci)",
        "(referme|rouvre) [le|la|l'] {act} (du|de la|de l') {area} [svp]",
    ),
    "list_devices": (
        "qu'est-ce qu'on a (comme appareils|comme capteurs|comme sondes) (dans|à) {area}",
        "(combien|combien de capteurs) (on a|avons-nous) (dans|à) {area}",
        "quels (équipements|capteurs) ne remontent plus (rien|de données)",
        "(donne-moi|envoie-moi) la liste des (équipements|capteurs|appareils) [de {area}]",
        "il y a des (capteurs|appareils|équipements) (hors ligne|déconnectés|muets) [?]",
        "(tu peux|vous pouvez) (lister|énumérer) les (équipements|capteurs|appareils)",
        "(quelles|combien de) (sondes|compteurs|vannes) (il y a|sont installées) (dans|à) {area}",
    ),
    "list_alerts": (
        "(y a|il reste) des (alarmes|alertes) (pas acquittées|pas encore acquittées)",
        "(une alarme a sauté|des alarmes ont sauté|une alerte s'est déclenchée)"
        " [aujourd'hui|dans {area}]",
        "(quelles|c'est quoi les) alarmes (encore|toujours) (actives|en cours)",
        "(tu peux|vous pouvez) (me dire|vérifier) s'il y a des (alarmes|alertes) [en cours]",
        "(on a|j'ai) des (alarmes|alertes|défauts) (dans|à|sur) {area} [là]",
        "(montre-moi|affiche) les (défauts|alarmes) (en cours|non acquittés|non acquittées)",
        "y a quelque chose qui (cloche|va pas|déconne) (dans|à) {area} [là]",
    ),
    "escalate": (
        "(monte|baisse) un (peu|petit peu) (la|le) {kind} (dans|de|du) {area}",
        "(ça vaut le coup|c'est utile|il faut) (de couper|d'allumer|couper|allumer) [le|la|l']"
        " {act} (maintenant|cette nuit)",
        "tous les combien (faut-il|il faut) (vidanger|nettoyer|changer le filtre de) [le|la|l']"
        " {act}",
        "(fais-moi|prépare-moi|rédige) un (rapport|bilan|compte rendu) (sur|de) {area} pour"
        " (la direction|demain|le chef)",
        "(tu peux|vous pouvez) (me dire|regarder) pourquoi [le|la|l'] {act} (ne démarre"
        " pas|saute|disjoncte)",
        "c'est normal que [le|la|l'] {sensor} (affiche|indique) (autant|si peu|ça)",
        "(combien|quelle valeur) (devrait|doit) (afficher|indiquer) [le|la|l'] {sensor}"
        " [normalement]",
        "(qu'est-ce qui se passe|que se passerait-il) si je (coupe|ferme|ouvre) [le|la|l']"
        " {act} (maintenant|en marche)",
        "pourquoi [le|la|l'] {act} (disjoncte|se met en défaut|s'arrête) (tous les soirs|sans"
        " arrêt|la nuit)",
        "[le|la|l'] {act} (fait un bruit bizarre|sent le brûlé|fuit), (je fais quoi|c'est grave)",
        "(laisse|garde) [le|la|l'] {act} (allumé|éteint|allumée|éteinte) (jusqu'à|pendant)"
        " (lundi|ce soir|deux heures)",
        "(combien ça coûte|ça coûte combien) de laisser [le|la|l'] {act} tourner (toute la"
        " journée|un mois)",
    ),
}
