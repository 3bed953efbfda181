"""The registry's kinds of devices as a reply in each language names them.

The registry speaks English kinds ("pump", "temperature"); a German reply says "Pumpe" and
"Temperatur", not "pump". A kind this table does not know (a site's own, "sluice") is named as
the registry spells it, quoted in the reply's language („sluice“, « sluice »), so it reads as a
name and not as a word of the sentence. English replies name every kind as it is.
"""

from __future__ import annotations

# kind -> (German, French, Spanish, Dutch)
_NAMES: dict[str, tuple[str, str, str, str]] = {
    "pump": ("Pumpe", "pompe", "bomba", "pomp"),
    "valve": ("Ventil", "vanne", "válvula", "klep"),
    "fan": ("Lüfter", "ventilateur", "ventilador", "ventilator"),
    "heater": ("Heizung", "chauffage", "calefactor", "verwarming"),
    "light": ("Licht", "lumière", "luz", "licht"),
    "lamp": ("Lampe", "lampe", "lámpara", "lamp"),
    "door": ("Tür", "porte", "puerta", "deur"),
    "gate": ("Tor", "portail", "portón", "poort"),
    "damper": ("Klappe", "registre", "compuerta", "luchtklep"),
    "vent": ("Lüftungsklappe", "bouche d'aération", "rejilla", "ventilatierooster"),
    "shutter": ("Rollladen", "volet", "persiana", "rolluik"),
    "boiler": ("Kessel", "chaudière", "caldera", "ketel"),
    "chiller": ("Kältemaschine", "refroidisseur", "enfriadora", "koelmachine"),
    "compressor": ("Kompressor", "compresseur", "compresor", "compressor"),
    "motor": ("Motor", "moteur", "motor", "motor"),
    "blower": ("Gebläse", "soufflante", "soplante", "blazer"),
    "relay": ("Relais", "relais", "relé", "relais"),
    "siren": ("Sirene", "sirène", "sirena", "sirene"),
    "mixer": ("Mischer", "mélangeur", "mezclador", "menger"),
    "agitator": ("Rührwerk", "agitateur", "agitador", "roerwerk"),
    "burner": ("Brenner", "brûleur", "quemador", "brander"),
    "conveyor": ("Förderband", "convoyeur", "transportador", "transportband"),
    "sprinkler": ("Sprinkler", "arroseur", "aspersor", "sproeier"),
    "humidifier": ("Befeuchter", "humidificateur", "humidificador", "bevochtiger"),
    "dehumidifier": ("Entfeuchter", "déshumidificateur", "deshumidificador", "ontvochtiger"),
    "heat pump": ("Wärmepumpe", "pompe à chaleur", "bomba de calor", "warmtepomp"),
    "temperature": ("Temperatur", "température", "temperatura", "temperatuur"),
    "humidity": ("Luftfeuchte", "humidité", "humedad", "luchtvochtigheid"),
    "level": ("Füllstand", "niveau", "nivel", "niveau"),
    "pressure": ("Druck", "pression", "presión", "druk"),
    "flow": ("Durchfluss", "débit", "caudal", "debiet"),
    "power": ("Leistung", "puissance", "potencia", "vermogen"),
    "energy": ("Energie", "énergie", "energía", "energie"),
    "voltage": ("Spannung", "tension", "tensión", "spanning"),
    "current": ("Strom", "courant", "corriente", "stroom"),
    "speed": ("Drehzahl", "vitesse", "velocidad", "snelheid"),
    "moisture": ("Bodenfeuchte", "humidité du sol", "humedad del suelo", "bodemvocht"),
    "noise": ("Lärm", "bruit", "ruido", "geluid"),
    "oxygen": ("Sauerstoff", "oxygène", "oxígeno", "zuurstof"),
    "co2": ("CO2", "CO2", "CO2", "CO2"),
    "light level": ("Helligkeit", "luminosité", "luminosidad", "lichtsterkte"),
}
_COLUMN = {"de": 0, "fr": 1, "es": 2, "nl": 3}
_QUOTES = {"de": "„{}“", "fr": "« {} »", "es": "«{}»", "nl": "‘{}’"}


def kind_name(kind: str, lang: str, *, quoted: bool = True) -> str:
    """``kind`` as a reply in ``lang`` names it: translated when the table knows it, else
    as the registry spells it, quoted unless the message quotes it itself (``quoted``)."""
    column = _COLUMN.get(lang)
    if column is None or not kind:
        return kind
    names = _NAMES.get(kind.lower())
    if names is not None:
        return names[column]
    return _QUOTES[lang].format(kind) if quoted else kind
