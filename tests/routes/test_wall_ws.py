"""app/routes/wall_ws.py: what a wall receives on connect, live, and when it comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets

from app import auth, wallfeed, walls
from tests.factories import Server, demo_source, make_settings, running, wait_for, write_demo_posts
from tests.wsclient import WallClient


# Every test runs against socialwall's server, which writes live frames to the walls directly
# (app/serving.py), and against uvicorn's plain one, where a task per wall sends through ASGI.
@pytest.fixture(params=["direct", "asgi"])
async def server(request: pytest.FixtureRequest, database_url: str,
                 tmp_path: Path) -> AsyncIterator[Server]:
    posts_file = write_demo_posts(tmp_path / "posts.json", 6)
    settings = make_settings(database_url, sources=[demo_source(posts_file)])
    async with running(settings, direct=request.param == "direct") as srv:
        yield srv


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with server.client(await server.token()) as client:
        yield client


async def _queue(api: httpx.AsyncClient) -> list[int]:
    async def full() -> list[int]:
        items = (await api.get("/api/posts", params={"status": "pending"})).json()["items"]
        return [p["id"] for p in items] if len(items) == 6 else []

    ids: list[int] = await wait_for(full, what="the queue to fill")
    return ids


async def _act(api: httpx.AsyncClient, post_id: int, action: str) -> None:
    response = await api.post(f"/api/posts/{post_id}/{action}")
    assert response.status_code == 200, response.text


async def _connected(server: Server, last_seq: int | None = None) -> tuple[WallClient, dict]:
    wall = await WallClient.connect(server.ws_url, last_seq=last_seq)
    info = await wall.next()
    assert info["type"] == "wall" and info["wall"]["slug"] == "main"
    assert info["wall"]["hashtags"] == ["Werkstolz", "KundenZuFans"]
    return wall, await wall.next()


async def test_resume_returns_exactly_the_missed_changes(server: Server,
                                                         api: httpx.AsyncClient) -> None:
    ids = await _queue(api)
    wall, first = await _connected(server)
    assert first["type"] == "snapshot" and first["seq"] == 0
    await _act(api, ids[0], "approve")
    live = await wall.next()
    assert (live["seq"], live["kind"]) == (1, "approved")
    await wall.close()

    # While the wall is away: two approvals, a pin and a retraction.
    await _act(api, ids[1], "approve")
    await _act(api, ids[2], "approve")
    await _act(api, ids[2], "pin")
    await _act(api, ids[0], "retract")

    wall, frame = await _connected(server, last_seq=1)
    replay = [frame] + [await wall.next() for _ in range(4)]
    assert [(f["type"], f.get("seq"), f.get("kind")) for f in replay] == [
        ("change", 2, "approved"), ("change", 3, "approved"), ("change", 4, "pinned"),
        ("change", 5, "retracted"), ("resumed", 5, None)]
    assert replay[0]["post"]["id"] == ids[1]
    assert replay[3]["post_id"] == ids[0]

    # And then it is live again, with the next number.
    await _act(api, ids[3], "approve")
    after = await wall.next()
    assert (after["type"], after["seq"], after["post"]["id"]) == ("change", 6, ids[3])
    await wall.close()


async def test_up_to_date_wall_just_resumes(server: Server, api: httpx.AsyncClient) -> None:
    ids = await _queue(api)
    await _act(api, ids[0], "approve")
    wall, frame = await _connected(server, last_seq=1)
    assert frame == {"type": "resumed", "seq": 1}
    await wall.close()


async def test_snapshot_holds_approved_posts_pinned_first(server: Server,
                                                          api: httpx.AsyncClient) -> None:
    ids = await _queue(api)
    for post_id in ids[:4]:
        await _act(api, post_id, "approve")
    await _act(api, ids[0], "pin")
    await _act(api, ids[1], "retract")
    await _act(api, ids[4], "reject")
    wall, snapshot = await _connected(server)
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 6
    assert [p["id"] for p in snapshot["posts"]] == [ids[0], ids[3], ids[2]]
    assert [p["pinned"] for p in snapshot["posts"]] == [True, False, False]
    await wall.close()


async def test_too_far_behind_gets_a_snapshot(server: Server, api: httpx.AsyncClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walls, "RESUME_LIMIT", 2)
    ids = await _queue(api)
    for post_id in ids[:3]:
        await _act(api, post_id, "approve")
    wall, frame = await _connected(server, last_seq=0)
    assert frame["type"] == "snapshot" and frame["seq"] == 3
    assert [p["id"] for p in frame["posts"]] == list(reversed(ids[:3]))
    await wall.close()


async def test_a_wall_ahead_of_the_database_gets_a_snapshot(server: Server,
                                                            api: httpx.AsyncClient) -> None:
    ids = await _queue(api)
    await _act(api, ids[0], "approve")
    wall, frame = await _connected(server, last_seq=40)  # e.g. the database was reset
    assert frame["type"] == "snapshot" and frame["seq"] == 1
    assert [p["id"] for p in frame["posts"]] == [ids[0]]
    await wall.close()


async def test_unknown_wall_is_closed_with_4404(server: Server) -> None:
    wall = await WallClient.connect(server.ws_url, slug="nowhere")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await wall.next()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


@pytest.mark.parametrize("hello", ['{"type": "hi"}', "not json",
                                   '{"type": "hello", "last_seq": -3}',
                                   '{"type": "hello", "last_seq": "7"}'])
async def test_a_bad_hello_is_refused(server: Server, hello: str) -> None:
    async with websockets.connect(f"{server.ws_url}/ws/wall/main") as connection:
        await connection.send(hello)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


async def test_heartbeats(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallfeed, "PING_INTERVAL", 0.2)
    monkeypatch.setattr(wallfeed, "IDLE_TIMEOUT", 1.0)
    wall, _ = await _connected(server)
    ping = await wall.next(skip_pings=False)
    assert ping["type"] == "ping" and isinstance(ping["t"], int)
    await wall.connection.send('{"type": "ping"}')
    assert (await wall.until("pong"))["type"] == "pong"
    # A wall that answers nothing is taken for dead and closed.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await wall.next(timeout=5, skip_pings=True)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


async def test_every_wall_of_the_event_gets_each_change_once(server: Server,
                                                             api: httpx.AsyncClient) -> None:
    ids = await _queue(api)
    clients = [(await _connected(server))[0] for _ in range(5)]
    for post_id in ids[:3]:
        await _act(api, post_id, "approve")
    for wall in clients:
        frames = [await wall.next() for _ in range(3)]
        assert [f["seq"] for f in frames] == [1, 2, 3]
        assert [f["post"]["id"] for f in frames] == ids[:3]
        await wall.close()

    async def counted() -> bool:
        health = (await api.get("/healthz")).json()
        return bool(health["walls_connected"] == 0)

    await wait_for(counted, what="closed walls to leave the feed")


async def test_a_wall_that_needs_a_token(database_url: str) -> None:
    settings = make_settings(database_url, walls=[{"slug": "main", "access": "token"}])
    async with running(settings) as server:
        await auth.add_user(server.sessions, "foyer", "display", "correct horse battery")
        token = await auth.create_token(server.sessions, "foyer")
        async with server.client() as browser:
            refused = await browser.get("/wall/main")
            forged = await browser.get("/wall/main", params={"token": "sw_forged"})
            page = await browser.get("/wall/main", params={"token": token})
        assert refused.status_code == 401 and forged.status_code == 401
        assert page.status_code == 200 and f"/ws/wall/main?token={token}" in page.text
        anonymous = await WallClient.connect(server.ws_url)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await anonymous.next()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        screen = await WallClient.connect(server.ws_url, slug=f"main?token={token}")
        assert (await screen.next())["type"] == "wall"
        assert (await screen.next())["type"] == "snapshot"
        await screen.close()
        # A display account may look at walls, not moderate.
        async with server.client(token) as display:
            assert (await display.get("/api/posts")).status_code == 403
