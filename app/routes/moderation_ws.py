"""The moderators' websocket: new and changed posts of one event, as they happen."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from app import auth, channels
from app.access import moderated_events
from app.auth import Principal
from app.models import Event
from app.payloads import dumps
from app.pubsub import Lagged
from app.state import AppState

router = APIRouter()

# As on the walls: the server pings a quiet socket, the page answers, and a socket that says
# nothing for IDLE_TIMEOUT (a tablet gone without closing) is closed.
PING_INTERVAL = 15.0
IDLE_TIMEOUT = 45.0
CLOSE_TIMEOUT = 4408


@router.websocket("/ws/moderate/{event_slug}")
async def moderation_socket(websocket: WebSocket, event_slug: str) -> None:
    state: AppState = websocket.state.sw
    # Accepted first, so that a refusal below reaches the page as a close code it can act on
    # (4401: go and sign in) rather than as a failed handshake.
    await websocket.accept()
    refusal, principal, event_id = await _check(websocket, state, event_slug)
    if refusal is not None or principal is None or event_id is None:
        code, reason = refusal or (4401, "sign in first")
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)
        return
    state.user_sockets.add(principal.user_id, websocket)
    lock = asyncio.Lock()  # the forwarder and the receiver (answering pings) share the socket
    try:
        forward = asyncio.create_task(_forward(websocket, lock, state, event_id))
        drain = asyncio.create_task(_receive(websocket, lock))
        done, pending = await asyncio.wait({forward, drain},
                                           return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        state.user_sockets.discard(principal.user_id, websocket)
    if forward in done and isinstance(forward.exception(), Lagged):
        # The page reloads the queue when it reconnects.
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(4409, "too far behind; reload the queue")
    elif drain in done and drain.result() == "idle":
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(CLOSE_TIMEOUT, f"nothing received for {IDLE_TIMEOUT:g} s")


async def _check(websocket: WebSocket, state: AppState, event_slug: str
                 ) -> tuple[tuple[int, str] | None, Principal | None, int | None]:
    # Browsers send cookies with cross-site websocket handshakes: check the origin, or another
    # site could read the queue with a moderator's cookie.
    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        return (4403, "cross-origin"), None, None
    cookie = websocket.cookies.get(auth.SESSION_COOKIE)
    principal = await auth.from_session(state.sessions, cookie) if cookie else None
    if principal is None:
        return (4401, "sign in first"), None, None
    if principal.role not in ("organizer", "moderator"):
        return (4403, "a display account may only view walls"), principal, None
    async with state.sessions() as session:
        event_id = await session.scalar(select(Event.id).where(Event.slug == event_slug))
    if event_id is None:
        return (4404, f"no event {event_slug!r}"), principal, None
    allowed = await moderated_events(state.sessions, principal)
    if allowed is not None and event_id not in allowed:
        return (4403, "you are not a moderator of this event"), principal, event_id
    return None, principal, event_id


async def _forward(websocket: WebSocket, lock: asyncio.Lock, state: AppState,
                   event_id: int) -> None:
    async with state.hub.subscribe(channels.moderation(event_id), queue_size=500) as messages:
        async with lock:
            await websocket.send_text(dumps({"type": "ready",
                                             "ping_ms": round(PING_INTERVAL * 1000)}))
        # One read stays pending across pings: cancelling it would end the subscription.
        incoming = aiter(messages)
        reading: asyncio.Future[str] | None = None
        try:
            while True:
                reading = reading or asyncio.ensure_future(anext(incoming))
                done, _ = await asyncio.wait({reading}, timeout=PING_INTERVAL)
                if done:
                    message, reading = reading.result(), None
                else:
                    message = dumps({"type": "ping", "t": int(time.time() * 1000)})
                async with lock:
                    await websocket.send_text(message)
        finally:
            if reading is not None:
                reading.cancel()


async def _receive(websocket: WebSocket, lock: asyncio.Lock) -> str:
    """Answer the page's pings; "closed" when it left, "idle" when it fell silent."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            try:
                raw = await asyncio.wait_for(websocket.receive_text(), IDLE_TIMEOUT)
            except TimeoutError:
                return "idle"
            with contextlib.suppress(ValueError):
                message = json.loads(raw)
                if isinstance(message, dict) and message.get("type") == "ping":
                    async with lock:
                        await websocket.send_text('{"type":"pong"}')
    return "closed"
