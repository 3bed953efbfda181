"""``/api/keys``: the admin routes behind ``cloud-broker keys``; the store is
``cloud_broker.apikeys``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud_broker.apikeys import ApiKeyStore
from cloud_broker.http.auth import Guard


class KeyBody(BaseModel):
    """A request for a new API key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)


def apikey_admin_routes(keys: ApiKeyStore, guard: Guard) -> APIRouter:
    """`/api/keys` routes for the `cloud-broker keys` CLI: admins only, audited."""
    admin = guard.require("admin")
    api = APIRouter(prefix="/api/keys")

    @api.post("", dependencies=[Depends(admin)])
    def create_key(body: KeyBody, request: Request) -> dict[str, Any]:
        with guard.audited(request, "api_key.created", body.name):
            key, plaintext = keys.create(body.name)
        return {**asdict(key), "key": plaintext}

    @api.get("", dependencies=[Depends(admin)])
    def list_keys() -> list[dict[str, Any]]:
        return [asdict(k) for k in keys.list()]

    @api.post("/{key_id}/revoke", dependencies=[Depends(admin)])
    def revoke_key(key_id: str, request: Request) -> dict[str, str]:
        with guard.audited(request, "api_key.revoked", key_id):
            if not keys.revoke(key_id):
                raise HTTPException(404, f"no live API key {key_id!r}")
        return {"revoked": key_id}

    return api
