"""French IoT templates and vocabulary, translated by hand (same syntax as ``templates``)."""

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
           "sur les {n} derniers jours", "cette nuit", "pendant les {n} dernières heures")
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
