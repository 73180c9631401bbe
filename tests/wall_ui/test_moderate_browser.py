"""The moderator page in real headless Chromium: sign in, tap approve, the wall shows the post."""

from __future__ import annotations

from pathlib import Path

from app import auth
from tests.browser import artifact, chromium, settled
from tests.factories import demo_source, make_settings, running, write_demo_posts


async def test_moderator_approves_with_one_tap_and_the_wall_shows_it(tmp_path: Path) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 3)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'moderate.db'}"
    async with running(make_settings(database_url, sources=[demo_source(posts_file)])) as server, \
            chromium() as browser:
        await auth.add_user(server.sessions, "mia", "moderator", "correct horse battery")
        context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                            locale="de-DE")
        desk = await context.new_page()
        problems: list[str] = []
        desk.on("pageerror", lambda e: problems.append(str(e)))
        await desk.goto(f"{server.base_url}/moderate")
        assert desk.url.endswith("/login?next=/moderate")
        await desk.fill("input[name=username]", "mia")
        await desk.fill("input[name=password]", "correct horse battery")
        await desk.click("button[type=submit]")
        await desk.wait_for_url(f"{server.base_url}/moderate")

        cards = desk.locator("#queue [data-post-id]")
        await cards.nth(2).wait_for()
        assert await cards.count() == 3
        assert await desk.locator("#pending-count").inner_text() == "3"
        await desk.wait_for_selector("body[data-live='live']")
        await settled(desk)
        await desk.screenshot(path=artifact("desk-signed-in-1280x800.png"))

        wall = await context.new_page()
        await wall.goto(f"{server.base_url}/wall/main")
        await wall.wait_for_selector("body[data-state='live']")

        first = cards.first
        post_id = await first.get_attribute("data-post-id")
        await first.locator("button.approve").click()
        await desk.locator(f"#queue [data-post-id='{post_id}']").wait_for(state="detached")
        assert await desk.locator("#pending-count").inner_text() == "2"

        shown = wall.locator(f"[data-post-id='{post_id}']")
        await shown.wait_for()
        assert "Beitrag Nummer 1" in await shown.inner_text()

        second = await cards.first.get_attribute("data-post-id")
        # The desk ignores taps while cards move up (a double tap must not hit the next card).
        await desk.wait_for_selector("#queue:not([data-settling])", state="attached")
        await cards.first.locator("button.reject").click()
        await desk.locator(f"#queue [data-post-id='{second}']").wait_for(state="detached")
        assert await wall.locator(f"[data-post-id='{second}']").count() == 0
        assert problems == []
