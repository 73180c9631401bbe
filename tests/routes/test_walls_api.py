"""Walls while they run: organizers change a wall live, moderators announce; every screen of
the event hears it in sequence with the posts, and a screen that was away catches up on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app import auth
from tests.factories import Server, make_settings, running
from tests.wsclient import WallClient


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    walls = [{"slug": "main", "max_posts": 20}, {"slug": "foyer", "layout": "ticker"}]
    async with running(make_settings(database_url, walls=walls)) as srv:
        yield srv


@pytest.fixture
async def organizer(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with server.client(await server.token("olga", role="organizer")) as client:
        yield client


async def test_a_layout_change_reaches_the_wall_live_and_later_ones_at_connect(
        server: Server, organizer: httpx.AsyncClient) -> None:
    wall = await WallClient.connect(server.ws_url)
    hello = await wall.until("wall")
    assert hello["wall"]["layout"] == "grid" and hello["wall"]["pace_seconds"] == 2.0
    await wall.until("snapshot")
    changed = await organizer.patch("/api/walls/main", json={
        "layout": "spotlight", "rotate_seconds": 6, "qr": {"url": "https://example.com/app",
                                                          "text": "Mitmachen!"}})
    assert changed.status_code == 200, changed.text
    frame = await wall.next()
    assert (frame["type"], frame["seq"], frame["kind"]) == ("change", 1, "wall")
    assert frame["wall"]["slug"] == "main" and frame["wall"]["layout"] == "spotlight"
    assert frame["wall"]["rotate_seconds"] == 6
    assert frame["wall"]["qr"]["text"] == "Mitmachen!"
    assert frame["wall"]["qr"]["image_url"].startswith("/wall/main/qr.svg?v=")
    # The theme's URL changes with the settings: screens load the new colours.
    assert frame["wall"]["theme_url"] != hello["wall"]["theme_url"]
    await wall.close()

    # A screen that connects now starts with the new settings; the other wall is untouched.
    later = await WallClient.connect(server.ws_url)
    assert (await later.until("wall"))["wall"]["layout"] == "spotlight"
    await later.close()
    foyer = await WallClient.connect(server.ws_url, slug="foyer")
    assert (await foyer.until("wall"))["wall"]["layout"] == "ticker"
    await foyer.close()


async def test_a_screen_that_was_away_replays_the_change(server: Server,
                                                        organizer: httpx.AsyncClient) -> None:
    await organizer.patch("/api/walls/main", json={"max_posts": 12})
    wall = await WallClient.connect(server.ws_url, last_seq=0)
    await wall.until("wall")
    replayed = await wall.next()
    assert (replayed["seq"], replayed["kind"], replayed["wall"]["max_posts"]) == (1, "wall", 12)
    assert (await wall.next())["type"] == "resumed"
    await wall.close()


async def test_announcements_go_up_and_come_down(server: Server,
                                                organizer: httpx.AsyncClient) -> None:
    wall = await WallClient.connect(server.ws_url)
    await wall.until("snapshot")
    up = await organizer.put("/api/events/ev/announcement",
                             json={"text": "Gleich geht's weiter: Keynote um 14:00 🎤",
                                   "seconds": 600})
    assert up.status_code == 200
    frame = await wall.next()
    assert frame["kind"] == "announcement"
    assert frame["announcement"]["text"] == "Gleich geht's weiter: Keynote um 14:00 🎤"
    assert frame["announcement"]["until"] is not None
    # A screen switched on now shows it too.
    later = await WallClient.connect(server.ws_url, slug="foyer")
    assert (await later.until("wall"))["wall"]["announcement"]["text"].startswith("Gleich")
    down = await organizer.delete("/api/events/ev/announcement")
    assert down.json() == {"announcement": None}
    assert (await wall.next())["announcement"] is None
    assert (await later.until("change"))["announcement"] is None
    await wall.close()
    await later.close()


async def test_who_may_change_what(server: Server) -> None:
    async with server.client(await server.token("mia")) as moderator:
        refused = await moderator.patch("/api/walls/main", json={"layout": "ticker"})
        assert refused.status_code == 403
        # Moderators at the desk may put up an announcement.
        put = await moderator.put("/api/events/ev/announcement", json={"text": "Pause"})
        assert put.status_code == 200 and put.json()["announcement"]["until"] is None
        listed = (await moderator.get("/api/walls")).json()
        assert [w["slug"] for w in listed] == ["main", "foyer"]
    await auth.add_user(server.sessions, "foyer-screen", "display", "correct horse battery")
    async with server.client(await auth.create_token(server.sessions, "foyer-screen")) as screen:
        assert (await screen.put("/api/events/ev/announcement",
                                 json={"text": "x"})).status_code == 403
    async with server.client() as nobody:
        assert (await nobody.patch("/api/walls/main", json={})).status_code == 401


@pytest.mark.parametrize("body", [
    {"layout": "carousel"}, {"max_posts": 0}, {"pace_seconds": -1}, {"colour": "red"},
    {"theme": {"accent": "red; background: url(x)"}}, {"qr": {"url": "ftp://x"}},
])
async def test_bad_wall_changes_are_refused_with_the_field_named(
        organizer: httpx.AsyncClient, body: dict[str, object]) -> None:
    answer = await organizer.patch("/api/walls/main", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][1] in body


async def test_unknown_walls_and_events(organizer: httpx.AsyncClient) -> None:
    assert (await organizer.patch("/api/walls/nope", json={})).status_code == 404
    assert (await organizer.put("/api/events/nope/announcement",
                                json={"text": "x"})).status_code == 404
    assert (await organizer.put("/api/events/ev/announcement",
                                json={"text": ""})).status_code == 422
