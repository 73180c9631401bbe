"""The wall websocket (docs/protocol.md): catch up by sequence number, then live changes."""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.routing import Match, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.serving import direct_socket
from app.state import AppState
from app.wall_listener import CLOSE_LAGGED, CLOSE_TIMEOUT, Frame, Listener, MissedChanges
from app.walls import WallInfo, catch_up, find_wall, wall_token_valid

HELLO_TIMEOUT = 10.0
PONG = Frame(None, '{"type":"pong"}')  # encoded once, on the first ping

CLOSE_NEEDS_TOKEN = 4401
CLOSE_UNKNOWN_WALL = 4404


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def wall_socket(websocket: WebSocket) -> None:
    """One wall's connection (docs/protocol.md): hello, wall, catch-up, then live changes."""
    state: AppState = websocket.state.sw
    await websocket.accept()
    try:
        last_seq = await _hello(websocket)
        wall = await _wall(websocket, state)
        feed, listener = await state.feeds.join(wall.event_id)
        try:
            sent = await _catch_up(websocket, state, wall, last_seq)
            del wall  # a connected wall keeps only what it needs: thousands may be connected
            await _live(websocket, listener, sent)
        finally:
            feed.leave(listener)
    except _Close as close:
        await _close(websocket, close.code, close.reason)
    except WebSocketDisconnect:
        pass


class WallSockets:
    """ASGI middleware that hands /ws/wall/{slug} straight to wall_socket.

    Thousands of walls stay connected for hours, and every layer a connection passes through
    stays in memory with it: FastAPI's exit stack, the exception wrappers, the router. None of
    them does anything for these sockets (bench/README.md, memory per wall)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = WebSocketRoute("/ws/wall/{slug}", wall_socket)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            match, child = self.route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                await wall_socket(WebSocket(scope, receive, send))
                return
        await self.app(scope, receive, send)


async def _wall(websocket: WebSocket, state: AppState) -> WallInfo:
    """The wall asked for, once its settings are sent; closes if it is unknown or locked."""
    slug = websocket.path_params["slug"]
    wall = await find_wall(state.sessions, slug)
    if wall is None:
        raise _Close(CLOSE_UNKNOWN_WALL, f"no wall {slug!r}")
    if wall.access == "token" and not await wall_token_valid(
            state.sessions, websocket.query_params.get("token", "")):
        raise _Close(CLOSE_NEEDS_TOKEN, "this wall needs a display token")
    await websocket.send_text(wall.frame())
    return wall


async def _hello(websocket: WebSocket) -> int | None:
    try:
        message = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT))
    except TimeoutError:
        raise _Close(CLOSE_TIMEOUT, "no hello within 10 s") from None
    except (ValueError, KeyError):
        raise _Close(1003, "the first frame must be a JSON hello") from None
    if not isinstance(message, dict) or message.get("type") != "hello":
        raise _Close(1003, "the first frame must be a hello")
    last_seq = message.get("last_seq")
    if last_seq is not None and (not isinstance(last_seq, int) or last_seq < 0):
        raise _Close(1003, "last_seq must be a non-negative integer or null")
    return last_seq


async def _catch_up(websocket: WebSocket, state: AppState, wall: WallInfo,
                    last_seq: int | None) -> int:
    """Send the snapshot or the replay; the sequence number the wall is at afterwards."""
    # Joined the feed before reading the database: whatever is committed after the read
    # arrives through the listener, and anything at or below the result is skipped there.
    # A function of its own so that the frames (a snapshot can be 100 KB) are freed once
    # sent, not held for as long as the wall stays connected.
    sent, frames = await catch_up(state.sessions, wall, last_seq)
    for frame in frames:
        await websocket.send_text(frame)
    return sent


async def _live(websocket: WebSocket, listener: Listener, sent: int) -> None:
    """After the catch-up: live frames out, pongs to pings, until the wall leaves or is cut
    off (then the server's close comes back as WebSocketDisconnect)."""
    socket = direct_socket(websocket.scope)
    if socket is None:
        listener.sent = sent
        await _Queued(websocket, listener).run()
    elif listener.go_direct(socket, sent):
        # The feed writes the frames and the heartbeat pings: only the reading is left here.
        await _receive(websocket, listener)


async def _receive(websocket: WebSocket, listener: Listener) -> None:
    """Read what the wall sends (pings, which get a pong) until it leaves; note when it last
    said anything, for the heartbeat."""
    loop = asyncio.get_running_loop()
    while True:
        raw = await websocket.receive_text()
        listener.heard = loop.time()
        if _is_ping(raw):
            listener.offer(PONG)


class _Queued:
    """A wall whose server offers no direct socket: a task sends what its inbox holds."""

    __slots__ = ("listener", "websocket")

    def __init__(self, websocket: WebSocket, listener: Listener) -> None:
        self.websocket = websocket
        self.listener = listener

    async def run(self) -> None:
        """Until the wall leaves or is closed; raises _Close or WebSocketDisconnect."""
        try:
            # This task receives while a child sends; whichever ends first (a close of ours,
            # or the wall leaving) cancels the other.
            async with asyncio.TaskGroup() as group:
                group.create_task(self._send())
                await _receive(self.websocket, self.listener)
        except BaseExceptionGroup as errors:
            raise _ending(errors) from None

    async def _send(self) -> None:
        inbox = self.listener.queue
        while self.listener.closing is None:
            await inbox.wait()
            while not inbox.empty():
                await self._forward(inbox.get_nowait())
        raise _Close(*self.listener.closing)

    async def _forward(self, frame: Frame | None) -> None:
        if frame is None:
            raise _Close(CLOSE_LAGGED, "too far behind; reconnect with last_seq")
        try:
            due = self.listener.due(frame)
        except MissedChanges:
            raise _Close(CLOSE_LAGGED, "missed changes; reconnect with last_seq") from None
        if due:
            await self.websocket.send_text(frame.text)


def _ending(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    """Why the socket ends: a close of ours rather than the disconnect it may have caused."""
    closes = errors.subgroup(_Close)
    return (closes or errors).exceptions[0]


def _is_ping(raw: str) -> bool:
    try:
        message = json.loads(raw)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "ping"


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)
