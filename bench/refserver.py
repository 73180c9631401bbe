"""The reference floor: the least a Python websocket fan-out server can do.

A plain `websockets` asyncio server (on uvloop, as uvicorn runs the app) that answers a wall's
hello with an empty snapshot and, whenever a connection that introduced itself as the trigger
sends a message, hands that message to every wall with `websockets.asyncio.server.broadcast()`.
Compression is off: the floor does no per-connection work beyond framing and writing.

    python bench/refserver.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

SNAPSHOT = '{"type":"snapshot","seq":0,"posts":[]}'
walls: set[ServerConnection] = set()


async def handler(websocket: ServerConnection) -> None:
    # Benchmark clients drop their connections without a closing handshake: not worth a log.
    with contextlib.suppress(ConnectionClosed):
        hello = json.loads(await websocket.recv())
        if hello.get("role") == "trigger":
            async for message in websocket:
                broadcast(walls, message)
            return
        walls.add(websocket)
        try:
            await websocket.send(SNAPSHOT)
            async for _ in websocket:
                pass
        finally:
            walls.discard(websocket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(port))
    else:
        uvloop.run(main(port))
