"""Training of the triage model: corpus, network, calibration, ONNX export, model card.

``python -m training.triage.train`` rebuilds ``edge_agent/triage/model/``. Needs the ``train``
extra (onnx, hassil, home-assistant-intents); the gateway imports none of this.
"""
