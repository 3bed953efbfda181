"""The gateway-facing link: one core (``core``) that gRPC (``grpc``) and the MQTT uplink
(``mqtt``) both carry, the broker-side mirror of the gateway's ``edge_agent.sync``."""
