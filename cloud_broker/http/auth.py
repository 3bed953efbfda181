"""Who calls the admin API, whether their role allows it, and the audit log of what they did.

Roles nest: ``viewer`` reads (every GET, the dashboard); ``operator`` also sends commands,
runs rollouts, creates enrolment tokens and pushes artefacts; ``admin`` also manages API
keys and admin tokens and revokes gateways. The token from the config (or the data dir) is
the bootstrap admin, named ``bootstrap``; the others live, hashed, in the fleet database.

A missing or unknown token gets 401; a known token with too small a role gets 403, and the
attempt is written to the audit log beside every mutating action and its outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud_broker.fleet.access import BOOTSTRAP, AccessStore, AuditEntry, Role, role_at_least

log = structlog.get_logger("cloud_broker.http.auth")

SESSION_TTL_S = 8 * 3600
MAX_SESSIONS = 10_000  # live dashboard sessions one process keeps; the oldest go first


def bearer_token(authorization: str) -> str:
    """The credential in an ``Authorization: Bearer <credential>`` header, the scheme in any
    case (RFC 7235); a header without the scheme is taken as the credential itself."""
    scheme, _, credential = authorization.strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else authorization.strip()


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of an admin token: its id, name and role."""

    id: str
    name: str
    role: Role


class Sessions:
    """Dashboard sessions held by the process: a cookie is a random id, worth nothing once the
    user logs out, the session expires, the token is revoked or the process restarts."""

    def __init__(self, guard: Guard, ttl_s: float = SESSION_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._guard = guard
        self._ttl_s = ttl_s
        self._clock = clock
        self._live: dict[str, tuple[str, float]] = {}  # hash of the id -> (token id, expiry)

    def issue(self, who: Principal) -> str:
        """A new session for a signed-in principal; its id is the cookie's value."""
        now = self._clock()
        self._live = {k: v for k, v in self._live.items() if v[1] > now}
        while len(self._live) >= MAX_SESSIONS:
            del self._live[next(iter(self._live))]
        session_id = secrets.token_urlsafe(32)
        self._live[_digest(session_id)] = (who.id, now + self._ttl_s)
        return session_id

    def holder(self, cookie: str) -> Principal | None:
        """The principal of a live, unexpired session whose token is still live, or None."""
        found = self._live.get(_digest(cookie)) if cookie else None
        if found is None or found[1] < self._clock():
            return None
        return self._guard.by_id(found[0])

    def end(self, cookie: str) -> None:
        """Log out: the session's cookie stops working at once."""
        self._live.pop(_digest(cookie), None)


def behind_tls(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a TLS proxy)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Guard:
    """Checks admin tokens and roles, and writes the audit log."""

    def __init__(self, bootstrap_token: str, access: AccessStore) -> None:
        self._bootstrap = bootstrap_token
        self.access = access

    def identify(self, secret: str) -> Principal | None:
        """The principal a token secret belongs to, or None."""
        if not secret:
            return None
        if self._bootstrap and hmac.compare_digest(secret.encode(), self._bootstrap.encode()):
            return Principal(BOOTSTRAP, BOOTSTRAP, "admin")
        token = self.access.verify(secret)
        return Principal(token.id, token.name, token.role) if token else None

    def by_id(self, token_id: str) -> Principal | None:
        """The principal of a live token by id (how a dashboard session finds its holder)."""
        if token_id == BOOTSTRAP:
            return Principal(BOOTSTRAP, BOOTSTRAP, "admin")
        token = self.access.token(token_id)
        return Principal(token.id, token.name, token.role) if token else None

    def require(self, needed: Role) -> Callable[..., Principal]:
        """A FastAPI dependency: the caller, if their token has at least ``needed``."""

        def check(request: Request, authorization: Annotated[str, Header()] = "") -> Principal:
            who = self.identify(bearer_token(authorization))
            if who is None:
                raise HTTPException(401, "missing or unknown admin token; send "
                                    "'Authorization: Bearer <token>'",
                                    headers={"WWW-Authenticate": "Bearer"})
            self.permit(who, needed, f"{request.method} {request.url.path}")
            request.state.principal = who
            return who

        return check

    def permit(self, who: Principal, needed: Role, what: str) -> None:
        """Raise 403 (and audit the attempt) unless ``who`` has at least ``needed``."""
        if role_at_least(who.role, needed):
            return
        self.access.record(actor=who.name, role=who.role, action="request.denied",
                           target=what, args={"needs": needed}, outcome="denied")
        log.warning("request.denied", actor=who.name, role=who.role, needs=needed, what=what)
        raise HTTPException(403, f"the token {who.name!r} has the role {who.role!r}, but "
                            f"{what} needs {needed!r} or higher; ask an admin for such a token")

    @staticmethod
    def caller(request: Request) -> Principal:
        """The principal a ``require`` dependency admitted for this request."""
        who = getattr(request.state, "principal", None)
        if not isinstance(who, Principal):
            raise RuntimeError(f"{request.url.path} has no role check; add one to its route")
        return who

    @contextmanager
    def audited(self, request: Request, action: str, target: str = "",
                args: dict[str, Any] | None = None) -> Iterator[None]:
        """Record the caller's action in the block with its outcome: ok, or the error raised."""
        who = self.caller(request)
        try:
            yield
        except HTTPException as exc:
            self._record(who, action, target, args, f"error: {exc.status_code} {exc.detail}")
            raise
        except Exception as exc:
            self._record(who, action, target, args, f"error: {type(exc).__name__}")
            raise
        self._record(who, action, target, args, "ok")

    def _record(self, who: Principal, action: str, target: str, args: dict[str, Any] | None,
                outcome: str) -> None:
        self.access.record(actor=who.name, role=who.role, action=action, target=target,
                           args=args, outcome=outcome)
        log.info("audit.recorded", actor=who.name, role=who.role, action=action,
                 target=target, outcome=outcome)


class AdminTokenBody(BaseModel):
    """A request for a new admin token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")
    role: Role


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as the API shows it."""
    return asdict(entry)


def access_routes(guard: Guard) -> APIRouter:
    """``/api/admin-tokens`` (admin), ``/api/audit`` and ``/api/whoami`` (viewer)."""
    api = APIRouter(prefix="/api")
    viewer, admin = guard.require("viewer"), guard.require("admin")

    @api.get("/whoami", dependencies=[Depends(viewer)])
    def whoami(request: Request) -> dict[str, str]:
        who = guard.caller(request)
        return {"name": who.name, "role": who.role}

    @api.post("/admin-tokens", dependencies=[Depends(admin)])
    def create_admin_token(body: AdminTokenBody, request: Request) -> dict[str, Any]:
        with guard.audited(request, "admin_token.created", body.name, {"role": body.role}):
            try:
                token, secret = guard.access.create_token(body.name, body.role,
                                                          guard.caller(request).name)
            except ValueError as exc:
                raise HTTPException(409, str(exc)) from exc
        return {**asdict(token), "token": secret}

    @api.get("/admin-tokens", dependencies=[Depends(admin)])
    def list_admin_tokens() -> list[dict[str, Any]]:
        return [asdict(t) for t in guard.access.tokens()]

    @api.post("/admin-tokens/{id_or_name}/revoke", dependencies=[Depends(admin)])
    def revoke_admin_token(id_or_name: str, request: Request) -> dict[str, str]:
        with guard.audited(request, "admin_token.revoked", id_or_name):
            revoked = guard.access.revoke_token(id_or_name)
            if revoked is None:
                raise HTTPException(404, f"no live admin token {id_or_name!r} (id or name)")
        return {"revoked": revoked.id, "name": revoked.name}

    @api.get("/audit", dependencies=[Depends(viewer)])
    def show_audit(limit: int = 100, actor: str | None = None,
                   action: str | None = None) -> list[dict[str, Any]]:
        entries = guard.access.audit(limit=max(1, min(limit, 1000)), actor=actor, action=action)
        return [audit_json(e) for e in entries]

    return api
