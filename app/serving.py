"""How socialwall is served: uvicorn's settings, and its websocket protocol with one addition.

A change reaches every connected wall of an event at once. Through ASGI that is one coroutine
call per wall, each building the same websocket frame again (bench/README.md: about twice the
time of `websockets.broadcast()`). `DirectSocketProtocol` is uvicorn's own websocket protocol
(websockets' sans-I/O implementation) that also offers the app, as the ASGI extension
`DIRECT_SOCKET` in the connection's scope, a synchronous way to write a frame that was encoded
once for all walls. Everything else (handshake, reading, closing) stays uvicorn's. Under any
other ASGI server the extension is absent and the wall sockets send through ASGI as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from app.mailbox import Mailbox

if TYPE_CHECKING:
    import uvicorn
    from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
    from websockets.http11 import Request

DIRECT_SOCKET = "socialwall.direct_socket"
# How long a peer has to answer our close frame before its connection is dropped, with whatever
# is still buffered for it (uvicorn waits as long, then waits for the buffer to drain).
CLOSE_TIMEOUT = 10.0


class DirectSocket(Protocol):
    """What the app may do with a connection whose server offers `DIRECT_SOCKET`."""

    def write_frame(self, frame: bytes) -> None:
        """Queue an encoded frame (`encode_text`) for sending, without waiting."""

    def buffered(self) -> int:
        """Bytes written but not yet taken by the peer's network stack."""

    def close_now(self, code: int, reason: str) -> None:
        """Start the closing handshake without waiting for buffered frames to drain."""


def encode_text(text: str) -> bytes:
    """A server's unmasked, unfragmented, uncompressed text frame (valid with or without
    permessage-deflate, RFC 7692 section 6)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class _Writable:
    """asyncio.Event's set/clear/is_set/wait, without a deque for waiters that rarely exist."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        if not self._open:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class DirectSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, offering itself to the app as a `DirectSocket`, and
    lighter per connection (bench/README.md, memory per wall)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Same methods as the asyncio.Queue and asyncio.Event uvicorn uses (one reader, the
        # app; one waiting sender at most), about 3.5 KB less per connection.
        self.queue: Mailbox[ASGIReceiveEvent] = Mailbox()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]
        self.close_timeout = CLOSE_TIMEOUT

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake's request and response (with their headers) are not needed again.
            del self.request, self.response

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The app's task is created but has not run yet: the scope can still be amended.
        if self.handshake_initiated and not self.close_sent:
            extensions: dict[str, Any] = self.scope["extensions"]
            extensions[DIRECT_SOCKET] = self

    def write_frame(self, frame: bytes) -> None:
        if self.handshake_complete and not self.close_sent and not self.transport.is_closing():
            self.transport.write(frame)

    def buffered(self) -> int:
        return 0 if self.transport.is_closing() else self.transport.get_write_buffer_size()

    def close_now(self, code: int, reason: str) -> None:
        # What uvicorn does for an ASGI "websocket.close", less its wait for the write buffer
        # to drain: this closes the walls that stopped reading. A peer that does not answer
        # within the close timeout is dropped (abort, not close: a graceful close would wait
        # for a buffer that a stalled peer never drains).
        if self.close_sent or self.transport.is_closing():
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.abort)


def direct_socket(scope: Mapping[str, Any]) -> DirectSocket | None:
    """The connection's `DirectSocket`, if its server offers one."""
    socket: DirectSocket | None = scope.get("extensions", {}).get(DIRECT_SOCKET)
    return socket


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for socialwall (`socialwall serve`, and the tests' servers)."""
    import uvicorn

    return uvicorn.Config(
        app, ws=DirectSocketProtocol,
        # permessage-deflate keeps a zlib compressor and decompressor per socket (about 50 KB
        # per connected wall) and compresses every frame once per wall: too dear for a few
        # KB of JSON on a venue's network (bench/README.md has the figures).
        ws_per_message_deflate=False,
        # The wall and moderation sockets have a heartbeat of their own (docs/protocol.md)
        # that closes silent peers; uvicorn's pings on top doubled the idle sockets' writes.
        ws_ping_interval=None,
        **options)
