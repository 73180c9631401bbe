"""The desk over time: one moderator on a tablet keeps up with a steady stream while the wall
shows exactly what was approved, and a connection that falls silent is noticed and replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute

from app.routes import moderation_ws
from tests.browser import artifact, settled
from tests.factories import demo_source, make_settings, running, wait_for
from tests.wall_ui.desk_page import (
    card,
    cards,
    demo_posts,
    desk_server,
    gone,
    numbered,
    open_desk,
    press,
    problems,
    shown_ids,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

STREAM = 16
# A busy event: a post every 1.2 s, more than one moderator reads at leisure.
INTERVAL = 1.2
# Every fourth post has a word the event's rules block: the desk flags it, the moderator
# rejects it, and it must never reach the wall.
BAD = {i for i in range(1, STREAM + 1) if i % 4 == 0}


def _stream_entries() -> list[dict[str, object]]:
    return [{"id": f"s{i:02d}",
             "text": (f"So ein Mist, Folie {i} fehlt #Werkstolz" if i in BAD
                      else f"Beitrag {i}: Grüße aus Halle {i} 🎉 #Werkstolz")}
            for i in range(1, STREAM + 1)]


async def _next_decision(page: Page) -> tuple[str, str]:
    """The first card on the desk, its text and whether the rules flagged it."""
    first = cards(page).first
    await first.wait_for()
    post_id = await first.get_attribute("data-post-id")
    assert post_id is not None
    flagged = await first.locator(".chip.flag").count() > 0
    return post_id, "reject" if flagged else "approve"


async def test_one_moderator_keeps_up_with_a_steady_stream(desk_browser: Browser,
                                                           tmp_path: Path) -> None:
    posts_file = demo_posts(tmp_path / "stream.json", _stream_entries())
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'stream.db'}",
                             sources=[demo_source(posts_file, interval_seconds=INTERVAL)],
                             rules={"blocked_words": ["mist"]},
                             walls=[{"slug": "main", "max_posts": 20, "pace_seconds": 0.5}])
    async with running(settings) as server, server.client(await server.token("anna")) as api:
        page = await open_desk(desk_browser, server, viewport=(800, 1280))
        wall = await (await desk_browser.new_context(
            viewport={"width": 1920, "height": 1080})).new_page()
        await wall.goto(f"{server.base_url}/wall/main")
        await wall.wait_for_selector("body[data-state='live']")

        decided: dict[str, str] = {}
        most_waiting = 0
        while len(decided) < STREAM:
            post_id, action = await _next_decision(page)
            most_waiting = max(most_waiting, await cards(page).count())
            await press(page, post_id, action)
            await gone(page, post_id)
            decided[post_id] = action

        # Every post was decided once, as the rules suggested, and the queue is empty (the
        # counter settles with the refresh that follows the last decision).
        await page.wait_for_function(
            "() => document.getElementById('pending-count').textContent === '0'", timeout=5000)
        # The source's health, in the desk's language.
        health = await page.locator(".source-health").first.inner_text()
        assert ("läuft" in health or "fertig" in health) and "Beiträge" in health, health
        texts = {str(p["id"]): p["text"] for p in (await api.get(
            "/api/posts", params={"status": "approved", "limit": 200})).json()["items"]}
        approved = {i for i, a in decided.items() if a == "approve"}
        assert set(texts) == approved and len(approved) == STREAM - len(BAD)
        assert not any("Mist" in text for text in texts.values())
        # The moderator kept up: the queue never grew beyond a few cards (about three on a quiet
        # machine; a backlog that grows with the stream would reach the whole stream).
        assert most_waiting <= STREAM // 2, most_waiting

        # The wall shows the approved posts (its newest max_posts), each once, no flagged one.
        async def wall_ids() -> list[str] | None:
            ids: list[str] = await wall.eval_on_selector_all(
                "[data-post-id]", "nodes => nodes.map(n => n.dataset.postId)")
            return ids if len(set(ids)) == len(approved) else None

        shown = await wait_for(wall_ids, what="the wall to show the approved posts")
        assert len(shown) == len(set(shown)) and set(shown) <= approved
        assert "Mist" not in await wall.locator("body").inner_text()
        await settled(page)
        await page.screenshot(path=artifact("desk-stream-800x1280.png"))
        await settled(wall)
        await wall.screenshot(path=artifact("desk-stream-wall-1920x1080.png"))
        assert problems(page) == []


class Blackhole:
    """Between the desk and its websocket: while `silent`, nothing gets through either way,
    as on a Wi-Fi that dropped without closing anything."""

    def __init__(self) -> None:
        self.silent = False
        self.connections = 0

    def route(self, socket: WebSocketRoute) -> None:
        self.connections += 1
        server = socket.connect_to_server()

        def down(message: str | bytes) -> None:
            if not self.silent:
                socket.send(message)

        def up(message: str | bytes) -> None:
            if not self.silent:
                server.send(message)

        server.on_message(down)
        socket.on_message(up)


async def test_a_socket_that_falls_silent_is_replaced_and_the_desk_catches_up(
        desk_browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation_ws, "PING_INTERVAL", 0.2)  # the desk's watchdog: 0.5 s
    async with desk_server(tmp_path, numbered(3)) as (server, api):
        hole = Blackhole()
        page = await open_desk(desk_browser, server, route_socket=hole.route)
        await cards(page).nth(2).wait_for()
        ids = await shown_ids(page)
        assert hole.connections == 1

        hole.silent = True
        # Another moderator decides a post; this desk cannot hear of it.
        assert (await api.post(f"/api/posts/{ids[1]}/reject")).status_code == 200
        await page.wait_for_selector("body[data-live='offline']")
        hole.silent = False
        await page.wait_for_selector("body[data-live='live']")
        assert hole.connections >= 2
        await gone(page, ids[1])
        assert await shown_ids(page) == [ids[0], ids[2]]
        # And the new socket is live: a new decision elsewhere shows at once.
        assert (await api.post(f"/api/posts/{ids[2]}/approve")).status_code == 200
        await gone(page, ids[2])
        await card(page, ids[0]).wait_for()
        assert problems(page) == []
