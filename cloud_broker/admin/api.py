"""The broker's admin HTTP API: fleet, commands, enrolment tokens, usage.

Every route under ``/api`` needs ``Authorization: Bearer <admin token>``. The ``cloud-broker``
CLI is a client of this API, so it works against a running broker, local or remote.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

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


def _checker(admin_token: str) -> Callable[[str], None]:
    def check(authorization: Annotated[str, Header()] = "") -> None:
        given = authorization.removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given, admin_token):
            raise HTTPException(401, "missing or wrong admin token (Authorization: Bearer ...)")

    return check


def admin_routes(store: FleetStore, admin_token: str,
                 usage: Callable[[], dict[str, Any]]) -> APIRouter:
    """The ``/api`` routes, checked against the admin token."""
    api = APIRouter(prefix="/api", dependencies=[Depends(_checker(admin_token))])

    @api.get("/gateways")
    def list_gateways() -> list[dict[str, Any]]:
        return [gateway_json(g) for g in store.gateways()]

    @api.get("/gateways/{device_id}")
    def show_gateway(device_id: str) -> dict[str, Any]:
        gateway = store.gateway(device_id)
        if gateway is None:
            raise HTTPException(404, f"no gateway {device_id!r}")
        return {**gateway_json(gateway),
                "commands": [command_json(c) for c in store.commands(device_id)[:20]]}

    @api.post("/gateways/{device_id}/revoke")
    def revoke(device_id: str) -> dict[str, Any]:
        if not store.revoke(device_id):
            raise HTTPException(404, f"no gateway {device_id!r}")
        return {"revoked": device_id}

    @api.post("/commands")
    def send_command(body: CommandBody) -> dict[str, Any]:
        targets = _targets(store, body.device, body.tag)
        ids = [store.add_command(t, body.name, json.dumps(body.args), body.ttl_s)
               for t in targets]
        return {"commands": [{"device": t, "id": i} for t, i in zip(targets, ids, strict=True)]}

    @api.get("/commands")
    def list_commands(device: str | None = None) -> list[dict[str, Any]]:
        return [command_json(c) for c in store.commands(device)]

    @api.post("/tokens")
    def create_token(body: TokenBody) -> dict[str, Any]:
        token = store.create_enrol_token(site=body.site, tags=body.tags, ttl_s=body.ttl_s)
        return {"token": token, "site": body.site, "tags": body.tags}

    @api.get("/usage")
    def show_usage() -> dict[str, Any]:
        return usage()

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


def create_app(store: FleetStore, admin_token: str, usage: Callable[[], dict[str, Any]],
               extra: list[APIRouter] | None = None) -> FastAPI:
    """The broker's HTTP application."""
    app = FastAPI(title="nanogate broker", docs_url="/api/docs", openapi_url="/api/openapi.json")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(admin_routes(store, admin_token, usage))
    for router in extra or []:
        app.include_router(router)
    return app


def artefact_json(a: Artefact) -> dict[str, Any]:
    """An artefact as the API shows it."""
    return {"name": a.name, "version": a.version, "kind": a.kind, "sha256": a.sha256,
            "signature": a.signature, "key_id": a.key_id, "size": a.size, "created": a.created}


def rollout_routes(rollouts: RolloutController, artefacts: ArtefactStore,
                   admin_token: str) -> APIRouter:
    """``/api/artefacts`` and ``/api/rollouts``, checked against the admin token."""
    api = APIRouter(prefix="/api", dependencies=[Depends(_checker(admin_token))])

    @api.put("/artefacts/{kind}/{name}/{version}")
    async def put_artefact(kind: str, name: str, version: str,
                           request: Request) -> dict[str, Any]:
        try:
            return artefact_json(artefacts.put(kind, name, version, await request.body()))
        except ValueError as exc:
            raise HTTPException(409 if "immutable" in str(exc) else 422, str(exc)) from exc

    @api.get("/artefacts")
    def list_artefacts(name: str | None = None) -> list[dict[str, Any]]:
        return [artefact_json(a) for a in artefacts.artefacts(name)]

    @api.get("/artefacts/key")
    def signing_key() -> dict[str, str]:
        return {"public_key": artefacts.public_key}

    @api.post("/rollouts")
    def create_rollout(body: RolloutSpec) -> dict[str, Any]:
        try:
            return status_json(rollouts.create(body, time.time()))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    @api.get("/rollouts")
    def list_rollouts() -> list[dict[str, Any]]:
        return [status_json(rollouts.status(r.id)) for r in rollouts.rollouts()]

    @api.get("/rollouts/{rollout_id}")
    def show_rollout(rollout_id: str) -> dict[str, Any]:
        try:
            return status_json(rollouts.status(rollout_id))
        except KeyError as exc:
            raise HTTPException(404, f"no rollout {rollout_id!r}") from exc

    @api.post("/rollouts/{rollout_id}/{action}")
    def act_on_rollout(rollout_id: str, action: str) -> dict[str, Any]:
        verbs = {"pause": rollouts.pause, "resume": rollouts.resume, "abort": rollouts.abort}
        if action not in verbs:
            raise HTTPException(404, f"unknown action {action!r}: pause, resume or abort")
        try:
            return status_json(verbs[action](rollout_id, time.time()))
        except KeyError as exc:
            raise HTTPException(404, f"no rollout {rollout_id!r}") from exc

    return api
