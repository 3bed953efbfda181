"""The backends' HTTP wire (aiohttp) against a raw loopback server that scripts its replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec
from cloud_broker.backends.wire import AiohttpWire, Wire, WireError, wire_for
from cloud_broker.errors import BackendError

OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s")
COMPLETION = (b'{"model": "m", "choices": [{"message": {"content": "hi"}}],'
              b' "usage": {"prompt_tokens": 3, "completion_tokens": 1}}')

# A reply script: given the request number on this server and its body, what to send back
# (bytes), and whether to close the connection afterwards.
Script = Callable[[int, bytes], tuple[bytes, bool]]


def _ok(n: int, body: bytes) -> tuple[bytes, bool]:
    return OK % (len(body), body), False


@dataclass
class _Served:
    """What a scripted server saw: its URL, and per TCP connection the request lines."""

    url: str
    connections: list[list[bytes]] = field(default_factory=list)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)  # a connection closed


@asynccontextmanager
async def _server(script: Script) -> AsyncIterator[_Served]:
    """A loopback HTTP server answering by ``script``."""
    served = _Served("")
    count = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        requests: list[bytes] = []
        served.connections.append(requests)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                requests.append(head.split(b"\r\n")[0])
                count += 1
                reply, close = script(count, body)
                writer.write(reply)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        await writer.wait_closed()
        served.hung_up.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    served.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat/completions"
    try:
        yield served
    finally:
        server.close()
        await server.wait_closed()


def _wire(url: str) -> Wire:
    return wire_for(url, {}, max_connections=4, timeout_s=5)


async def _post(wire: Wire, body: bytes) -> tuple[int, bytes]:
    reply = await wire.post(body)
    try:
        return reply.status, await reply.read()
    finally:
        await reply.aclose()


def _backend(url: str) -> OpenAIBackend:
    return OpenAIBackend(OpenAISpec(name="b", base_url=url.removesuffix("/chat/completions"),
                                    model="m"))


async def _complete(url: str) -> None:
    backend = _backend(url)
    try:
        await backend.complete([{"role": "user", "content": "?"}], max_tokens=8, timeout=5,
                               tools=None)
    finally:
        await backend.aclose()


def test_sequential_calls_reuse_one_connection() -> None:
    """Three calls in a row travel on one keep-alive connection, each with its own reply."""
    async def run() -> tuple[list[tuple[int, bytes]], list[int]]:
        async with _server(_ok) as served:
            wire = _wire(served.url)
            replies = [await _post(wire, b'{"n": %d}' % i) for i in range(3)]
            await wire.aclose()
            return replies, [len(requests) for requests in served.connections]

    replies, per_connection = asyncio.run(run())
    assert replies == [(200, b'{"n": %d}' % i) for i in range(3)]
    assert per_connection == [3]


def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    """A server that closes after each reply (without saying so) costs a reconnect, not an error."""
    async def run() -> tuple[list[tuple[int, bytes]], list[int]]:
        async with _server(lambda n, body: (_ok(n, body)[0], True)) as served:
            wire = _wire(served.url)
            replies = []
            for i in range(3):
                replies.append(await _post(wire, b"[%d]" % i))
                await served.hung_up.wait()  # the server closed the idle connection
                served.hung_up.clear()
            await wire.aclose()
            return replies, [len(requests) for requests in served.connections]

    replies, per_connection = asyncio.run(run())
    assert replies == [(200, b"[%d]" % i) for i in range(3)]
    assert per_connection == [1, 1, 1]


def test_chunked_server_sent_events_come_out_line_by_line() -> None:
    """Chunk borders inside a line do not split it; the last line needs no line end."""
    chunks = [b"data: {\"a\"", b": 1}\r\n\r\ndata: [DO", b"NE]"]
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"

    async def run() -> list[str]:
        async with _server(lambda n, body: (reply, False)) as served:
            wire = _wire(served.url)
            answer = await wire.post(b"{}")
            try:
                return [line async for line in answer.lines()]
            finally:
                await answer.aclose()
                await wire.aclose()

    assert asyncio.run(run()) == ['data: {"a": 1}', "", "data: [DONE]"]


def test_a_reply_cut_short_is_a_backend_error() -> None:
    """A body shorter than its Content-Length, then a closed connection: BackendError."""
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + COMPLETION[:20]

    async def run() -> None:
        async with _server(lambda n, body: (cut, True)) as served:
            await _complete(served.url)

    with pytest.raises(BackendError, match=r"unreachable.*cut short"):
        asyncio.run(run())


def test_a_reply_that_is_not_http_is_a_backend_error() -> None:
    """Garbage where a status line belongs: BackendError, not a crash."""
    async def run() -> None:
        async with _server(lambda n, body: (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", True)) as served:
            await _complete(served.url)

    with pytest.raises(BackendError, match=r"unreachable"):
        asyncio.run(run())


def test_a_timed_out_call_does_not_leave_its_late_reply_to_the_next() -> None:
    """The first call times out; its reply arrives later; the second call gets its own."""
    async def run() -> tuple[int, bytes]:
        release = asyncio.Event()

        async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            body = await reader.readexactly(length)
            if body == b"first":
                await release.wait()
            writer.write(OK % (len(body), body))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(late, "127.0.0.1", 0)
        wire = AiohttpWire(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", {},
                           max_connections=1, timeout_s=5)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await _post(wire, b"first")
        release.set()
        try:
            return await _post(wire, b"second")
        finally:
            await wire.aclose()
            server.close()
            await server.wait_closed()

    assert asyncio.run(run()) == (200, b"second")


def test_a_refused_connection_is_a_wire_error(free_port: int) -> None:
    """Nothing listening: WireError naming the address."""
    async def run() -> None:
        wire = _wire(f"http://127.0.0.1:{free_port}/x")
        try:
            await _post(wire, b"{}")
        finally:
            await wire.aclose()

    with pytest.raises(WireError, match=f"127.0.0.1:{free_port}"):
        asyncio.run(run())


def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """http_proxy sends a call through the proxy; a host in no_proxy is called directly."""
    async def run() -> tuple[list[list[bytes]], list[list[bytes]]]:
        async with _server(_ok) as proxy, _server(_ok) as backend:
            monkeypatch.setenv("http_proxy", proxy.url.removesuffix("/v1/chat/completions"))
            monkeypatch.setenv("no_proxy", "127.0.0.1")
            for url in ("http://api.example.invalid/v1/chat/completions", backend.url):
                wire = _wire(url)
                assert await _post(wire, b"{}") == (200, b"{}")
                await wire.aclose()
            return proxy.connections, backend.connections

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    via_proxy, direct = asyncio.run(run())
    assert via_proxy == [[b"POST http://api.example.invalid/v1/chat/completions HTTP/1.1"]]
    assert direct == [[b"POST /v1/chat/completions HTTP/1.1"]]
