"""The desk's Walls tab in real Chromium: an organizer switches a wall's layout and the open wall
follows, a moderator puts an announcement on every wall and takes it off, nobody but an
organizer sees the layout switches, and the texts are the desk's language."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from tests.browser import artifact, settled
from tests.factories import Server
from tests.wall_ui.desk_page import desk_server, numbered, open_desk, problems, toast_text

pytestmark = pytest.mark.asyncio(loop_scope="module")

WALLS = [{"slug": "main", "title": "Hauptbühne", "max_posts": 20, "pace_seconds": 0},
         {"slug": "foyer", "title": "Foyer", "layout": "ticker"}]


async def open_wall(browser: Browser, server: Server, slug: str = "main") -> Page:
    page = await (await browser.new_context(
        viewport={"width": 1280, "height": 720})).new_page()
    await page.goto(f"{server.base_url}/wall/{slug}")
    await page.wait_for_selector("body[data-state='live']")
    return page


async def walls_tab(page: Page) -> None:
    """Tap the Walls tab and wait until it shows what the server says (the announcement read)."""
    await page.locator("[role=tab][data-tab='walls']").tap()
    await page.wait_for_selector("body[data-tab='walls'] #announce-form")
    await page.wait_for_function(
        "() => document.getElementById('wall-list') === null"
        " || document.querySelectorAll('#wall-list [data-wall]').length > 0")


async def layout_of(api: httpx.AsyncClient, slug: str) -> str:
    walls = (await api.get("/api/walls")).json()
    layout: str = next(w["layout"] for w in walls if w["slug"] == slug)
    return layout


async def test_an_organizer_switches_a_layout_and_the_open_wall_follows(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(3), walls=WALLS) as (server, api):
        wall = await open_wall(desk_browser, server)
        assert await wall.get_attribute("body", "data-layout") == "grid"
        desk = await open_desk(desk_browser, server, "olga", role="organizer")
        await walls_tab(desk)

        main = desk.locator("#wall-list [data-wall='main']")
        assert "Hauptbühne" in await main.inner_text()
        assert "/wall/main" in await main.inner_text()
        assert await main.locator("button[data-layout='grid']").get_attribute(
            "aria-pressed") == "true"
        foyer = desk.locator("#wall-list [data-wall='foyer']")
        assert await foyer.locator("button[data-layout='ticker']").get_attribute(
            "aria-pressed") == "true"
        assert await main.locator("a.open-wall").get_attribute("href") == "/wall/main"
        # German layout names.
        assert [t.strip() for t in await main.locator(".layout-option .label").all_inner_texts()
                ] == ["Raster", "Spotlight", "Laufband"]

        await main.locator("button[data-layout='spotlight']").tap()
        await wall.wait_for_selector("body[data-layout='spotlight']", timeout=3000)
        assert "„Hauptbühne“ zeigt jetzt Spotlight" in await toast_text(desk)
        assert await layout_of(api, "main") == "spotlight"
        assert await layout_of(api, "foyer") == "ticker"  # the other wall is left alone

        # A slip of the finger: undo brings the wall back.
        await desk.locator("#toasts .toast button.undo").last.tap()
        await wall.wait_for_selector("body[data-layout='grid']", timeout=3000)
        await desk.wait_for_selector(
            "#wall-list [data-wall='main'] button[data-layout='grid'][aria-pressed='true']")

        await main.locator("button[data-layout='ticker']").tap()
        await wall.wait_for_selector("body[data-layout='ticker']", timeout=3000)

        # After a reload the desk shows the layout the wall has now.
        await desk.reload()
        await desk.wait_for_selector("body[data-live='live'][data-loading='false']")
        await walls_tab(desk)
        await desk.wait_for_selector(
            "#wall-list [data-wall='main'] button[data-layout='ticker'][aria-pressed='true']")
        assert await desk.locator(
            "#wall-list [data-wall='main'] [aria-pressed='true']").count() == 1
        assert problems(desk) == []


async def test_a_moderator_announces_on_the_walls_and_takes_it_off(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(3), walls=WALLS) as (server, api):
        wall = await open_wall(desk_browser, server)
        foyer = await open_wall(desk_browser, server, "foyer")
        desk = await open_desk(desk_browser, server, "mia", role="moderator")
        # No layout switches for moderators: the part is not on the page at all.
        await walls_tab(desk)
        assert await desk.locator("#walls-panel, #wall-list, .layout-option").count() == 0
        assert await desk.locator("#announce-now-label").inner_text() == (
            "Zurzeit keine Durchsage auf den Walls.")
        assert await desk.locator("#announce-title").inner_text() == "Durchsage"

        text = "Keynote um 14:00 in Saal A 🎤"
        await desk.locator("#announce-text").fill(text)
        assert await desk.locator("#announce-count").inner_text() == "28 von 280 Zeichen"
        await desk.locator("#announce-duration").select_option("900")
        send = desk.locator("#announce-send")
        assert await send.inner_text() == "Auf allen Walls zeigen"
        await send.tap()

        for screen in (wall, foyer):
            await screen.wait_for_selector("body[data-announcement='true']", timeout=3000)
            assert await screen.locator("#wall-announcement-text").inner_text() == text
        await desk.wait_for_selector("#announce-now[data-on='true']")
        assert await desk.locator("#announce-now-text").inner_text() == text
        meta = await desk.locator("#announce-now-meta").inner_text()
        assert "seit" in meta and "bis" in meta and "Hauptbühne, Foyer" in meta
        assert await desk.locator("#announce-text").input_value() == ""
        assert await send.inner_text() == "Durchsage ersetzen"
        assert "Durchsage läuft auf allen Walls" in await toast_text(desk)
        await settled(desk)
        await desk.screenshot(path=artifact("desk-walls-moderator-1280x800.png"))

        # Back on the queue, a strip says what the screens show; after a reload too.
        await desk.locator("[role=tab][data-tab='queue']").tap()
        strip = desk.locator("#announce-strip")
        await strip.wait_for()
        assert text in await strip.inner_text()
        await desk.reload()
        await desk.wait_for_selector("body[data-live='live'][data-loading='false']")
        await strip.wait_for()
        await strip.tap()  # leads to the Walls tab
        await desk.wait_for_selector("body[data-tab='walls'] #announce-now[data-on='true']")

        await desk.locator("#announce-remove").tap()
        for screen in (wall, foyer):
            await screen.wait_for_selector("body[data-announcement='false']", timeout=3000)
        await desk.wait_for_selector("#announce-now[data-on='false']")
        assert await desk.locator("#announce-remove").is_hidden()
        assert "Durchsage von den Walls genommen" in await toast_text(desk)
        answer = (await api.get("/api/walls")).json()
        assert all(w["announcement"] is None for w in answer)
        assert problems(desk) == []


async def test_too_long_or_empty_text_is_explained_and_not_sent(
        desk_browser: Browser, tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(1), walls=WALLS) as (server, api):
        desk = await open_desk(desk_browser, server, "mia", viewport=(390, 844))
        await walls_tab(desk)
        await desk.locator("#announce-send").tap()
        assert await desk.locator("#announce-error").inner_text() == (
            "Bitte zuerst einen Text eingeben.")

        await desk.locator("#announce-text").fill("x" * 283)
        assert await desk.locator("#announce-error").inner_text() == (
            "3 Zeichen zu lang – höchstens 280.")
        assert await desk.locator("#announce-text").get_attribute("aria-invalid") == "true"
        await desk.locator("#announce-send").tap()
        await settled(desk)
        await desk.screenshot(path=artifact("desk-walls-too-long-390x844.png"))
        assert (await api.get("/api/walls")).json()[0]["announcement"] is None

        # 280 emoji are 280 characters for the API too (not 560 UTF-16 units).
        await desk.locator("#announce-text").fill("🎉" * 280)
        assert await desk.locator("#announce-error").inner_text() == ""
        await desk.locator("#announce-send").tap()
        await desk.wait_for_selector("#announce-now[data-on='true']")
        assert (await api.get("/api/walls")).json()[0]["announcement"]["text"] == "🎉" * 280
        assert problems(desk) == []


async def test_the_walls_tab_in_english_and_screenshots(desk_browser: Browser,
                                                        tmp_path: Path) -> None:
    async with desk_server(tmp_path, numbered(4), walls=WALLS) as (server, api):
        await api.put("/api/events/ev/announcement",
                      json={"text": "Gleich geht's weiter – Keynote um 14:00 in Saal A",
                            "seconds": 1800})
        for size, locale in (((1280, 800), "de-DE"), ((800, 1280), "de-DE"),
                             ((390, 844), "de-DE"), ((1280, 800), "en-GB")):
            desk = await open_desk(desk_browser, server, "olga", role="organizer",
                                   viewport=size, locale=locale)
            name = f"{size[0]}x{size[1]}-{locale[:2]}"
            await desk.wait_for_selector("#announce-strip:not([hidden])")
            await settled(desk)
            await desk.screenshot(path=artifact(f"desk-walls-strip-{name}.png"))
            await walls_tab(desk)
            await desk.wait_for_selector("#announce-now[data-on='true']")
            await settled(desk)
            await desk.screenshot(path=artifact(f"desk-walls-{name}.png"), full_page=True)
            if locale == "en-GB":
                assert await desk.locator("[role=tab][data-tab='walls']").inner_text() == "Walls"
                assert await desk.locator("#announce-now-label").text_content() == (
                    "On all walls now")
                assert await desk.locator("#announce-remove").inner_text() == (
                    "Remove from the walls")
                labels = await desk.locator(
                    "#wall-list [data-wall='main'] .layout-option .label").all_inner_texts()
                assert labels == ["Grid", "Spotlight", "Ticker"]
            # Every control is at least 48 px tall, and nothing sticks out sideways.
            for control in await desk.locator(
                    "#screens button:visible, #screens select:visible, #screens a:visible"
            ).all():
                box = await control.bounding_box()
                assert box is not None and box["height"] >= 48, await control.inner_text()
            assert await desk.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth")
            assert problems(desk) == []
            await desk.context.close()
