"""An ASGI app served on 127.0.0.1 from a thread: real HTTP on a loopback socket."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn


class ServerThread:
    """Serve an ASGI app on 127.0.0.1 from a thread; the socket is bound before it starts."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        # accepted sockets inherit this; without it Nagle + delayed ACK add 40 ms a reply
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, args=([self._socket],),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Shut down and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
