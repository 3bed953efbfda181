"""The link between the gateway and the cloud broker: one interface, several transports."""

from edge_agent.sync.grpc import GrpcTransport
from edge_agent.sync.link import Link, escalate_request
from edge_agent.sync.transport import Identity, Transport

__all__ = ["GrpcTransport", "Identity", "Link", "Transport", "escalate_request"]
