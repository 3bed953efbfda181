"""French IoT templates and vocabulary, translated by hand (same syntax as ``templates``)."""

from training.triage.i18n import tenth_fr

# The vocabularies grow by generation (appended at the end of this module): open tuples.
ACT: tuple[str, ...]
SENSOR: tuple[str, ...]
AREAS: tuple[str, ...]
WINDOWS: tuple[str, ...]
VALUES: tuple[str, ...]
ACT = ("pompe", "vanne", "ventilateur", "chauffage", "refroidisseur", "compresseur",
       "convoyeur", "moteur", "lumière", "lampe", "clapet", "soufflante", "arroseur",
       "chaudière", "agitateur", "volet", "extracteur", "humidificateur", "déshumidificateur",
       "pompe doseuse", "brûleur", "vanne d'irrigation", "lucarne", "portail", "pompe à chaleur",
       "séchoir", "aérateur", "sirène")
SENSOR = ("sonde de température", "thermomètre", "sonde", "capteur d'humidité",
          "capteur de pression", "débitmètre", "capteur de niveau", "cuve", "silo",
          "sonde de sol", "capteur de CO2", "compteur électrique", "compteur d'énergie",
          "capteur de vibration", "station météo", "pluviomètre", "sonde pH", "compteur d'eau",
          "réservoir", "détecteur de gaz")
AREAS = ("zone {n}", "ligne {n}", "hall {L}", "serre {n}", "étable {n}", "salle {n}",
         "étage {n}", "bâtiment {L}", "champ {n}", "chambre froide {n}", "entrepôt {n}",
         "labo {n}", "ligne de production {n}", "baie {n}", "la cave", "la salle serveur",
         "la chaufferie", "l'atelier", "le bureau", "aile {L}", "bloc {L}", "poulailler {n}")
KINDS = ("température", "humidité", "pression", "niveau", "débit", "CO2", "puissance",
         "consommation d'énergie", "tension", "humidité du sol", "pH", "vibration", "vitesse",
         "luminosité", "oxygène")
VALUES = ("{n} degrés", "{n} %", "{n} pour cent", "{n} bar", "{n} °C", "{n}", "{n} tr/min")
WINDOWS = ("sur les {n} dernières heures", "depuis hier", "aujourd'hui", "sur la dernière heure",
           "ces {n} dernières minutes", "cette semaine", "depuis ce matin",
           "sur les {n} derniers jours", "cette nuit", "pendant les {n} dernières heures",
           "hier", "le mois dernier",
           "la semaine dernière", "avant-hier", "depuis lundi")
TOPICS = ("les tomates", "les poules", "une salle serveur", "le vin", "le béton", "les semis",
          "le fromage")
CHAT = ("bonjour", "salut", "merci", "comment ça va", "qui es-tu", "raconte-moi une blague",
        "au revoir", "d'accord", "attends", "bonne journée", "hmm", "ok merci",
        "que sais-tu faire", "es-tu un robot", "bonne nuit", "super merci")

TEMPLATES = {
    "query_state": (
        "(quelle est|c'est quoi|donne-moi) la {kind} (dans|de|en|à) {area} [actuellement|en ce"
        " moment|maintenant]",
        "(affiche|montre|montre-moi|dis-moi) [la|le] {kind} (dans|de) {area} [s'il te plaît]",
        "est-ce que {act} (tourne|fonctionne|marche) [encore|en ce moment]",
        "(le|la) {act} est-(il|elle) (allumé|allumée|éteint|éteinte|ouvert|ouverte|fermé|fermée)",
        "que (mesure|indique|affiche) {sensor} [actuellement|en ce moment]",
        "{kind} actuelle (dans|de) {area}", "{kind} {area} [svp|maintenant]",
        "(état|statut|valeur) (de|du) {dev}", "(le|la) {sensor} est plein à combien",
        "il fait (combien|quelle température) (dans|à) {area} [en ce moment]",
        "sur quelle valeur est réglé {act}", "quel est l'état de {act}",
        "(tu peux|peux-tu|pourrais-tu) me dire la {kind} (dans|de) {area}",
        "{act} est (allumé|éteint|ouvert|fermé) ?", "que dit {sensor}", "{dev} état [svp]",
        "quel niveau pour {sensor}", "{act} tourne toujours ?",
    ),
    "query_history": (
        "{kind} (moyenne|maximale|minimale|la plus haute|la plus basse) (dans|de) {area} {window}",
        "comment a évolué la {kind} (dans|de) {area} {window}",
        "(montre|affiche|montre-moi) (l'historique|la courbe|la tendance) de {sensor} {window}",
        "historique de {kind} (dans|de) {area} {window}", "moyenne de {kind} {area} {window}",
        "(pic|maximum|minimum) de {sensor} {window}", "combien de temps {act} a tourné {window}",
        "combien de fois {act} a démarré {window}",
        "(donne-moi|affiche) les (mesures|valeurs|relevés) de {dev} {window}",
        "quelle était la {kind} {window} (dans|à) {area}", "consommation totale de {act} {window}",
    ),
    "set_actuator": (
        "(allume|éteins|eteins|démarre|arrête|arrete) [la|le|l'] {act}"
        " [s'il te plaît|svp|maintenant]",
        "(ouvre|ferme) [la|le|l'] {act} [s'il te plaît|svp]",
        "(règle|regle|mets|passe) [la|le|l'] {act} (à|sur) {value} [svp]",
        "(augmente|baisse|diminue) la {kind} (dans|de) {area} (à|jusqu'à) {value}",
        "(peux-tu|pourrais-tu|tu peux) (allumer|éteindre|ouvrir|fermer|démarrer|arrêter)"
        " [la|le] {act}",
        "{act} (on|off|ouvert|fermé) [svp]", "{act} à {value}",
        "mets le chauffage (dans|de) {area} à {value}",
        "(allume|éteins) la lumière (dans|de) {area}", "je veux que tu (allumes|éteignes) {act}",
        "lance [la|le] {act}", "coupe [la|le] {act}", "mets [la|le] {act} en marche",
        "fais tourner {act} à {value}",
    ),
    "list_devices": (
        "quels (appareils|capteurs|actionneurs|pompes|vannes) (sont (connectés|installés|"
        "hors ligne|en ligne)|y a-t-il) [dans|en] [{area}]",
        "(liste|affiche|montre-moi) (tous les|les) (appareils|capteurs|actionneurs|équipements)"
        " [de|dans] [{area}]",
        "liste des (appareils|capteurs|équipements) [svp]",
        "quels appareils sont (hors ligne|déconnectés|en ligne)",
        "combien (d'appareils|de capteurs|de pompes) (y a-t-il|sont connectés) [dans] [{area}]",
        "qu'est-ce qui est (connecté|installé) [dans] [{area}]",
        "quels capteurs de {kind} y a-t-il dans {area}", "inventaire des appareils",
    ),
    "list_alerts": (
        "(y a-t-il|est-ce qu'il y a|il y a) des (alarmes|alertes|défauts|pannes)"
        " [actives|en cours]",
        "(affiche|montre|liste) [moi] les (alarmes|alertes|défauts) [actives|actifs|en cours]",
        "quelles (alarmes|alertes) sont (actives|en cours) [maintenant]",
        "(alarmes|alertes) (actives|en cours) [svp]", "des alarmes ?",
        "qu'est-ce qui est en (alarme|défaut) [en ce moment]", "liste des alarmes",
        "il y a des problèmes [dans] [{area}] ?", "(alarmes|alertes) (dans|de) {area}",
    ),
    "escalate": (
        "pourquoi fait-il plus (chaud|froid|humide) (dans|à) {area} (qu'hier|que d'habitude)",
        "pourquoi (la|le) {act} (s'est arrêté|a disjoncté|est tombé en panne)",
        "pourquoi la {kind} (dans|de) {area} (monte|baisse|varie) [sans arrêt]",
        "(dois-je|devrais-je|faut-il) (allumer|éteindre|ouvrir|fermer) {act} avant"
        " (la tempête|le gel|le week-end)",
        "que dois-je faire si {act} (vibre|fuit|surchauffe|fait du bruit)",
        "comment réduire la consommation d'énergie (dans|de) {area}",
        "comment fonctionne (une|un) {act}",
        "(planifie|prépare) (l'arrêt|le redémarrage|la maintenance) de {area}",
        "compare {area} et {area} et dis-moi lequel pose problème",
        "la {kind} (dans|de) {area} est-elle (normale|trop haute|dangereuse)",
        "quand {sensor} sera-t-il (vide|plein)", "que se passe-t-il si j'(éteins|ouvre) {act}",
        "(allume|éteins) {act} si la {kind} dépasse {value}",
        "quand {sensor} atteint {value}, (allume|éteins) {act}",
        "(allume|éteins) {act} à (6|8|22) heures", "(allume|éteins) {act} puis (ouvre|ferme) {act}",
        "dans {n} minutes (allume|éteins) {act}",
        "quelle est la {kind} idéale pour {topic}",
        "explique-moi ce que signifie une {kind} de {value}",
        "(écris|rédige) un rapport sur la consommation (dans|de) {area}",
        "faut-il entretenir {act}", "est-il sûr d'(éteindre|ouvrir) {act} maintenant",
        "quelle est la hauteur de la tour Eiffel", "quelle est la capitale de l'Allemagne",
        "quel temps fera-t-il demain", "écris un poème sur {topic}", "traduis ça en anglais",
        "combien coûte {act} en marche pendant un mois",
        "quelle peut être la cause de la chute de pression (dans|de) {area}",
        "comment calibrer {sensor}", "recommande-moi un réglage pour {act}", "{chat}", "{chat}",
    ),
}

# Added for triage-2.1: other word orders (name first), frames, units, and hard negatives
# (requests that name a device but ask why, how or what to do). Appended, so the fold of every
# earlier template (index % 7) stays as it was.
MORE = {
    "query_state": (
        "{dev} : (c'est quoi l'état|ça donne quoi|où en est-on) [maintenant]",
        "{area}, (il fait combien|quelle (température|humidité)) [en ce moment]",
        "(tu sais|peux-tu vérifier) si [la|le|l'] {act} (tourne|est allumé|est ouvert)",
        "(donne|dis)-moi (la|le|l') {kind} (de|du) {sensor}",
        "(valeur|mesure|relevé) (de|du) {sensor} [stp|maintenant]",
        "combien (indique|affiche) {sensor} [en ce moment]",
        "dans quel état est [la|le|l'] {act} [actuellement]",
    ),
    "query_history": (
        "{kind} (dans|de) {area} {window}, (moyenne|maximum|minimum) [svp]",
        "(donne|montre)-moi (la moyenne|le maximum|le minimum|la courbe) (de|du) {sensor} {window}",
        "combien de temps [la|le|l'] {act} a-t-il (tourné|été allumé|été ouvert) {window}",
        "quelle a été la valeur (la plus haute|la plus basse) (de|du) {sensor} {window}",
        "{sensor} {window} : (historique|tendance|évolution) [stp]",
    ),
    "set_actuator": (
        "{act} : (allume|éteins|ouvre|ferme|démarre|arrête)-(le|la) [stp]",
        "(peux-tu|pourrais-tu|tu peux)"
        " (allumer|éteindre|ouvrir|fermer|démarrer|arrêter) [la|le|l'] {act}",
        "(monte|baisse|coupe) [la|le|l'] {act} [à {value}]",
        "(mets|passe) [la|le|l'] {act} en (marche|route|arrêt)",
        "(arrête|coupe) [la|le|l'] {act} (tout de suite|immédiatement|maintenant)",
        "règle la consigne (de la|du) {act} (à|sur) {value}",
        "(ouvre|ferme) [donc] [la|le|l'] {act} [merci]",
    ),
    "list_devices": (
        "quels appareils as-tu (dans|en) {area}",
        "(liste|énumère)-moi (tous les|toutes les) (actionneurs|vannes|capteurs|pompes)",
        "quels (appareils|capteurs) connais-tu",
    ),
    "list_alerts": (
        "(quelles|des) (alarmes|alertes) sont (actives|en cours) [en ce moment]",
        "(il y a|y a-t-il) des (alertes|défauts) (dans|en) {area}",
        "(montre|liste)-moi (les|toutes les) (alarmes|alertes|pannes) (actives|en cours|ouvertes)",
        "une alarme est-elle (active|déclenchée) quelque part",
    ),
    "escalate": (
        "quelle pourrait être la cause (du bruit|de la surchauffe|de la"
        " lenteur) de [la|le|l'] {act}",
        "(dois|faut)-(je|il) (changer|réparer|recharger) [la|le|l'] {act}",
        "combien de temps [la|le|l'] {act} va-t-il tenir avant (la panne|l'entretien)",
        "est-ce rentable de (remplacer|couper la nuit) [la|le|l'] {act}",
        "explique-moi la différence entre [la|le|l'] {act} et [la|le|l'] {act}",
        "prévois quand [la|le|l'] {sensor} sera (vide|plein|critique)",
        "pourquoi [la|le|l'] {sensor} (affiche des valeurs|donne des mesures)"
        " (si hautes|si basses|fausses)",
        "tous les combien faut-il entretenir [la|le|l'] {act}",
        "peux-tu m'expliquer comment fonctionne [la|le|l'] {act}",
        "quel réglage (conseilles-tu|recommandes-tu) pour [la|le|l'] {act} en (hiver|été)",
        "aide-moi à trouver la panne (de la|du) {act}",
        "qu'est-ce que ça veut dire quand [la|le|l'] {act} (clignote|bipe|est rouge)",
    ),
}
# A "how long did it run" phrasing in a training fold (index % 7 < 5); the first one
# fell in the held-out fold.
MORE["query_history"] += (
    "pendant combien d'heures [la|le|l'] {act} a-t-il"
    " (fonctionné|tourné) {window}",
)
MORE["escalate"] += (
    "(résume|analyse) (les|toutes les) (alarmes|alertes|pannes)"
    " [d'hier|d'aujourd'hui]",
)
# Commands to a group ("alle Pumpen") and to several named devices ("{act} und {act2}"),
# alternating so that every fold gets both; appended, so earlier templates keep their folds.
MORE["set_actuator"] += (
    "(éteins|allume|arrête|démarre) toutes les (pompes|vannes|lumières|lampes|soufflantes)"
    " [dans {area}]",
    "(éteins|allume|arrête|démarre) [la|le] {act} et [la|le] {act2}",
    "(éteins|allume|arrête|démarre) tous les (ventilateurs|moteurs|chauffages|convoyeurs"
    "|compresseurs) [dans {area}]",
    "(ouvre|ferme) [la|le] {act} et [la|le] {act2}",
    "(ouvre|ferme) toutes les (vannes|fenêtres|trappes) [dans {area}]",
    "(peux-tu|tu peux) (éteindre|allumer|arrêter) {act} et {act2}",
    "(peux-tu|tu peux) (éteindre|allumer|arrêter) (toutes les pompes|tous les ventilateurs"
    "|toutes les lumières) [dans {area}]",
    "{act} et {act2} (on|off|en marche|à l'arrêt) [svp]",
    "coupe (toutes les pompes|tous les moteurs|tous les ventilateurs) [dans {area}]",
    "(mets|règle) {act} et {act2} (à|sur) {value}",
    "(éteins|arrête|allume) toutes les (pompes|lampes|vannes) (maintenant|svp|tout de suite)",
    "(arrête|coupe) {act} et {act2} (maintenant|tout de suite|svp)",
    "mets (toutes les pompes|tous les ventilateurs|tous les moteurs) en (marche|arrêt)"
    " [dans {area}]",
    "(allume|éteins) {act}, {act2} et {act2}",
)
# Sixth generation (triage-2.4), appended: one command to two existing devices in more forms,
# terse and polite commands, "état de X", "en ce moment" questions, offline devices, and hard
# negatives that ask how something works or what it should be ("comment fonctionne X").
MORE["query_state"] += (
    "état de [la|le|l'] {dev} [svp]", "quelle est la {kind} (dans|de) {area} en ce moment",

    "quelle est la {kind} (dans|de) {area}", "(pourrais-tu|peux-tu) me donner la {kind} (dans|de)"
    " {area} [s'il te plaît]", "quel est l'état de [la|le|l'] {act} [actuellement]",
    "{dev} état ?", "{kind} (de|du) {dev} [svp]", "il fait (combien|quelle température) (dans|à)"
    " {area} (en ce moment|actuellement|maintenant)", "que (mesure|indique) [la|le|l'] {sensor}"
    " (en ce moment|actuellement)", "[la|le|l'] {act} est (allumé|ouvert) ou (éteint|fermé) ?",
    "sais-tu si [la|le|l'] {act} (tourne|est allumé|est ouvert)", "où en est [la|le|l'] {dev}",
    "il fait (chaud|froid) (dans|à) {area} ?",
)
MORE["set_actuator"] += (
    "éteins [la|le|l'] {act} et [la|le|l'] {act2}", "{act} off", "allume {act} et {act2} [svp]",
    "{act} on [svp]", "ferme [la|le|l'] {act} et [la|le|l'] {act2} [s'il te plaît]",
    "(s'il te plaît|svp) éteins [la|le|l'] {act}",
    "(peux-tu|pourrais-tu) éteindre {act} et {act2} [s'il te plaît]",
    "(éteins|allume) [la|le|l'] {act} (dans|de) {area} [svp]", "{act} et {act2} off [svp]",
    "(ouvre|ferme|démarre|arrête) [la|le|l'] {act} [svp]", "ouvre {act} et {act2} [maintenant]",
    "(éteins|allume) {act} tout de suite", "(éteins|coupe) {act} ainsi que {act2}",
    "(peux-tu|pourrais-tu) (fermer|ouvrir) [la|le|l'] {act} [s'il te plaît]",
)
MORE["list_devices"] += (
    "quels (capteurs|appareils|compteurs|équipements) sont (hors ligne|déconnectés) [en ce moment]",
    "(montre|liste)-moi les (appareils|capteurs) (hors ligne|déconnectés)",
    "y a-t-il des (appareils|capteurs) (hors ligne|déconnectés|injoignables)",
)
MORE["escalate"] += (
    "[la|le|l'] {act} (signale|affiche) (le défaut|l'erreur|l'alarme) {n},"
    " (que faire|et maintenant)",
    "[la|le|l'] {act} (affiche|indique) le code (E|F){n}, je fais quoi",
    "comment fonctionne [la|le|l'] {act}", "comment (calibrer|nettoyer|entretenir|configurer)"
    " [la|le|l'] {dev}", "à quoi sert [la|le|l'] {dev}",
    "comment [la|le|l'] {sensor} mesure-t-(il|elle)"
    " la {kind}", "explique-moi comment fonctionne [la|le|l'] {act}",
    "que (fait|contrôle|règle) [la|le|l'] {act}", "quelle (température|humidité) faut-il (dans|à)"
    " {area}", "comment savoir si [la|le|l'] {act} est (en panne|bouché|usé)",
    "quelle devrait être la {kind} (dans|de) {area}",
    "comment utiliser [la|le|l'] {act} (correctement|en sécurité)",
    "comment marche [la|le|l'] {act}",
    "pourquoi [la|le|l'] {act} est-(il|elle) (allumé|éteint|ouvert)",
    "que se passe-t-il si j'éteins [la|le|l'] {act}", "comment [la|le|l'] {act} est-(il|elle)"
    " (commandé|branché|piloté)",
)
# Seventh generation (triage-2.5), appended: the kinds of phrasing 2.4 missed on the older
# hand-written sets, by category and not by sentence: questions with subject-verb inversion
# ("... tourne-t-elle encore"), a kind and a place with a politeness word, what a sensor
# placed on a line or in an area reads, what a kind a sensor has, a part of a named device
# ("le moteur du convoyeur 3"), and device lists with "avons-nous / a-t-on" or counts of what
# is installed in a place; hard negatives in the same shapes.
MORE["query_state"] += (
    "[la|le|l'] {act} (tourne|fonctionne|marche)-t-(il|elle) (encore|toujours|en ce moment"
    "|actuellement)",
    "(svp|s'il te plaît|stp)(,|) [la|le|l'] {kind} (du|de la|de l') {area}",
    "[la|le|l'] {kind} (actuelle|en ce moment) (du|de la|de l') {area} [svp|s'il te plaît]",
    "que (mesure|indique|affiche) [la|le|l'] {sensor} (sur|dans) [la|le|l'] {area}"
    " (en ce moment|actuellement|maintenant)",
    "quelle {kind} (a|affiche|indique) [la|le|l'] {sensor} (en ce moment|actuellement"
    "|maintenant)",
    "[la|le|l'] {act} est-(il|elle) (en marche|en route|en service|à l'arrêt|en"
    " fonctionnement) (actuellement|en ce moment|maintenant|toujours)",
    "(dis|donne)-moi la {kind} (du|de la|de l') {sensor} (sur|dans) {area}",
    "le (moteur|ventilateur|brûleur|compresseur|chauffage) (du|de la|de l') {dev}"
    " (tourne|marche|fonctionne)-t-il [encore|en ce moment]",
    "[la|le|l'] {kind} (du|de la|de l') {sensor}, (svp|s'il te plaît|merci)",
    "(la|le) {sensor} (du|de la|de l') {area} (indique|affiche|mesure) combien [en ce moment]",
    "quel (niveau|débit|pH) a [la|le|l'] {sensor} (en ce moment|actuellement|maintenant)",
    "est-ce que le (moteur|ventilateur|brûleur|compresseur) (du|de la|de l') {dev}"
    " (tourne|est allumé|est en marche)",
)
MORE["query_history"] += (
    "quelle était la {kind} (du|de la|de l') {sensor} {window}",
    "(à quelle heure|quand) [la|le|l'] {act} a-t-(il|elle) (été arrêté|été ouvert|été coupé"
    "|redémarré) {window}",
    "[la|le|l'] {kind} (du|de la|de l') {area} {window}, (svp|s'il te plaît|merci)",
)
MORE["set_actuator"] += (
    "(arrête|coupe|démarre|allume|éteins) le (moteur|ventilateur|brûleur|chauffage"
    "|compresseur) (du|de la|de l') {dev} [svp|s'il te plaît]",
    "(lance|coupe|arrête|démarre) (le chauffage|la climatisation|l'extraction|la brumisation)"
    " (du|de la|de l'|dans) {area} [svp]",
    "(mets|passe) le (moteur|ventilateur|brûleur|compresseur) (du|de la|de l') {dev}"
    " (en marche|à l'arrêt|à {value})",
)
MORE["list_devices"] += (
    "quels (appareils|capteurs|équipements|ventilateurs|compteurs) (avons-nous|a-t-on"
    "|as-tu) (dans|en|sur) {area}",
    "combien (d'appareils|de capteurs|de sondes|de pompes|de vannes) sont (installés"
    "|installées|en service) (dans|sur|en) {area}",
    "(quelles|quels) (sondes|pompes|vannes|machines|appareils) (avons-nous|a-t-on) (sur le"
    " site|au total|ici|en tout)",
    "qu'est-ce (que nous avons|qu'on a|que tu as) comme (capteurs|appareils|équipements"
    "|pompes) [dans {area}]",
    "qu'est-ce qui est (branché|relié) (au système|au réseau|sur le site) [en ce moment]",
)
MORE["escalate"] += (
    "pourquoi [la|le|l'] {act} (tourne|fonctionne)-t-(il|elle) (en permanence|sans arrêt"
    "|la nuit)",
    "[la|le|l'] {act} doit-(il|elle) (tourner|rester allumé|rester ouvert) (la nuit|le"
    " week-end|en hiver)",
    "quelle {kind} (devrait|doit) avoir [la|le|l'] {sensor} (en hiver|en été|normalement)",
    "le (moteur|ventilateur|brûleur|compresseur) (du|de la|de l') {dev} (chauffe|vibre"
    "|claque), (pourquoi|que faire)",
    "combien (d'appareils|de capteurs|de sondes) faut-il (installer|prévoir) (dans|pour) {area}",
    "la {kind} (du|de la|de l') {area} est-elle (correcte|normale|trop élevée) [pour {topic}]",
    "(que|qu'est-ce que) (mesure|indique) vraiment [la|le|l'] {sensor} (sur|dans) {area}"
    " et (pourquoi|comment)",
)
# Eighth generation (triage-2.6), appended, by category: requests that open with a wish
# ("j'aimerais savoir ...", "je voudrais que tu ...") for reads and commands, history questions
# in the imperfect ("que mesurait X hier"), site-wide questions about anything unusual (the
# alert list), more ways to ask which devices are offline or registered, and hard negatives in
# the same shapes ("comment marche X", "pourquoi X était arrêté hier").
MORE["query_state"] += (
    "j'aimerais (savoir|connaître) la {kind} (du|de la|de l'|dans) {area} [en ce moment"
    "|actuellement]",
    "je voudrais (connaître|avoir) (l'état|le statut|la valeur) (du|de la|de l') {dev}",
    "j'aimerais savoir (combien|ce que) (mesure|indique|affiche) [la|le|l'] {sensor} [en ce"
    " moment]",
    "je souhaiterais connaître la {kind} (du|de la|de l'|dans) {area}",
    "j'aimerais savoir si [la|le|l'] {act} (est en marche|est allumé|est ouvert|tourne)",
    "je voudrais la {kind} (du|de la|de l') {sensor} [s'il vous plaît|svp]",
)
MORE["query_history"] += (
    "combien (faisait-il|il faisait) (dans|à) {area} {window}",
    "(quelle|combien) (était|valait) la {kind} (dans|du|de la) {area} {window}",
    "que (mesurait|indiquait|affichait) [la|le|l'] {sensor} {window}",
    "[la|le|l'] {act} (tournait|marchait|fonctionnait)-(il|elle) {window}",
    "est-ce que [la|le|l'] {act} (tournait|était allumé|était ouvert|était en marche) {window}",
    "à combien (était|se trouvait) la {kind} (du|de la|de l'|dans) {area} {window}",
    "(j'aimerais|je voudrais) (voir|connaître|avoir) l'(historique|évolution) (du|de la|de l')"
    " {sensor} {window}",
    "(j'aimerais|je voudrais) savoir combien de temps [la|le|l'] {act} a (tourné|fonctionné)"
    " {window}",
    "quelle {kind} (y avait-il|il y avait) (dans|à) {area} {window}",
)
MORE["set_actuator"] += (
    "(j'aimerais|je voudrais|je souhaiterais) que tu (éteignes|allumes|ouvres|fermes|arrêtes"
    "|démarres) [la|le|l'] {act}",
    "je voudrais que vous (éteigniez|allumiez|ouvriez|fermiez|arrêtiez|démarriez) [la|le|l']"
    " {act}",
    "(j'aimerais|je voudrais) (éteindre|allumer|ouvrir|fermer|arrêter|démarrer) [la|le|l']"
    " {act} [s'il te plaît|svp]",
    "(j'aimerais|je voudrais) (mettre|régler) [la|le|l'] {act} (à|sur) {value}",
    "je voudrais [la|le|l'] {act} (éteint|allumé|ouvert|fermé|en marche|à l'arrêt) [svp]",
)
MORE["list_devices"] += (
    "quels (capteurs|appareils) n'envoient plus (de données|de mesures|rien)",
    "quels (appareils|capteurs|équipements) sont (enregistrés|déclarés|appairés|configurés)"
    " (sur|dans) (le système|le réseau|le contrôleur)",
    "qu'est-ce qui est (enregistré|déclaré|configuré) (sur|dans) (le système|le contrôleur)",
    "(liste|montre)-moi les (appareils|capteurs) (enregistrés|déclarés|configurés|connectés)",
    "(j'aimerais|je voudrais) (la liste|une liste) (des|de tous les) (appareils|capteurs"
    "|équipements) [de {area}]",
    "(y a-t-il|est-ce qu'il y a) des (appareils|capteurs) (hors ligne|injoignables|sans"
    " connexion)",
    "combien (d'appareils|de capteurs) sont (enregistrés|déclarés|configurés) [au total]",
)
MORE["list_alerts"] += (
    "(y a-t-il|il y a) (quelque chose|un truc) d'(anormal|inhabituel|bizarre|étrange) (sur le"
    " site|à l'usine|dans le bâtiment|à la ferme|dans l'atelier) [en ce moment|aujourd'hui]",
    "tout (est|va) (normal|bien) (sur le site|à l'usine|dans le bâtiment|à la ferme) [en ce"
    " moment]",
    "rien (d'anormal|d'inhabituel|de bizarre|à signaler) (sur le site|à l'usine|dans le"
    " bâtiment|à la ferme) [aujourd'hui]",
    "(constates-tu|vois-tu|détectes-tu) (des anomalies|quelque chose d'anormal) (sur le site"
    "|à l'usine|dans le bâtiment) [aujourd'hui]",
    "(j'aimerais|je voudrais) (voir|connaître) les (alarmes|alertes) (actives|en cours)",
    "(j'aimerais|je voudrais) savoir s'il y a des (alarmes|alertes|défauts) [en ce moment]",
)
MORE["escalate"] += (
    "(j'aimerais|je voudrais) (savoir|comprendre) pourquoi [la|le|l'] {act} (s'arrête|est en"
    " défaut|ne démarre pas)",
    "(j'aimerais|je voudrais) comprendre comment (fonctionne|marche) [la|le|l'] {act}",
    "comment marche [la|le|l'] {act} [exactement]",
    "comment (fonctionne|marche) exactement [la|le|l'] {act}",
    "quel est le principe de fonctionnement (du|de la|de l') {act}",
    "peux-tu m'expliquer le fonctionnement (du|de la|de l') {act}",
    "comment fonctionne la régulation de {kind} (du|de la|de l'|dans) {area}",
    "(j'aimerais|je voudrais) un conseil pour (régler|entretenir|nettoyer) [la|le|l'] {act}",
    "pourquoi [la|le|l'] {act} (tournait|était arrêté|était en défaut) {window}",
    "y a-t-il quelque chose d'anormal (avec|sur) [la|le|l'] {act} et pourquoi",
)
# Ninth generation (triage-2.7), appended: siblings in the training folds for families that
# had one template, in the validation fold alone ("X affiche le code N, je fais quoi"), "quand
# X a-t-il tourné pour la dernière fois" as history, site-wide questions about anything
# unusual, wish openers ("je voudrais savoir si ..."), and more plain commands.
MORE["query_state"] += (
    "je voudrais savoir si [la|le|l'] {act} (tourne|est en marche|est allumé|est ouvert)",
    "je voudrais savoir (quelle est|combien fait) la {kind} (du|de la|de l'|dans) {area}",
    "(dis-moi|donne-moi) la {kind} (du|de la|de l'|dans) {area}",
    "est-ce que [la|le|l'] {act} (tourne|est allumé|est ouvert) [en ce moment]",
    "quelle est la {kind} (du|de la|de l'|dans) {area}",
    "je voudrais savoir ce que (mesure|indique) [la|le|l'] {sensor}",
    "est-ce que (la|le) {act} est (allumé|allumée|ouvert|ouverte) (maintenant|actuellement)",
)
MORE["query_history"] += (
    "quand [la|le|l'] {act} a-t-(il|elle) (tourné|démarré|fonctionné) pour la dernière fois",
    "quand est-ce que [la|le|l'] {act} a (tourné|démarré|été allumé) pour la dernière fois",
    "à quand remonte (le dernier démarrage|la dernière mise en marche) (du|de la|de l') {act}",
    "(la|le) {act} a (tourné|démarré) (quand|à quelle heure) {window}",
    "à quelle heure [la|le|l'] {act} (a démarré|s'est arrêté|s'est allumé) {window}",
    "depuis quand [la|le|l'] {act} (est arrêté|ne tourne plus|est éteint)",
    "quand [la|le|l'] {act} (a-t-il|a-t-elle) été (allumé|ouvert|arrêté) {window}",
)
MORE["set_actuator"] += (
    "(éteins|allume|arrête|démarre) [la|le] {act} et [la|le] {act2} [s'il te plaît|svp]",
    "je voudrais que (la|le) {act} soit (éteint|allumé|ouvert|fermé)",
    "(éteins|allume) [la|le|l'] {act}",
    "(ferme|ouvre) [la|le|l'] {act} [s'il te plaît|maintenant]",
    "(coupe|arrête) [la|le|l'] {act} [maintenant|tout de suite]",
    "(j'aimerais|je voudrais) que tu (éteignes|allumes) [la|le] {act} et [la|le] {act2}",
    "(éteignez|allumez) [la|le|l'] {act} [s'il vous plaît]",
)
MORE["list_alerts"] += (
    "tout (va|est) (bien|normal) (sur l'exploitation|partout) [aujourd'hui]",
    "(as-tu|avez-vous) remarqué quelque chose d'(anormal|inhabituel) [aujourd'hui]",
    "(y a-t-il|il y a) des (problèmes|soucis|anomalies) (sur l'exploitation|sur le site|à"
    " l'usine|quelque part) [aujourd'hui]",
    "quoi de (anormal|neuf côté alarmes) (sur le site|sur l'exploitation) [aujourd'hui]",
    "qu'est-ce qui est en (alarme|défaut) [en ce moment]",
    "est-ce qu'il se passe quelque chose d'(anormal|inhabituel) (quelque part|sur le"
    " site)",
    "qu'est-ce qui cloche (sur le site|à l'usine) [aujourd'hui]",
)
MORE["escalate"] += (
    "[la|le|l'] {act} (signale|affiche) (le défaut|l'erreur|l'alarme) {n}, (que faire"
    "|qu'est-ce que je dois faire)",
    "comment savoir si [la|le|l'] {act} est (usé|usée|bouché|bouchée|en panne)",
    "que veut dire (le code|l'erreur|le défaut) {n} (sur|de) [la|le|l'] {act}",
    "quand [la|le|l'] {act} a-t-(il|elle) été (installé|installée|acheté|révisé)",
    "(explique|interprète)-moi les (alarmes|alertes) (du|de la|de l'|dans) {area}",
    "est-ce que je peux intervenir sur [la|le|l'] {act} sans risque",
    "que dois-je faire (avec|pour) [la|le|l'] {act}",
    "comment (économiser|réduire) (l'énergie|l'électricité) (dans|à) {area}",
    "comment (baisser|réduire) la consommation (du|de la|de l') {act}",
    "comment (pouvons-nous|peut-on) (économiser|consommer moins d') (énergie|eau) (dans|à) {area}",
    "comment rendre {area} plus (efficace|économe)",
)
# Tenth generation (triage-2.8), appended: spoken and formal forms, objects first, more device
# nouns and places, and hard negatives of the same breadth (``tenth_fr``).
ACT += tenth_fr.ACT
SENSOR += tenth_fr.SENSOR
AREAS += tenth_fr.AREAS
WINDOWS += tenth_fr.WINDOWS
VALUES += tenth_fr.VALUES
TEMPLATES = {
    k: v + MORE.get(k, ()) + tenth_fr.TEMPLATES.get(k, ()) for k, v in TEMPLATES.items()
}
