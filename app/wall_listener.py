"""One connected wall as its event's feed sees it: the frames it is owed, in sequence order.

Until the wall's catch-up is sent, frames wait in a bounded inbox. Then, when the server offers
a direct socket (app/serving.py), each frame is written as it comes: encoded once for all walls,
no task and no timer per wall. Elsewhere the wall's socket task takes frames from the inbox.

A wall that stops reading is cut off (it resumes by sequence number when it reconnects) instead
of slowing the others down or holding memory: when its inbox is full, or when more than
`MAX_BUFFERED` bytes wait in its connection's send buffer.
"""

from __future__ import annotations

import asyncio

from app.mailbox import Mailbox
from app.serving import DirectSocket, encode_text

# Close codes (docs/protocol.md).
CLOSE_TIMEOUT = 4408
CLOSE_LAGGED = 4409

# About 200 change frames: a screen on poor Wi-Fi catches up long before; one that stopped
# reading holds no more than this (and the kernel drops it later, app/cli.py).
MAX_BUFFERED = 256 * 1024


class MissedChanges(Exception):
    """A frame came whose predecessors the wall was not sent."""


class Frame:
    """A text frame for the walls: a sequenced change, or (seq None) a ping or pong."""

    __slots__ = ("_wire", "seq", "text")

    def __init__(self, seq: int | None, text: str) -> None:
        self.seq = seq
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The websocket frame, encoded on first use: once for all walls."""
        if self._wire is None:
            self._wire = encode_text(self.text)
        return self._wire


class Listener:
    """One wall socket of a feed. In the inbox, None means the wall was cut off."""

    __slots__ = ("closing", "heard", "queue", "sent", "slot", "socket")

    def __init__(self, size: int) -> None:
        self.queue: Mailbox[Frame | None] = Mailbox(size + 1)
        self.socket: DirectSocket | None = None
        self.sent = 0  # the sequence number the wall has been sent up to (see due())
        self.heard = asyncio.get_running_loop().time()  # when the wall last sent anything
        self.closing: tuple[int, str] | None = None  # set by close() for the socket's task
        self.slot = 0  # its turn in the feed's heartbeat

    def offer(self, frame: Frame) -> bool:
        """Hand on a frame; False if the wall is cut off for falling behind."""
        if self.socket is not None:
            return self._write(self.socket, frame)
        if self.queue.qsize() >= self.queue.maxsize - 1:
            self.queue.put_nowait(None)
            return False
        self.queue.put_nowait(frame)
        return True

    def go_direct(self, socket: DirectSocket, sent: int) -> bool:
        """After the catch-up (up to `sent`): write what waited, then each frame as it comes.
        False if the wall was cut off meanwhile."""
        self.sent = sent
        self.socket = socket
        while not self.queue.empty():
            frame = self.queue.get_nowait()
            if frame is None:
                socket.close_now(CLOSE_LAGGED, "too far behind; reconnect with last_seq")
                return False
            if not self._write(socket, frame):
                return False
        return True

    def close(self, code: int, reason: str) -> None:
        """Close the wall's connection (for silence, say)."""
        if self.socket is not None:
            self.socket.close_now(code, reason)
        else:
            self.closing = (code, reason)
            self.queue.wake()

    def due(self, frame: Frame) -> bool:
        """Whether to send `frame` now (False: the catch-up sent it already), counting it as
        sent; raises MissedChanges if changes before it are missing."""
        seq = frame.seq
        if seq is None:
            return True  # a ping or pong
        if seq <= self.sent:
            return False
        if seq != self.sent + 1:
            raise MissedChanges
        self.sent = seq
        return True

    def _write(self, socket: DirectSocket, frame: Frame) -> bool:
        try:
            if not self.due(frame):
                return True
        except MissedChanges:
            socket.close_now(CLOSE_LAGGED, "missed changes; reconnect with last_seq")
            return False
        if socket.buffered() > MAX_BUFFERED:
            socket.close_now(CLOSE_LAGGED, "too far behind; reconnect with last_seq")
            return False
        socket.write_frame(frame.wire)
        return True
