"""The moderators' websocket: ready, live frames, a heartbeat both ways, and who may listen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from app import auth
from app.routes import moderation_ws
from tests.factories import (
    Server,
    demo_source,
    make_settings,
    running,
    wait_for,
    write_demo_posts,
)

PASSWORD = "correct horse battery"
Frame = dict[str, Any]


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    settings = make_settings(database_url,
                             sources=[demo_source(write_demo_posts(tmp_path / "p.json", 2))])
    async with running(settings) as srv:
        await auth.add_user(srv.sessions, "mia", "moderator", PASSWORD)
        await auth.add_user(srv.sessions, "foyer", "display", PASSWORD)
        yield srv


async def _headers(server: Server, name: str) -> dict[str, str]:
    """A signed-in browser's handshake headers (the desk socket takes the session cookie)."""
    async with server.client() as browser:
        signed_in = await browser.post("/login", data={"username": name, "password": PASSWORD})
        assert signed_in.status_code == 303
        cookie = browser.cookies[auth.SESSION_COOKIE]
    return {"cookie": f"{auth.SESSION_COOKIE}={cookie}", "origin": server.base_url}


async def _until(desk: Any, wanted: Callable[[Frame], bool], seen: list[Frame] | None = None,
                 timeout: float = 5) -> Frame:
    """The first frame that is `wanted`; the ones before it go to `seen`."""
    async with asyncio.timeout(timeout):
        while True:
            frame: Frame = json.loads(await desk.recv())
            if wanted(frame):
                return frame
            if seen is not None:
                seen.append(frame)


async def _queued(api: httpx.AsyncClient) -> list[int]:
    items = (await api.get("/api/posts", params={"event": "ev"})).json()["items"]
    return [item["id"] for item in items] if len(items) == 2 else []


async def test_a_quiet_desk_is_pinged_answered_and_still_gets_every_frame(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation_ws, "PING_INTERVAL", 0.1)
    async with server.client(await server.token("anna")) as api, \
            websockets.connect(f"{server.ws_url}/ws/moderate/ev",
                               additional_headers=await _headers(server, "mia")) as desk:
        assert json.loads(await desk.recv()) == {"type": "ready", "ping_ms": 100}
        ids = await wait_for(lambda: _queued(api), what="the demo posts to be queued")
        pings: list[Frame] = []
        for _ in range(3):
            pings.append(await _until(desk, lambda f: f["type"] == "ping"))
        assert all(isinstance(p["t"], int) for p in pings)
        await desk.send('{"type": "ping"}')
        await _until(desk, lambda f: f["type"] == "pong")
        # Pings went out while no message was waiting; the subscription is still whole.
        assert (await api.post(f"/api/posts/{ids[0]}/approve")).status_code == 200
        update = await _until(desk, lambda f: f["type"] == "post.updated")
        assert (update["post"]["id"], update["post"]["status"]) == (ids[0], "approved")


async def test_a_desk_that_falls_silent_is_closed(server: Server,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation_ws, "IDLE_TIMEOUT", 0.5)
    async with websockets.connect(f"{server.ws_url}/ws/moderate/ev",
                                  additional_headers=await _headers(server, "mia")) as desk:
        assert json.loads(await desk.recv())["type"] == "ready"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _until(desk, lambda f: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


@pytest.mark.parametrize(("user", "path", "code"), [
    ("foyer", "/ws/moderate/ev", 4403),  # a display account sees walls, not the queue
    ("mia", "/ws/moderate/nope", 4404),
])
async def test_refusals_are_close_codes_the_page_acts_on(server: Server, user: str, path: str,
                                                         code: int) -> None:
    async with websockets.connect(f"{server.ws_url}{path}",
                                  additional_headers=await _headers(server, user)) as desk:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await desk.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code
