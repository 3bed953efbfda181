"""nanogate's edge agent: the daemon on the IoT gateway.

It ingests telemetry over MQTT, triages requests with a nano ONNX model, answers IoT queries and
commands locally, and escalates hard requests to the cloud broker through a durable outbox.
"""

from edge_agent.config import EdgeConfig, load_config
from edge_agent.errors import (
    CloudRejected,
    CloudUnavailable,
    ConfigError,
    EdgeAgentError,
    PolicyViolation,
    StoreFull,
)

__all__ = [
    "CloudRejected",
    "CloudUnavailable",
    "ConfigError",
    "EdgeAgentError",
    "EdgeConfig",
    "PolicyViolation",
    "StoreFull",
    "load_config",
]
