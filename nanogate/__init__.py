"""The shared core both sides of the nanogate link import; neither side imports the other.

- ``v1``: the edge-cloud protocol, generated from ``protos/nanogate/v1/*.proto`` by
  ``make protos`` (never edit by hand; ``make test`` checks that it is current).
- ``link``: the rest of the link contract: status names, retryable statuses, MQTT uplink
  topics, size limits, loopback and port rules.
- ``mqtt``: the one MQTT client (the only module that imports paho), with manual acks.
- ``uplink_tls``: TLS for the MQTT uplink and the rule that a remote uplink needs it.
- ``settings``: the config loader (a TOML file under environment variables).
- ``logging``: the one structlog set-up the command lines call.
- ``signatures``, ``secret_files``: artefact signatures, and secrets read from files.
"""
