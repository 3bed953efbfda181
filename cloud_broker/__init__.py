"""nanogate's cloud broker: routes escalations to larger models and manages the fleet.

``link/`` serves the gateways (gRPC and the MQTT uplink over one core), ``routing/`` decides
which model answers and accounts for it, ``backends/`` holds the model backends (local models
in worker processes), ``fleet/`` the data layer, enrolment and rollouts, ``queue`` the operator
queue, ``http/`` the admin API, ``/v1`` and the dashboard, and ``cli/`` the command; ``app``
wires them together.
"""
