"""`GET /api/backends`: each model backend, its breaker and, for a local model, its worker."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from cloud_broker.http.auth import Guard
from cloud_broker.routing.router import Router


def backend_json(router: Router) -> list[dict[str, Any]]:
    """The backends in config order, with breaker and worker state."""
    workers = {w.name: w.status() for w in router.workers()}
    breakers = router.breaker_states()
    return [{"name": b.name, "model": b.model, "tier": b.tier, "breaker": breakers[b.name],
             "worker": asdict(workers[b.name]) if b.name in workers else None}
            for b in router.backends()]


def backend_routes(router: Router, guard: Guard) -> APIRouter:
    """The read-only backends view for viewers (the `cloud-broker backends` command)."""
    api = APIRouter(prefix="/api/backends")

    @api.get("", dependencies=[Depends(guard.require("viewer"))])
    def list_backends() -> list[dict[str, Any]]:
        return backend_json(router)

    return api
