"""The desk when others act too, or the network fails: a 409 says who was quicker, a failed
request puts the card back, a lost answer loses nothing, and two moderators see each other's
decisions take cards away live."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Route

from tests.browser import artifact, settled
from tests.wall_ui.desk_page import (
    SlowFeed,
    card,
    cards,
    desk_server,
    gone,
    numbered,
    open_desk,
    post_status,
    press,
    problems,
    shown_ids,
    swipe,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_someone_quicker_is_named_and_a_failed_request_puts_the_card_back(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(4)) as (server, api):
        feed = SlowFeed()
        page = await open_desk(desk_browser, server, route_socket=feed.route)
        await cards(page).nth(3).wait_for()
        ids = await shown_ids(page)

        # anna approves the first post; the desk has not heard yet, and mia taps approve.
        feed.holding = True
        assert (await api.post(f"/api/posts/{ids[0]}/approve")).status_code == 200
        await press(page, ids[0], "approve")
        await gone(page, ids[0])
        warning = page.locator("#toasts .toast.warn")
        await warning.wait_for()
        assert "Schon freigegeben von anna" in await warning.inner_text()
        # ... and when she rejects one anna approved, the same.
        assert (await api.post(f"/api/posts/{ids[1]}/approve")).status_code == 200
        await press(page, ids[1], "reject")
        await gone(page, ids[1])
        await page.locator("#toasts .toast.warn", has_text="Person 2").wait_for()
        await settled(page)
        await page.screenshot(path=artifact("desk-conflict-1280x800.png"))
        await page.evaluate("document.querySelectorAll('#toasts .toast').forEach(t => t.remove())")
        feed.holding = False

        # No connection: the card comes back in its place, and the desk says so.
        async def offline(route: Route) -> None:
            await route.abort("internetdisconnected")

        await page.route("**/api/posts/*/approve", offline)
        await press(page, ids[2], "approve")
        error = page.locator("#toasts .toast.error")
        await error.wait_for()
        assert "Keine Verbindung" in await error.inner_text()
        await card(page, ids[2]).wait_for()
        assert await shown_ids(page) == ids[2:]
        assert await post_status(api, ids[2]) == ("pending", False)
        await settled(page)
        await page.screenshot(path=artifact("desk-network-failed-1280x800.png"))
        await page.unroute("**/api/posts/*/approve", offline)

        # The request arrives but its answer is lost (and the live feed is slow): the card
        # comes back; tapping again is answered "already approved by mia", which is mia's own
        # approval, so the desk says it is done, not that someone else was quicker.
        async def answer_lost(route: Route) -> None:
            await route.fetch()
            await route.abort("connectionreset")

        feed.holding = True
        await page.route("**/api/posts/*/approve", answer_lost)
        await page.evaluate("document.querySelectorAll('#toasts .toast').forEach(t => t.remove())")
        await press(page, ids[2], "approve")
        await page.locator("#toasts .toast.error").wait_for()
        await card(page, ids[2]).wait_for()
        assert await post_status(api, ids[2]) == ("approved", False)
        await page.unroute("**/api/posts/*/approve", answer_lost)
        await press(page, ids[2], "approve")
        await gone(page, ids[2])
        done = page.locator("#toasts .toast.done", has_text="Freigegeben · Person 3")
        await done.wait_for()
        assert await page.locator("#toasts .toast.warn").count() == 0
        feed.holding = False
        assert await shown_ids(page) == ids[3:]
        assert problems(page) == []


async def test_two_moderators_see_each_others_decisions_live(desk_browser: Browser,
                                                              tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(4)) as (server, api):
        mia = await open_desk(desk_browser, server, "mia", viewport=(1280, 800))
        ben = await open_desk(desk_browser, server, "ben", viewport=(800, 1280))
        await cards(mia).nth(3).wait_for()
        await cards(ben).nth(3).wait_for()
        ids = await shown_ids(mia)
        assert await shown_ids(ben) == ids

        await press(mia, ids[0], "approve")
        await gone(ben, ids[0])
        await swipe(ben, card(ben, ids[1]), -320)
        await gone(mia, ids[1])
        for page in (mia, ben):
            await page.wait_for_function(
                "() => document.getElementById('pending-count').textContent === '2'")
            assert await shown_ids(page) == ids[2:]
        assert await post_status(api, ids[0]) == ("approved", False)
        assert await post_status(api, ids[1]) == ("rejected", False)
        await settled(ben)
        await ben.screenshot(path=artifact("desk-two-moderators-800x1280.png"))
        assert problems(mia) == [] and problems(ben) == []


async def test_the_desk_survives_a_dropped_connection_and_catches_up(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(3)) as (server, api):
        page = await open_desk(desk_browser, server)
        await cards(page).nth(2).wait_for()
        ids = await shown_ids(page)

        await page.context.set_offline(True)
        await page.wait_for_selector("body[data-live='offline']")
        # A tap while offline: nothing is lost, the card stays and the desk says why.
        await press(page, ids[0], "approve")
        await page.locator("#toasts .toast.error").wait_for()
        await card(page, ids[0]).wait_for()
        # Meanwhile anna decides another post.
        assert (await api.post(f"/api/posts/{ids[1]}/reject")).status_code == 200
        await settled(page)
        await page.screenshot(path=artifact("desk-offline-1280x800.png"))

        # Back online: the desk reconnects, reloads on "ready", and anna's decision shows.
        await page.context.set_offline(False)
        await page.wait_for_selector("body[data-live='live']")
        await gone(page, ids[1])
        assert await shown_ids(page) == [ids[0], ids[2]]
        assert await post_status(api, ids[0]) == ("pending", False)
        assert problems(page) == []
