"""The broker's admin HTTP API: fleet, commands, enrolment tokens, usage.

Every route under ``/api`` needs ``Authorization: Bearer <admin token>`` with a role high
enough for it (``auth.py``: viewer reads, operator acts, admin manages credentials); every
mutating call is audited. The ``cloud-broker`` CLI is a client of this API, so it works
against a running broker, local or remote.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cloud_broker.backends.worker import WorkerStatus
from cloud_broker.errors import InvalidRequest
from cloud_broker.fleet import (
    Artefact,
    ArtefactStore,
    CommandRecord,
    FleetStore,
    Gateway,
    RolloutController,
    RolloutSpec,
    status_json,
)
from cloud_broker.fleet.artefacts import KINDS, NeedsAdmin, check_unprivileged
from cloud_broker.fleet.enrolment import EnrolToken
from cloud_broker.http.apidocs import DOCS_HEADERS, api_docs_page
from cloud_broker.http.auth import Guard, access_routes
from cloud_broker.http.dashboard import dashboard_routes
from cloud_broker.http.insights import Insights
from cloud_broker.http.learning import learning_routes
from cloud_broker.learning import Learning
from cloud_broker.queue import OperatorQueue

OFFLINE_AFTER_S = 60.0


class CommandBody(BaseModel):
    """A command for one gateway or every gateway with a tag."""

    model_config = ConfigDict(extra="forbid")

    device: str | None = None
    tag: str | None = None
    name: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    ttl_s: float = Field(default=3600.0, gt=0, le=30 * 86400)


class TokenBody(BaseModel):
    """A request for a one-time enrolment token."""

    model_config = ConfigDict(extra="forbid")

    site: str = Field(min_length=1, max_length=64)
    tags: list[str] = Field(default_factory=list)
    ttl_s: float | None = Field(default=7 * 86400, gt=0)
    # Bind the token to one gateway id: the only way to enrol a known gateway again without
    # its current credential (after its identity file was lost, say).
    device: str | None = Field(default=None, max_length=64)


def enrol_token_json(t: EnrolToken) -> dict[str, Any]:
    """An enrolment token as the API lists it: never its secret."""
    return {"id": t.id, "site": t.site, "tags": list(t.tags), "reusable": t.reusable,
            "created": t.created, "expires": t.expires, "used_by": t.used_by,
            "device": t.device_id, "source": t.source, "revoked": t.revoked}


def gateway_json(g: Gateway, now: float | None = None) -> dict[str, Any]:
    """A gateway as the API shows it, with online/offline derived from its heartbeats."""
    now = time.time() if now is None else now
    online = g.last_seen is not None and now - g.last_seen < OFFLINE_AFTER_S
    return {"id": g.id, "site": g.site, "tags": list(g.tags), "online": online,
            "revoked": g.revoked, "last_seen": g.last_seen, "enrolled_at": g.enrolled_at,
            "versions": {"agent": g.agent_version, "model": g.model_version,
                         "config": g.config_version}, "health": g.health}


def command_json(c: CommandRecord) -> dict[str, Any]:
    """A command as the API shows it."""
    return {"id": c.id, "device": c.device_id, "name": c.name, "args": json.loads(c.args_json),
            "state": c.state, "ok": c.ok, "created": c.created, "expires_at": c.expires_at,
            "result": json.loads(c.result_json) if c.result_json else None}


def admin_routes(store: FleetStore, guard: Guard, usage: Callable[[], dict[str, Any]],
                 insights: Insights | None = None) -> APIRouter:
    """The ``/api`` routes for the fleet, each checked for its role."""
    viewer = guard.require("viewer")
    operator, admin = guard.require("operator"), guard.require("admin")
    api = APIRouter(prefix="/api")

    @api.get("/gateways", dependencies=[Depends(viewer)])
    def list_gateways() -> list[dict[str, Any]]:
        return [gateway_json(g) for g in store.gateways()]

    @api.get("/gateways/{device_id}", dependencies=[Depends(viewer)])
    def show_gateway(device_id: str) -> dict[str, Any]:
        gateway = store.gateway(device_id)
        if gateway is None:
            raise HTTPException(404, f"no gateway {device_id!r}")
        return {**gateway_json(gateway),
                "commands": [command_json(c) for c in store.commands(device_id)[:20]]}

    @api.post("/gateways/{device_id}/revoke", dependencies=[Depends(admin)])
    def revoke(device_id: str, request: Request) -> dict[str, Any]:
        with guard.audited(request, "gateway.revoked", device_id):
            if not store.revoke(device_id):
                raise HTTPException(404, f"no gateway {device_id!r}")
        return {"revoked": device_id}

    @api.post("/commands", dependencies=[Depends(operator)])
    def send_command(body: CommandBody, request: Request) -> dict[str, Any]:
        target = f"device:{body.device}" if body.device else f"tag:{body.tag}"
        with guard.audited(request, "command.sent", target, {"name": body.name, "args": body.args}):
            targets = _targets(store, body.device, body.tag)
            ids = store.add_commands(targets, body.name, json.dumps(body.args), body.ttl_s)
        return {"commands": [{"device": t, "id": i} for t, i in zip(targets, ids, strict=True)]}

    @api.get("/commands", dependencies=[Depends(viewer)])
    def list_commands(device: str | None = None) -> list[dict[str, Any]]:
        return [command_json(c) for c in store.commands(device)]

    @api.post("/tokens", dependencies=[Depends(operator)])
    def create_token(body: TokenBody, request: Request) -> dict[str, Any]:
        with guard.audited(request, "enrol_token.created", f"site:{body.site}",
                           {"tags": body.tags, "ttl_s": body.ttl_s, "device": body.device}):
            try:
                token = store.create_enrol_token(site=body.site, tags=body.tags,
                                                 ttl_s=body.ttl_s, device_id=body.device)
            except InvalidRequest as exc:
                raise HTTPException(422, str(exc)) from exc
        return {"token": token, "site": body.site, "tags": body.tags, "device": body.device}

    @api.get("/tokens", dependencies=[Depends(operator)])
    def list_tokens() -> list[dict[str, Any]]:
        return [enrol_token_json(t) for t in store.enrol_tokens.tokens()]

    @api.post("/tokens/{token_id}/revoke", dependencies=[Depends(operator)])
    def revoke_token(token_id: str, request: Request) -> dict[str, Any]:
        with guard.audited(request, "enrol_token.revoked", token_id):
            revoked = store.enrol_tokens.revoke(token_id, store.now())
            if revoked is None:
                raise HTTPException(404, f"no live enrolment token {token_id!r}")
        return enrol_token_json(revoked)

    @api.get("/usage", dependencies=[Depends(viewer)])
    def show_usage(since: float = 0.0) -> dict[str, Any]:
        """Spend by backend, gateway, site and API key since `since` (Unix seconds)."""
        return insights.usage(since) if insights is not None else usage()

    return api


def _targets(store: FleetStore, device: str | None, tag: str | None) -> list[str]:
    if bool(device) == bool(tag):
        raise HTTPException(422, "name exactly one target: a device or a tag")
    if device:
        if store.gateway(device) is None:
            raise HTTPException(404, f"no gateway {device!r}")
        return [device]
    found = [g.id for g in store.gateways() if tag in g.tags and not g.revoked]
    if not found:
        raise HTTPException(404, f"no gateway has the tag {tag!r}")
    return found


def create_app(store: FleetStore, guard: Guard, usage: Callable[[], dict[str, Any]],
               extra: list[APIRouter] | None = None, *,
               rollouts: RolloutController | None = None,
               insights: Insights | None = None,
               queue: OperatorQueue | None = None,
               workers: Callable[[], Sequence[WorkerStatus]] = tuple,
               learning: Learning | None = None) -> FastAPI:
    """The broker's HTTP application: admin API, audit log, dashboard, and extra routes.

    ``/`` leads to the dashboard. FastAPI's Swagger and ReDoc pages load their scripts from a
    CDN, so they are off; ``/api/docs`` is a plain page drawn from the OpenAPI document.
    """
    app = FastAPI(title="nanogate broker", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    # First: a request is matched against the routes in order, and the extra routes carry
    # the hot path (the OpenAI-compatible /v1); their paths overlap no admin route.
    for router in extra or []:
        app.include_router(router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/", status_code=307)

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(api_docs_page(app.openapi()), headers=DOCS_HEADERS)

    app.include_router(admin_routes(store, guard, usage, insights))
    app.include_router(access_routes(guard))
    if learning is not None:
        app.include_router(learning_routes(learning, guard))
    app.include_router(dashboard_routes(store, guard, usage, rollouts, insights=insights,
                                        offline_after_s=OFFLINE_AFTER_S, queue=queue,
                                        workers=workers, learning=learning))
    return app


def artefact_json(a: Artefact) -> dict[str, Any]:
    """An artefact as the API shows it."""
    return {"name": a.name, "version": a.version, "kind": a.kind, "sha256": a.sha256,
            "signature": a.signature, "key_id": a.key_id, "size": a.size, "created": a.created,
            "seq": a.seq, "trust": a.trust}


def rollout_routes(rollouts: RolloutController, artefacts: ArtefactStore,
                   guard: Guard) -> APIRouter:
    """``/api/artefacts`` and ``/api/rollouts``: viewers read, operators act."""
    viewer, operator = guard.require("viewer"), guard.require("operator")
    api = APIRouter(prefix="/api")

    @api.put("/artefacts/{kind}/{name}/{version}", dependencies=[Depends(operator)])
    async def put_artefact(kind: str, name: str, version: str, request: Request) -> dict[str, Any]:
        data = await request.body()

        def put() -> dict[str, Any]:  # hashing, signing and the store: off the event loop
            admin = guard.caller(request).role == "admin"
            with guard.audited(request, "artefact.pushed", f"{name} {version}",
                               {"kind": kind, "size": len(data), "trust": admin}):
                try:
                    if not admin and kind in KINDS:
                        check_unprivileged(kind, data)
                    return artefact_json(artefacts.put(kind, name, version, data, trust=admin))
                except NeedsAdmin as exc:
                    raise HTTPException(403, f"{exc}; ask an admin to push it") from exc
                except ValueError as exc:
                    raise HTTPException(409 if "immutable" in str(exc) else 422,
                                        str(exc)) from exc

        return await run_in_threadpool(put)

    @api.get("/artefacts", dependencies=[Depends(viewer)])
    def list_artefacts(name: str | None = None) -> list[dict[str, Any]]:
        return [artefact_json(a) for a in artefacts.artefacts(name)]

    @api.get("/artefacts/key", dependencies=[Depends(viewer)])
    def signing_key() -> dict[str, str]:
        return {"public_key": artefacts.public_key}

    @api.post("/rollouts", dependencies=[Depends(operator)])
    def create_rollout(body: RolloutSpec, request: Request) -> dict[str, Any]:
        with guard.audited(request, "rollout.created", f"{body.artefact} {body.version}",
                           body.model_dump(include={"tag", "devices", "waves", "soak_s"})):
            try:
                return status_json(rollouts.create(body, time.time()))
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from exc

    @api.get("/rollouts", dependencies=[Depends(viewer)])
    def list_rollouts() -> list[dict[str, Any]]:
        return [status_json(rollouts.status(r.id)) for r in rollouts.rollouts()]

    @api.get("/rollouts/{rollout_id}", dependencies=[Depends(viewer)])
    def show_rollout(rollout_id: str) -> dict[str, Any]:
        try:
            return status_json(rollouts.status(rollout_id))
        except KeyError as exc:
            raise HTTPException(404, f"no rollout {rollout_id!r}") from exc

    @api.post("/rollouts/{rollout_id}/{action}", dependencies=[Depends(operator)])
    def act_on_rollout(rollout_id: str, action: str,
                       request: Request) -> dict[str, Any]:
        verbs = {"pause": rollouts.pause, "resume": rollouts.resume, "abort": rollouts.abort}
        if action not in verbs:
            raise HTTPException(404, f"unknown action {action!r}: pause, resume or abort")
        past = {"pause": "paused", "resume": "resumed", "abort": "aborted"}[action]
        with guard.audited(request, f"rollout.{past}", rollout_id):
            try:
                return status_json(verbs[action](rollout_id, time.time()))
            except KeyError as exc:
                raise HTTPException(404, f"no rollout {rollout_id!r}") from exc

    return api
