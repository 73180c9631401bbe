"""The wall page in real headless Chromium: a post approved through the API appears on it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.browser import artifact, chromium, settled
from tests.factories import demo_source, make_settings, running, wait_for

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Ätsch 🎉'


async def test_approved_post_appears_on_the_wall(tmp_path: Path) -> None:
    posts = [
        {"id": "nice", "author": {"name": "Anna Weiß", "handle": "@anna@example.social",
                                  "avatar": "avatar-anna.png"},
         "text": "Grüße aus Halle 3 – #Werkstolz 💪", "lang": "de",
         "media": [{"file": "halle-montage.jpg", "alt": "Die Montagehalle"}]},
        {"id": "evil", "author": {"name": "Mallory", "handle": "@m"}, "text": HOSTILE},
    ]
    posts_file = tmp_path / "posts.json"
    posts_file.write_text(json.dumps(posts), encoding="utf-8")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'wall.db'}"
    async with running(make_settings(database_url, sources=[demo_source(posts_file)])) as server, \
            server.client(await server.token()) as api, chromium() as browser:

        async def queued() -> list[dict[str, object]]:
            items = (await api.get("/api/posts")).json()["items"]
            return items if len(items) == 2 else []

        nice, evil = await wait_for(queued, what="the demo posts to be queued")
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(f"{server.base_url}/wall/main")
        await page.wait_for_selector("body[data-state='live']")

        assert (await api.post(f"/api/posts/{nice['id']}/approve")).status_code == 200
        card = page.locator(f"[data-post-id='{nice['id']}']")
        await card.wait_for()
        assert "Grüße aus Halle 3" in await card.inner_text()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('[data-post-id] img')].some(i => i.complete)")
        assert await page.evaluate("document.body.dataset.seq") == "1"

        assert (await api.post(f"/api/posts/{evil['id']}/approve")).status_code == 200
        hostile = page.locator(f"[data-post-id='{evil['id']}']")
        await hostile.wait_for()
        assert "<script>window.__pwned = 1</script>" in await hostile.inner_text()
        assert await page.evaluate("window.__pwned") is None
        assert await hostile.locator("script, img[src='x']").count() == 0

        await settled(page)
        await page.screenshot(path=artifact("wall-journey-1920x1080.png"))
        assert problems == []


async def test_a_spotlighted_post_is_shown_large_until_retracted(tmp_path: Path) -> None:
    posts = [{"id": f"s{i}", "author": {"name": name, "handle": f"@{name.lower()}",
                                        "avatar": avatar},
              "text": text, "lang": "de",
              "media": [{"file": "buehne-keynote.jpg", "alt": "Keynote"}] if i == 0 else []}
             for i, (name, avatar, text) in enumerate([
                 ("Jörg", "avatar-joerg.png", "„Kunden kaufen Gewissheit.“ Was für ein Satz! "
                                              "#KundenZuFans"),
                 ("Anna", "avatar-anna.png", "Grüße aus Halle 3 #Werkstolz")])]
    posts_file = tmp_path / "posts.json"
    posts_file.write_text(json.dumps(posts), encoding="utf-8")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'spot.db'}"
    async with running(make_settings(database_url, sources=[demo_source(posts_file)])) as server, \
            server.client(await server.token()) as api, chromium() as browser:

        async def queued() -> list[int]:
            items = (await api.get("/api/posts")).json()["items"]
            return [p["id"] for p in items] if len(items) == 2 else []

        keynote, halle = await wait_for(queued, what="the demo posts")
        for post_id in (keynote, halle):
            assert (await api.post(f"/api/posts/{post_id}/approve")).status_code == 200
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(f"{server.base_url}/wall/main")
        await page.locator(f"#wall-grid [data-post-id='{halle}']").wait_for()

        spot = await api.post(f"/api/posts/{keynote}/spotlight", params={"seconds": 60})
        assert spot.status_code == 200
        overlay = page.locator(".wall-spotlight")
        await overlay.wait_for(state="visible")
        assert await page.evaluate("document.body.dataset.spotlight") == str(keynote)
        assert "Kunden kaufen Gewissheit" in await overlay.inner_text()
        await settled(page)
        await page.screenshot(path=artifact("wall-spotlight-1920x1080.png"))

        assert (await api.post(f"/api/posts/{keynote}/retract")).status_code == 200
        await overlay.wait_for(state="hidden")
        assert await page.locator(f"[data-post-id='{keynote}']").count() == 0
