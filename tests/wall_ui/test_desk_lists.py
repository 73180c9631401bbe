"""The desk's lists: filters and search narrow them, bulk approve reports per-post failures, the
tabs (held, on the wall, rejected) offer their actions, new posts arrive live at the end without
moving the card under the thumb, and pausing the walls shows an unmistakable banner."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from tests.browser import artifact, settled
from tests.factories import demo_source, wait_for
from tests.wall_ui.desk_page import (
    SlowFeed,
    card,
    cards,
    demo_posts,
    desk_server,
    gone,
    numbered,
    open_desk,
    post_status,
    press,
    problems,
    queue,
    shown_ids,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def showing(page: Page, ids: list[int]) -> None:
    """Wait until the list shows exactly these posts, in this order."""
    await page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('#queue > [data-post-id]')]"
        ".map(n => Number(n.dataset.postId))) === JSON.stringify(ids)", arg=ids)


async def test_filters_and_search_narrow_the_list(desk_browser: Browser, tmp_path: Path) -> None:
    entries = [
        {"id": "kaffee", "text": "Kaffee und Kuchen in Halle 3 #Werkstolz",
         "author": {"name": "Anna Weiß", "handle": "@anna@example.social",
                    "avatar": "avatar-anna.png"},
         "media": [{"file": "kaffee-bar.jpg", "alt": "Die Kaffeebar"}]},
        {"id": "keynote", "text": "Die Keynote läuft #KundenZuFans",
         "author": {"name": "Mehmet Yılmaz", "handle": "@mehmet@example.social",
                    "avatar": "avatar-mehmet.png"}},
        {"id": "pause", "text": "Mittagspause! #Werkstolz",
         "author": {"name": "Claire Dubois", "handle": "@claire@example.social"}},
    ]
    press = demo_posts(tmp_path / "press.json", [
        {"id": "pm", "text": "Pressemitteilung zum Summit #KundenZuFans",
         "author": {"name": "Presse", "handle": "presse.example"}},
        {"id": "tour", "text": "Werkführung mit Bildern #Werkstolz",
         "author": {"name": "Werkblog", "handle": "blog.example"},
         "media": [{"file": "werkfuehrung.jpg", "alt": "Werkführung"}]},
    ])
    async with desk_server(tmp_path, entries, extra_sources=[
            demo_source(press, name="presse")]) as (server, api):
        page = await open_desk(desk_browser, server)
        await cards(page).nth(4).wait_for()
        by_text = {p["text"].split()[0]: p["id"] for p in await queue(api)}
        everything = await shown_ids(page)

        await page.fill("#q", "kaffee")
        await showing(page, [by_text["Kaffee"]])
        await page.fill("#q", "@mehmet")
        await showing(page, [by_text["Die"]])
        await page.fill("#q", "")
        await showing(page, everything)

        await page.wait_for_selector("#filter-hashtag option[value='KundenZuFans']",
                                     state="attached")
        await page.select_option("#filter-hashtag", "KundenZuFans")
        await showing(page, sorted([by_text["Die"], by_text["Pressemitteilung"]]))
        await page.select_option("#filter-hashtag", "")
        await page.check("#filter-media")
        await showing(page, sorted([by_text["Kaffee"], by_text["Werkführung"]]))
        await page.wait_for_selector("#filter-source option[value='presse']", state="attached")
        await page.select_option("#filter-source", "presse")
        await showing(page, [by_text["Werkführung"]])
        # The counter still says what waits in the whole event.
        assert await page.locator("#pending-count").inner_text() == "5"
        await page.wait_for_function(
            "() => [...document.images].filter(i => i.getBoundingClientRect().top < innerHeight)"
            ".every(i => i.complete)")
        await settled(page)
        await page.screenshot(path=artifact("desk-filters-1280x800.png"))

        await page.uncheck("#filter-media")
        await showing(page, sorted([by_text["Pressemitteilung"], by_text["Werkführung"]]))
        await page.fill("#q", "nichts dergleichen")
        await page.locator("#empty").wait_for()
        assert "Nichts passt" in await page.locator("#empty").inner_text()
        assert problems(page) == []


async def test_bulk_approve_reports_each_post_that_failed(desk_browser: Browser,
                                                          tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(5)) as (server, api):
        feed = SlowFeed()
        page = await open_desk(desk_browser, server, viewport=(800, 1280), route_socket=feed.route)
        await cards(page).nth(4).wait_for()
        ids = await shown_ids(page)

        await page.locator("#select-mode").tap()
        await page.locator("#bulk").wait_for()
        # A tap on the checkbox or anywhere on the card selects it.
        await card(page, ids[0]).locator(".pick input").tap()
        for post_id in ids[1:3]:
            await card(page, post_id).locator(".text").tap()
        assert await page.locator("#selected-count").inner_text() == "3 ausgewählt"
        await settled(page)
        await page.screenshot(path=artifact("desk-bulk-select-800x1280.png"))

        # Meanwhile anna rejects one of them; the desk has not heard of it yet.
        feed.holding = True
        assert (await api.post(f"/api/posts/{ids[1]}/reject")).status_code == 200
        await page.locator("#bulk button[data-bulk='approve']").tap()
        for post_id in ids[:3]:
            await gone(page, post_id)
        report = page.locator("#toasts .toast.warn")
        await report.wait_for()
        text = await report.inner_text()
        assert "2 von 3 freigegeben" in text and "1 nicht möglich" in text
        assert "Person 2" in text and "anna" in text
        assert [await post_status(api, i) for i in ids[:3]] == [
            ("approved", False), ("rejected", False), ("approved", False)]
        await settled(page)
        await page.screenshot(path=artifact("desk-bulk-done-800x1280.png"))
        feed.holding = False
        assert await shown_ids(page) == ids[3:]
        assert problems(page) == []


async def test_tabs_offer_their_actions_and_pausing_shows_a_banner(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(5)) as (server, api):
        page = await open_desk(desk_browser, server)
        await cards(page).nth(4).wait_for()
        ids = await shown_ids(page)

        # Hold: out of the queue into "Gehalten", and back.
        await press(page, ids[0], "hold")
        await gone(page, ids[0])
        await page.wait_for_function(
            "() => document.getElementById('count-held').textContent === '1'")
        await page.locator("[role=tab][data-tab='held']").tap()
        await showing(page, [ids[0]])
        await press(page, ids[0], "unhold")
        await gone(page, ids[0])
        await page.locator("#empty").wait_for()
        await page.locator("[role=tab][data-tab='queue']").tap()
        await showing(page, ids)

        # Approve and pin in one step; "Auf der Wall" shows it pinned, and unpins it.
        await press(page, ids[0], "approve-pin")
        await gone(page, ids[0])
        assert (await api.post(f"/api/posts/{ids[1]}/approve")).status_code == 200
        await page.locator("[role=tab][data-tab='approved']").tap()
        await showing(page, [ids[1], ids[0]])
        pinned = card(page, ids[0])
        assert "angeheftet" in await pinned.locator(".chips").inner_text()
        await settled(page)
        await page.screenshot(path=artifact("desk-on-the-wall-1280x800.png"))
        await press(page, ids[0], "unpin")
        await card(page, ids[0]).locator("button[data-action='pin']").wait_for()
        await press(page, ids[1], "spotlight")
        await page.locator("#toasts .toast", has_text="Im Spotlight").wait_for()
        await press(page, ids[1], "retract")
        await gone(page, ids[1])
        await wait_for(lambda: _is(api, ids[1], "retracted"), what="the retraction")

        # "Abgelehnt" lists rejected posts with who rejected them.
        assert (await api.post(f"/api/posts/{ids[2]}/reject")).status_code == 200
        await page.locator("[role=tab][data-tab='rejected']").tap()
        await showing(page, [ids[2]])
        assert "abgelehnt von anna" in await card(page, ids[2]).inner_text()

        # Pausing: a banner nobody can miss, on every desk of the event; resuming ends it.
        other = await open_desk(desk_browser, server, "ben", viewport=(800, 1280))
        await page.locator("#pause").tap()
        for desk in (page, other):
            await desk.locator("#paused").wait_for()
            assert "WALLS ANGEHALTEN" in (await desk.locator("#paused").inner_text()).upper()
        events = (await api.get("/api/events")).json()
        assert [e["paused"] for e in events] == [True]
        await page.locator("[role=tab][data-tab='queue']").tap()
        await settled(page)
        await page.screenshot(path=artifact("desk-paused-1280x800.png"))
        await settled(other)
        await other.screenshot(path=artifact("desk-paused-800x1280.png"))
        await other.locator("#resume").tap()
        for desk in (page, other):
            await desk.locator("#paused").wait_for(state="hidden")
        assert problems(page) == [] and problems(other) == []


async def test_new_posts_arrive_at_the_end_and_nothing_moves_under_the_thumb(
        desk_browser: Browser, tmp_path: Path) -> None:
    # A second source that keeps posting, one post every 1.5 s.
    trickle = demo_posts(tmp_path / "trickle.json",
                         [{"id": "neu", "text": "Frisch aus der Halle #Werkstolz"}])
    async with desk_server(tmp_path, numbered(8), extra_sources=[
            demo_source(trickle, name="live", loop=True, interval_seconds=1.5)]
            ) as (server, api):
        page = await open_desk(desk_browser, server, viewport=(800, 1280))
        await cards(page).nth(8).wait_for()
        ids = await shown_ids(page)
        first = (await queue(api))[0]["id"]

        # The moderator has scrolled down and is looking at the fourth card.
        watched = card(page, ids[3])
        await watched.evaluate("c => c.scrollIntoView({block: 'center'})")
        before = await watched.bounding_box()
        assert before is not None

        # A new post arrives: at the end, marked, and the watched card stays where it is.
        await cards(page).nth(len(ids)).wait_for()
        newest = (await shown_ids(page))[-1]
        assert newest > max(ids)
        assert "fresh" in (await card(page, newest).get_attribute("class") or "").split()
        now = await watched.bounding_box()
        assert now is not None and abs(now["y"] - before["y"]) < 1

        # Another moderator approves the first post, far above: it goes, nothing jumps.
        assert (await api.post(f"/api/posts/{first}/approve")).status_code == 200
        await gone(page, first)
        now = await watched.bounding_box()
        assert now is not None and abs(now["y"] - before["y"]) < 2
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await settled(page)
        await page.screenshot(path=artifact("desk-live-800x1280.png"))
        assert problems(page) == []


async def test_language_switch_and_a_phone(desk_browser: Browser, tmp_path: Path) -> None:
    entries = numbered(2)
    entries[0]["content_warning"] = "Spoiler"
    async with desk_server(tmp_path, entries) as (server, _api):
        page = await open_desk(desk_browser, server, viewport=(390, 844))
        await cards(page).nth(1).wait_for()
        assert "Warteschlange" in await page.locator("[role=tab][data-tab='queue']").inner_text()
        approve = cards(page).first.locator("button[data-action='approve']")
        box = await approve.bounding_box()
        assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 390
        await settled(page)
        await page.screenshot(path=artifact("desk-phone-de-390x844.png"))

        await page.locator("a.lang").tap()
        await page.wait_for_url("**/moderate?lang=en")
        await page.wait_for_selector("body[data-live='live'][data-loading='false']")
        assert await page.locator("html").get_attribute("lang") == "en"
        await cards(page).nth(1).wait_for()
        assert "Approve" in await cards(page).first.inner_text()
        assert "Content warning: Spoiler" in await cards(page).first.inner_text()
        texts = json.loads(await page.locator("#desk-texts").text_content() or "{}")
        assert texts["desk_tab_queue"] == "Queue"
        await settled(page)
        await page.screenshot(path=artifact("desk-phone-en-390x844.png"))
        # The choice is kept (a cookie): the plain address stays English.
        await page.goto(f"{server.base_url}/moderate")
        assert await page.locator("a.lang").inner_text() == "Deutsch"
        assert problems(page) == []


async def _is(api: httpx.AsyncClient, post_id: int, status: str) -> bool:
    return (await post_status(api, post_id))[0] == status


async def test_a_long_queue_loads_the_rest_when_scrolled_to_its_end(desk_browser: Browser,
                                                                    tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(130)) as (server, api):
        everything = [p["id"] for p in await queue(api)]
        assert len(everything) == 130
        page = await open_desk(desk_browser, server, viewport=(800, 1280))
        await cards(page).nth(99).wait_for()
        assert await cards(page).count() == 100  # one page at first
        assert await page.locator("#pending-count").inner_text() == "130"
        await page.locator("#more").scroll_into_view_if_needed()
        await showing(page, everything)  # oldest first, each once
        assert await page.locator("#more").is_hidden()
        assert problems(page) == []
