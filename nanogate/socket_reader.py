"""A TCP socket that reads in large chunks and acknowledges what it reads at once.

paho reads each MQTT packet with at least three ``recv`` calls (the command byte, the length
bytes one by one, then the rest); at tens of thousands of small messages a second those system
calls are most of the client's cost. ``BufferedSocket`` serves them from one ``recv`` of up to
64 KiB and reports what it holds through ``pending()``, the hook paho already uses for TLS
sockets (bytes pending: no waiting in ``select``).

With ``quick_ack``, every read that returned data is followed by ``TCP_QUICKACK`` (Linux): the
kernel acknowledges the data now instead of delaying the ACK up to 40 ms. A broker with Nagle's
algorithm on (Mosquitto's default) holds its next small packet to us until that ACK arrives, so
without it a request that follows a PUBACK from the broker waits 40 ms (docs/performance.md).
Linux clears the flag by itself, which is why it is set again after every read.
"""

from __future__ import annotations

import contextlib
import socket

CHUNK = 65536
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class BufferedSocket:
    """A connected TCP socket with a read buffer; every other attribute is the socket's."""

    def __init__(self, sock: socket.socket, *, quick_ack: bool = False) -> None:
        self._sock = sock
        self._buffer = b""
        self._offset = 0
        self._quick_ack = quick_ack and _QUICKACK is not None

    def recv(self, buffer_size: int) -> bytes:
        """Up to ``buffer_size`` bytes: from the buffer, else from one large read of the socket."""
        if self._offset >= len(self._buffer):
            data = self._sock.recv(max(buffer_size, CHUNK))  # BlockingIOError passes through
            if data and self._quick_ack:
                self.acknowledge()
            if len(data) <= buffer_size:
                return data
            self._buffer, self._offset = data, 0
        start = self._offset
        self._offset = min(start + buffer_size, len(self._buffer))
        return self._buffer[start:self._offset]

    def pending(self) -> int:
        """Bytes already read from the socket and not yet returned by ``recv``."""
        return len(self._buffer) - self._offset

    def buffered(self) -> tuple[bytes, int]:
        """The read buffer and where its unread bytes start (for ``nanogate.mqtt_wire``)."""
        return self._buffer, self._offset

    def consume(self, offset: int) -> None:
        """Mark the buffer read up to ``offset``: it was parsed from ``buffered()``."""
        self._offset = min(offset, len(self._buffer))

    def acknowledge(self) -> None:
        """Acknowledge received data now (TCP_QUICKACK); a no-op off Linux or when closed."""
        if _QUICKACK is None:
            return
        with contextlib.suppress(OSError):  # closed under us: paho sees it on its next read
            self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    def send(self, data: bytes | bytearray) -> int:
        """Send what the socket takes now."""
        return self._sock.send(data)

    def setblocking(self, flag: bool) -> None:
        """Blocking or not, as paho asks (it reads without blocking)."""
        self._sock.setblocking(flag)

    def fileno(self) -> int:
        """The socket's descriptor, for ``select``."""
        return self._sock.fileno()

    def close(self) -> None:
        """Close the socket and drop the buffer."""
        self._buffer, self._offset = b"", 0
        self._sock.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)
