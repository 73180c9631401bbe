"""app/serving.py: uvicorn's websocket protocol with a direct socket, under a real uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from app import serving
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


async def test_a_peer_that_does_not_answer_the_close_is_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "CLOSE_TIMEOUT", 0.5)
    async with serve_app(Echo()) as base_url:
        reader, writer = await asyncio.open_connection(*base_url[7:].split(":"))
        # A client that speaks just enough websocket to be closed, and then goes quiet (a frozen
        # screen): it never sends the close frame back.
        protocol = ClientProtocol(parse_uri(base_url.replace("http", "ws") + "/"))
        protocol.send_request(protocol.connect())
        writer.write(b"".join(protocol.data_to_send()))
        protocol.receive_data(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5))
        protocol.send_text(b"close")
        writer.write(b"".join(protocol.data_to_send()))
        started = asyncio.get_running_loop().time()
        received = b""
        while chunk := await asyncio.wait_for(reader.read(65536), 5):  # until the server drops it
            received += chunk
        waited = asyncio.get_running_loop().time() - started
        writer.close()
    protocol.receive_data(received)
    close = [event for event in protocol.events_received() if isinstance(event, Frame)][-1]
    assert close.opcode == Opcode.CLOSE and close.data[:2] == (4409).to_bytes(2, "big")
    assert 0.4 < waited < 4


def test_socialwall_serves_with_the_direct_protocol_and_no_deflate() -> None:
    config = uvicorn_config(Echo(), port=0)
    config.load()
    assert config.ws_protocol_class is DirectSocketProtocol
    assert config.ws_per_message_deflate is False and config.ws_ping_interval is None
