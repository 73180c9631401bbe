"""The wall page survives a server restart: it shows what it has while the server is gone,
comes back by itself, and catches up by sequence number: every post exactly once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.models import Event
from app.posts import Actor, PostStore
from app.pubsub import Hub, MemoryBackend
from tests.browser import artifact, chromium, settled
from tests.factories import (
    database,
    demo_source,
    free_port,
    make_settings,
    running,
    wait_for,
    write_demo_posts,
)


async def test_the_wall_catches_up_after_a_server_restart(tmp_path: Path) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 8)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    settings = make_settings(database_url, sources=[demo_source(posts_file)])
    port = free_port()
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        async with running(settings, port=port) as server, \
                server.client(await server.token()) as api:

            async def queued() -> list[int]:
                items = (await api.get("/api/posts")).json()["items"]
                return [p["id"] for p in items] if len(items) == 8 else []

            ids = await wait_for(queued, what="the demo posts")
            await page.goto(f"{server.base_url}/wall/main")
            await page.wait_for_selector("body[data-state='live']")
            for post_id in ids[:3]:
                assert (await api.post(f"/api/posts/{post_id}/approve")).status_code == 200
            await page.locator(f"[data-post-id='{ids[2]}']").wait_for()

        # The server is gone: the wall keeps its posts and says, discreetly, that it is offline.
        await page.wait_for_selector("body[data-state='offline']")
        assert await page.locator("[data-post-id]").count() == 3
        await settled(page)
        await page.screenshot(path=artifact("wall-offline-1920x1080.png"))

        # Meanwhile moderators carry on (straight in the database: no server to ask).
        async with database(database_url) as sessions:
            store = PostStore(sessions, Hub(MemoryBackend()))
            for post_id in ids[3:6]:
                await store.act(post_id, "approve", Actor("mod"))
            await store.act(ids[0], "retract", Actor("mod"))
            async with sessions() as session:
                last_seq = await session.scalar(select(Event.last_seq))
        assert last_seq == 7

        async with running(settings, port=port) as server, \
                server.client(await server.token("second")) as api:
            await page.wait_for_selector("body[data-state='live']", timeout=45_000)
            await page.wait_for_function("() => document.body.dataset.seq === '7'")
            # The missed approvals come up at the wall's pace, each once; the retracted one
            # went at once.
            assert await page.locator(f"[data-post-id='{ids[0]}']").count() == 0
            await page.wait_for_function(
                "ids => JSON.stringify([...document.querySelectorAll('[data-post-id]')]"
                ".map(c => Number(c.dataset.postId)).sort((a, b) => a - b))"
                " === JSON.stringify(ids)",
                arg=sorted(ids[1:6]))
            # And it is live again.
            assert (await api.post(f"/api/posts/{ids[6]}/approve")).status_code == 200
            await page.locator(f"[data-post-id='{ids[6]}']").wait_for()
            assert await page.locator("[data-post-id]").count() == 6
            assert await page.evaluate("document.body.dataset.seq") == "8"
