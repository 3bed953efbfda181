"""The cloud broker's exception tree.

    BrokerError
     ├── ConfigError          the config file or environment is wrong
     ├── Unauthenticated      a missing, unknown, revoked or reused credential or token
     ├── InvalidRequest       a gateway's request is malformed; retrying it will not help
     ├── RetryLater           the request cannot be served now (a duplicate is in flight)
     ├── NotFound             a gateway asked for something that does not exist (an artefact)
     ├── Conflict             an operator decision on a queue item already decided or expired
     ├── OverBudget           a budget (device, site or global) is spent; the message says which
     ├── NoBackendAvailable   every backend in the chain failed, timed out or is cooling down
     │    ├── UnknownModel         no backend serves the model the request named (permanent)
     │    └── ModelsStarting       ... and a local model among them is (re)starting: retry later
     └── BackendError         one backend failed (raised inside the router, which falls back)
          ├── BackendRateLimited   the backend answered 429
          └── BackendStarting      a local model's worker is starting or restarting
"""

from __future__ import annotations

from nanogate import link


class BrokerError(Exception):
    """Root of every error the broker raises on purpose."""


class ConfigError(BrokerError):
    """The configuration is invalid; the message says which key and why."""


class Unauthenticated(BrokerError):
    """The caller's credential or enrolment token is missing, unknown, revoked or used."""


class InvalidRequest(BrokerError):
    """A gateway's request is malformed or too large; the message says what is wrong."""


class RetryLater(BrokerError):
    """The request cannot be served now but may succeed if sent again."""


class NotFound(BrokerError):
    """A gateway asked for something the broker does not have."""


class Conflict(BrokerError):
    """The thing exists but its state forbids the change (a decided or expired queue item)."""


class OverBudget(BrokerError):
    """A spending or token budget is exhausted."""


class NoBackendAvailable(BrokerError):
    """No backend could serve the request; the message lists what each one said."""


class UnknownModel(NoBackendAvailable):
    """The request named a model no backend serves; asking again will not help."""


class ModelsStarting(NoBackendAvailable):
    """No backend answered, but a local model is starting: the request may be sent again."""


class BackendError(BrokerError):
    """A single backend failed; the router tries the next one."""


class BackendRateLimited(BackendError):
    """A backend answered 429 Too Many Requests."""


class BackendStarting(BackendError):
    """A local model's worker is starting or restarting; it will answer soon."""


# What a gateway is told for each error the link core raises, on gRPC and on the MQTT uplink
# alike: the status (nanogate.link) and a prefix for the message. First match wins.
_LINK_STATUS: tuple[tuple[type[BrokerError], str, str], ...] = (
    (Unauthenticated, link.UNAUTHENTICATED, ""),
    (InvalidRequest, link.INVALID_ARGUMENT, ""),
    (RetryLater, link.UNAVAILABLE, ""),
    (NoBackendAvailable, link.UNAVAILABLE, "no model backend: "),
    (NotFound, link.NOT_FOUND, ""),
)


def link_status(exc: BrokerError) -> tuple[str, str] | None:
    """The status and message a gateway gets for ``exc``; None if it is not for a gateway."""
    for kind, status, prefix in _LINK_STATUS:
        if isinstance(exc, kind):
            return status, f"{prefix}{exc}"
    return None
