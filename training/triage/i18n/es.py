"""Spanish IoT templates and vocabulary, translated by hand (same syntax as ``templates``)."""

from training.triage.i18n import tenth_es

# The vocabularies grow by generation (appended at the end of this module): open tuples.
ACT: tuple[str, ...]
SENSOR: tuple[str, ...]
AREAS: tuple[str, ...]
WINDOWS: tuple[str, ...]
VALUES: tuple[str, ...]
ACT = ("bomba", "válvula", "ventilador", "calefacción", "enfriadora", "compresor",
       "cinta transportadora", "motor", "luz", "lámpara", "compuerta", "soplador", "aspersor",
       "caldera", "agitador", "persiana", "extractor", "humidificador", "deshumidificador",
       "bomba dosificadora", "quemador", "válvula de riego", "ventana del techo", "portón",
       "bomba de calor", "secadora", "aireador", "sirena")
SENSOR = ("sensor de temperatura", "termómetro", "sonda", "sensor de humedad",
          "sensor de presión", "caudalímetro", "sensor de nivel", "tanque", "silo",
          "sonda de suelo", "sensor de CO2", "contador eléctrico", "medidor de energía",
          "sensor de vibración", "estación meteorológica", "pluviómetro", "sonda de pH",
          "contador de agua", "depósito", "detector de gas")
AREAS = ("zona {n}", "línea {n}", "nave {L}", "invernadero {n}", "establo {n}", "sala {n}",
         "planta {n}", "edificio {L}", "campo {n}", "cámara frigorífica {n}", "almacén {n}",
         "laboratorio {n}", "línea de producción {n}", "bahía {n}", "el sótano",
         "la sala de servidores", "la sala de calderas", "el taller", "la oficina", "ala {L}",
         "bloque {L}", "gallinero {n}")
KINDS = ("temperatura", "humedad", "presión", "nivel", "caudal", "CO2", "potencia",
         "consumo de energía", "tensión", "humedad del suelo", "pH", "vibración", "velocidad",
         "luminosidad", "oxígeno")
VALUES = ("{n} grados", "{n} %", "{n} por ciento", "{n} bar", "{n} °C", "{n}", "{n} rpm")
WINDOWS = ("en las últimas {n} horas", "desde ayer", "hoy", "en la última hora",
           "en los últimos {n} minutos", "esta semana", "desde esta mañana",
           "en los últimos {n} días", "anoche", "durante las últimas {n} horas", "ayer",
           "el mes pasado",
           "la semana pasada", "anteayer", "desde el lunes")
TOPICS = ("tomates", "gallinas", "una sala de servidores", "el vino", "el hormigón",
          "los plantones", "el queso")
CHAT = ("hola", "buenos días", "gracias", "qué tal", "quién eres", "cuéntame un chiste",
        "adiós", "vale", "espera", "que tengas un buen día", "hmm", "ok gracias",
        "qué sabes hacer", "eres un robot", "buenas noches", "genial gracias")

TEMPLATES = {
    "query_state": (
        "(cuál es|qué|dime|dame) la {kind} (en|de) {area} [ahora|actualmente|ahora mismo]",
        "(muestra|muéstrame|dime) la {kind} (en|de) {area} [por favor]",
        "(está|sigue) {act} (funcionando|encendido|encendida|en marcha) [ahora]",
        "(está|esta) {act} (encendida|encendido|apagada|apagado|abierta|abierto|cerrada|cerrado)",
        "qué (mide|marca|indica) {sensor} [ahora|en este momento]",
        "{kind} actual (en|de) {area}", "{kind} {area} [por favor|ahora]",
        "(estado|valor|lectura) (de|del) {dev}", "qué tan lleno está {sensor}",
        "qué temperatura hace en {area} [ahora mismo]", "en qué valor está {act}",
        "cuál es el estado de {act}", "(puedes|podrías) decirme la {kind} (en|de) {area}",
        "¿{act} está (encendida|apagada|abierta|cerrada)?", "qué dice {sensor}",
        "{dev} estado [por favor]", "cuánto marca {sensor}", "¿sigue en marcha {act}?",
    ),
    "query_history": (
        "{kind} (media|máxima|mínima|promedio) (en|de) {area} {window}",
        "cómo ha (evolucionado|cambiado) la {kind} (en|de) {area} {window}",
        "(muestra|muéstrame) (el historial|la tendencia|la curva) de {sensor} {window}",
        "historial de {kind} (en|de) {area} {window}", "promedio de {kind} {area} {window}",
        "(pico|máximo|mínimo) de {sensor} {window}", "cuánto tiempo funcionó {act} {window}",
        "cuántas veces arrancó {act} {window}",
        "(dame|muestra) las (lecturas|mediciones|valores) de {dev} {window}",
        "cuál fue la {kind} {window} en {area}", "consumo total de {act} {window}",
    ),
    "set_actuator": (
        "(enciende|apaga|arranca|detén|para) [la|el] {act} [por favor|ya|ahora]",
        "(abre|cierra) [la|el] {act} [por favor]",
        "(pon|ajusta|configura|fija) [la|el] {act} (a|en) {value} [por favor]",
        "(sube|baja) la {kind} (en|de) {area} a {value}",
        "(puedes|podrías) (encender|apagar|abrir|cerrar|arrancar|parar) [la|el] {act}",
        "{act} (on|off|abierta|cerrada) [por favor]", "{act} a {value}",
        "pon la calefacción (en|de) {area} a {value}",
        "(enciende|apaga) la luz (en|de) {area}", "quiero que (enciendas|apagues) {act}",
        "pon en marcha [la|el] {act}", "corta [la|el] {act}", "activa [la|el] {act}",
        "desactiva [la|el] {act}",
    ),
    "list_devices": (
        "qué (dispositivos|sensores|actuadores|bombas|válvulas) (hay|están (conectados|"
        "instalados|desconectados|en línea)) [en] [{area}]",
        "(lista|muestra|muéstrame) (todos los|los) (dispositivos|sensores|actuadores|equipos)"
        " [de|en] [{area}]",
        "lista de (dispositivos|sensores|equipos) [por favor]",
        "qué dispositivos están (desconectados|fuera de línea|en línea|caídos)",
        "cuántos (dispositivos|sensores|bombas) (hay|están conectados) [en] [{area}]",
        "qué hay (conectado|instalado) [en] [{area}]", "qué sensores de {kind} hay en {area}",
        "inventario de dispositivos",
    ),
    "list_alerts": (
        "(hay|tienes) (alarmas|alertas|fallos|averías) [activas|pendientes]",
        "(muestra|muéstrame|lista) [todas] las (alarmas|alertas) [activas|pendientes]",
        "qué (alarmas|alertas) (están activas|hay) [ahora]",
        "(alarmas|alertas) (activas|pendientes) [por favor]", "alguna alarma",
        "qué está en (alarma|fallo) [ahora mismo]", "lista de alarmas",
        "hay problemas [en] [{area}]", "(alarmas|alertas) (en|de) {area}",
    ),
    "escalate": (
        "por qué hace más (calor|frío) en {area} que (ayer|de costumbre|la semana pasada)",
        "por qué (se paró|falló|se apagó) {act} [hoy]",
        "por qué (sube|baja|oscila) la {kind} (en|de) {area} [constantemente]",
        "(debo|debería) (encender|apagar|abrir|cerrar) {act} antes de"
        " (la tormenta|la helada|el fin de semana)",
        "qué hago si {act} (vibra|gotea|se sobrecalienta|hace ruido)",
        "cómo puedo reducir el consumo de energía en {area}",
        "cómo funciona (una|un) {act}",
        "(planifica|prepara) (la parada|el arranque|el mantenimiento) de {area}",
        "compara {area} con {area} y dime cuál necesita atención",
        "es (normal|peligrosa|demasiado alta) la {kind} (en|de) {area}",
        "cuándo estará {sensor} (vacío|lleno)", "qué pasa si (apago|abro) {act}",
        "(enciende|apaga) {act} si la {kind} supera {value}",
        "cuando {sensor} llegue a {value}, (enciende|apaga) {act}",
        "(enciende|apaga) {act} a las (6|8|10) de la (mañana|noche)",
        "(enciende|apaga) {act} y luego (abre|cierra) {act}",
        "dentro de {n} minutos (enciende|apaga) {act}",
        "cuál es la {kind} ideal para {topic}",
        "explícame qué significa una {kind} de {value}",
        "(escribe|redacta) un informe sobre el consumo (en|de) {area}",
        "necesita mantenimiento {act}", "es seguro (apagar|abrir) {act} ahora",
        "qué altura tiene la torre Eiffel", "cuál es la capital de Francia",
        "qué tiempo hará mañana", "escribe un poema sobre {topic}", "traduce esto al inglés",
        "cuánto cuesta tener {act} en marcha un mes",
        "cuál puede ser la causa de la caída de presión en {area}",
        "cómo calibro {sensor}", "recomiéndame un ajuste para {act}", "{chat}", "{chat}",
    ),
}

# Added for triage-2.1: other word orders (name first), frames, units, and hard negatives
# (requests that name a device but ask why, how or what to do). Appended, so the fold of every
# earlier template (index % 7) stays as it was.
MORE = {
    "query_state": (
        "{dev}: (cómo está|qué tal va|qué marca) [ahora]",
        "{area}, (cuántos grados hay|qué humedad hay|cómo está la cosa) [ahora mismo]",
        "(sabes|puedes mirar) si [la|el] {act} (está funcionando|está encendido|está abierta)",
        "(dame|dime) (la|el) {kind} (de la|del) {sensor}",
        "(valor|lectura|medida) (de la|del) {sensor} [ahora|por favor]",
        "cuánto (marca|indica) [la|el] {sensor} [en este momento]",
        "en qué estado está [la|el] {act} [ahora]",
    ),
    "query_history": (
        "{kind} (en|de) {area} {window}, (media|máximo|mínimo) [por favor]",
        "(dame|muéstrame) (la media|el máximo|el mínimo|la curva) (de la|del) {sensor} {window}",
        "cuánto tiempo (estuvo|ha estado) [la|el] {act} (encendido|funcionando|abierta) {window}",
        "cuál fue el valor (más alto|más bajo) (de la|del) {sensor} {window}",
        "cómo ha (evolucionado|variado) (la|el) {kind} (en|de) {area} {window}",
        "{sensor} {window}: (histórico|tendencia|evolución) [por favor]",
    ),
    "set_actuator": (
        "{act}: (enciéndelo|apágalo|ábrela|ciérrala|arráncalo|páralo) [por favor]",
        "(puedes|podrías) (encender|apagar|abrir|cerrar|arrancar|parar) [la|el] {act}",
        "(sube|baja) [la|el] {act} [a {value}]",
        "(pon|deja) [la|el] {act} en (marcha|funcionamiento|parada)",
        "(para|apaga) [la|el] {act} (ya mismo|inmediatamente|ahora)",
        "ajusta la consigna (de la|del) {act} (a|en) {value}",
        "(abre|cierra) [la|el] {act} [gracias]",
    ),
    "list_devices": (
        "qué equipos tienes (en|de) {area}",
        "qué (equipos|sensores|contadores) no (responden|envían datos) [ya]",
        "(lista|enumera) (todos los|todas las) (actuadores|válvulas|sensores|bombas)",
        "qué (dispositivos|sensores) conoces",
    ),
    "list_alerts": (
        "qué (alarmas|alertas) (hay activas|están activas) [ahora]",
        "(hay|tienes) (alertas|fallos|avisos) (en|de) {area}",
        "(muéstrame|enséñame|lista) (las|todas las) (alarmas|alertas|averías)"
        " (activas|abiertas|pendientes)",
        "hay alguna alarma (activa|saltada) en algún sitio",
    ),
    "escalate": (
        "cuál puede ser la causa de que [la|el] {act} (haga tanto ruido|se"
        " caliente tanto|vaya tan lento)",
        "(debo|tengo que) (cambiar|reparar|rellenar) [la|el] {act}",
        "cuánto aguantará [la|el] {act} antes de (fallar|necesitar mantenimiento)",
        "merece la pena (sustituir|apagar por la noche) [la|el] {act}",
        "explícame la diferencia entre [la|el] {act} y [la|el] {act}",
        "predice cuándo [la|el] {sensor} (estará vacío|estará lleno|será crítico)",
        "por qué [la|el] {sensor} (da valores|marca lecturas) (tan altos|tan bajos|raros)",
        "cada cuánto hay que revisar [la|el] {act}",
        "puedes explicarme cómo funciona [la|el] {act}",
        "qué ajuste (recomiendas|aconsejas) para [la|el] {act} en (invierno|verano)",
        "ayúdame a encontrar la avería (de la|del) {act}",
        "qué quiere decir que [la|el] {act} (parpadee|pite|esté en rojo)",
    ),
}
# A "how long did it run" phrasing in a training fold (index % 7 < 5); the first one
# fell in the held-out fold.
MORE["query_history"] += (
    "cuántas horas (estuvo|ha estado) [la|el] {act} (en"
    " marcha|funcionando) {window}",
)
MORE["escalate"] += ("(resume|analiza) (las|todas las) (alarmas|alertas|averías) [de ayer|de hoy]",)
# Commands to a group ("alle Pumpen") and to several named devices ("{act} und {act2}"),
# alternating so that every fold gets both; appended, so earlier templates keep their folds.
MORE["set_actuator"] += (
    "(apaga|enciende|para|arranca) todas las (bombas|válvulas|luces|lámparas) [en {area}]",
    "(apaga|enciende|para|arranca) [la|el] {act} y [la|el] {act2}",
    "(apaga|enciende|para|arranca) todos los (ventiladores|motores|calefactores|compresores)"
    " [en {area}]",
    "(abre|cierra) [la|el] {act} y [la|el] {act2}",
    "(abre|cierra) todas las (válvulas|ventanas|compuertas) [en {area}]",
    "(puedes|podrías) (apagar|encender|parar) {act} y {act2}",
    "(puedes|podrías) (apagar|encender) (todas las bombas|todos los ventiladores"
    "|todas las luces) [en {area}]",
    "{act} y {act2} (on|off|encendidas|apagadas) [por favor]",
    "(apaga|para) (todas las bombas|todos los motores) (ya|ahora|por favor)",
    "(pon|ajusta) {act} y {act2} (a|en) {value}",
    "pon (todas las bombas|todos los ventiladores) en (marcha|off)",
    "(apaga|para) {act} y {act2} (ya|ahora|por favor)",
    "(apaga|enciende) (ambas bombas|ambos ventiladores|todas las luces)",
    "(apaga|enciende) {act}, {act2} y {act2}",
)
# Sixth generation (triage-2.4), appended: one command to two existing devices in more forms,
# terse and polite commands, "estado de X", "ahora mismo" questions, offline devices, and hard
# negatives that ask how something works or what it should be ("¿cómo funciona X?").
MORE["query_state"] += (
    "estado de [la|el] {dev} [por favor]", "qué temperatura hace en {area} (ahora mismo|ahora"
    "|en este momento)", "¿está [la|el] {act} (encendida|abierta|en marcha|apagada) [ahora]?",
    "cuál es la {kind} (en|de) {area}", "(podrías|puedes) decirme la {kind} (en|de) {area}"
    " [por favor]", "cuál es el estado de [la|el] {act} [ahora mismo]", "{dev} estado?",
    "{kind} (de|del) {dev} [por favor]", "cuánta {kind} hay en {area} (ahora mismo|ahora"
    "|actualmente)", "qué (marca|mide|indica) [la|el] {sensor} (ahora|en este momento)",
    "¿[la|el] {act} está (encendida|abierta) o (apagada|cerrada)?",
    "sabes si [la|el] {act} (funciona|está encendida|está abierta)", "cómo va [la|el] {dev}",
    "hace (calor|frío) en {area}?",
)
MORE["set_actuator"] += (
    "apaga [la|el] {act} y [la|el] {act2}", "{act} off", "enciende {act} y {act2} [por favor]",
    "{act} on [por favor]", "cierra [la|el] {act} y [la|el] {act2} [por favor]",
    "por favor apaga [la|el] {act}", "(puedes|podrías) apagar {act} y {act2} por favor",
    "{act} y {act2} off [porfa]",
    "(abre|cierra|arranca|para) [la|el] {act} [por favor]", "abre {act} y {act2} [ya]",
    "(apaga|enciende) {act} ahora mismo", "(apaga|corta) {act} así como {act2}",
    "(puedes|podrías) (cerrar|abrir) [la|el] {act} por favor",
)
MORE["list_devices"] += (

    "(muéstrame|lista) los (dispositivos|sensores) (desconectados|sin conexión)",
    "hay (dispositivos|sensores) (desconectados|sin conexión|fuera de línea)",
)
# "How does X work" read as a state question cost Spanish escalation recall in 2.3 (95.1% on
# the model card): many shapes of it, and of "how do I", "what is it for", "what should it be".
MORE["escalate"] += (
    "[la|el] {act} (marca|indica|da) (fallo|error|alarma) {n}, (y ahora qué|qué hago)",
    "[la|el] {act} (muestra|da) el código (E|F){n}, qué debo hacer",
    "cómo funciona [la|el] {act}", "cómo (calibro|limpio|configuro|mantengo) [la|el] {dev}",
    "para qué sirve [la|el] {dev}", "cómo mide [la|el] {sensor} la {kind}",
    "explícame cómo funciona [la|el] {act}", "qué (hace|controla|regula) [la|el] {act}",
    "qué temperatura (debería haber|hace falta) en {area}",
    "cómo sé si [la|el] {act} está (averiada|atascada|gastada)",
    "cuál debería ser la {kind} (en|de) {area}", "cómo se usa [la|el] {act} (correctamente|con"
    " seguridad)", "cómo funciona (una|un) {act}", "por qué está [la|el] {act} (encendida|apagada"
    "|abierta)", "qué pasa si apago [la|el] {act}",
    "cómo se (controla|conecta|instala) [la|el] {act}",
    "cómo funciona exactamente [la|el] {act}", "cómo se calibra [la|el] {sensor}",
    "me explicas cómo funciona [la|el] {sensor}", "cómo trabaja [la|el] {act}",
    "cómo funcionan (las bombas|los ventiladores|las válvulas) como {act}",
    "de qué manera funciona [la|el] {act}", "cómo se pone en marcha [la|el] {act} con seguridad",
)
# Seventh generation (triage-2.5), appended: the kinds of phrasing 2.4 missed on the older
# hand-written sets, by category and not by sentence: "qué {kind} tiene X", the perfect
# tense in history questions, a kind and a place with a politeness word, a command as a bare
# participle ("{act} apagada ya"), a part of a named device ("el motor de la cinta 3"), counts
# of what is installed in a place, terse alert questions about a place; hard negatives in the
# same shapes.
MORE["query_state"] += (
    "qué {kind} tiene [la|el] {sensor} (ahora|ahora mismo|en este momento)",
    "(dime|sabes|me dices) qué {kind} tiene [la|el] {dev}",
    "(por favor|porfa)(,|) (la|el) {kind} (de la|del) {area}",
    "(la|el) {kind} (actual|de ahora) (de la|del) {area} [por favor|porfa|gracias]",
    "¿está (en marcha|encendido|parado|funcionando) el (motor|ventilador|quemador|compresor)"
    " (de la|del) {dev} [ahora]?",
    "(cuánta|cuánto) {kind} tiene [la|el] {sensor} (ahora|ahora mismo|en este momento)",
    "dame (la|el) {kind} (de la|del) {sensor} (por favor|porfa|gracias)",
    "qué (marca|mide|indica) [la|el] {sensor} (de la|del) {area} (ahora|ahora mismo|en este"
    " momento)",
    "¿(sigue|continúa) (funcionando|en marcha) el (motor|ventilador|quemador|compresor)"
    " (de la|del) {dev}?",
)
MORE["query_history"] += (
    "(cuántas horas|cuánto rato) ha (funcionado|estado encendido|estado en marcha) [la|el]"
    " {act} {window}",
    "qué {kind} ha (registrado|medido|tenido) [la|el] {sensor} {window}",
    "¿ha (subido|bajado) la {kind} (de la|del) {area} (de|por encima de|por debajo de)"
    " {value} {window}?",
    "cuánto ha (consumido|gastado) [la|el] {act} {window}",
)
MORE["set_actuator"] += (
    "(quiero|necesito) [la|el] {act} (apagada|apagado|encendida|encendido|abierta|cerrada)"
    " [ya|ahora]",
    "{act} (apagada|apagado|encendida|encendido|cerrada|abierta) (ya|ahora mismo|por favor)",
    "(activa|desactiva|enciende|apaga) (la calefacción|el aire acondicionado|la climatización"
    "|la extracción) (de la|del|en) {area}",
    "(para|arranca|apaga|enciende) el (motor|ventilador|quemador|compresor) (de la|del) {dev}"
    " [por favor]",
)
MORE["list_devices"] += (
    "(cuántos|cuántas) (sensores|sondas|bombas|válvulas|equipos) hay (instalados|instaladas"
    "|montados|montadas) en {area}",
    "(cuántos|cuántas) (sensores|sondas|bombas|válvulas) hay (en total|registrados"
    "|registradas)",
    "qué (sensores|equipos|bombas|válvulas) hay (instalados|montados|instaladas) (en {area}"
    "|en total|ahora)",
)
MORE["list_alerts"] += (
    "(alguna|algún) (avería|fallo|alarma|aviso) (en|de) {area} (ahora|hoy|ahora mismo)",
    "(hay|tienes) (algún|alguna) (fallo|avería|alarma) (en|de) {area} [ahora]",
    # A training-fold sibling of the first, with "hoy", which otherwise reads as history.
    "(hay|ha habido) (algún|alguna) (aviso|fallo|alarma) (en|de) {area} hoy",
)
MORE["escalate"] += (
    "qué {kind} (debería|tendría que) tener [la|el] {sensor} (normalmente|en invierno"
    "|en verano)",
    "por qué tiene [la|el] {sensor} tanta {kind}",
    "(cuántos|cuántas) (sensores|sondas) (hacen falta|necesito) (en|para) {area}",
    "el (motor|ventilador|quemador|compresor) (de la|del) {dev} (hace ruido|se calienta"
    "|vibra), ¿(por qué|qué hago)?",
    "(quiero|necesito) [la|el] {act} (apagada|encendida) (esta noche|mañana|a las {n})",
    "¿por qué ha (subido|bajado) tanto la {kind} (de la|del) {area} {window}?",
)
# Eighth generation (triage-2.6), appended, by category: requests that open with a wish
# ("quisiera saber ...", "me gustaría que ...") for reads and commands, history questions in
# the imperfect and the preterite ("qué marcaba X ayer"), site-wide questions about anything
# unusual (the alert list), more ways to ask which devices are offline or registered, and hard
# negatives in the same shapes ("cómo opera X", "por qué se paraba X ayer").
MORE["query_state"] += (
    "(quisiera|me gustaría) saber si [la|el] {act} (está encendida|está funcionando|está"
    " abierta|sigue en marcha)",
    "(quisiera|querría) (conocer|ver) el estado (de|del) {dev}",
    "me gustaría saber (cuánto|qué) (marca|indica|mide) [la|el] {sensor} [ahora]",
    "(desearía|quisiera) consultar (la|el) {kind} (de|del) {sensor}",
)
MORE["query_history"] += (
    "qué {kind} (había|hacía) en {area} {window}",
    "(cuál era|cuánto era|a cuánto estaba) (la|el) {kind} (de|del|en) {area} {window}",
    "qué (marcaba|indicaba|medía) [la|el] {sensor} {window}",
    "(estaba|seguía) [la|el] {act} (encendida|encendido|en marcha|funcionando|abierta) {window}",
    "(funcionaba|andaba) [la|el] {act} {window}",
    "cuánto tiempo estuvo [la|el] {act} (encendida|encendido|en marcha|abierta) {window}",
    "(quisiera|me gustaría) ver (el historial|la evolución|los valores) (de|del) {sensor}"
    " {window}",
    "cuántas veces (arrancó|se encendió|se paró) [la|el] {act} {window}",
)
MORE["set_actuator"] += (
    "(quisiera|me gustaría|querría) (encender|apagar|abrir|cerrar|arrancar|parar) [la|el] {act}"
    " [por favor]",
    "(quisiera|me gustaría) que (enciendas|apagues|abras|cierres|arranques|pares) [la|el] {act}",
    "(quisiera|me gustaría) (poner|ajustar) [la|el] {act} (a|al|en) {value}",
    "(quiero|quisiera) [la|el] {act} (encendida|encendido|apagada|apagado|abierta|cerrada)"
    " [ya|por favor]",
)
MORE["list_devices"] += (
    "qué (equipos|sensores|dispositivos|aparatos) (están|se han quedado) (sin conexión|fuera de"
    " línea|sin señal) [ahora]",
    "qué (dispositivos|equipos|sensores) (están registrados|están configurados|hay"
    " registrados) en (el sistema|el controlador|la red)",
    "(lista|muéstrame|enséñame) los (dispositivos|equipos|sensores) (registrados|configurados"
    "|conectados)",
    "cuántos (dispositivos|equipos|sensores) (están registrados|hay configurados|hay"
    " conectados) [en total]",
    "(quisiera|me gustaría) (ver|tener) (la lista|un listado) de (los|todos los) (equipos"
    "|sensores|dispositivos) [de {area}]",
)
MORE["list_alerts"] += (
    "(hay|pasa) algo (anormal|raro|extraño|fuera de lo normal) en (la planta|la nave|la finca"
    "|el edificio|las instalaciones|la fábrica) [ahora|hoy]",
    "(está|va) todo (normal|bien|en orden) en (la planta|la nave|la finca|el edificio|las"
    " instalaciones|la fábrica) [ahora]",
    "(notas|ves|detectas) (algo raro|alguna anomalía|algo anormal) en (la planta|la finca|las"
    " instalaciones|la fábrica) [hoy]",
    "(hay|se ve) alguna (anomalía|irregularidad|incidencia) en (la planta|la finca|las"
    " instalaciones|la fábrica|el edificio) [hoy|ahora]",
    "(quisiera|me gustaría) (ver|saber) las (alarmas|alertas) (activas|pendientes)",
    "(quisiera|me gustaría) saber si hay (alarmas|alertas|avisos) [ahora|activos]",
)
MORE["escalate"] += (
    "(quisiera|me gustaría) saber por qué [la|el] {act} (se para|se apaga|no arranca|falla)",
    "(quisiera|me gustaría) entender cómo funciona [la|el] {act}",
    "cómo opera [la|el] {act}",
    "cuál es el principio de funcionamiento (de la|del) {act}",
    "me puedes explicar el funcionamiento (de la|del) {act}",
    "cómo funciona la regulación de {kind} (de|en|del) {area}",
    "por qué (estaba parada|se paraba|fallaba) [la|el] {act} {window}",
    "(quisiera|me gustaría) un consejo para (ajustar|mantener|limpiar) [la|el] {act}",
    "hay algo (raro|anormal) (con|en) [la|el] {act} y por qué",
)
# Ninth generation (triage-2.7), appended: siblings in the training folds for families that
# had one template, in the validation fold alone ("X marca fallo N, qué hago"), "cuándo
# funcionó X por última vez" as history, site-wide questions about anything unusual, wish
# openers ("me gustaría saber ..."), and more plain commands.
MORE["query_state"] += (
    "me gustaría saber (la|el) {kind} (de|del|en) {area}",
    "me gustaría saber si [la|el] {act} (está encendida|está encendido|funciona|está abierta)",
    "(dime|dame) (la|el) {kind} (de|del|en) {area} [por favor]",
    "está [la|el] {act} (encendida|encendido|en marcha|abierta) [ahora]",
    "cuál es (la|el) {kind} (de|del|en) {area} [ahora]",
    "me gustaría saber qué (marca|mide) [la|el] {sensor}",
    "podrías decirme (la|el) {kind} (de|del|en) {area}",
)
MORE["query_history"] += (
    "cuándo (funcionó|arrancó|se encendió) [la|el] {act} por última vez",
    "cuándo fue la última vez que [la|el] {act} (funcionó|arrancó|se encendió|se abrió)",
    "a qué hora (arrancó|se paró|se encendió|se apagó) [la|el] {act} {window}",
    "cuándo se (encendió|apagó|abrió) [la|el] {act} {window}",
    "hace cuánto que [la|el] {act} no (funciona|arranca|se enciende)",
    "cuándo estuvo [la|el] {act} (encendida|encendido|en marcha) por última vez",
    "cuándo (paró|se detuvo) [la|el] {act} {window}",
)
MORE["set_actuator"] += (
    "(apaga|enciende|para|arranca) [la|el] {act} y [la|el] {act2} [por favor]",
    "me gustaría que (apagues|enciendas) [la|el] {act} y [la|el] {act2}",
    "(apaga|enciende) [la|el] {act}",
    "(cierra|abre) [la|el] {act} [por favor|ya]",
    "(para|detén) [la|el] {act} [ahora|ya]",
    "quiero que [la|el] {act} (se apague|se encienda|se abra|se cierre)",
    "(apague|encienda) [la|el] {act} [por favor]",
)
MORE["list_alerts"] += (
    "(hay|pasa) algo (raro|anormal|fuera de lo normal) (en algún sitio|en la explotación"
    "|por ahí) [hoy|ahora]",
    "qué (está fallando|va mal|está en alarma) [ahora|ahora mismo]",
    "(hay|tenemos) (problemas|incidencias) (en la planta|en la finca|en la explotación"
    "|en algún sitio) [hoy]",
    "(ha pasado|ocurrió) algo (raro|anormal) (hoy|esta mañana)",
    "qué equipos están en (alarma|fallo) ahora",
    "está todo (bien|en orden|normal) (en la explotación|en la granja|por todas partes)",
    "(notas|hay) algo (fuera de lo normal|inusual) [hoy|ahora]",
)
MORE["escalate"] += (
    "[la|el] {act} (muestra|da) (el código|el error|la alarma) {n}, (qué debo hacer|qué"
    " hago ahora)",
    "cómo sé si [la|el] {act} está (desgastada|desgastado|atascada|atascado|averiada)",
    "(explícame|dime) qué significa el código {n} (de la|del) {act}",
    "cuándo se (instaló|compró|revisó) [la|el] {act}",
    "(explícame|interpreta) las (alarmas|alertas) (de|del|en) {area}",
    "es seguro trabajar en [la|el] {act} [ahora]",
    "qué hago con [la|el] {act}",
    "cómo (ahorro|ahorrar|podemos ahorrar) (energía|agua|luz) en {area}",
    "cómo (bajo|reduzco) el consumo (de la|del) {act}",
    "cómo hacemos que {area} gaste menos (energía|luz)",
    "qué hago para ahorrar (energía|luz) en {area}",
)
# Tenth generation (triage-2.8), appended: Latin-American and formal forms, spoken run-ons,
# more device nouns and places, and hard negatives of the same breadth (``tenth_es``).
ACT += tenth_es.ACT
SENSOR += tenth_es.SENSOR
AREAS += tenth_es.AREAS
WINDOWS += tenth_es.WINDOWS
VALUES += tenth_es.VALUES
TEMPLATES = {
    k: v + MORE.get(k, ()) + tenth_es.TEMPLATES.get(k, ()) for k, v in TEMPLATES.items()
}
