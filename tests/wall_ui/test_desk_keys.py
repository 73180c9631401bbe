"""The desk with a keyboard: j/k and arrows move a visible focus ring, a approves, r rejects,
h holds, u and Ctrl+Z undo within 10 s (the post is pending again), ? lists the shortcuts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from tests.browser import artifact, settled
from tests.factories import wait_for
from tests.wall_ui.desk_page import (
    TABLETS,
    card,
    cards,
    desk_server,
    gone,
    numbered,
    open_desk,
    post_status,
    problems,
    shown_ids,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def current(page: Page) -> int | None:
    found: int | None = await page.evaluate(
        "() => { const c = document.querySelector('#queue > .current');"
        " return c ? Number(c.dataset.postId) : null; }")
    return found


@pytest.mark.parametrize("viewport", TABLETS, ids=["1280x800", "800x1280"])
async def test_keyboard_shortcuts_decide_and_undo(
        desk_browser: Browser, tmp_path: Path, viewport: tuple[int, int]) -> None:
    size = "x".join(map(str, viewport))
    async with desk_server(tmp_path, numbered(6)) as (server, api):
        page = await open_desk(desk_browser, server, viewport=viewport, touch=False)
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url.removeprefix(server.base_url))
                if r.method == "POST" else None)
        await cards(page).nth(5).wait_for()
        ids = await shown_ids(page)
        keys = page.keyboard

        # Nothing is chosen at first: "a" only chooses the first card, it approves nothing.
        await keys.press("a")
        assert await current(page) == ids[0]
        assert await post_status(api, ids[0]) == ("pending", False)
        await keys.press("j")
        await keys.press("j")
        await keys.press("k")
        assert await current(page) == ids[1]
        await keys.press("ArrowDown")
        await keys.press("ArrowUp")
        assert await current(page) == ids[1]
        ring = await card(page, ids[1]).locator(".card-body").evaluate(
            "b => getComputedStyle(b).outlineStyle + ' ' + getComputedStyle(b).outlineWidth")
        assert ring == "solid 4px"
        await settled(page)
        await page.screenshot(path=artifact(f"desk-keyboard-{size}.png"))

        await keys.press("a")
        await gone(page, ids[1])
        assert await current(page) == ids[2]  # the ring moves on to the next card
        await keys.press("r")
        await gone(page, ids[2])
        assert await current(page) == ids[3]
        await wait_for(lambda: _is(api, ids[1], ("approved", False)), what="a to approve")
        await wait_for(lambda: _is(api, ids[2], ("rejected", False)), what="r to reject")

        # u undoes the last action (the rejection), Ctrl+Z the one before (the approval).
        await keys.press("u")
        await card(page, ids[2]).wait_for()
        await wait_for(lambda: _is(api, ids[2], ("pending", False)), what="u to undo")
        await keys.press("Control+z")
        await card(page, ids[1]).wait_for()
        await wait_for(lambda: _is(api, ids[1], ("pending", False)), what="Ctrl+Z to undo")
        assert await shown_ids(page) == ids  # back in their places
        await page.wait_for_function(
            "() => document.getElementById('pending-count').textContent === '6'")

        # h puts the current card on hold; the "Gehalten" tab has it.
        assert await current(page) == ids[3]
        await keys.press("h")
        await gone(page, ids[3])
        await wait_for(lambda: _is(api, ids[3], ("pending", True)), what="h to hold")
        await page.wait_for_function(
            "() => document.getElementById('count-held').textContent === '1'")

        # x selects the current card for a bulk action; Escape ends selecting.
        await keys.press("x")
        await page.locator("#bulk").wait_for()
        assert await page.locator("#selected-count").inner_text() == "1 ausgewählt"
        await keys.press("Escape")
        await page.locator("#bulk").wait_for(state="hidden")

        # Typing in the search field is typing, not shortcuts.
        await page.locator("#q").press("a")
        await page.locator("#q").press("Backspace")
        await page.locator("#q").blur()

        # ? shows the list of shortcuts.
        await keys.press("?")
        help_dialog = page.locator("dialog#help[open]")
        await help_dialog.wait_for()
        assert "Tastenkürzel" in await help_dialog.inner_text()
        await settled(page)
        await page.screenshot(path=artifact(f"desk-shortcuts-{size}.png"))
        await keys.press("Escape")
        await help_dialog.wait_for(state="detached")
        assert posted == [f"/api/posts/{ids[1]}/approve", f"/api/posts/{ids[2]}/reject",
                          f"/api/posts/{ids[2]}/undo", f"/api/posts/{ids[1]}/undo",
                          f"/api/posts/{ids[3]}/hold"]
        assert problems(page) == []


async def _is(api: httpx.AsyncClient, post_id: int, expected: tuple[str, bool]) -> bool:
    return await post_status(api, post_id) == expected
