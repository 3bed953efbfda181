"""An ASGI app in front of FastAPI that serves the hot routes straight, past its middleware.

FastAPI wraps every request in several middleware layers, an exit stack and a dependency
solver: for ``/v1/chat/completions``, about a tenth of the broker's CPU per request.
``FastPath`` finds the endpoints of the hot routes in routers the FastAPI app includes (so
they stay documented, tested and served there too) and calls them itself with a Starlette
``Request``; every other request goes to FastAPI untouched. A hot endpoint must take only the
request and return a ``Response``; it gets no dependency injection, and its errors reach the
server (uvicorn answers 500 and logs them), as they would through FastAPI's error middleware.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class FastPath:
    """Serves ``hot`` (method, path) pairs straight from their endpoints in ``routers`` (which
    ``app`` includes too); everything else through ``app``."""

    def __init__(self, app: FastAPI, routers: Iterable[APIRouter],
                 hot: Iterable[tuple[str, str]]) -> None:
        self.app = app
        routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
        self._hot = {(method, path): _endpoint(routes, method, path) for method, path in hot}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one ASGI connection."""
        endpoint = self._hot.get((scope.get("method", ""), scope.get("path", "")))
        if endpoint is None or scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # what request.app would be under FastAPI
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)


def _endpoint(routes: list[APIRoute], method: str, path: str) -> Endpoint:
    """The async endpoint of the route at (method, path); it must take only the request."""
    for route in routes:
        if route.path == path and method in (route.methods or ()):
            params = list(inspect.signature(route.endpoint).parameters.values())
            one_request = len(params) == 1 and params[0].annotation in (Request, "Request")
            if not (inspect.iscoroutinefunction(route.endpoint) and one_request):
                raise TypeError(f"{method} {path}: a hot endpoint is `async def f(request)`")
            endpoint: Endpoint = route.endpoint
            return endpoint
    raise LookupError(f"no route {method} {path} in the routers")
