"""The broker's web dashboard under ``/dashboard``: server-rendered HTML, no JavaScript.

The only module that imports Jinja2. A user signs in by pasting an admin token of any role;
the session cookie (HttpOnly, SameSite=Strict, Secure behind TLS) is an opaque id of a
session held in the process (``auth.Sessions``), so logging out, a restart or revoking the
token ends it. Pages: the fleet (alerts and charts), one gateway, escalations, rollouts,
learning (labels and A/B tests), usage, the operator queue and the audit log. All are
read-only but the queue, whose forms let operators and admins claim, answer, approve and
reject (each decision audited); the others are refreshed by the browser every ``REFRESH_S``
seconds. Charts are inline SVG drawn by ``charts.py``; what each page shows is computed in
``views.py`` (``learning.py`` for the learning page).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
import structlog
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from cloud_broker.backends.worker import WorkerStatus
from cloud_broker.errors import Conflict, NotFound
from cloud_broker.fleet import FleetStore, RolloutController, status_json
from cloud_broker.fleet.access import role_at_least
from cloud_broker.http import units, views
from cloud_broker.http.auth import SESSION_TTL_S, Guard, Principal, Sessions, behind_tls
from cloud_broker.http.insights import Insights
from cloud_broker.http.learning import ab_chart, learning_json
from cloud_broker.http.queue import PAST, decide
from cloud_broker.journal import CHART_POINTS
from cloud_broker.learning import Learning
from cloud_broker.queue import STATES, OperatorQueue

log = structlog.get_logger("cloud_broker.http.dashboard")

COOKIE = "nanogate_session"
REFRESH_S = 30  # pages reload themselves this often (a meta refresh: no script needed)
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
        self._env.filters.update(ago=lambda ts: units.ago(ts, clock()), when=units.when,
                                 percent=units.percent, money=units.money, count=units.count,
                                 millis=units.millis, duration=units.duration,
                                 label=units.label)
        self._clock = clock

    def render(self, name: str, who: Principal | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        """One page as a response with the dashboard's security headers."""
        # A page with forms passes refresh=0: a reload would wipe what the operator types.
        refresh = context.pop("refresh", REFRESH_S if who else 0)
        html = self._env.get_template(name).render(who=who, page=name.removesuffix(".html"),
                                                   refresh=refresh, **context)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)


def dashboard_routes(store: FleetStore, guard: Guard, usage: Callable[[], dict[str, Any]],
                     rollouts: RolloutController | None, *, insights: Insights | None = None,
                     offline_after_s: float = 60.0,
                     queue: OperatorQueue | None = None,
                     workers: Callable[[], Sequence[WorkerStatus]] = tuple,
                     learning: Learning | None = None) -> APIRouter:
    """The ``/dashboard`` pages, its sign-in and sign-out, and its stylesheet; `workers`:
    the local models' worker processes, for the fleet page's model panel; `learning`: labels
    and A/B tests, for the learning page."""
    sessions, pages = Sessions(guard), Pages()
    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    _session_routes(router, guard, sessions, pages)

    def signed_in(request: Request) -> Principal | None:
        return sessions.holder(request.cookies.get(COOKIE, ""))

    def rollout_docs(limit: int = 20) -> list[dict[str, Any]]:
        return [] if rollouts is None else [status_json(rollouts.status(r.id))
                                            for r in rollouts.rollouts()[:limit]]

    @router.get("/")
    def fleet(request: Request, hours: float | None = None) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        now = time.time()
        since, _ = views.window(hours, now)
        raw = store.gateways()
        rows = [views.gateway_row(g, now, offline_after_s) for g in raw]
        counts = {s: sum(r["status"] == s for r in rows) for s in ("online", "offline", "revoked")}
        running = workers()
        return pages.render(
            "fleet.html", who, gateways=rows, counts=counts,
            workers=[views.worker_row(w, now) for w in running],
            alerts=views.alerts(rows, raw, insights, rollout_docs(), now, running),
            charts=views.overview_charts(insights, since, now) if insights else [],
            summary=_summary(insights, since), hours=(now - since) / 3600)

    @router.get("/devices/{device_id}")
    def device(device_id: str, request: Request, hours: float | None = None) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        gateway = store.gateway(device_id)
        if gateway is None:
            return pages.render("missing.html", who, 404, what=f"gateway {device_id}")
        now = time.time()
        since, _ = views.window(hours, now)
        journal = insights.journal if insights else None
        samples = journal.history(since=since, device=device_id,
                                  max_points=CHART_POINTS) if journal else []
        return pages.render(
            "device.html", who, g=views.gateway_row(gateway, now, offline_after_s),
            commands=[views.command_row(c) for c in store.commands(device_id)[:20]],
            pending=store.pending_commands(device_id),
            charts=views.device_charts(samples, since, now) if journal else [],
            escalations=journal.escalations(20, device=device_id) if journal else [],
            claims=[] if journal else store.recent_escalations(device_id, 20))

    @router.get("/escalations")
    def escalations(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        journal = insights.journal if insights else None
        return pages.render("escalations.html", who, enabled=journal is not None,
                            entries=journal.escalations(100) if journal else [],
                            currency=insights.currency if insights else units.CURRENCY)

    @router.get("/rollouts")
    def rollout_list(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        return pages.render("rollouts.html", who, enabled=rollouts is not None,
                            rollouts=rollout_docs())

    @router.get("/usage")
    def spend(request: Request, hours: float | None = None) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        now = time.time()
        since, _ = views.window(hours, now)
        if insights is None:
            return pages.render("usage.html", who, u=usage(), charts=[], budgets=[],
                                currency=units.CURRENCY, window="since the ledger began")
        answered = views.share_points(
            insights.journal.history(since=since, max_points=CHART_POINTS)
            if insights.journal else [])[1]
        return pages.render("usage.html", who, u=insights.usage(since),
                            charts=[views.money_chart(insights, answered, since, now)],
                            budgets=views.budget_rows(insights), currency=insights.currency,
                            window=f"for the last {(now - since) / 3600:.0f} hours")

    @router.get("/learning")
    def learning_page(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        if learning is None:
            return pages.render("learning.html", who, l=None, tests=[])
        doc = learning_json(learning)
        journal = insights.journal if insights else None
        return pages.render("learning.html", who, l=doc, tests=[
            {"doc": t, "chart": ab_chart(learning, t, journal)} for t in doc["ab_tests"]])

    @router.get("/audit")
    def audit(request: Request) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        return pages.render("audit.html", who, entries=guard.access.audit(limit=200))

    if queue is not None:
        _queue_routes(router, queue, guard, pages, signed_in)
    return router


def _queue_routes(router: APIRouter, queue: OperatorQueue, guard: Guard, pages: Pages,
                  signed_in: Callable[[Request], Principal | None]) -> None:
    """``/dashboard/queue``: the operator queue, with forms to claim, answer, approve, reject."""

    @router.get("/queue")
    def queue_page(request: Request, state: str = "", kind: str = "",
                   gateway: str = "", done: str = "", error: str = "") -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        items = queue.items(state=state or None, kind=kind or None, gateway=gateway or None,
                            limit=200)
        return pages.render("queue.html", who, items=[i.as_json() for i in items],
                            state=state, kind=kind, gateway=gateway, states=STATES,
                            may_decide=role_at_least(who.role, "operator"), refresh=0,
                            done=done[:200], error=error[:300])

    @router.post("/queue/{item_id}/{verb}")
    async def queue_decide(item_id: str, verb: str, request: Request) -> Response:
        _same_origin(request)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        # The session, the queue and the audit log are database calls: off the event loop.
        return await run_in_threadpool(decide_from_form, item_id, verb, request,
                                       form.get("text", [""])[0])

    def decide_from_form(item_id: str, verb: str, request: Request, text: str) -> Response:
        if (who := signed_in(request)) is None:
            return _to_login()
        if verb not in PAST:
            raise HTTPException(404, f"unknown action {verb!r}")
        guard.permit(who, "operator", f"{verb} queue item")
        try:
            decide(queue, verb, item_id, who.name, text)
        except (NotFound, Conflict, ValueError) as exc:
            guard.access.record(actor=who.name, role=who.role, action=f"queue.{PAST[verb]}",
                                target=item_id, args={"text": text} if text else None,
                                outcome=f"error: {exc}")
            return _back_to_queue(error=str(exc))
        guard.access.record(actor=who.name, role=who.role, action=f"queue.{PAST[verb]}",
                            target=item_id, args={"text": text} if text else None)
        return _back_to_queue(done=f"{item_id} {PAST[verb]}")


def _back_to_queue(**message: str) -> Response:
    return RedirectResponse(f"/dashboard/queue?{urlencode(message)}", status_code=303,
                            headers=_HEADERS)


def _summary(insights: Insights | None, since: float) -> dict[str, str]:
    """The cards above the fleet table: what the window cost and saved."""
    if insights is None:
        return {}
    u = insights.usage(since)
    asked = u["local_answers"] + u["calls"]
    return {"spent": units.money(u["cost"], u["currency"]),
            "saved": units.money(u["saved_by_edge"], u["currency"]),
            "local": units.share(u["local_answers"], asked),
            "calls": units.count(u["calls"])}


def _session_routes(router: APIRouter, guard: Guard, sessions: Sessions, pages: Pages) -> None:
    @router.get("/login")
    def login_form() -> Response:
        return pages.render("login.html", None, error="")

    @router.post("/login")
    async def login(request: Request) -> Response:
        _same_origin(request)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        return await run_in_threadpool(sign_in, request, form.get("token", [""])[0].strip())

    def sign_in(request: Request, token: str) -> Response:
        who = guard.identify(token)  # a database look-up: in the thread pool
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
