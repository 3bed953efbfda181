"""``Triage``: the nano model and the slot resolver behind the ``Classifier`` seam."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import structlog

from edge_agent.errors import ConfigError
from edge_agent.registry import Registry
from edge_agent.triage import languages
from edge_agent.triage.decision import LOCAL_INTENTS, Decision
from edge_agent.triage.foreign import foreign
from edge_agent.triage.guards import held_back, not_alerts, quotes_a_command
from edge_agent.triage.model import Model
from edge_agent.triage.questions import beyond_a_reading
from edge_agent.triage.slots import SlotResolver

log = structlog.get_logger(__name__)
# The model reads at most this much of a request, and a longer one escalates: it is prose or
# a paste, not a gateway command, and a 10 kB request must cost no more than a short one.
MAX_CHARS = 600
# A request without one letter or digit ("?????", "!!!") asks nothing the gateway could answer,
# whatever the model makes of its punctuation.
_WORD = re.compile(r"[^\W_]")
# The gateway addressed by name before the request ("Nanogate apaga la bomba 2", "hey nanogate,
# ...", "gateway: ..."): the model reads the request without it, as it reads it without
# "hey" or "please", so an unseen name does not lower its confidence. The guards still read
# the whole text ("Nanogate turns off pump 2" reports what the gateway does).
_ADDRESS = re.compile(
    r"^\W*(?:(?:hey|hi|hello|ok|okay|hallo|salut|bonjour|hola|oye|hoi|he|hé)\W+)?"
    r"(?:nanogate\b\W*|(?:gateway|passerelle|pasarela)\s*[,:]\W*)(?=\w+\W+\w)", re.IGNORECASE)


class Triage:
    """Classifies requests into intents with the ONNX model and resolves their slots.

    A request is routed ``local`` only when its top intent is a local one, the calibrated
    confidence reaches the threshold (by default the model card's recommendation), and its
    language is one of ``languages`` (default: every language the model was trained on).
    """

    def __init__(self, registry: Registry, model_dir: Path | None = None,
                 threshold: float | None = None, langs: Collection[str] = ()) -> None:
        unknown = sorted(set(langs) - set(languages.LANGUAGES))
        if unknown:
            raise ConfigError(f"[triage] languages: unknown {unknown}; "
                              f"choose from {list(languages.LANGUAGES)}")
        self._model = Model(model_dir)
        self._slots = SlotResolver(registry)
        self._fixed_threshold, self._langs = threshold, tuple(langs)
        self.threshold = self._model.card.threshold if threshold is None else threshold
        trained = self._model.card.languages
        self.languages = tuple(x for x in trained if not langs or x in langs) or trained[:1]
        log.info("triage.loaded", version=self.version, threshold=self.threshold,
                 languages=self.languages)

    def with_model(self, model_dir: Path | None) -> Triage:
        """A candidate on another model dir to check and ``adopt`` (may be built off the loop)."""
        return Triage(Registry(), model_dir=model_dir, threshold=self._fixed_threshold,
                      langs=self._langs)

    def adopt(self, other: Triage) -> None:
        """Use ``other``'s model from the next request on (call it on the event loop)."""
        self._model, self.threshold = other._model, other.threshold
        self.languages = other.languages
        log.info("triage.swapped", version=self.version, threshold=self.threshold)

    @property
    def version(self) -> str:
        """The loaded model's version, from its card."""
        return self._model.card.version

    def classify(self, text: str) -> Decision:
        """Decide the intent, route, confidence and slots of one request."""
        asked = _unaddressed(text[:MAX_CHARS])
        lang = languages.detect(asked)
        features = self._model.features(asked, self._slots.names(), lang)
        return self._decide(text, self._model.probabilities([features])[0], lang)

    def classify_many(self, texts: Sequence[str]) -> list[Decision]:
        """Classify a batch in one model run; same results as ``classify`` on each."""
        if not texts:
            return []
        names = self._slots.names()
        asked = [_unaddressed(t[:MAX_CHARS]) for t in texts]
        langs = [languages.detect(t) for t in asked]
        probs = self._model.probabilities(
            [self._model.features(t, names, lang) for t, lang in zip(asked, langs, strict=True)])
        return [self._decide(text, row, lang)
                for text, row, lang in zip(texts, probs, langs, strict=True)]

    def _decide(self, text: str, probs: np.ndarray, lang: str) -> Decision:
        best = int(probs.argmax())
        intent = self._model.card.labels[best]
        confidence = float(probs[best])
        head = text[:MAX_CHARS]
        if intent == "list_alerts" and not_alerts(head):
            intent = "escalate"  # "which zone is warmest", "is anything running"
        elif intent in LOCAL_INTENTS and quotes_a_command(head, lang):
            intent = "escalate"  # "the manual says « turn off pump 2 »", read as a question
        elif intent == "set_actuator" and held_back(head, lang):
            intent = "escalate"  # "don't turn off pump 2", "raise fan 3 by 10%" (guards.py)
        elif beyond_a_reading(head, intent):
            intent = "escalate"  # "which barn is warmest", "enough feed until Monday?"
        slots = self._slots.resolve(head, intent, lang=lang)
        if intent == "set_actuator" and slots.several:  # "from 50 to 30 %": no value to set
            intent = "escalate"
            slots = self._slots.resolve(head, intent, lang=lang)
        # Only a local intent can be answered here at all, so only its text is checked (the
        # foreign-language check costs a few µs an escalation otherwise).
        readable = (intent in LOCAL_INTENTS and lang in self.languages
                    and len(text) <= MAX_CHARS and _WORD.search(text) is not None
                    and foreign(text) is None)
        local = readable and confidence >= self.threshold
        return Decision(intent=intent, route="local" if local else "escalate",
                        confidence=confidence, slots=slots, lang=lang, readable=readable)


def _unaddressed(text: str) -> str:
    """The request without the gateway's name it may open with ("Nanogate, ...")."""
    return _ADDRESS.sub("", text, count=1)
