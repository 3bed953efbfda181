"""The HTTP client an OpenAI-compatible backend POSTs through: the only importer of aiohttp.

``AiohttpWire`` is one ``aiohttp.ClientSession`` per backend: a keep-alive pool of at most
``max_connections`` connections (``TCPConnector``), replies parsed by aiohttp's C parser
(llhttp), TLS verified against the system's CAs, and the proxy the environment names
(``https_proxy``, ``no_proxy``, ...) honoured. The proxy is looked up once, when the wire is
made, with the helper aiohttp's ``trust_env`` uses: ``trust_env`` itself would look it up (and
read ``~/.netrc``) on every request, in two thread-pool hops, which cost ten times the rest of
the call's CPU. The session is made lazily inside the running loop (aiohttp binds it to one
loop), and again if the loop changes.

Errors: every failure to connect, a connection lost mid-reply, and a reply that is not
HTTP raise ``WireError``; the caller translates it. A cancelled or timed-out call closes its
connection (a half-read reply must never be read by the next call); so does a reply given
back before it was read to its end. The caller bounds each call (``asyncio.timeout``); the
wire adds only a connect timeout. A POST is never sent twice: a kept-alive connection the
server closed just as the request left is an error, not a retry (aiohttp retries only
idempotent methods); it goes again only if aiohttp found that connection closing before it
wrote a byte.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL


class WireError(Exception):
    """The backend could not be reached, or its reply was broken or cut short."""


class Reply(Protocol):
    """A reply whose status line and headers have arrived; the body follows."""

    status: int

    async def read(self) -> bytes:
        """The whole body."""
        ...

    def lines(self) -> AsyncIterator[str]:
        """The body line by line (server-sent events), without line ends."""
        ...

    async def aclose(self) -> None:
        """Give the connection back (or close it, if the reply was not read to its end)."""
        ...


class Wire(Protocol):
    """POSTs JSON bodies to one URL."""

    async def post(self, body: bytes) -> Reply:
        """Send one request; return once the reply's headers are in."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


def wire_for(url: str, headers: Mapping[str, str], *, max_connections: int,
             timeout_s: float) -> Wire:
    """The wire for ``url`` (through the environment's proxy, if it names one for it)."""
    return AiohttpWire(url, headers, max_connections=max_connections, timeout_s=timeout_s)


# What aiohttp says when the connection it took from the pool was closing before any byte of
# the request was written: then, and only then, the request may go again on another.
_NOTHING_SENT = "Cannot write to closing transport"


def _nothing_sent(exc: BaseException | None) -> bool:
    """Whether ``exc`` comes of a request not written at all (aiohttp wraps it in others)."""
    while exc is not None:
        if isinstance(exc, aiohttp.ClientConnectionResetError) and str(exc) == _NOTHING_SENT:
            return True
        exc = exc.__cause__
    return False


def _wire_error(exc: aiohttp.ClientError | ValueError) -> WireError:
    """Our error for one of aiohttp's, saying which kind of failure it was."""
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return WireError(f"cannot connect: {exc}")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return WireError(f"reply cut short: {exc!r}")
    return WireError(f"broken reply or connection: {exc!r}")


class _AiohttpReply:
    """A reply on one of the session's connections."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response, self.status = response, response.status

    async def read(self) -> bytes:
        """The whole body."""
        try:
            return await self._response.read()
        except aiohttp.ClientError as exc:
            raise _wire_error(exc) from exc

    async def lines(self) -> AsyncIterator[str]:
        """The body line by line, without line ends."""
        content = self._response.content
        while True:
            try:
                line = await content.readline()
            except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a line over 128 KiB
                raise _wire_error(exc) from exc
            if not line:
                return
            yield line.rstrip(b"\r\n").decode(errors="replace")

    async def aclose(self) -> None:
        """Give the connection back, or close it if the body was not read to its end."""
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class AiohttpWire:
    """Keep-alive connections to one backend, at most ``max_connections`` at once."""

    def __init__(self, url: str, headers: Mapping[str, str], *, max_connections: int,
                 timeout_s: float) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._url = URL(url)
        self._proxy: URL | None = None
        self._proxy_auth: aiohttp.BasicAuth | None = None
        with contextlib.suppress(LookupError):  # LookupError: no proxy for this URL
            self._proxy, self._proxy_auth = get_env_proxy_for_url(self._url)
        self._headers = {"Content-Type": "application/json", **headers}
        self._max = max_connections
        self._connect_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, body: bytes) -> Reply:
        """Send one request; return once the reply's headers are in."""
        try:
            try:
                response = await self._send(body)
            except aiohttp.ClientOSError as exc:
                if not _nothing_sent(exc):
                    raise
                # A kept-alive connection the server closed as it was taken: no byte left.
                response = await self._send(body)
        except aiohttp.ClientError as exc:
            raise _wire_error(exc) from exc
        return _AiohttpReply(response)

    async def _send(self, body: bytes) -> aiohttp.ClientResponse:
        return await self._session_here().post(
            self._url, data=body, proxy=self._proxy, proxy_auth=self._proxy_auth)

    async def aclose(self) -> None:
        """Close every connection."""
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = self._loop = None

    def _session_here(self) -> aiohttp.ClientSession:
        """The session of the running loop, made on first use (connections are per loop)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            if self._session is not None:
                self._session.detach()  # its loop is gone, and its connections with it
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max, ssl=True),
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_s))
            self._loop = loop
        return self._session
