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
from app.wallfeed import Listener
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


@router.websocket("/ws/wall/{slug}")
async def wall_socket(websocket: WebSocket, slug: str) -> None:
    state: AppState = websocket.state.sw
    await websocket.accept()
    try:
        last_seq = await _hello(websocket)
        wall = await find_wall(state.sessions, slug)
        if wall is None:
            raise _Close(CLOSE_UNKNOWN_WALL, f"no wall {slug!r}")
        if wall.access == "token" and not await wall_token_valid(
                state.sessions, websocket.query_params.get("token", "")):
            raise _Close(CLOSE_NEEDS_TOKEN, "this wall needs a display token")
        await websocket.send_text(wall.frame())
        feed, listener = await state.feeds.join(wall.event_id)
        try:
            await _serve(websocket, state, wall, listener, last_seq)
        finally:
            feed.leave(listener)
    except _Close as close:
        await _close(websocket, close.code, close.reason)
    except WebSocketDisconnect:
        pass


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


async def _serve(websocket: WebSocket, state: AppState, wall: WallInfo, listener: Listener,
                 last_seq: int | None) -> None:
    # Joined the feed before reading the database: whatever is committed after the read
    # arrives through the listener, and anything at or below `sent` is skipped there.
    sent = await _catch_up(websocket, state, wall, last_seq)
    lock = asyncio.Lock()  # the sender and the receiver (answering pings) share the socket
    sender = asyncio.create_task(_send_live(websocket, lock, listener, sent))
    receiver = asyncio.create_task(_receive(websocket, lock))
    done, pending = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await task
    for task in done:
        task.result()  # re-raise _Close or WebSocketDisconnect


async def _catch_up(websocket: WebSocket, state: AppState, wall: WallInfo,
                    last_seq: int | None) -> int:
    """Send the snapshot or the replay; the sequence number the wall is at afterwards."""
    # A function of its own so that the frames (a snapshot can be 100 KB) are freed once
    # sent, not held for as long as the wall stays connected.
    sent, frames = await catch_up(state.sessions, wall, last_seq)
    for frame in frames:
        await websocket.send_text(frame)
    return sent


async def _send_live(websocket: WebSocket, lock: asyncio.Lock, listener: Listener,
                     sent: int) -> None:
    next_ping = time.monotonic() + PING_INTERVAL
    while True:
        try:
            frame = await asyncio.wait_for(listener.queue.get(),
                                           max(0.0, next_ping - time.monotonic()))
        except TimeoutError:
            async with lock:
                await websocket.send_text(dumps({"type": "ping", "t": int(time.time() * 1000)}))
            next_ping = time.monotonic() + PING_INTERVAL
            continue
        if frame is None:
            raise _Close(CLOSE_LAGGED, "too far behind; reconnect with last_seq")
        seq, text = frame
        if seq <= sent:
            continue
        if seq != sent + 1:
            raise _Close(CLOSE_LAGGED, "missed changes; reconnect with last_seq")
        async with lock:
            await websocket.send_text(text)
        sent = seq


async def _receive(websocket: WebSocket, lock: asyncio.Lock) -> None:
    while True:
        try:
            raw = await asyncio.wait_for(websocket.receive_text(), IDLE_TIMEOUT)
        except TimeoutError:
            raise _Close(CLOSE_TIMEOUT, "nothing received for 45 s") from None
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "ping":
            async with lock:
                await websocket.send_text('{"type":"pong"}')


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)
