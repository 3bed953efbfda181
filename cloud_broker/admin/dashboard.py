"""The broker's web dashboard under ``/dashboard``: server-rendered HTML, no JavaScript.

The only module that imports Jinja2. A user signs in by pasting an admin token of any role;
the session cookie (HttpOnly, SameSite=Strict, Secure behind TLS) is an opaque id of a
session held in the process (``auth.Sessions``), so logging out, a restart or revoking the
token ends it. Pages: the fleet, one gateway, rollouts, usage and the audit log; all read-only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
import structlog
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from cloud_broker.admin.auth import SESSION_TTL_S, Guard, Principal, Sessions, behind_tls
from cloud_broker.fleet import CommandRecord, FleetStore, Gateway, RolloutController, status_json

log = structlog.get_logger("cloud_broker.admin.dashboard")

COOKIE = "nanogate_session"
_HERE = Path(__file__).parent
_STATIC_TYPES = {".css": "text/css; charset=utf-8"}
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send "Origin: null"
    "Cache-Control": "no-store",
}


class Pages:
    """Renders the templates with autoescaping and a few formatting filters."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"),
                                       autoescape=True, undefined=jinja2.StrictUndefined)
        self._env.filters.update(ago=lambda ts: _ago(ts, clock()), when=_when,
                                 percent=_percent, money=_money)
        self._clock = clock

    def render(self, name: str, who: Principal | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        """One page as a response with the dashboard's security headers."""
        html = self._env.get_template(name).render(who=who, page=name.removesuffix(".html"),
                                                   **context)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    seconds = max(0.0, now - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _percent(rate: Any) -> str:
    return "" if rate is None or rate == "" else f"{100 * float(rate):.0f} %"


def _money(value: Any) -> str:
    return f"{float(value or 0):.4f}"


def gateway_row(g: Gateway, now: float, offline_after_s: float) -> dict[str, Any]:
    """A gateway as the fleet table shows it, online/offline derived from its heartbeats."""
    online = g.last_seen is not None and now - g.last_seen < offline_after_s
    status = "revoked" if g.revoked else ("online" if online else "offline")
    h = g.health
    return {"id": g.id, "site": g.site, "tags": list(g.tags), "status": status,
            "last_seen": g.last_seen, "agent": g.agent_version, "model": g.model_version,
            "config": g.config_version, "outbox": h.get("outbox_depth", ""),
            "local_rate": h.get("local_answer_rate"), "errors": h.get("errors", ""),
            "requests": h.get("requests", ""), "health": dict(sorted(h.items()))}


def command_row(c: CommandRecord) -> dict[str, Any]:
    """A command as the device page shows it."""
    return {"id": c.id, "name": c.name, "args": c.args_json, "state": c.state,
            "ok": "" if c.ok is None else ("yes" if c.ok else "no"), "created": c.created,
            "acked_at": c.acked_at, "result": _compact(c.result_json)}


def _compact(text: str) -> str:
    try:
        return json.dumps(json.loads(text), separators=(", ", ": ")) if text else ""
    except ValueError:
        return text


def dashboard_routes(store: FleetStore, guard: Guard, usage: Callable[[], dict[str, Any]],
                     rollouts: RolloutController | None, *,
                     offline_after_s: float = 60.0) -> APIRouter:
    """The ``/dashboard`` pages, its sign-in and sign-out, and its stylesheet."""
    sessions, pages = Sessions(guard), Pages()
    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    _session_routes(router, guard, sessions, pages)

    def signed_in(request: Request) -> Principal | None:
        return sessions.holder(request.cookies.get(COOKIE, ""))

    @router.get("/")
    def fleet(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        now = time.time()
        rows = [gateway_row(g, now, offline_after_s) for g in store.gateways()]
        counts = {s: sum(r["status"] == s for r in rows) for s in ("online", "offline", "revoked")}
        return pages.render("fleet.html", who, gateways=rows, counts=counts)

    @router.get("/devices/{device_id}")
    def device(device_id: str, request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        gateway = store.gateway(device_id)
        if gateway is None:
            return pages.render("missing.html", who, 404, what=f"gateway {device_id}")
        return pages.render(
            "device.html", who, g=gateway_row(gateway, time.time(), offline_after_s),
            commands=[command_row(c) for c in store.commands(device_id)[:20]],
            pending=store.pending_commands(device_id),
            escalations=store.recent_escalations(device_id, 20))

    @router.get("/rollouts")
    def rollout_list(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        found = [] if rollouts is None else [status_json(rollouts.status(r.id))
                                             for r in rollouts.rollouts()[:20]]
        return pages.render("rollouts.html", who, enabled=rollouts is not None, rollouts=found)

    @router.get("/usage")
    def spend(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        return pages.render("usage.html", who, u=usage())

    @router.get("/audit")
    def audit(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        return pages.render("audit.html", who, entries=guard.access.audit(limit=200))

    return router


def _session_routes(router: APIRouter, guard: Guard, sessions: Sessions, pages: Pages) -> None:
    @router.get("/login")
    def login_form() -> Response:
        return pages.render("login.html", None, error="")

    @router.post("/login")
    async def login(request: Request) -> Response:
        _same_origin(request)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        who = guard.identify(form.get("token", [""])[0].strip())
        if who is None:
            log.warning("session.refused", client=request.client.host if request.client else "")
            return pages.render("login.html", None, 401,
                                error="That is not a live admin token. Paste a viewer, "
                                      "operator or admin token, without 'Bearer'.")
        guard.access.record(actor=who.name, role=who.role, action="session.created",
                            target="dashboard")
        response = RedirectResponse("/dashboard/", status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, sessions.issue(who), max_age=SESSION_TTL_S,
                            path="/dashboard", httponly=True, samesite="strict",
                            secure=behind_tls(request))
        return response

    @router.get("/logout")
    def logout(request: Request) -> Response:
        sessions.end(request.cookies.get(COOKIE, ""))  # the cookie is worthless from now on
        response = RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict")
        return response

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        path = _HERE / "static" / name
        kind = _STATIC_TYPES.get(path.suffix)
        if kind is None or path.parent != _HERE / "static" or not path.is_file():
            raise HTTPException(404, "no such file")
        return Response(path.read_bytes(), media_type=kind,
                        headers={"Cache-Control": "max-age=3600"})


def _same_origin(request: Request) -> None:
    """Refuse a sign-in posted from another site (login CSRF); browsers send Origin."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        raise HTTPException(403, "sign-in from another site refused")


def _to_login() -> Response:
    return RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
