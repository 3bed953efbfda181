"""Message catalogues of the actuation policy's refusals, merged into ``edge_agent.messages``.

The policy raises each refusal with a key and its fields (``PolicyViolation.key``); the
skills word it in the request's language inside the catalogue's "Refused: ..." frame. The
English texts are the policy's long-standing messages, byte for byte.
"""

from __future__ import annotations

POLICY_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "policy_not_declared": "{device} is not a declared actuator on this gateway",
        "policy_no_cloud": "{device} does not accept commands from the cloud",
        "policy_read_only": "{device} is read-only by policy",
        "policy_too_often": "{device} was changed {count} times in the last minute; the policy "
                            "allows {limit}. Try again later.",
        "policy_no_value": "say what to set {device} to",
        "policy_switch": "{device} is a switch: use on/off or open/close",
        "policy_range": "{value} is outside the allowed range of {device} ({low} to {high})",
        "policy_range_open": "{value} is outside the allowed range of {device}",
        "policy_number": "{device} takes a number, not {value}",
        "policy_kind_switches": "{device} is a {kind}: it is switched on or off, not opened "
                                "or closed",
        "policy_kind_opens": "{device} is a {kind}: it is opened or closed, not switched on "
                             "or off",
    },
    "de": {
        "policy_not_declared": "{device} ist kein deklarierter Aktor dieses Gateways",
        "policy_no_cloud": "{device} nimmt keine Befehle aus der Cloud an",
        "policy_read_only": "{device} ist laut Richtlinie nur lesbar",
        "policy_too_often": "{device} wurde in der letzten Minute {count}-mal geändert; die "
                            "Richtlinie erlaubt {limit}. Versuchen Sie es später noch einmal.",
        "policy_no_value": "sagen Sie, worauf {device} gestellt werden soll",
        "policy_switch": "{device} ist ein Schalter: an/aus oder auf/zu",
        "policy_range": "{value} liegt außerhalb des erlaubten Bereichs von {device} ({low} bis "
                        "{high})",
        "policy_range_open": "{value} liegt außerhalb des erlaubten Bereichs von {device}",
        "policy_number": "{device} braucht eine Zahl, nicht {value}",
        "policy_kind_switches": "{device} ist vom Typ {kind}: es wird ein- oder "
                                "ausgeschaltet, nicht geöffnet oder geschlossen",
        "policy_kind_opens": "{device} ist vom Typ {kind}: es wird geöffnet oder "
                             "geschlossen, nicht ein- oder ausgeschaltet",
    },
    "fr": {
        "policy_not_declared": "{device} n'est pas un actionneur déclaré sur cette passerelle",
        "policy_no_cloud": "{device} n'accepte pas de commandes du cloud",
        "policy_read_only": "{device} est en lecture seule selon la politique",
        "policy_too_often": "{device} a été modifié {count} fois dans la dernière minute ; la "
                            "politique en autorise {limit}. Réessayez plus tard.",
        "policy_no_value": "dites sur quelle valeur régler {device}",
        "policy_switch": "{device} est un interrupteur : marche/arrêt ou ouvert/fermé",
        "policy_range": "{value} est hors de la plage autorisée de {device} ({low} à {high})",
        "policy_range_open": "{value} est hors de la plage autorisée de {device}",
        "policy_number": "{device} attend un nombre, pas {value}",
        "policy_kind_switches": "{device} est de type {kind} : il se met en marche ou à "
                                "l'arrêt, il ne s'ouvre ni ne se ferme",
        "policy_kind_opens": "{device} est de type {kind} : il s'ouvre ou se ferme, il ne "
                             "se met ni en marche ni à l'arrêt",
    },
    "es": {
        "policy_not_declared": "{device} no es un actuador declarado en esta pasarela",
        "policy_no_cloud": "{device} no acepta órdenes de la nube",
        "policy_read_only": "{device} es de solo lectura según la política",
        "policy_too_often": "{device} se cambió {count} veces en el último minuto; la política "
                            "permite {limit}. Inténtelo más tarde.",
        "policy_no_value": "diga a qué valor poner {device}",
        "policy_switch": "{device} es un interruptor: use encendido/apagado o abierto/cerrado",
        "policy_range": "{value} está fuera del rango permitido de {device} ({low} a {high})",
        "policy_range_open": "{value} está fuera del rango permitido de {device}",
        "policy_number": "{device} espera un número, no {value}",
        "policy_kind_switches": "{device} es de tipo {kind}: se enciende o se apaga, no se "
                                "abre ni se cierra",
        "policy_kind_opens": "{device} es de tipo {kind}: se abre o se cierra, no se "
                             "enciende ni se apaga",
    },
    "nl": {
        "policy_not_declared": "{device} is geen gedeclareerde actuator op deze gateway",
        "policy_no_cloud": "{device} accepteert geen opdrachten uit de cloud",
        "policy_read_only": "{device} is volgens het beleid alleen-lezen",
        "policy_too_often": "{device} is de afgelopen minuut {count} keer gewijzigd; het beleid "
                            "staat er {limit} toe. Probeer het later opnieuw.",
        "policy_no_value": "zeg op welke waarde {device} moet staan",
        "policy_switch": "{device} is een schakelaar: gebruik aan/uit of open/dicht",
        "policy_range": "{value} valt buiten het toegestane bereik van {device} ({low} tot "
                        "{high})",
        "policy_range_open": "{value} valt buiten het toegestane bereik van {device}",
        "policy_number": "{device} verwacht een getal, niet {value}",
        "policy_kind_switches": "{device} is van het type {kind}: die gaat aan of uit, niet "
                                "open of dicht",
        "policy_kind_opens": "{device} is van het type {kind}: die gaat open of dicht, niet "
                             "aan of uit",
    },
}
