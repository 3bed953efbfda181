"""The link between the gateway and the cloud broker: one interface, several transports."""

from edge_agent.sync.grpc import GrpcTransport
from edge_agent.sync.link import Link, SendOutcome, escalate_request
from edge_agent.sync.mqtt_transport import MqttTransport, mqtt_transport
from edge_agent.sync.transport import Identity, Transport

__all__ = ["GrpcTransport", "Identity", "Link", "MqttTransport", "SendOutcome", "Transport",
           "escalate_request", "mqtt_transport"]
