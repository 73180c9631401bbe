"""app/serving.py: uvicorn's websocket protocol with a direct socket, under a real uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from app.serving import DirectSocketProtocol, direct_socket, encode_text, uvicorn_config
from tests.factories import serve_app


class Echo:
    """An ASGI app that answers each message through the direct socket, if it has one."""

    def __init__(self) -> None:
        self.offered: list[bool] = []
        self.buffered: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        socket = direct_socket(scope)
        self.offered.append(socket is not None)
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            if socket is None:
                await send({"type": "websocket.send", "text": message["text"]})
            elif message["text"] == "close":
                socket.close_now(4409, "too far behind")
            else:
                self.buffered.append(socket.buffered())
                socket.write_frame(encode_text(message["text"] + " ✓"))
                socket.write_frame(encode_text("ä" * 70_000))  # a 16-bit and a 64-bit length


async def test_the_app_writes_encoded_frames_and_closes_through_the_direct_socket() -> None:
    app = Echo()
    async with serve_app(app) as base_url, \
            connect(base_url.replace("http", "ws") + "/", max_size=None) as client:
        await client.send("Grüße 👋")
        assert await asyncio.wait_for(client.recv(), 5) == "Grüße 👋 ✓"
        assert await asyncio.wait_for(client.recv(), 5) == "ä" * 70_000
        await client.send("close")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(client.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4409, "too far behind")
    assert app.offered == [True] and app.buffered == [0]


async def test_other_servers_offer_no_direct_socket() -> None:
    app = Echo()
    async with serve_app(app, direct=False) as base_url, \
            connect(base_url.replace("http", "ws") + "/") as client:
        await client.send("hallo")
        assert await asyncio.wait_for(client.recv(), 5) == "hallo"
    assert app.offered == [False]


def test_socialwall_serves_with_the_direct_protocol_and_no_deflate() -> None:
    config = uvicorn_config(Echo(), port=0)
    config.load()
    assert config.ws_protocol_class is DirectSocketProtocol
    assert config.ws_per_message_deflate is False and config.ws_ping_interval is None
