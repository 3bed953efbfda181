"""Training sentences sampled from the Home Assistant English intents with hassil.

Device names and areas in the samples come from our own generated vocabularies, so the model
learns Home Assistant's phrasings with industrial names in them. Training-only: imports
``hassil`` and ``home_assistant_intents``.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from typing import Any, Literal, Protocol

from edge_agent.triage.decision import Intent
from training.triage.vocab import Split, Vocab

# Home Assistant intent -> ours. Device control and state map onto local intents; things a
# gateway cannot do (timers, media, shopping lists, weather, date) become "escalate", since a
# user may well send them and the cloud can answer. Volume, vacuum, lawn mower and broadcast are
# dropped: their "start {name}" / "turn up {name}" phrasings clash with actuator commands.
INTENT_MAP: dict[str, Intent] = {
    "HassTurnOn": "set_actuator", "HassTurnOff": "set_actuator",
    "HassSetPosition": "set_actuator", "HassClimateSetTemperature": "set_actuator",
    "HassLightSet": "set_actuator", "HassFanSetSpeed": "set_actuator",
    "HassClimateSetFanMode": "set_actuator",
    "HassGetState": "query_state", "HassClimateGetTemperature": "query_state",
    "HassGetWeather": "escalate", "HassGetCurrentDate": "escalate",
    "HassGetCurrentTime": "escalate", "HassNevermind": "escalate", "HassRespond": "escalate",
    "HassStartTimer": "escalate", "HassCancelTimer": "escalate", "HassTimerStatus": "escalate",
    "HassIncreaseTimer": "escalate", "HassDecreaseTimer": "escalate",
    "HassPauseTimer": "escalate", "HassUnpauseTimer": "escalate",
    "HassCancelAllTimers": "escalate", "HassMediaPause": "escalate",
    "HassMediaUnpause": "escalate", "HassMediaNext": "escalate", "HassMediaPrevious": "escalate",
    "HassMediaPlayerMute": "escalate", "HassMediaPlayerUnmute": "escalate",
    "HassShoppingListAddItem": "escalate", "HassListAddItem": "escalate",
}
_RANGE = re.compile(r"\{(\w+)\}")
_SPACES = re.compile(r"\s+")


def _fill_ranges(text: str, rng: random.Random) -> str:
    """Replace unexpanded range slots ({temperature}, {position}...) with numbers."""
    return _RANGE.sub(lambda m: str(rng.randint(1, 100)), text)


class Names(Protocol):
    """Where sampled sentences get their device names and areas from."""

    @property
    def rng(self) -> random.Random:
        """The random source."""
        ...

    def device(self, role: Literal["actuator", "sensor", "any"] = "any") -> str:
        """A device name."""
        ...

    def area(self) -> str:
        """An area name."""
        ...


def _slot_lists(vocab: Names) -> dict[str, Any]:
    from hassil.intents import TextSlotList

    names = [vocab.device("actuator") for _ in range(2)] + [vocab.device("sensor")]
    return {
        "name": TextSlotList.from_strings(names),
        "area": TextSlotList.from_strings([vocab.area() for _ in range(2)]),
        "floor": TextSlotList.from_strings([f"floor {vocab.rng.randint(1, 9)}"
                                            if isinstance(vocab, Vocab) else vocab.area()]),
    }


def sample(split: str, per_template: int, rng: random.Random, language: str = "en",
           names: Names | None = None) -> Iterator[tuple[str, Intent, int]]:
    """(text, intent, fold) from the Home Assistant templates that fall in this split.

    ``names`` gives device names and areas (default: our English vocabularies).

    Sentence templates are assigned to a split by their index within each intent: index % 7 in
    0-4 trains, 5 validates, 6 is held out; the fold is that index % 7.
    """
    import home_assistant_intents
    from hassil.intents import Intents
    from hassil.sample import sample_sentence

    raw = home_assistant_intents.get_intents(language)
    if raw is None:
        raise RuntimeError(f"home-assistant-intents has no intents for {language!r}")
    intents = Intents.from_dict(raw)
    vocab_split: Split = "heldout" if split == "heldout" else "train"
    wanted = {"train": range(5), "val": (5,), "heldout": (6,)}[split]
    for name, intent in intents.intents.items():
        ours = INTENT_MAP.get(name)
        if ours is None:
            continue
        index = 0
        for data in intent.data:
            rules = {**intents.expansion_rules, **data.expansion_rules}
            for sentence in data.sentences:
                index += 1
                if index % 7 not in wanted or any(
                    n in data.wildcard_list_names for n in sentence.list_names(rules)
                ):
                    continue
                vocab: Names = names or Vocab(vocab_split, rng)
                lists = {**intents.slot_lists, **_slot_lists(vocab)}
                texts = list(itertools.islice(
                    sample_sentence(sentence, lists, rules, language=language,
                                    expand_ranges=False),
                    400,
                ))
                for text in rng.sample(texts, min(per_template, len(texts))):
                    yield _SPACES.sub(" ", _fill_ranges(text, rng)).strip(), ours, index % 7
