"""The desk on a tablet, in real headless Chromium with touch: tap approve, swipe right to
approve, swipe left to reject, and a short drag or a scroll does nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Request

from tests.browser import artifact, settled
from tests.factories import wait_for
from tests.wall_ui.desk_page import (
    TABLETS,
    Finger,
    card,
    cards,
    desk_server,
    gone,
    numbered,
    open_desk,
    post_status,
    problems,
    shown_ids,
    swipe,
    toast_text,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("viewport", TABLETS, ids=["1280x800", "800x1280"])
async def test_tap_and_swipe_decide_and_a_short_drag_does_nothing(
        desk_browser: Browser, tmp_path: Path, viewport: tuple[int, int]) -> None:
    size = "x".join(map(str, viewport))
    entries = numbered(5)
    entries[0]["media"] = [{"file": "halle-montage.jpg", "alt": "Die Montagehalle"}]
    entries[0]["author"] = {"name": "Anna Weiß", "handle": "@anna@example.social",
                            "avatar": "avatar-anna.png"}
    entries[1]["content_warning"] = "Lautstärke"
    entries[1]["sensitive"] = True
    entries[1]["media"] = [{"file": "buehne-keynote.jpg", "alt": "Bühne"}]
    entries[2]["text"] = "So ein Mist, der Beamer ist aus #Werkstolz"
    rules = {"blocked_words": ["mist"]}
    async with desk_server(tmp_path, entries, rules=rules) as (server, api):
        page = await open_desk(desk_browser, server, viewport=viewport)
        posted: list[str] = []

        def note(request: Request) -> None:
            if request.method == "POST":
                posted.append(request.url.removeprefix(server.base_url))

        page.on("request", note)
        await cards(page).nth(4).wait_for()
        ids = await shown_ids(page)
        assert len(ids) == 5
        assert await page.locator("#pending-count").inner_text() == "5"
        await page.wait_for_function(
            "() => [...document.images].filter(i => i.getBoundingClientRect().top < innerHeight)"
            ".every(i => i.complete)")
        await settled(page)
        await page.screenshot(path=artifact(f"desk-queue-{size}.png"))

        # The rule that flagged a post is the first thing on its card.
        flag = card(page, ids[2]).locator(".chip.flag")
        assert "Gesperrtes Wort" in await flag.inner_text()
        # ...and why, in the desk's language, not the server's English sentence.
        assert await flag.locator(".flag-detail").inner_text() == "Enthält „mist“"

        # Targets are big enough for a thumb.
        approve = card(page, ids[0]).locator("button[data-action='approve']")
        box = await approve.bounding_box()
        assert box is not None and box["height"] >= 48 and box["width"] >= 48

        # A short sideways drag, and a vertical one (a scroll), do nothing.
        await swipe(page, card(page, ids[1]), 60)
        await swipe(page, card(page, ids[1]), 15, dy=-120)
        await page.wait_for_function(
            "() => !document.querySelector('#queue .dragging, #queue .snapping')")

        # A tap on approve: the card leaves at once, the toast offers Undo.
        await approve.tap()
        await gone(page, ids[0])
        toast = await toast_text(page)
        assert "Freigegeben" in toast and "Rückgängig" in toast
        await wait_for(lambda: _is(api, ids[0], "approved"), what="the tap to approve")
        # Only the tap sent anything: the drags before it did not.
        assert posted == [f"/api/posts/{ids[0]}/approve"]
        await card(page, ids[1]).wait_for()

        # Swipe right, past the threshold: green, a tick, "Freigeben"; letting go approves.
        async with Finger(page) as finger:
            await finger.down_on(card(page, ids[1]), 320)
            await finger.move(320)
            await page.wait_for_selector(f"#queue > [data-post-id='{ids[1]}'].armed.swipe-right")
            await settled(page)
            await page.screenshot(path=artifact(f"desk-swipe-right-{size}.png"))
            await finger.up()
        await gone(page, ids[1])
        await wait_for(lambda: _is(api, ids[1], "approved"), what="the swipe to approve")

        # Swipe left rejects.
        async with Finger(page) as finger:
            await finger.down_on(card(page, ids[2]), -320)
            await finger.move(-320)
            await page.wait_for_selector(f"#queue > [data-post-id='{ids[2]}'].armed.swipe-left")
            await settled(page)
            await page.screenshot(path=artifact(f"desk-swipe-left-{size}.png"))
            await finger.up()
        await gone(page, ids[2])
        await wait_for(lambda: _is(api, ids[2], "rejected"), what="the swipe to reject")

        assert await shown_ids(page) == ids[3:]
        await page.wait_for_function(
            "() => document.getElementById('pending-count').textContent === '2'")
        assert problems(page) == []


async def _is(api: httpx.AsyncClient, post_id: int, status: str) -> bool:
    return (await post_status(api, post_id))[0] == status
