"""Which signed-in users have moderation sockets open here, so signing out can close them."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket

CLOSE_SIGNED_OUT = 4401


class UserSockets:
    def __init__(self) -> None:
        self._sockets: dict[int, set[WebSocket]] = {}

    def add(self, user_id: int, websocket: WebSocket) -> None:
        self._sockets.setdefault(user_id, set()).add(websocket)

    def discard(self, user_id: int, websocket: WebSocket) -> None:
        sockets = self._sockets.get(user_id)
        if sockets is not None:
            sockets.discard(websocket)
            if not sockets:
                del self._sockets[user_id]

    async def close_all(self, user_id: int) -> int:
        """Close every socket of the user (they signed out); how many there were."""
        sockets = self._sockets.pop(user_id, set())
        for websocket in sockets:
            with contextlib.suppress(RuntimeError, Exception):
                await websocket.close(CLOSE_SIGNED_OUT, "signed out")
        return len(sockets)
