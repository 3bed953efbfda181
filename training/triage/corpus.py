"""The labelled training corpus: our templates and Home Assistant's, expanded and roughened.

``build(split, ...)`` returns examples for one of three disjoint splits. ``train`` and ``val``
use different phrasing templates over the training vocabularies; ``heldout`` uses templates
and device names and areas that neither of the other two ever sees. Typos, casing, politeness
and punctuation are added at random. Training-only.
"""

from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from edge_agent.triage.decision import Intent
from edge_agent.triage.delex import name_key
from training.triage import eighth, escalations, ninth, templates, tenth
from training.triage.vocab import Split, Vocab

CorpusSplit = Literal["train", "val", "heldout"]

_INNER = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]")
_MACRO = re.compile(r"<(\w+)>")
_SLOT = re.compile(r"\{(\w+)\}")
_SHARED = ("{chat}", "{chat} {chat2}", "{garble}")
_PREFIXES = ("please ", "hey, ", "can you ", "could you ", "gateway, ", "hi, ", "ok ", "quick: ",
             "hey gateway ", "hello, ", "um ", "so ", "quick question: ", "yo ", "excuse me, ",
             "sorry, ", "ok so ", "hi there, ", "good morning. ", "hi gateway! ", "hello there. ",
             "sorry to bother you, ", "one more thing: ", "also, ", "question: ", "right, ",
             "quick one - ", "morning! ", "hey there. ", "hi, quick question. ")
_SUFFIXES = (" please", " thanks", " now", " asap", " for me", " thx", " pls", " right now",
             " thank you", " cheers", " please?", " when you can", ", thanks!", " ta",
             ". thanks in advance", "? thanks", " if you can", " if possible", ". cheers",
             " please and thank you", " thanks a lot", " when you get a chance", ". thank you!")
_KEYS = "qwertyuiopasdfghjklzxcvbnm"
# Frames around a whole request; escalate gets both kinds, so a frame never decides the route.
_ASKING = ("can you tell me ", "do you know ", "I'd like to know ", "I want to know ", "tell me ",
           "could you check ", "I was wondering ", "any chance you can tell me ", "check ")
_ORDERING = ("can you ", "could you ", "would you ", "please ", "I'd like you to ",
             "I need you to ", "go ahead and ", "would you mind to ", "can you please ")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled request, with the device name and area the generator put in it."""

    text: str
    intent: Intent
    device: str = ""
    area: str = ""
    fold: int = -1  # phrasing-template group (index % 7); -1 for templates in every split

    def names(self) -> frozenset[str]:
        """Name keys of its device and area, as the gateway's registry would hold them."""
        return frozenset(name_key(n) for n in (self.device, self.area) if n)


def _halves(items: tuple[str, ...], split: Split) -> tuple[str, ...]:
    held = items[4::5]
    return held if split == "heldout" else tuple(x for x in items if x not in held)


def _macro(name: str, rng: random.Random) -> str:
    """One phrasing of a macro, the common ones more often (Zipf weights by listed order).

    A macro lists its phrasings most common first ("what is|what's|...|I need"). Drawn
    uniformly, "what is the temperature in zone 3" was one request in twenty of its template
    while "what is ..." opened as many escalations as state questions, so the plainest
    requests were the least confident ones.
    """
    options = templates.MACROS[name].split("|")
    return rng.choices(options, weights=_zipf(len(options)))[0]


@functools.lru_cache(maxsize=64)
def _zipf(n: int) -> tuple[float, ...]:
    return tuple(1.0 / (rank + 1) for rank in range(n))


def expand(template: str, rng: random.Random) -> str:
    """Resolve ``<macro>``, ``(a|b)`` and ``[x]`` groups, innermost first, by random choice."""
    template = _MACRO.sub(lambda m: _macro(m.group(1), rng), template)
    while True:
        match = _INNER.search(template)
        if match is None:
            return template
        alt, opt = match.group(1), match.group(2)
        if alt is not None:
            chosen = rng.choice(alt.split("|"))
        else:
            chosen = rng.choice(opt.split("|")) if rng.random() < 0.5 else ""
        template = template[: match.start()] + chosen + template[match.end() :]


def garble(rng: random.Random, vocab: Vocab) -> str:
    """An ambiguous or garbled request: key mashes, lone names or words, cut-off commands."""
    choice = rng.randrange(6)
    if choice == 0:
        return " ".join("".join(rng.choices(_KEYS, k=rng.randint(2, 8)))
                        for _ in range(rng.randint(1, 4)))
    if choice == 1:  # a lone device or kind is a status query, not garbage
        return vocab.value()
    if choice == 2:
        return rng.choice(("turn the", "what is the", "how", "is the", "can you", "the",
                           "what about", "and", "so", "then", "why", "what if", "hmm so"))
    if choice == 3:
        return f"{vocab.device()} {rng.choice(('hmm', 'again', 'thing', 'stuff', 'or', 'and'))}"
    if choice == 4:
        alphabet = string.ascii_lowercase + string.digits + " "
        return "".join(rng.choices(alphabet, k=rng.randint(3, 25)))
    return f"{rng.choice(('what about', 'and', 'also', 'same for', 'how about'))} {vocab.area()}"


def typo(text: str, rng: random.Random, rate: float) -> str:
    """Swap, drop, double or mistype letters in some words, as a hurried user does."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) < 4 or not word.isalpha() or rng.random() >= rate:
            continue
        j = rng.randrange(1, len(word) - 1)
        op = rng.randrange(4)
        if op == 0:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif op == 1:
            word = word[:j] + word[j + 1 :]
        elif op == 2:
            word = word[:j] + word[j] + word[j:]
        else:
            word = word[:j] + rng.choice(_KEYS) + word[j + 1 :]
        words[i] = word
    return " ".join(words)


def frame(text: str, intent: Intent, rng: random.Random) -> str:
    """Sometimes wrap a request in a question or command frame fitting its intent."""
    if rng.random() >= 0.2:
        return text
    if intent == "set_actuator":
        return rng.choice(_ORDERING) + text
    if intent == "escalate":
        return rng.choice(_ORDERING + _ASKING) + text
    return rng.choice(_ASKING) + text


def roughen(text: str, rng: random.Random) -> str:
    """Add politeness, punctuation, casing and typos at random."""
    r = rng.random()
    if r < 0.12:
        text = rng.choice(_PREFIXES) + text
    elif r < 0.2:
        text += rng.choice(_SUFFIXES)
    text = typo(text, rng, 0.15) if rng.random() < 0.3 else text
    text += rng.choice(("", "", "", "?", ".", "!", " ?"))
    c = rng.random()
    if c < 0.25:
        text = text[:1].upper() + text[1:]
    elif c < 0.28:
        text = text.upper()
    return text


def _filler(vocab: Vocab, split: Split, rng: random.Random) -> dict[str, Callable[[], str]]:
    topics, chat = _halves(escalations.TOPICS, split), _halves(escalations.CHAT, split)
    return {
        "act": lambda: vocab.device("actuator"), "act2": lambda: vocab.device("actuator"),
        "sensor": lambda: vocab.device("sensor"), "dev": vocab.device, "area": vocab.area,
        "area2": vocab.area, "kind": vocab.kind, "value": vocab.value, "window": vocab.window,
        "agg": vocab.aggregate, "n": lambda: str(rng.randint(2, 48)),
        "topic": lambda: rng.choice(topics), "topic2": lambda: rng.choice(topics),
        "chat": lambda: rng.choice(chat), "chat2": lambda: rng.choice(chat),
        "garble": lambda: garble(rng, vocab),
    }


def render(template: str, split: Split, rng: random.Random) -> Example:
    """Fill one template's slots from one vocabulary half; remember the device and area used."""
    vocab = Vocab(split, rng)
    fill = _filler(vocab, split, rng)
    used: dict[str, str] = {}

    def slot(match: re.Match[str]) -> str:
        value = fill[match.group(1)]()
        used.setdefault(match.group(1).rstrip("2"), value)
        return value

    text = " ".join(_SLOT.sub(slot, expand(template, rng)).split())
    device = used.get("act") or used.get("sensor") or used.get("dev") or ""
    return Example(text, "escalate", device=device, area=used.get("area", ""))


def _text(template: str, split: Split, rng: random.Random) -> str:
    return render(template, split, rng).text


def _in_split(index: int, template: str, split: CorpusSplit) -> bool:
    if template in _SHARED:
        return True
    return index % 7 in {"train": (0, 1, 2, 3, 4), "val": (5,), "heldout": (6,)}[split]


TEMPLATES: dict[Intent, tuple[str, ...]] = {
    "query_state": templates.QUERY_STATE + templates.QUERY_STATE_MORE
    + templates.QUERY_STATE_FOURTH + templates.QUERY_STATE_SIXTH
    + templates.QUERY_STATE_SEVENTH + eighth.QUERY_STATE_EIGHTH + ninth.QUERY_STATE_NINTH
    + tenth.QUERY_STATE_TENTH,
    "query_history": templates.QUERY_HISTORY + templates.QUERY_HISTORY_MORE
    + templates.QUERY_HISTORY_FOURTH + eighth.QUERY_HISTORY_EIGHTH
    + ninth.QUERY_HISTORY_NINTH + tenth.QUERY_HISTORY_TENTH,
    "set_actuator": templates.SET_ACTUATOR + templates.SET_ACTUATOR_MORE
    + templates.SET_ACTUATOR_FOURTH + templates.SET_ACTUATOR_FIFTH
    + templates.SET_ACTUATOR_SIXTH + templates.SET_ACTUATOR_SEVENTH
    + eighth.SET_ACTUATOR_EIGHTH + ninth.SET_ACTUATOR_NINTH + tenth.SET_ACTUATOR_TENTH,
    "list_devices": templates.LIST_DEVICES + templates.LIST_DEVICES_MORE
    + templates.LIST_DEVICES_FOURTH + templates.LIST_DEVICES_SIXTH
    + templates.LIST_DEVICES_SEVENTH + eighth.LIST_DEVICES_EIGHTH + tenth.LIST_DEVICES_TENTH,
    "list_alerts": templates.LIST_ALERTS + templates.LIST_ALERTS_MORE
    + templates.LIST_ALERTS_FOURTH + eighth.LIST_ALERTS_EIGHTH + ninth.LIST_ALERTS_NINTH
    + tenth.LIST_ALERTS_TENTH,
    "escalate": escalations.ESCALATE + escalations.ESCALATE_MORE
    + escalations.ESCALATE_FAMILIES + escalations.ESCALATE_FOURTH + escalations.ESCALATE_FIFTH
    + escalations.ESCALATE_SIXTH + escalations.ESCALATE_SEVENTH + eighth.ESCALATE_EIGHTH
    + ninth.ESCALATE_NINTH + tenth.ESCALATE_TENTH,
}


def compose(text: str, intent: Intent, again: Callable[[], str], split: Split,
            rng: random.Random) -> str | None:
    """Sometimes make an escalate request from a local one: add a judgement, a time, a command.

    Every local template then has escalating neighbours in its own fold, so "what's the level
    in tank 1? is that normal" and "turn on pump 2 at 6 pm" escalate in every phrasing.
    """
    if intent == "escalate" or rng.random() >= (0.2 if intent == "set_actuator" else 0.06):
        return None
    sep = rng.choice(("? ", ". ", ", ", " - ", " and ", "! "))
    choice = rng.randrange(3) if intent == "set_actuator" else 0
    if choice == 0:
        return text + sep + rng.choice(_halves(escalations.JUDGEMENT, split))
    if choice == 1:
        later = rng.choice(_halves(escalations.LATER, split))
        return f"{later} {text}" if rng.random() < 0.3 else f"{text} {later}"
    return text + rng.choice(_halves(escalations.JOINS, split)) + again()


def own_examples(split: CorpusSplit, per_template: int, rng: random.Random) -> list[Example]:
    """Examples from our own templates in this split; the shared escalate ones get extra."""
    vocab_split: Split = "heldout" if split == "heldout" else "train"
    out: list[Example] = []
    for intent, group in TEMPLATES.items():
        for index, template in enumerate(group):
            if not _in_split(index, template, split):
                continue
            count = per_template * (8 if template in _SHARED else 1)
            for _ in range(count):
                ex = render(template, vocab_split, rng)
                fold = -1 if template in _SHARED else index % 7
                out.append(Example(roughen(frame(ex.text, intent, rng), rng), intent, ex.device,
                                   ex.area, fold))
                again = functools.partial(_text, template, vocab_split, rng)
                composed = compose(ex.text, intent, again, vocab_split, rng)
                if composed is not None:
                    out.append(Example(roughen(composed, rng), "escalate", ex.device, ex.area,
                                       fold))
    return out


def build(split: CorpusSplit, *, seed: int, per_template: int = 40,
          hass_per_template: int = 6, with_hass: bool = True) -> list[Example]:
    """All examples of one split, deduplicated, in a seeded random order."""
    rng = random.Random(f"{seed}-{split}")
    examples = own_examples(split, per_template, rng)
    if with_hass:
        from training.triage import hass

        examples += [Example(roughen(text, rng), intent, fold=fold)
                     for text, intent, fold in hass.sample(split, hass_per_template, rng)]
    unique = list({e.text.lower(): e for e in reversed(examples)}.values())[::-1]
    rng.shuffle(unique)
    return unique
