"""Messages on their way from paho's network thread to the consumer on the event loop.

paho's thread appends to a deque and asks for one drain per batch of packets read (one
``call_soon_threadsafe``, not one per message); the drain moves them into the queue that
``MqttClient.messages()`` reads. Overload:

- a QoS 1 message is never shed: it is acknowledged only once handled, and the broker sends no
  more than the client's Receive Maximum of them unacknowledged, which bounds the queue;
- with ``hold``, paho's thread stops reading the socket while half of ``queue_size`` messages
  wait, until a quarter do: the broker keeps the rest (TCP flow control, then its own queue);
  a consumer stuck for ``HOLD_MAX_S`` lets one packet through each time, to keep the session;
- a QoS 0 message finding ``queue_size`` messages waiting is shed, counted in ``shed`` and
  logged at most once a second (``mqtt.message_shed``, with the count).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

import structlog

from nanogate.mqtt_wire import Message

log = structlog.get_logger("nanogate.mqtt")
SHED_LOG_EVERY_S = 1.0  # under overload a line per shed message would only add to it
HOLD_RECHECK_S = 0.1  # a held reader looks again this often (a wake-up may fall in between)
# A reader held this long reads one packet and goes round paho's loop, which keeps the
# connection alive (PINGREQ): a consumer stuck for a while must not cost the session.
HOLD_MAX_S = 10.0


class Inbox:
    """The bounded hand-over of received messages, from paho's thread to the event loop."""

    def __init__(self, queue_size: int, divert: Callable[[Message], bool], *,
                 hold_max_s: float = HOLD_MAX_S) -> None:
        """``divert``: called on the loop first; True when it took the message (a reply)."""
        self._size = queue_size
        self._hold_max_s = hold_max_s
        self._divert = divert
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Message] = asyncio.Queue()  # bounded below, not here
        self._arrived: deque[Message] = deque()  # paho's thread appends, the loop takes
        self._drain_pending = False
        self._room = threading.Event()  # cleared while paho's thread holds off reading
        self._room.set()
        self._closed = False
        self.shed = 0  # QoS 0 messages dropped for a full queue
        self._shed_logged = (-SHED_LOG_EVERY_S, 0)  # when the last line was, and its count

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop that consumes the messages."""
        self._loop = loop

    def waiting(self) -> int:
        """Messages handed over and not yet taken by the consumer."""
        return len(self._arrived) + self._queue.qsize()

    async def messages(self) -> AsyncIterator[Message]:
        """Yield messages in arrival order."""
        while True:
            message = await self._queue.get()
            if not self._room.is_set() and self._queue.qsize() <= self._size // 4:
                self._room.set()  # a held reader may read again
            yield message

    def close(self) -> None:
        """Release a held reader for good, and log what was shed since the last line."""
        self._closed = True
        self._room.set()
        if self.shed > self._shed_logged[1]:
            log.warning("mqtt.message_shed", shed=self.shed,
                        since_last=self.shed - self._shed_logged[1], qos=0)

    # paho's thread ---------------------------------------------------------------------

    def append(self, message: Message) -> None:
        """Hand one message over (``wake`` sends it on)."""
        self._arrived.append(message)

    def hold(self) -> int:
        """Before a read: wait while half of ``queue_size`` messages wait for the consumer;
        then how many more may be read before holding again (1 after ``hold_max_s``)."""
        deadline = time.monotonic() + self._hold_max_s
        while not self._closed:
            self._room.clear()
            if (room := self._size // 2 - self.waiting()) > 0:
                return room
            if time.monotonic() >= deadline:
                return 1
            self._room.wait(HOLD_RECHECK_S)
        return self._size

    def wake(self) -> None:
        """Have the loop take what arrived; one drain takes all that is there by then."""
        if self._arrived and not self._drain_pending and self._loop is not None \
                and not self._loop.is_closed():
            self._drain_pending = True
            self._loop.call_soon_threadsafe(self._drain)

    # the event loop's thread -----------------------------------------------------------

    def _drain(self) -> None:
        # Cleared first: a message appended after this line schedules a drain of its own;
        # and only what is there now, so a fast reader cannot keep the loop here for ever.
        self._drain_pending = False
        for _ in range(len(self._arrived)):
            message = self._arrived.popleft()
            if self._divert(message):
                continue
            if message.qos == 0 and self._queue.qsize() >= self._size:
                self._shed(message.topic)
                continue
            self._queue.put_nowait(message)

    def _shed(self, topic: str) -> None:
        """Count a QoS 0 message dropped for a full queue; one log line a second at most."""
        self.shed += 1
        now = time.monotonic()
        last_at, last_count = self._shed_logged
        if now - last_at >= SHED_LOG_EVERY_S:
            log.warning("mqtt.message_shed", shed=self.shed, since_last=self.shed - last_count,
                        qos=0, topic=topic[:200])
            self._shed_logged = (now, self.shed)
