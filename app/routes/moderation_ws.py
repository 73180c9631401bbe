"""The moderators' websocket: new and changed posts of one event, as they happen."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from app import auth, channels
from app.access import moderated_events
from app.models import Event
from app.pubsub import Lagged
from app.state import AppState

router = APIRouter()


@router.websocket("/ws/moderate/{event_slug}")
async def moderation_socket(websocket: WebSocket, event_slug: str) -> None:
    state: AppState = websocket.state.sw
    # Browsers send cookies with cross-site websocket handshakes: check the origin, or another
    # site could read the queue with a moderator's cookie.
    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        await websocket.close(4403, "cross-origin")
        return
    cookie = websocket.cookies.get(auth.SESSION_COOKIE)
    principal = await auth.from_session(state.sessions, cookie) if cookie else None
    if principal is None:
        await websocket.close(4401, "sign in first")
        return
    async with state.sessions() as session:
        event_id = await session.scalar(select(Event.id).where(Event.slug == event_slug))
    if event_id is None:
        await websocket.close(4404, f"no event {event_slug!r}")
        return
    allowed = await moderated_events(state.sessions, principal)
    if allowed is not None and event_id not in allowed:
        await websocket.close(4403, "you are not a moderator of this event")
        return
    await websocket.accept()
    forward = asyncio.create_task(_forward(websocket, state, event_id))
    drain = asyncio.create_task(_until_closed(websocket))
    done, pending = await asyncio.wait({forward, drain}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if forward in done and isinstance(forward.exception(), Lagged):
        # The page reloads the queue when it reconnects.
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(4409, "too far behind; reload the queue")


async def _forward(websocket: WebSocket, state: AppState, event_id: int) -> None:
    async with state.hub.subscribe(channels.moderation(event_id), queue_size=500) as messages:
        await websocket.send_text('{"type":"ready"}')
        async for message in messages:
            await websocket.send_text(message)


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the page sends, so a page that left is noticed at once."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
