"""Triage: the nano model that decides what the gateway answers itself and what escalates.

``Triage(registry).classify(text)`` returns a ``Decision``: intent, route, calibrated
confidence, the request's language (en, de, fr, es, nl), and slots resolved against the
registry. Inference needs only numpy and
onnxruntime; training (``python -m training.triage.train``) needs the ``train`` extra.
"""

from edge_agent.triage.decision import INTENTS, LOCAL_INTENTS, Classifier, Decision, Intent, Slots
from edge_agent.triage.triage import Triage

__all__ = ["INTENTS", "LOCAL_INTENTS", "Classifier", "Decision", "Intent", "Slots", "Triage"]
