"""The wall websocket (docs/protocol.md): catch up by sequence number, then live changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from app.payloads import dumps
from app.state import AppState
from app.wallfeed import Frame, Listener
from app.walls import WallInfo, catch_up, find_wall, wall_token_valid

log = logging.getLogger(__name__)
router = APIRouter()

HELLO_TIMEOUT = 10.0
PING_INTERVAL = 15.0
IDLE_TIMEOUT = 45.0

CLOSE_NEEDS_TOKEN = 4401
CLOSE_UNKNOWN_WALL = 4404
CLOSE_TIMEOUT = 4408
CLOSE_LAGGED = 4409


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
            await _Live(websocket, listener, sent).run()
        finally:
            feed.leave(listener)
    except _Close as close:
        await _close(websocket, close.code, close.reason)
    except WebSocketDisconnect:
        pass


# A plain Starlette route rather than FastAPI's @router.websocket: there is nothing to inject,
# and FastAPI's layer (exit stacks, an exception wrapper) costs about 4 KB per connected wall.
router.add_websocket_route("/ws/wall/{slug}", wall_socket)


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


class _Live:
    """A wall after its catch-up: the feed's frames out, heartbeats both ways."""

    __slots__ = ("heard", "listener", "lock", "sent", "websocket")

    def __init__(self, websocket: WebSocket, listener: Listener, sent: int) -> None:
        self.websocket = websocket
        self.listener = listener
        self.sent = sent  # the sequence number the wall has been sent up to
        self.lock = asyncio.Lock()  # the sender and the receiver (pongs) share the socket
        self.heard = asyncio.get_running_loop().time()  # when the wall last sent anything

    async def run(self) -> None:
        """Until the wall leaves or is closed; raises _Close or WebSocketDisconnect."""
        try:
            # Two tasks per wall: this one receives while a child sends. Whichever ends
            # first (a close of ours, or the wall leaving) cancels the other.
            async with asyncio.TaskGroup() as group:
                group.create_task(self._send_live())
                await self._receive()
        except BaseExceptionGroup as errors:
            raise _ending(errors) from None

    async def _send_live(self) -> None:
        """Hand on the feed's frames in order, ping, and close a silent or lagging wall."""
        # The hot path of a fan-out runs here once per wall and frame: no timeout and no
        # task per frame. One timer per wall wakes this task when a ping or the idle limit
        # is due, instead of a timeout around every wait (whose cancellation costs more).
        loop = asyncio.get_running_loop()
        inbox = self.listener.queue
        deadline = next_ping = loop.time() + PING_INTERVAL
        timer = loop.call_at(deadline, inbox.wake)
        try:
            while True:
                if loop.time() < deadline:
                    await inbox.wait()  # a frame, or the timer
                while not inbox.empty():
                    await self._forward(inbox.get_nowait())
                if loop.time() >= deadline:
                    next_ping = await self._heartbeat(next_ping)
                    deadline = min(next_ping, self.heard + IDLE_TIMEOUT)
                    timer.cancel()
                    timer = loop.call_at(deadline, inbox.wake)
        finally:
            timer.cancel()

    async def _forward(self, frame: Frame | None) -> None:
        if frame is None:
            raise _Close(CLOSE_LAGGED, "too far behind; reconnect with last_seq")
        seq, text = frame
        if seq <= self.sent:
            return
        if seq != self.sent + 1:
            raise _Close(CLOSE_LAGGED, "missed changes; reconnect with last_seq")
        async with self.lock:
            await self.websocket.send_text(text)  # the text as the feed made it, for all
        self.sent = seq

    async def _heartbeat(self, next_ping: float) -> float:
        """Close the wall if it fell silent, ping it if due; when the next ping is due."""
        now = asyncio.get_running_loop().time()
        if now >= self.heard + IDLE_TIMEOUT:
            raise _Close(CLOSE_TIMEOUT, f"nothing received for {IDLE_TIMEOUT:g} s")
        if now < next_ping:
            return next_ping
        ping = dumps({"type": "ping", "t": int(time.time() * 1000)})
        async with self.lock:
            await self.websocket.send_text(ping)
        return now + PING_INTERVAL

    async def _receive(self) -> None:
        """Note when the wall was last heard from, and answer its pings."""
        loop = asyncio.get_running_loop()
        while True:
            raw = await self.websocket.receive_text()
            self.heard = loop.time()
            if _is_ping(raw):
                async with self.lock:
                    await self.websocket.send_text('{"type":"pong"}')


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
