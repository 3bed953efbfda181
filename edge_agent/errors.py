"""The edge agent's exception tree.

    EdgeAgentError
     ├── ConfigError        the config file or environment is wrong; fix it and restart
     ├── CloudUnavailable   the broker cannot be reached now; the caller queues and retries
     ├── CloudRejected      the broker answered with a refusal (bad credential, over budget)
     ├── PolicyViolation    an actuation the policy forbids; the reason is in the message
     ├── StoreFull          the outbox or disk is full; nothing new is accepted until it drains
     └── UpdateFailed       one stage of a rollout failed; the running version stays
"""

from typing import Literal

Stage = Literal["fetch", "verify", "install", "smoke", "health"]


class EdgeAgentError(Exception):
    """Root of every error the edge agent raises on purpose."""


class ConfigError(EdgeAgentError):
    """The configuration is invalid; the message says which key and why."""


class CloudUnavailable(EdgeAgentError):
    """The cloud broker cannot be reached right now."""


class CloudRejected(EdgeAgentError):
    """The cloud broker refused the call; retrying the same call will not help."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PolicyViolation(EdgeAgentError):
    """An actuation outside the actuation policy; ``key`` and ``fields`` name its message in
    the catalogues (``edge_agent.messages``), so a reply can say it in the request's language."""

    def __init__(self, message: str, key: str = "", **fields: object) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields


class StoreFull(EdgeAgentError):
    """The outbox reached its cap or the disk is full."""


class UpdateFailed(EdgeAgentError):
    """One stage of an install failed; the running version stays (``health``: rolled back)."""

    def __init__(self, stage: Stage, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message
