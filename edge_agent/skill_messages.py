"""Message catalogues of the local skills and the resolver, merged into ``edge_agent.messages``.

Clarifying questions, refusals, actuation results, histories and summaries, in each language
triage understands. Device ids and areas are the registry's own strings; a kind is named in the
reply's language by ``edge_agent.kind_names`` ("Aktoren vom Typ Pumpe"), and a kind it does not
know as the registry spells it, quoted („sluice“). The English texts are the gateway's
long-standing replies, byte for byte.
"""

from __future__ import annotations

SKILL_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "word_device": "device", "word_devices": "devices", "word_actuator": "actuator",
        "word_actuators": "actuators", "word_sensor": "sensor", "word_sensors": "sensors",
        "unlabelled": "unlabelled", "no_area": "no area",
        "which_device": "Which device do you mean?",
        "which_actuator": "Which actuator do you mean?",
        "which_sensor": "Which sensor do you mean?",
        "not_declared": "There is no {device} here: it is not a declared {role} on this "
                        "gateway.",
        "is_sensor": "{device} is a sensor, not a declared actuator on this gateway; it cannot "
                     "be switched or set.",
        "is_actuator": "{device} is an actuator, not a sensor.",
        "wrong_kind": "{device} is a {kind}, not a {wanted}.",
        "wrong_area": "{device} is in {area}, not in {wanted}.",
        "no_such": "There is no {what} here.",
        "no_meter": "Nothing here measures the {what} of {device}.",
        "unread_time": "I cannot read '{when}' as a time window; ask about, for example, the "
                       "last 2 hours or since yesterday.",
        "no_controller": "No actuator here sets the {what}.",
        "kind_in_area": "{kind} in {area}",
        "which_one": "Which one do you mean? {count} match {what}: {names}. Name one, or say "
                     "'all'.",
        "two_areas": "This names more than one area ({mention} too); ask about one area at a "
                     "time.",
        "areas": "Areas: {names}.",
        "none_of_role": "This gateway has no {roles} yet.",
        "summary_kinds": "{Roles} here: {total} ({parts}); name one by its id, or by kind and "
                         "area.",
        "title_roles": "{Roles}",
        "title_kind_actuators": "{Kind}s",
        "title_kind_role": "{Kind} {roles}",
        "title_kind_devices": "{Kind} devices",
        "listing": "{title}: {names}.",
        "and_more_listed": "{shown} and {more} more (ask to list them by kind or area)",
        "more_readings": "; and {more} more (name a device or an area to narrow it)",
        "group_refused": "Refused: this names {count} actuators ({ids}) and group actions are "
                         "off on this gateway ([policy] group_actions). Nothing was sent; send "
                         "one command per device.",
        "refused_because": "Refused: {question}",
        "already_done_value": "Already done: {device} was set to {value} for this request; not "
                              "sent again.",
        "already_done": "Already done: {device} was set for this request.",
        "in_area": " in {area}",
        "areas_include": "; areas include {areas}",
        "summary": "{total} devices{where}: {parts}{in_areas}. That is too many to list here; "
                   "narrow it by kind and area, e.g. 'list the pumps on line 3'.",
        "and_n_more": "; and {more} more",
        "wrong_unit": "{device} is set in {unit}, not in {said}; say the value in {unit}. Nothing "
                      "was sent.",
        "switch_on": "on", "switch_off": "off", "switch_open": "open", "switch_close": "closed",
        "offline_sensors": "{count} of {total} sensors are offline: {items}.",
        "online_sensors": "{count} of {total} sensors are reporting: {items}.",
        "none_offline": "All {total} sensors are reporting.",
        "none_online": "None of the {total} sensors is reporting.",
        "actuators_unknown": " Actuators do not report here, so whether they are online is not "
                             "known.",
        "trend_rose": "{device} rose over the last {window}, from {first} to {last} {unit}",
        "trend_fell": "{device} fell over the last {window}, from {first} to {last} {unit}",
        "trend_steady": "{device} held steady over the last {window}, from {first} to {last} "
                        "{unit}",
        "lowest": "{device} lowest over the last {window}: {value} {unit}",
        "highest": "{device} highest over the last {window}: {value} {unit}",
        "age_days": "{n} days",
    },
    "de": {
        "word_device": "Gerät", "word_devices": "Geräte", "word_actuator": "Aktor",
        "word_actuators": "Aktoren", "word_sensor": "Sensor", "word_sensors": "Sensoren",
        "unlabelled": "ohne Typ", "no_area": "keinem Bereich",
        "which_device": "Welches Gerät meinen Sie?",
        "which_actuator": "Welchen Aktor meinen Sie?",
        "which_sensor": "Welchen Sensor meinen Sie?",
        "not_declared": "{device} gibt es hier nicht: es ist kein deklarierter {role} dieses "
                        "Gateways.",
        "is_sensor": "{device} ist ein Sensor, kein deklarierter Aktor dieses Gateways; er kann "
                     "nicht geschaltet oder gestellt werden.",
        "is_actuator": "{device} ist ein Aktor, kein Sensor.",
        "wrong_kind": "{device} ist vom Typ {kind}, nicht {wanted}.",
        "wrong_area": "{device} ist in {area}, nicht in {wanted}.",
        "no_such": "„{what}“ gibt es hier nicht.",
        "no_meter": "Hier misst nichts „{what}“ von {device}.",
        "unread_time": "„{when}“ kann ich nicht als Zeitraum lesen; fragen Sie zum Beispiel "
                       "nach den letzten 2 Stunden oder seit gestern.",
        "no_controller": "Kein Aktor hier stellt „{what}“ ein.",
        "kind_in_area": "{kind} in {area}",
        "which_one": "Welches meinen Sie? {count} passen zu {what}: {names}. Nennen Sie eines, "
                     "oder sagen Sie 'alle'.",
        "two_areas": "Das nennt mehr als einen Bereich (auch {mention}); fragen Sie nach einem "
                     "Bereich auf einmal.",
        "areas": "Bereiche: {names}.",
        "none_of_role": "Dieses Gateway hat noch keine {roles}.",
        "summary_kinds": "{Roles} hier: {total} ({parts}); nennen Sie eines mit seiner ID oder "
                         "mit Typ und Bereich.",
        "title_roles": "{Roles}",
        "title_kind_actuators": "Aktoren vom Typ {kind}",
        "title_kind_role": "{Roles} vom Typ {kind}",
        "title_kind_devices": "Geräte vom Typ {kind}",
        "listing": "{title}: {names}.",
        "and_more_listed": "{shown} und {more} weitere (lassen Sie sie nach Typ oder Bereich "
                           "auflisten)",
        "more_readings": "; und {more} weitere (nennen Sie ein Gerät oder einen Bereich)",
        "group_refused": "Abgelehnt: das nennt {count} Aktoren ({ids}), und Gruppenaktionen "
                         "sind auf diesem Gateway aus ([policy] group_actions). Nichts wurde "
                         "gesendet; senden Sie einen Befehl pro Gerät.",
        "refused_because": "Abgelehnt: {question}",
        "already_done_value": "Schon erledigt: {device} wurde für diese Anfrage auf {value} "
                              "gestellt; nicht erneut gesendet.",
        "already_done": "Schon erledigt: {device} wurde für diese Anfrage gestellt.",
        "in_area": " in {area}",
        "areas_include": "; Bereiche u. a. {areas}",
        "summary": "{total} Geräte{where}: {parts}{in_areas}. Zu viele, um sie hier "
                   "aufzulisten; grenzen Sie nach Typ und Bereich ein, z. B. 'liste die Pumpen "
                   "in Linie 3'.",
        "and_n_more": "; und {more} weitere",
        "wrong_unit": "{device} wird in {unit} gestellt, nicht in {said}; nennen Sie den Wert in "
                      "{unit}. Nichts wurde gesendet.",
        "switch_on": "an", "switch_off": "aus", "switch_open": "offen", "switch_close": "zu",
        "offline_sensors": "{count} von {total} Sensoren sind offline: {items}.",
        "online_sensors": "{count} von {total} Sensoren melden Werte: {items}.",
        "none_offline": "Alle {total} Sensoren melden Werte.",
        "none_online": "Keiner der {total} Sensoren meldet Werte.",
        "actuators_unknown": " Aktoren melden hier nichts; ob sie online sind, ist nicht "
                             "bekannt.",
        "trend_rose": "{device} stieg in den letzten {window} von {first} auf {last} {unit}",
        "trend_fell": "{device} fiel in den letzten {window} von {first} auf {last} {unit}",
        "trend_steady": "{device} blieb in den letzten {window} gleich, von {first} auf {last} "
                        "{unit}",
        "lowest": "{device} Tiefstwert in den letzten {window}: {value} {unit}",
        "highest": "{device} Höchstwert in den letzten {window}: {value} {unit}",
        "age_days": "{n} Tage",
    },
    "fr": {
        "word_device": "appareil", "word_devices": "appareils", "word_actuator": "actionneur",
        "word_actuators": "actionneurs", "word_sensor": "capteur", "word_sensors": "capteurs",
        "unlabelled": "sans type", "no_area": "aucune zone",
        "which_device": "De quel appareil parlez-vous ?",
        "which_actuator": "De quel actionneur parlez-vous ?",
        "which_sensor": "De quel capteur parlez-vous ?",
        "not_declared": "Il n'y a pas de {device} ici : ce n'est pas un {role} déclaré sur "
                        "cette passerelle.",
        "is_sensor": "{device} est un capteur, pas un actionneur déclaré sur cette passerelle ; "
                     "il ne peut être ni commuté ni réglé.",
        "is_actuator": "{device} est un actionneur, pas un capteur.",
        "wrong_kind": "{device} est de type {kind}, pas {wanted}.",
        "wrong_area": "{device} est dans {area}, pas dans {wanted}.",
        "no_such": "Il n'y a pas de {what} ici.",
        "no_meter": "Rien ici ne mesure « {what} » pour {device}.",
        "unread_time": "Je ne sais pas lire « {when} » comme une période ; demandez par "
                       "exemple les 2 dernières heures ou depuis hier.",
        "no_controller": "Aucun actionneur ici ne règle « {what} ».",
        "kind_in_area": "{kind} dans {area}",
        "which_one": "Lequel voulez-vous dire ? {count} correspondent à {what} : {names}. "
                     "Nommez-en un, ou dites 'tous'.",
        "two_areas": "Cela nomme plus d'une zone ({mention} aussi) ; demandez une zone à la "
                     "fois.",
        "areas": "Zones : {names}.",
        "none_of_role": "Cette passerelle n'a pas encore de {roles}.",
        "summary_kinds": "{Roles} ici : {total} ({parts}) ; nommez-en un par son id, ou par "
                         "type et zone.",
        "title_roles": "{Roles}",
        "title_kind_actuators": "Actionneurs de type {kind}",
        "title_kind_role": "{Roles} de type {kind}",
        "title_kind_devices": "Appareils de type {kind}",
        "listing": "{title} : {names}.",
        "and_more_listed": "{shown} et {more} autres (demandez-les par type ou par zone)",
        "more_readings": " ; et {more} autres (nommez un appareil ou une zone pour préciser)",
        "group_refused": "Refusé : cela nomme {count} actionneurs ({ids}) et les actions de "
                         "groupe sont désactivées sur cette passerelle ([policy] "
                         "group_actions). Rien n'a été envoyé ; envoyez une commande par "
                         "appareil.",
        "refused_because": "Refusé : {question}",
        "already_done_value": "Déjà fait : {device} a été réglé sur {value} pour cette "
                              "demande ; pas de nouvel envoi.",
        "already_done": "Déjà fait : {device} a été réglé pour cette demande.",
        "in_area": " dans {area}",
        "areas_include": " ; zones dont {areas}",
        "summary": "{total} appareils{where} : {parts}{in_areas}. C'est trop pour les lister "
                   "ici ; précisez par type et zone, p. ex. 'liste les pompes de la ligne 3'.",
        "and_n_more": " ; et {more} autres",
        "wrong_unit": "{device} se règle en {unit}, pas en {said} ; donnez la valeur en {unit}. "
                      "Rien n'a été envoyé.",
        "switch_on": "en marche", "switch_off": "à l'arrêt",
        "switch_open": "ouvert", "switch_close": "fermé",
        "offline_sensors": "{count} capteurs sur {total} sont hors ligne : {items}.",
        "online_sensors": "{count} capteurs sur {total} envoient des mesures : {items}.",
        "none_offline": "Les {total} capteurs envoient tous des mesures.",
        "none_online": "Aucun des {total} capteurs n'envoie de mesures.",
        "actuators_unknown": " Les actionneurs n'envoient rien ici : on ne sait pas s'ils sont "
                             "en ligne.",
        "trend_rose": "{device} a monté sur les dernières {window}, de {first} à {last} {unit}",
        "trend_fell": "{device} a baissé sur les dernières {window}, de {first} à {last} "
                      "{unit}",
        "trend_steady": "{device} est resté stable sur les dernières {window}, de {first} à "
                        "{last} {unit}",
        "lowest": "{device} minimum sur les dernières {window} : {value} {unit}",
        "highest": "{device} maximum sur les dernières {window} : {value} {unit}",
        "age_days": "{n} jours",
    },
    "es": {
        "word_device": "dispositivo", "word_devices": "dispositivos",
        "word_actuator": "actuador", "word_actuators": "actuadores", "word_sensor": "sensor",
        "word_sensors": "sensores", "unlabelled": "sin tipo", "no_area": "ninguna zona",
        "which_device": "¿A qué dispositivo se refiere?",
        "which_actuator": "¿A qué actuador se refiere?",
        "which_sensor": "¿A qué sensor se refiere?",
        "not_declared": "Aquí no hay {device}: no es un {role} declarado en esta pasarela.",
        "is_sensor": "{device} es un sensor, no un actuador declarado en esta pasarela; no se "
                     "puede conmutar ni ajustar.",
        "is_actuator": "{device} es un actuador, no un sensor.",
        "wrong_kind": "{device} es de tipo {kind}, no {wanted}.",
        "wrong_area": "{device} está en {area}, no en {wanted}.",
        "no_such": "Aquí no hay {what}.",
        "no_meter": "Aquí nada mide «{what}» de {device}.",
        "unread_time": "No puedo leer «{when}» como un periodo; pregunte, por ejemplo, por "
                       "las últimas 2 horas o desde ayer.",
        "no_controller": "Ningún actuador de aquí ajusta «{what}».",
        "kind_in_area": "{kind} en {area}",
        "which_one": "¿Cuál quiere decir? {count} coinciden con {what}: {names}. Nombre uno, o "
                     "diga 'todos'.",
        "two_areas": "Esto nombra más de una zona (también {mention}); pregunte por una zona "
                     "cada vez.",
        "areas": "Zonas: {names}.",
        "none_of_role": "Esta pasarela todavía no tiene {roles}.",
        "summary_kinds": "{Roles} aquí: {total} ({parts}); nombre uno por su id, o por tipo y "
                         "zona.",
        "title_roles": "{Roles}",
        "title_kind_actuators": "Actuadores de tipo {kind}",
        "title_kind_role": "{Roles} de tipo {kind}",
        "title_kind_devices": "Dispositivos de tipo {kind}",
        "listing": "{title}: {names}.",
        "and_more_listed": "{shown} y {more} más (pida la lista por tipo o zona)",
        "more_readings": "; y {more} más (nombre un dispositivo o una zona para acotar)",
        "group_refused": "Rechazado: esto nombra {count} actuadores ({ids}) y las acciones de "
                         "grupo están desactivadas en esta pasarela ([policy] group_actions). "
                         "No se envió nada; envíe una orden por dispositivo.",
        "refused_because": "Rechazado: {question}",
        "already_done_value": "Ya hecho: {device} se puso a {value} para esta petición; no se "
                              "envía de nuevo.",
        "already_done": "Ya hecho: {device} se ajustó para esta petición.",
        "in_area": " en {area}",
        "areas_include": "; zonas como {areas}",
        "summary": "{total} dispositivos{where}: {parts}{in_areas}. Son demasiados para "
                   "listarlos aquí; acote por tipo y zona, p. ej. 'lista las bombas de la línea "
                   "3'.",
        "and_n_more": "; y {more} más",
        "wrong_unit": "{device} se ajusta en {unit}, no en {said}; diga el valor en {unit}. No se "
                      "envió nada.",
        "switch_on": "encendido", "switch_off": "apagado",
        "switch_open": "abierto", "switch_close": "cerrado",
        "offline_sensors": "{count} de {total} sensores están desconectados: {items}.",
        "online_sensors": "{count} de {total} sensores envían datos: {items}.",
        "none_offline": "Los {total} sensores envían datos.",
        "none_online": "Ninguno de los {total} sensores envía datos.",
        "actuators_unknown": " Los actuadores no informan aquí, así que no se sabe si están "
                             "conectados.",
        "trend_rose": "{device} subió en las últimas {window}, de {first} a {last} {unit}",
        "trend_fell": "{device} bajó en las últimas {window}, de {first} a {last} {unit}",
        "trend_steady": "{device} se mantuvo estable en las últimas {window}, de {first} a "
                        "{last} {unit}",
        "lowest": "{device} mínimo en las últimas {window}: {value} {unit}",
        "highest": "{device} máximo en las últimas {window}: {value} {unit}",
        "age_days": "{n} días",
    },
    "nl": {
        "word_device": "apparaat", "word_devices": "apparaten", "word_actuator": "actuator",
        "word_actuators": "actuatoren", "word_sensor": "sensor", "word_sensors": "sensoren",
        "unlabelled": "zonder type", "no_area": "geen zone",
        "which_device": "Welk apparaat bedoelt u?",
        "which_actuator": "Welke actuator bedoelt u?",
        "which_sensor": "Welke sensor bedoelt u?",
        "not_declared": "{device} is er hier niet: het is geen gedeclareerde {role} op deze "
                        "gateway.",
        "is_sensor": "{device} is een sensor, geen gedeclareerde actuator op deze gateway; hij "
                     "kan niet geschakeld of ingesteld worden.",
        "is_actuator": "{device} is een actuator, geen sensor.",
        "wrong_kind": "{device} is van het type {kind}, niet {wanted}.",
        "wrong_area": "{device} staat in {area}, niet in {wanted}.",
        "no_such": "‘{what}’ is er hier niet.",
        "no_meter": "Niets hier meet ‘{what}’ van {device}.",
        "unread_time": "‘{when}’ kan ik niet als periode lezen; vraag bijvoorbeeld naar de "
                       "afgelopen 2 uur of sinds gisteren.",
        "no_controller": "Geen actuator hier regelt ‘{what}’.",
        "kind_in_area": "{kind} in {area}",
        "which_one": "Welke bedoelt u? {count} passen bij {what}: {names}. Noem er een, of zeg "
                     "'alle'.",
        "two_areas": "Dit noemt meer dan één zone (ook {mention}); vraag naar één zone "
                     "tegelijk.",
        "areas": "Zones: {names}.",
        "none_of_role": "Deze gateway heeft nog geen {roles}.",
        "summary_kinds": "{Roles} hier: {total} ({parts}); noem er een met zijn id, of met "
                         "type en zone.",
        "title_roles": "{Roles}",
        "title_kind_actuators": "Actuatoren van het type {kind}",
        "title_kind_role": "{Roles} van het type {kind}",
        "title_kind_devices": "Apparaten van het type {kind}",
        "listing": "{title}: {names}.",
        "and_more_listed": "{shown} en nog {more} (vraag ze per type of zone op)",
        "more_readings": "; en nog {more} (noem een apparaat of een zone om te verfijnen)",
        "group_refused": "Geweigerd: dit noemt {count} actuatoren ({ids}) en groepsacties "
                         "staan uit op deze gateway ([policy] group_actions). Er is niets "
                         "verzonden; stuur één opdracht per apparaat.",
        "refused_because": "Geweigerd: {question}",
        "already_done_value": "Al gedaan: {device} is voor dit verzoek op {value} gezet; niet "
                              "opnieuw verzonden.",
        "already_done": "Al gedaan: {device} is voor dit verzoek ingesteld.",
        "in_area": " in {area}",
        "areas_include": "; zones zoals {areas}",
        "summary": "{total} apparaten{where}: {parts}{in_areas}. Te veel om hier op te "
                   "sommen; verfijn op type en zone, bijv. 'toon de pompen op lijn 3'.",
        "and_n_more": "; en nog {more}",
        "wrong_unit": "{device} wordt in {unit} ingesteld, niet in {said}; noem de waarde in "
                      "{unit}. Er is niets verstuurd.",
        "switch_on": "aan", "switch_off": "uit", "switch_open": "open", "switch_close": "dicht",
        "offline_sensors": "{count} van {total} sensoren zijn offline: {items}.",
        "online_sensors": "{count} van {total} sensoren melden waarden: {items}.",
        "none_offline": "Alle {total} sensoren melden waarden.",
        "none_online": "Geen van de {total} sensoren meldt waarden.",
        "actuators_unknown": " Actuatoren melden hier niets, dus of ze online zijn is niet "
                             "bekend.",
        "trend_rose": "{device} steeg in de laatste {window}, van {first} naar {last} {unit}",
        "trend_fell": "{device} daalde in de laatste {window}, van {first} naar {last} {unit}",
        "trend_steady": "{device} bleef gelijk in de laatste {window}, van {first} naar {last} "
                        "{unit}",
        "lowest": "{device} laagste in de laatste {window}: {value} {unit}",
        "highest": "{device} hoogste in de laatste {window}: {value} {unit}",
        "age_days": "{n} dagen",
    },
}
