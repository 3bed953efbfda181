"""Training requests in German, French, Spanish and Dutch: our templates and Home Assistant's.

Each language module (``de``, ``fr``, ``es``, ``nl``) holds hand-translated IoT templates per
intent and its own vocabulary (device nouns, areas, kinds, values, windows). Templates and
vocabularies are split by index as in English (template index % 7: 0-4 train, 5 validation,
6 held out; every fifth noun and area only in held-out), and the Home Assistant intents of the
same language are sampled with hassil the same way. Training-only.
"""

from __future__ import annotations

import importlib
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from edge_agent.triage.decision import Intent
from training.triage.corpus import CorpusSplit, Example, expand, typo
from training.triage.vocab import PSEUDO_SHARE, Split, pseudo_noun

LANGS = ("de", "fr", "es", "nl")
# Home Assistant has no history, device-list or alert intents: our templates carry them alone.
_BOOST = {"query_history": 3, "list_devices": 4, "list_alerts": 4}
_SLOT = re.compile(r"\{(\w+)\}")
_POLITE: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # prefixes, suffixes, judgements that turn a local request into one for the cloud
    "de": (("bitte ", "hey, ", "hallo, ", "kurze Frage: ", "sag mal, ", "du, ", "ähm ",
            "Guten Morgen, ", "entschuldige, ", "moin, ", "also, ", "Servus, "),
           (" bitte", " danke", " jetzt", " sofort", ", danke!", " bitte schnell", " mal",
            " danke dir"),
           ("ist das normal", "und warum", "was soll ich tun", "ist das gefährlich",
            "woran liegt das", "und was bedeutet das")),
    "fr": (("s'il te plaît ", "salut, ", "bonjour, ", "petite question : ", "dis, ", "euh ",
            "excuse-moi, ", "dis-moi, ", "bon, ", "écoute, ", "pardon, ", "alors, "),
           (" s'il te plaît", " merci", " maintenant", " svp", ", merci !", " stp",
            " s'il vous plaît", " stp merci"),
           ("c'est normal", "et pourquoi", "que dois-je faire", "est-ce dangereux",
            "quelle en est la cause", "qu'est-ce que ça veut dire")),
    "es": (("por favor ", "oye, ", "hola, ", "una pregunta: ", "eh ", "perdona, ",
            "buenos días, ", "oye mira, ", "a ver, ", "oiga, ", "disculpe, ", "che, ",
            "bueno, "),
           (" por favor", " gracias", " ahora", " ya", ", ¡gracias!", " porfa", " porfis",
            " si puedes", " gracias!"),
           ("es normal", "y por qué", "qué debo hacer", "es peligroso", "cuál es la causa",
            "qué significa eso")),
    "nl": (("alsjeblieft ", "hé, ", "hallo, ", "korte vraag: ", "zeg, ", "eh ", "sorry, ",
            "goedemorgen, ", "zeg eens, ", "even vragen, ", "hoi, "),
           (" alsjeblieft", " graag", " bedankt", " nu", ", dank je!", " svp", " aub",
            " even", " dank je wel"),
           ("is dat normaal", "en waarom", "wat moet ik doen", "is dat gevaarlijk",
            "wat is de oorzaak", "wat betekent dat")),
}


# A deferred time and a joiner before a second command: a local command with either is for the
# cloud, as in English (``corpus.compose``). Split in halves by index like the judgements.
_LATER: dict[str, tuple[str, ...]] = {
    "de": ("heute Abend", "morgen früh", "in {n} Minuten", "nach Feierabend", "am Wochenende",
           "bei Sonnenaufgang", "jeden Morgen", "um Mitternacht", "in einer Stunde",
           "übermorgen"),
    "fr": ("ce soir", "demain matin", "dans {n} minutes", "après le travail", "ce week-end",
           "au lever du soleil", "chaque matin", "à minuit", "dans une heure", "après-demain"),
    "es": ("esta noche", "mañana por la mañana", "dentro de {n} minutos", "después del turno",
           "el fin de semana", "al amanecer", "cada mañana", "a medianoche", "en una hora",
           "pasado mañana"),
    "nl": ("vanavond", "morgenochtend", "over {n} minuten", "na werktijd", "dit weekend",
           "bij zonsopgang", "elke ochtend", "om middernacht", "over een uur", "overmorgen"),
}
_JOINS: dict[str, tuple[str, ...]] = {
    "de": (" und dann ", " und danach ", ", danach ", " und ", ", anschließend "),
    "fr": (" puis ", " et ensuite ", ", après ", " et ", ", ensuite "),
    "es": (" y luego ", " y después ", ", luego ", " y ", ", a continuación "),
    "nl": (" en dan ", " en daarna ", ", daarna ", " en ", ", vervolgens "),
}


# Articles before a device named by its noun alone ("das Oberlicht", "het dakraam"). French and
# Spanish templates carry their own ("[la|le|l'] {act}"), so their unnumbered name is the noun.
# Gender is not matched: the model reads words and n-grams, and a wrong article is noise.
_ARTICLES: dict[str, tuple[str, ...]] = {
    "de": ("der", "die", "das"), "fr": ("",), "es": ("",), "nl": ("de", "het"),
}


def module(lang: str) -> ModuleType:
    """The templates and vocabulary of one language."""
    return importlib.import_module(f"training.triage.i18n.{lang}")


def _half(items: tuple[str, ...], split: Split) -> tuple[str, ...]:
    held = tuple(x for i, x in enumerate(items) if i % 5 == 4)
    return held if split == "heldout" else tuple(x for x in items if x not in held)


@dataclass(frozen=True, slots=True)
class LocalVocab:
    """Names and quantities in one language, from one half of its vocabularies."""

    words: ModuleType
    split: Split
    rng: random.Random

    def _n(self) -> str:
        return str(self.rng.randint(1, 12) if self.rng.random() < 0.6 else
                   self.rng.randint(13, 480))

    def _letter(self) -> str:
        return self.rng.choice("ABCDEFGHKMNPR" if self.split == "train" else "QSTUVWXYZ")

    def device(self, role: Literal["actuator", "sensor", "any"] = "any") -> str:
        """A device: "Pumpe 3", "pompe P3", "P-104", "válvula 12B"."""
        pool = self.words.ACT if role == "actuator" or (
            role == "any" and self.rng.random() < 0.6) else self.words.SENSOR
        noun, n = self.rng.choice(_half(pool, self.split)), self._n()
        if self.rng.random() < PSEUDO_SHARE:
            noun = pseudo_noun(self.rng)
        code = noun[0].upper() + (self._letter() if self.rng.random() < 0.3 else "")
        article = self.rng.choice(_ARTICLES[self.words.__name__.rsplit(".", 1)[-1]])
        shapes = (f"{noun} {n}", f"{noun} {code}{n}", f"{code}-{n}", f"{code.lower()}{n}",
                  f"{noun} {n}{self._letter()}", f"{noun} {self.area()}",
                  f"{article} {noun}".strip())
        # Since 2.4 a device may be named by its noun alone ("das Oberlicht", "le lanterneau"):
        # before, every non-English device had a number or an area, and such requests escalated.
        return self.rng.choices(shapes, weights=(6, 2, 2, 1, 1, 1, 2))[0]

    def area(self) -> str:
        """An area: "Zone 3", "hall B", "la cave"."""
        shape = self.rng.choice(_half(self.words.AREAS, self.split))
        return str(shape.format(n=self._n(), L=self._letter()))

    def fill(self, slot: str) -> str:
        """The filler of one ``{slot}`` of a template."""
        w, rng = self.words, self.rng
        fillers: dict[str, Callable[[], str]] = {
            "act": lambda: self.device("actuator"), "act2": lambda: self.device("actuator"),
            "sensor": lambda: self.device("sensor"),
            "dev": self.device, "area": self.area, "kind": lambda: rng.choice(w.KINDS),
            "value": lambda: rng.choice(w.VALUES).format(n=rng.choice(
                (str(rng.randint(0, 100)), f"{rng.uniform(0, 40):.1f}".replace(".", ",")))),
            "window": lambda: rng.choice(w.WINDOWS).format(n=rng.randint(2, 48)),
            "n": lambda: str(rng.randint(2, 45)), "topic": lambda: rng.choice(w.TOPICS),
            "chat": lambda: rng.choice(w.CHAT),
        }
        return fillers[slot]()


# Languages whose writers often drop accents and opening marks when typing fast ("como
# esta la bomba 3", "eteins la pompe"): a fifth of their requests are written so (since 2.8).
_ACCENTED = frozenset({"es", "fr"})
_KEEP = frozenset({"\u0303"})  # the tilde of ñ stays: "ano" is another word than "año"


def plain(text: str) -> str:
    """The text as typed without accents or opening marks: "¿Cómo está?" -> "Como esta?"."""
    decomposed = unicodedata.normalize("NFD", text.replace("¿", "").replace("¡", ""))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) or c in _KEEP)
    return unicodedata.normalize("NFC", kept)


def roughen(text: str, lang: str, rng: random.Random) -> str:
    """Politeness, punctuation, casing and typos in this language."""
    prefixes, suffixes, _ = _POLITE[lang]
    r = rng.random()
    if r < 0.15:
        text = rng.choice(prefixes) + text
    elif r < 0.25:
        text += rng.choice(suffixes)
    text = typo(text, rng, 0.15) if rng.random() < 0.3 else text
    if lang in _ACCENTED and rng.random() < 0.2:
        text = plain(text)
    text += rng.choice(("", "", "", "?", ".", "!", " ?"))
    c = rng.random()
    if c < 0.3:
        text = text[:1].upper() + text[1:]
    elif c < 0.33:
        text = text.upper()
    return text


def _render(template: str, vocab: LocalVocab) -> tuple[str, str, str]:
    used: dict[str, str] = {}

    def slot(match: re.Match[str]) -> str:
        value = vocab.fill(match.group(1))
        used.setdefault(match.group(1), value)
        return value

    text = " ".join(_SLOT.sub(slot, expand(template, vocab.rng)).split())
    device = used.get("act") or used.get("sensor") or used.get("dev") or ""
    return text, device, used.get("area", "")


def own_examples(lang: str, split: CorpusSplit, per_template: int,
                 rng: random.Random) -> list[Example]:
    """Examples from this language's own templates in one split."""
    words = module(lang)
    vocab = LocalVocab(words, "heldout" if split == "heldout" else "train", rng)
    wanted = {"train": (0, 1, 2, 3, 4), "val": (5,), "heldout": (6,)}[split]
    judge = _half(_POLITE[lang][2], vocab.split)
    out: list[Example] = []
    templates: dict[Intent, tuple[str, ...]] = words.TEMPLATES
    for intent, group in templates.items():
        for index, template in enumerate(group):
            shared = template == "{chat}"
            if not shared and index % 7 not in wanted:
                continue
            for _ in range(per_template * (4 if shared else _BOOST.get(intent, 1))):
                text, device, area = _render(template, vocab)
                fold = -1 if shared else index % 7
                out.append(Example(roughen(text, lang, rng), intent, device, area, fold))
                composed = _compose(lang, text, intent, template, vocab, judge)
                if composed is not None:
                    out.append(Example(roughen(composed, lang, rng), "escalate", device, area,
                                       fold))
    return out


def _compose(lang: str, text: str, intent: Intent, template: str, vocab: LocalVocab,
             judge: tuple[str, ...]) -> str | None:
    """Sometimes an escalate request from a local one: a judgement, a later time, a 2nd command."""
    rng = vocab.rng
    if intent == "escalate" or rng.random() >= (0.2 if intent == "set_actuator" else 0.08):
        return None
    choice = rng.randrange(3) if intent == "set_actuator" else 0
    if choice == 0:
        return text + rng.choice(("? ", ", ", ". ")) + rng.choice(judge)
    if choice == 1:
        later = rng.choice(_half(_LATER[lang], vocab.split)).format(n=rng.randint(2, 45))
        return f"{later} {text}" if rng.random() < 0.3 else f"{text} {later}"
    return text + rng.choice(_JOINS[lang]) + _render(template, vocab)[0]


def build(lang: str, split: CorpusSplit, *, seed: int, per_template: int,
          hass_per_template: int) -> list[Example]:
    """All examples of one language and split, deduplicated, in a seeded random order."""
    from training.triage import hass

    rng = random.Random(f"{seed}-{lang}-{split}")
    examples = own_examples(lang, split, per_template, rng)
    vocab = LocalVocab(module(lang), "heldout" if split == "heldout" else "train", rng)
    examples += [Example(roughen(text, lang, rng), intent, fold=fold) for text, intent, fold
                 in hass.sample(split, hass_per_template, rng, lang, vocab)]
    unique = list({e.text.lower(): e for e in reversed(examples)}.values())[::-1]
    rng.shuffle(unique)
    return unique
