"""The fleet learns: labels from escalations, distillation into the next nano model, A/B tests.

- ``labels``: the label store (fleet database) and the operator queue's corrections.
- ``labeller``: labels from the cloud, judged after each answer, off the reply's path.
- ``dataset``: the training set from labels (agreement, de-duplication, time hold-out).
- ``distil``: ``cloud-broker model train``: train, evaluate, gate, sign and store a model.
- ``ab``: A/B tests of a candidate model on a random cohort, judged by z-tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from cloud_broker.config import LearningSection
from cloud_broker.fleet.rollouts import RolloutController
from cloud_broker.fleet.store import FleetStore
from cloud_broker.learning.ab import ABTests
from cloud_broker.learning.labeller import Answerer, Chat, Labeller, LabellingAnswerer
from cloud_broker.learning.labels import (
    INTENTS,
    CorrectionLabels,
    Label,
    LabelStore,
    OperatorLabels,
)

__all__ = ["INTENTS", "ABTests", "CorrectionLabels", "Label", "LabelStore", "Labeller",
           "LabellingAnswerer", "Learning", "OperatorLabels"]

log = structlog.get_logger("cloud_broker.learning")
PRUNE_EVERY_S = 3600.0


@dataclass
class Learning:
    """The learning parts a running broker wires in (see ``cloud_broker.app``)."""

    config: LearningSection
    labels: LabelStore
    labeller: Labeller
    corrections: OperatorLabels
    uploaded: CorrectionLabels  # requesters' corrections of local answers, from gateways
    ab: ABTests | None = None

    @classmethod
    def build(cls, store: FleetStore, chat: Chat, config: LearningSection,
              rollouts: RolloutController | None = None) -> Learning:
        """The label store on the fleet database, a labeller using ``chat``, A/B tests."""
        labels = LabelStore(store.db, store.now)
        version = _model_version(store)
        ab = None if rollouts is None else ABTests(
            store, rollouts, confidence=config.ab_confidence,
            min_requests=config.ab_min_requests, max_requests=config.ab_max_requests,
            promote_soak_s=config.promote_soak_s,
            clock=store.now)
        return cls(config, labels,
                   Labeller(labels, chat, version, model=config.label_model,
                            max_pending=config.max_pending, clock=store.now),
                   OperatorLabels(labels, version, store.now),
                   CorrectionLabels(labels, store.now), ab)

    def answerer(self, inner: Answerer) -> Answerer:
        """``inner``, labelling what it answers when learning is on."""
        return LabellingAnswerer(inner, self.labeller) if self.config.enabled else inner

    async def run(self, prune_every_s: float = PRUNE_EVERY_S) -> None:
        """Judge A/B tests every ``ab_tick_s``; delete labels past their retention hourly."""
        pruned = -prune_every_s
        while True:
            try:
                if self.ab is not None:
                    self.ab.tick()
                if time.monotonic() - pruned >= prune_every_s:
                    self.labels.prune(self.config.retention_days)
                    pruned = time.monotonic()
            except Exception:  # a database hiccup must not end the broker; try again later
                log.exception("learning.tick_failed")
            await asyncio.sleep(self.config.ab_tick_s)


def _model_version(store: FleetStore) -> Callable[[str], str]:
    def version(device_id: str) -> str:
        gateway = store.gateway(device_id)
        return gateway.model_version if gateway is not None else ""
    return version
