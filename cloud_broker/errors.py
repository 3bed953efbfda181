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
     │    ├── RequestRejected      every backend tried refused the request itself (permanent)
     │    └── ModelsStarting       ... and a local model among them is (re)starting: retry later
     └── BackendError         one backend failed (raised inside the router, which falls back)
          ├── BackendRateLimited   the backend answered 429
          ├── BackendRejected      the backend refused this request (too long for its context,
          │                        malformed): not the backend's fault, not retried there
          └── BackendStarting      a local model's worker is starting or restarting
"""

from __future__ import annotations

import re

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


class RequestRejected(NoBackendAvailable):
    """Every backend that was tried refused the request itself; sending it again will not help.

    ``code`` is OpenAI's error code for it: ``context_length_exceeded`` or ``invalid_request``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class ModelsStarting(NoBackendAvailable):
    """No backend answered, but a local model is starting: the request may be sent again."""


class BackendError(BrokerError):
    """A single backend failed; the router tries the next one."""


class BackendRateLimited(BackendError):
    """A backend answered 429 Too Many Requests."""


CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"
INVALID_REQUEST = "invalid_request"
# How backends word a prompt longer than the context: OpenAI's code, vLLM's and llama.cpp
# server's messages and types, llama-cpp-python's "Requested tokens (N) exceed context window".
_OVERFLOW = re.compile(r"context[_ ](length|window|size)|exceed_context|too many tokens"
                       r"|maximum context", re.IGNORECASE)


def rejection_code(text: str) -> str:
    """``CONTEXT_LENGTH_EXCEEDED`` if a backend's refusal says the prompt was too long, else
    ``INVALID_REQUEST``."""
    return CONTEXT_LENGTH_EXCEEDED if _OVERFLOW.search(text) else INVALID_REQUEST


class BackendRejected(BackendError):
    """The backend refused this request because of the request (a prompt longer than its
    context, a body it calls invalid); ``code`` says which (``CONTEXT_LENGTH_EXCEEDED`` or
    ``INVALID_REQUEST``). The router neither counts it against the backend nor retries there."""

    def __init__(self, message: str, code: str = INVALID_REQUEST) -> None:
        super().__init__(message)
        self.code = code


class BackendStarting(BackendError):
    """A local model's worker is starting or restarting; it will answer soon."""


# What a gateway is told for each error the link core raises, on gRPC and on the MQTT uplink
# alike: the status (nanogate.link) and a prefix for the message. First match wins.
_LINK_STATUS: tuple[tuple[type[BrokerError], str, str], ...] = (
    (Unauthenticated, link.UNAUTHENTICATED, ""),
    (InvalidRequest, link.INVALID_ARGUMENT, ""),
    (RetryLater, link.UNAVAILABLE, ""),
    (RequestRejected, link.INVALID_ARGUMENT, ""),  # before its parent: never to be replayed
    (NoBackendAvailable, link.UNAVAILABLE, "no model backend: "),
    (NotFound, link.NOT_FOUND, ""),
)


def link_status(exc: BrokerError) -> tuple[str, str] | None:
    """The status and message a gateway gets for ``exc``; None if it is not for a gateway."""
    for kind, status, prefix in _LINK_STATUS:
        if isinstance(exc, kind):
            return status, f"{prefix}{exc}"
    return None
