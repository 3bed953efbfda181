"""Spanish templates of the tenth generation (triage-2.8), appended after all older ones.

Written by category from how operators talk, not from any evaluation sentence: Latin-American
verbs ("prende", "checa", "fijate", "¿cuánto marca?"), formal "usted" ("¿me podría decir
...?", "apague ..."), voseo ("prendé", "cerrá"), "me puedes / me puede" requests, objects
first ("la bomba 3, apágala"), spoken run-ons ("oye mira a ver si ..."), devices named by a
part of a place ("la bomba del pozo", "las luces del pasillo"), and hard negatives in the same
shapes (a vague amount of a kind, "¿conviene ...?", "¿cada cuánto ...?").
Each tuple is appended to its intent in ``es.TEMPLATES``; a family has siblings in several
folds (index % 7).
Conditions, negated commands, a command for later and "X a bit higher" on a device are
left to ``edge_agent.triage.guards``, which escalates them whatever the model reads: as
templates they shared the plain commands' words and cost those confidence (candidate 2.8-a).
Training-only.
"""

from __future__ import annotations

# Appended to es.ACT / es.SENSOR / es.AREAS: every fifth (index % 5 == 4) is held out.
ACT = (
    "grupo electrógeno",
    "electroválvula",
    "bomba de pozo",
    "variador",
    "climatizador",
    "bomba de recirculación",
    "sinfín",
    "toldo",
    "foco",
    "puerta",
    "bomba sumergible",
    "ventana cenital",
    "calentador",
    "triturador",
    "separador",
    "nebulizador",
    "molino",
    "alimentador",
    "mezcladora",
    "ordeñadora",
)
SENSOR = (
    "medidor de caudal",
    "sonda de temperatura",
    "termostato",
    "higrómetro",
    "manómetro",
    "sensor de conductividad",
    "analizador",
    "báscula",
    "sensor de CO",
    "transmisor de nivel",
)
AREAS = (
    "la cocina",
    "el pasillo",
    "el muelle {n}",
    "la finca",
    "la bodega",
    "la azotea",
    "la planta baja",
    "el vestíbulo",
    "el garaje",
    "la cuadra {n}",
    "la sala de máquinas",
    "la cámara {n}",
    "el secadero",
    "la sala de ordeño",
    "el vivero",
    "el cuarto de bombas",
    "la nave de engorde",
    "la recepción",
    "el patio",
    "la lavandería",
)
WINDOWS = (
    "ayer por la tarde",
    "esta madrugada",
    "ayer por la mañana",
    "durante la noche",
    "este mes",
    "hoy por la mañana",
    "el fin de semana pasado",
    "en la última semana",
    "desde el viernes",
    "hace {n} horas",
)
VALUES = (
    "menos {n} grados",
    "{n} grados bajo cero",
    "al {n} %",
    "{n} por ciento de apertura",
    "{n} º",
)

_ASK = "(me puedes decir|me podrías decir|me puede decir|me podría indicar|me dices)"
_LOOK = "(fijate|fíjate|checa|chequea|mira|revisa)"
_ON = "(prendida|prendido|encendida|encendido|andando|funcionando|en marcha)"

TEMPLATES: dict[str, tuple[str, ...]] = {
    "query_state": (
        f"{_ASK} (cuánto marca|a cuánto está) (la|el) {{kind}} (de|del|en) {{area}}",
        f"{_LOOK} si [la|el] {{act}} está {_ON} [porfa|por favor]",
        "(cuánto|qué) marca [la|el] {sensor} [ahora|ahorita|ahora mismo]",
        "a cuántos grados (está|estamos en) {area} [ahora|ahorita]",
        "(cómo anda|cómo va|cómo sigue) [la|el] {act} [ahora|hoy]",
        "[la|el] {act} está (prendida|prendido|apagada|apagado) [o no]",
        "(necesito|quiero) saber (la|el) {kind} (de|del|en) {area} [ahora]",
        "oye (mira|a ver) (cuánto marca|qué marca|qué dice) [la|el] {sensor}",
        "{area}: (a cuánto está|cuánto marca|qué marca) la {kind}",
        "(me pasas|pásame|pasame) (la|el) {kind} (de|del|en) {area}",
        "en cuánto está [la|el] {sensor} [ahora|ahorita]",
        "qué (temperatura|humedad|presión) tiene {area} [ahora mismo]",
        f"[la|el] {{act}}, (está|sigue) {_ON}?",
        "(podría|puede) decirme (si|cómo) [la|el] {act} está (prendida|encendida|abierta"
        "|funcionando)",
        "(dime|dígame|decime) (cuánto|qué) marca [la|el] {sensor} [porfa|por favor]",
        f"{_LOOK} (la|el) {{kind}} (de|del|en) {{area}}",
        "(la|el) {kind} (de|del|en) {area} (cuánto es|cuánto está|a cuánto anda)",
        "está (subida|bajada|levantada) [la|el] {act} (ahora|todavía|ahorita)",
        "[la|el] {act} (sigue|continúa) (prendida|prendido|apagada|apagado|andando)?",
        "(tienes|tenés) (la|el) {kind} (de|del|en) {area}",
        "oye (dime|me dices) (la|el) {kind} (de|del|en) {area} que la necesito",
        "(checa|chequea|revisa) (cuánto|qué) marca [la|el] {sensor}",
    ),
    "query_history": (
        "(cuánto|qué) marcó [la|el] {sensor} {window}",
        "a cuánto (llegó|subió|bajó) la {kind} (de|del|en) {area} {window}",
        "(cómo estuvo|cómo anduvo) la {kind} (de|del|en) {area} {window}",
        "(me puedes|me podría|me podrías) mostrar (la evolución|el historial|las lecturas)"
        " (de|del) {sensor} {window}",
        "(estuvo|anduvo) [la|el] {act} (prendida|prendido|andando|encendida) {window}",
        "(qué|cuál fue la) {kind} (máxima|mínima|más alta|más baja) (hubo|hizo|tuvo) (en|el"
        "|la) {area} {window}",
        "(pásame|pasame|mándame) los (datos|valores|registros) (de|del) {sensor} {window}",
        "(cuánto|cuánta energía) consumió [la|el] {act} {window}",
        "(gráfica|gráfico|curva) de (la|el) {kind} (de|del|en) {area} {window}",
        "(necesito|quiero) ver (el histórico|los datos|la evolución) de (la|el) {kind} (de"
        "|del|en) {area} {window}",
        "{window}, (cuánto marcó|qué marcó|a cuánto estuvo) [la|el] {sensor}",
        "(se prendió|se apagó|arrancó) [la|el] {act} {window}",
        "(dame|dime) (el máximo|el mínimo|la media|el promedio) de {kind} (de|del|en) {area}"
        " {window}",
        "cuántas veces (se prendió|saltó|arrancó|se paró) [la|el] {act} {window}",
    ),
    "set_actuator": (
        "(prende|prendé|prendeme|prendéme) [la|el] {act} [porfa|por favor|ya]",
        "(apagame|apagá|apágame) [la|el] {act} [porfa|por favor|ya]",
        "(me prendes|me apagas|me abres|me cierras) [la|el] {act} [porfa|por favor]",
        "(puede|podría|podría usted) (prender|apagar|abrir|cerrar|encender|parar) [la|el]"
        " {act} [por favor]",
        "(apague|encienda|abra|cierre|pare|prenda) [la|el] {act} (por favor|ya|ahora)",
        "[la|el] {act}, (apágala|apágalo|préndela|préndelo|ciérrala|ábrela) [porfa|ya]",
        "(hazme|hágame|haceme) el favor de (apagar|prender|cerrar|abrir) [la|el] {act}",
        "(ponme|pon|poné) [la|el] {act} (a|al|en) {value} [porfa|por favor]",
        "(sube|baja|levanta) [la|el] {act} [ya|porfa]",
        "(conecta|desconecta) [la|el] {act} [por favor|ya]",
        "(abrí|cerrá|pará) [la|el] {act} [porfa|ya]",
        "(enciende|prende|apaga) las luces (de|del) {area}",
        "oye (apaga|prende|cierra|abre) [la|el] {act} (porfa|por favor|ya)",
        "(arranca|echa a andar|pon a andar) [la|el] {act} [ya|ahora]",
        "(apágame|párame|córtame) [la|el] {act} (de la|del) {area}",
        "(necesito|quiero) que (prendas|apagues|cierres|abras) [la|el] {act} [ya|porfa]",
        "(ajústame|ajusta|regula) [la|el] {act} (a|al) {value}",
        "(apaga|prende|enciende) [la|el] {act}, porfa",
        "(baja|sube) la {kind} (de|del|en) {area} a {value} [porfa|por favor]",
        "(ciérrame|ábreme) [la|el] {act} (de la|del) {area} [porfa|por favor]",
    ),
    "list_devices": (
        "qué (equipos|aparatos|sensores|sondas) tenemos (en|de) {area}",
        "cuántos (sensores|equipos|aparatos|medidores) tenemos [en total|en {area}]",
        "cuáles (equipos|sensores|dispositivos) (están sin conexión|no reportan|no responden"
        "|están caídos)",
        "(pásame|dame|mándame) (la lista|el listado) de (equipos|sensores|dispositivos)"
        " [de {area}]",
        "qué (aparatos|equipos) (hay|tengo) (conectados|dados de alta) [en {area}]",
        "(me puedes|me podría) (listar|enumerar) los (equipos|sensores|dispositivos)",
        "hay algún (aparato|medidor) (sin señal|caído|offline) [ahora]",
        "(cuáles|qué) (sondas|contadores|medidores) hay (en|de) {area}",
    ),
    "list_alerts": (
        "(saltó|ha saltado|se disparó) alguna (alarma|alerta) [hoy|en {area}]",
        "(tenemos|quedan) (alarmas|alertas|avisos) sin (atender|revisar)",
        "(cuáles|qué) (avisos|alertas) (siguen sin atender|quedan pendientes)",
        "(tenemos|tengo) alguna (alarma|alerta) [activa|ahora]",
        "(alguna|algún) (alerta|alarma|aviso) [pendiente|activa] (en|de) {area}",
        "(me puedes decir|dime|checa) si hay (alarmas|alertas|avisos) [activas|ahora]",
        "(pásame|mándame) los avisos (sin atender|sin cerrar) [de {area}]",
        "oye hay alguna alarma [prendida|activa]",
    ),
    "escalate": (
        "(súbele|bájale) un (poquito|pelín) a (la|el) {kind} (de|del|en) {area}",
        "(conviene|me conviene|vale la pena) (prender|apagar|abrir) [la|el] {act} (ahora|hoy)",
        "cada cuánto tiempo (toca|le toca) (cambiar|revisar|limpiar) (el aceite|el filtro"
        "|las correas) (de la|del) {act}",
        "(hazme|haceme|prepárame) un (informe|reporte|resumen) (de|del) {area} para (el jefe"
        "|gerencia|mañana)",
        "(fijate|checa|mira) por qué [la|el] {act} no (arranca|prende|enciende)",
        "(me puedes|me podrías) decir por qué [la|el] {act} (se apaga|salta|se para) [tanto]",
        "es normal que [la|el] {sensor} marque (tanto|tan poco|eso)",
        "cuánto (debería|tendría que) marcar [la|el] {sensor} [normalmente]",
        "qué pasaría si (apago|prendo|cierro|abro) [la|el] {act} (ahora|con todo andando)",
        "por qué (salta|se dispara|se bota) [la|el] {act} (todas las tardes|cada rato|de noche)",
        "qué (es mejor|conviene más|me recomiendas) para {area}, (subir|bajar) la {kind}"
        " o (prender|apagar) [la|el] {act}",
        "[la|el] {act} (hace un ruido raro|huele a quemado|pierde aceite), (qué hago|qué"
        " puede ser)",
        "deja [la|el] {act} (prendida|apagada) (hasta|por) (el lunes|la noche|dos horas)",
        "(me explicas|explícame|me podría explicar) (para qué sirve|qué hace) [la|el] {act}",
        "por qué marca tan (alto|bajo) [la|el] {sensor} {window}",
        "(cuánto|cuánta plata|cuánto dinero) (gasto|gastamos) con [la|el] {act} (prendida"
        "|andando) (todo el día|al mes)",
    ),
}
