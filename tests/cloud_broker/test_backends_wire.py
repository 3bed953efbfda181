"""The backends' lean HTTP/1.1 pool against a raw loopback server that scripts its replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from cloud_broker.backends.openai import OpenAIBackend
from cloud_broker.backends.spec import OpenAISpec
from cloud_broker.backends.wire import Http1Pool, HttpxWire, WireError, wire_for
from cloud_broker.errors import BackendError

OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s")
COMPLETION = (b'{"model": "m", "choices": [{"message": {"content": "hi"}}],'
              b' "usage": {"prompt_tokens": 3, "completion_tokens": 1}}')

# A reply script: given the request number on this server and its body, what to send back
# (bytes), and whether to close the connection afterwards.
Script = Callable[[int, bytes], tuple[bytes, bool]]


def _ok(n: int, body: bytes) -> tuple[bytes, bool]:
    return OK % (len(body), body), False


@asynccontextmanager
async def _server(script: Script) -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback HTTP server; yields its URL and a list with one entry per connection."""
    connections: list[int] = []
    count = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        connections.append(len(connections))
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                count += 1
                reply, close = script(count, body)
                writer.write(reply)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1/chat/completions", connections
    finally:
        server.close()


async def _post(pool: Http1Pool, body: bytes) -> tuple[int, bytes]:
    reply = await pool.post(body)
    try:
        return reply.status, await reply.read()
    finally:
        await reply.aclose()


def test_sequential_calls_reuse_one_connection() -> None:
    """Three calls in a row travel on one keep-alive connection, each with its own reply."""
    async def run() -> tuple[list[tuple[int, bytes]], list[int]]:
        async with _server(_ok) as (url, connections):
            pool = Http1Pool(url, {}, max_connections=4)
            replies = [await _post(pool, b'{"n": %d}' % i) for i in range(3)]
            await pool.aclose()
            return replies, connections

    replies, connections = asyncio.run(run())
    assert replies == [(200, b'{"n": %d}' % i) for i in range(3)]
    assert len(connections) == 1


def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    """A server that closes after each reply (without saying so) costs a reconnect, not an error."""
    async def run() -> tuple[list[tuple[int, bytes]], list[int]]:
        async with _server(lambda n, body: (_ok(n, body)[0], True)) as (url, connections):
            pool = Http1Pool(url, {}, max_connections=1)
            replies = []
            for i in range(3):
                replies.append(await _post(pool, b"[%d]" % i))
                await asyncio.sleep(0)  # let the close arrive, as it would between requests
            return replies, connections

    replies, connections = asyncio.run(run())
    assert replies == [(200, b"[%d]" % i) for i in range(3)]
    assert len(connections) == 3


def test_chunked_server_sent_events_come_out_line_by_line() -> None:
    """Chunk borders inside a line do not split it; the last line needs no line end."""
    chunks = [b"data: {\"a\"", b": 1}\n\ndata: [DO", b"NE]"]
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"

    async def run() -> list[str]:
        async with _server(lambda n, body: (reply, False)) as (url, _connections):
            pool = Http1Pool(url, {}, max_connections=1)
            answer = await pool.post(b"{}")
            try:
                return [line async for line in answer.lines()]
            finally:
                await answer.aclose()

    assert asyncio.run(run()) == ['data: {"a": 1}', "", "data: [DONE]"]


def test_a_reply_cut_short_is_a_backend_error() -> None:
    """A body shorter than its Content-Length, then a closed connection: BackendError."""
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + COMPLETION[:20]

    async def run() -> None:
        async with _server(lambda n, body: (cut, True)) as (url, _connections):
            spec = OpenAISpec(name="cut", base_url=url.removesuffix("/chat/completions"),
                              model="m")
            backend = OpenAIBackend(spec)
            await backend.complete([{"role": "user", "content": "?"}], max_tokens=8,
                                   timeout=5, tools=None)

    with pytest.raises(BackendError, match=r"unreachable.*mid-reply"):
        asyncio.run(run())


def test_a_timed_out_call_does_not_leave_its_late_reply_to_the_next() -> None:
    """The first call times out; its reply arrives later; the second call gets its own."""
    async def run() -> tuple[int, bytes]:
        release = asyncio.Event()

        async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\r")[0]))
            if body == b"first":
                await release.wait()
            writer.write(OK % (len(body), body))
            await writer.drain()

        server = await asyncio.start_server(late, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        pool = Http1Pool(url, {}, max_connections=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await _post(pool, b"first")
        release.set()
        try:
            return await _post(pool, b"second")
        finally:
            server.close()

    assert asyncio.run(run()) == (200, b"second")


def test_a_refused_connection_is_a_wire_error(free_port: int) -> None:
    """Nothing listening: WireError naming the address."""
    pool = Http1Pool(f"http://127.0.0.1:{free_port}/x", {}, max_connections=1)
    with pytest.raises(WireError, match=f"127.0.0.1:{free_port}"):
        asyncio.run(_post(pool, b"{}"))


def test_a_proxy_in_the_environment_is_used_through_httpx(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx knows proxies; the lean pool does not, so a proxied URL gets httpx."""
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    proxied = wire_for("https://api.example.invalid/v1/chat/completions", {},
                       max_connections=1, timeout_s=1)
    direct = wire_for("http://127.0.0.1:9/v1/chat/completions", {}, max_connections=1,
                      timeout_s=1)
    assert isinstance(proxied, HttpxWire) and isinstance(direct, Http1Pool)


def test_the_httpx_wire_posts_and_reads_like_the_pool() -> None:
    """The proxy path (httpx) answers the same status and body as the lean pool."""
    async def run() -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        async with _server(_ok) as (url, _connections):
            got = []
            for wire in (HttpxWire(url, {}, max_connections=1, timeout_s=5),
                         Http1Pool(url, {}, max_connections=1)):
                reply = await wire.post(b'{"same": true}')
                try:
                    got.append((reply.status, await reply.read()))
                finally:
                    await reply.aclose()
                await wire.aclose()
            return got[0], got[1]

    via_httpx, via_pool = asyncio.run(run())
    assert via_httpx == via_pool == (200, b'{"same": true}')
