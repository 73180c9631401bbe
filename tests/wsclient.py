"""A wall client for tests: speaks docs/protocol.md over a real websocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets


class WallClient:
    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def connect(cls, ws_url: str, slug: str = "main", last_seq: int | None = None
                      ) -> WallClient:
        connection = await websockets.connect(f"{ws_url}/ws/wall/{slug}")
        await connection.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        return cls(connection)

    async def next(self, timeout: float = 10.0, skip_pings: bool = True) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.connection.recv(),
                                                                      timeout))
            if not (skip_pings and frame["type"] == "ping"):
                return frame

    async def until(self, frame_type: str, timeout: float = 10.0) -> dict[str, Any]:
        while (frame := await self.next(timeout))["type"] != frame_type:
            pass
        return frame

    async def close(self) -> None:
        await self.connection.close()
