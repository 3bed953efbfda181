"""A TCP proxy on loopback that misbehaves on request: the project's own network-fault injector.

Between a gateway and its broker it can pass traffic, refuse new connections, stall (accept
and forward nothing), reset every open connection, or add latency. Tests and the fleet
simulator drive it from their own thread: ``proxy = NetProxy(target_port).start()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

Mode = Literal["pass", "refuse", "stall"]
T = TypeVar("T")


@dataclass
class Stats:
    """What the proxy saw."""

    accepted: int = 0
    refused: int = 0
    resets: int = 0
    bytes_up: int = 0
    bytes_down: int = 0


@dataclass
class NetProxy:
    """Listens on 127.0.0.1:<port> and forwards to 127.0.0.1:<target_port>."""

    target_port: int
    port: int = 0
    mode: Mode = "pass"
    latency_s: float = 0.0
    stats: Stats = field(default_factory=Stats)
    record_up: bool = False  # keep every byte sent upstream in ``sent_up`` (tests read it)
    sent_up: bytearray = field(default_factory=bytearray)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _ready: threading.Event = field(default_factory=threading.Event)
    _flowing: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> NetProxy:
        """Run the proxy in a background thread; returns once it listens."""
        threading.Thread(target=self._run, name="netproxy", daemon=True).start()
        if not self._ready.wait(10):
            raise TimeoutError("the proxy did not start")
        return self

    def set_mode(self, mode: Mode) -> None:
        """Change how new and existing connections are treated."""
        self.mode = mode
        assert self._loop is not None
        self._loop.call_soon_threadsafe(
            self._flowing.clear if mode == "stall" else self._flowing.set)

    def reset_all(self) -> int:
        """Send a TCP RST on every open connection; returns how many."""
        return self._call(self._reset_all)

    def stop(self) -> None:
        """Close everything and stop the thread."""
        if self._loop is not None and self._loop.is_running():
            self._call(self._close)
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _call(self, fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(fn(), self._loop).result(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._listen())
        self._ready.set()
        self._loop.run_forever()

    async def _listen(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            self.stats.refused += 1
            _abort(writer)
            return
        self.stats.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            self.stats.refused += 1
            _abort(writer)
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer, up=True),
                             self._pump(up_reader, writer, up=False), return_exceptions=True)
        self._writers.difference_update((writer, up_writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    up: bool) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                if up:
                    self.stats.bytes_up += len(data)
                    if self.record_up:
                        self.sent_up += data
                else:
                    self.stats.bytes_down += len(data)
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _reset_all(self) -> int:
        writers = list(self._writers)
        for writer in writers:
            _abort(writer)
        self.stats.resets += len(writers)
        return len(writers)

    async def _close(self) -> None:
        await self._reset_all()
        if self._server is not None:
            self._server.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, so the peer sees a reset, not a clean end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
