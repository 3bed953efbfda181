"""The link between the gateway and the cloud broker: one interface, several transports.

``GrpcTransport`` is imported on first use: a gateway on the MQTT uplink never loads gRPC
(about 17 MB of resident memory, docs/performance.md).
"""

from typing import TYPE_CHECKING, Any

from edge_agent.sync.link import Link, SendOutcome, escalate_request
from edge_agent.sync.mqtt_transport import MqttTransport, mqtt_transport
from edge_agent.sync.transport import Identity, Transport

if TYPE_CHECKING:
    from edge_agent.sync.grpc import GrpcTransport

__all__ = ["GrpcTransport", "Identity", "Link", "MqttTransport", "SendOutcome", "Transport",
           "escalate_request", "mqtt_transport"]


def __getattr__(name: str) -> Any:
    if name == "GrpcTransport":
        from edge_agent.sync.grpc import GrpcTransport

        return GrpcTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
