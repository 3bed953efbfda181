"""A cap on request bodies, before any route reads them.

FastAPI reads a JSON body before it checks the caller's token, and the dashboard's sign-in
reads its form whole: without a cap, anyone who reaches the HTTP port could make the broker
hold a body of any size in memory. ``BodyLimit`` answers 413 to a body over its limit, from
its declared length or, for a chunked one, once the limit is passed; it buffers at most the
limit. Paths that cap their own bodies (``/v1``) or take large ones after checking the
caller's role (artefact uploads) are passed through as they are.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1 << 20
PASS_THROUGH = ("/v1/", "/api/artefacts/")


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit`` bytes, except under ``exempt``."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES,
                 exempt: tuple[str, ...] = PASS_THROUGH) -> None:
        self.app, self._limit, self._exempt = app, limit, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection, the body read first (up to the limit) where it is capped."""
        if scope["type"] != "http" or scope.get("path", "").startswith(self._exempt):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.isdigit() and int(length) > self._limit:
            await self._refuse(send)
            return
        messages = await self._read(receive)
        if messages is None:
            await self._refuse(send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _read(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None once they pass the limit."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self._limit:
                return None
            if not message.get("more_body", False):
                return messages

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"the request body is larger than {self._limit} bytes"})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body.encode()})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out the messages read already, then the connection's own."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
