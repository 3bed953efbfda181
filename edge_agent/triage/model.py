"""The shipped model on disk and its ONNX Runtime session: the only module importing onnxruntime.

A model directory holds ``triage.onnx`` and ``model_card.json``; the card says how features
are hashed, the label order, the calibrated temperature and the recommended threshold.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from edge_agent.errors import ConfigError
from edge_agent.triage.decision import INTENTS, Intent
from edge_agent.triage.features import feature_ids, pack

SHIPPED_DIR = Path(__file__).parent / "model"
MODEL_FILE = "triage.onnx"
CARD_FILE = "model_card.json"


class ModelError(ConfigError):
    """The triage model directory is missing, incomplete or unreadable."""


@dataclass(frozen=True, slots=True)
class Card:
    """What inference needs from the model card."""

    version: str
    labels: tuple[Intent, ...]
    buckets: int
    threshold: float
    temperature: float
    languages: tuple[str, ...] = ("en",)  # what it was trained on (cards before 2.0: English)
    delex: int = 1  # delexicalisation scheme (``delex.SCHEME``; cards before 2.2: 1)

    @classmethod
    def load(cls, path: Path) -> Card:
        """Read ``model_card.json``; raise ModelError if it is missing or malformed."""
        try:
            raw: dict[str, Any] = json.loads(path.read_text())
            labels = tuple(raw["labels"])
            if not set(labels) <= set(INTENTS):
                raise ValueError(f"unknown labels {labels}")
            return cls(str(raw["version"]), cast(tuple[Intent, ...], labels),
                       int(raw["features"]["buckets"]), float(raw["threshold"]),
                       float(raw["calibration"]["temperature"]),
                       tuple(str(x) for x in raw.get("languages", ("en",))),
                       int(raw["features"].get("delex", 1)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read model card {path}: {exc}; "
                             "retrain with `python -m training.triage.train`") from exc


class Model:
    """One ONNX Runtime session on one thread, created once; maps texts to probabilities."""

    def __init__(self, model_dir: Path | None = None) -> None:
        import onnxruntime as ort

        directory = model_dir or SHIPPED_DIR
        self.card = Card.load(directory / CARD_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        # The default arena pre-allocates far more than this tiny graph needs on a gateway.
        options.enable_cpu_mem_arena = False
        try:
            self._session = ort.InferenceSession(
                str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"cannot load {directory / MODEL_FILE}: {exc}") from exc

    def features(self, text: str, names: Collection[str] = (),
                 lang: str | None = None) -> list[int]:
        """The hashed feature ids of one text, as this model was trained with.

        ``names`` are the registry's name keys (``delex.name_key``), delexicalised as devices;
        ``lang`` the request's language if already told (``languages.detect``).
        """
        return feature_ids(text, self.card.buckets, names, lang, self.card.delex)

    def probabilities(self, batch: Sequence[Sequence[int]]) -> npt.NDArray[np.float32]:
        """Calibrated intent probabilities [len(batch), len(labels)] for feature id lists."""
        ids, weights = pack(batch)
        out = self._session.run(["probs"], {"ids": ids, "weights": weights})
        return cast(npt.NDArray[np.float32], out[0])
