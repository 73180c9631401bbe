"""Builders for the moderation desk's browser tests: a server with demo posts, a signed-in desk
page in a tablet-sized browser context, touch swipes, and waiting on the desk's state."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, WebSocketRoute

from app import auth
from tests.factories import Server, demo_source, make_settings, running, wait_for

PASSWORD = "correct horse battery"
TABLETS = [(1280, 800), (800, 1280)]


def demo_posts(path: Path, entries: list[dict[str, Any]]) -> Path:
    """A demo posts file; entries need "id" and "text", the rest has defaults."""
    full = [{"author": {"name": f"Person {n}", "handle": f"@p{n}@example.social"}, "lang": "de",
             **entry} for n, entry in enumerate(entries, start=1)]
    path.write_text(json.dumps(full), encoding="utf-8")
    return path


def numbered(count: int) -> list[dict[str, Any]]:
    return [{"id": f"p{i:02d}", "text": f"Beitrag Nummer {i} #Werkstolz"}
            for i in range(1, count + 1)]


@asynccontextmanager
async def desk_server(tmp_path: Path, entries: list[dict[str, Any]], *,
                      extra_sources: list[dict[str, Any]] | None = None, **event: Any,
                      ) -> AsyncIterator[tuple[Server, httpx.AsyncClient]]:
    """The app with one demo source replaying `entries` at once (`event` adds to the event's
    settings, e.g. rules), and an API client acting as the moderator "anna" (a bearer token);
    yields when every post is queued."""
    posts_file = demo_posts(tmp_path / "posts.json", entries)
    sources = [demo_source(posts_file), *(extra_sources or [])]
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", sources=sources,
                             **event)
    async with running(settings) as server, server.client(await server.token("anna")) as api:
        total = len(entries) + sum(_count(s) for s in extra_sources or [])
        await wait_for(lambda: _queued(api, total), what=f"{total} posts to be queued")
        yield server, api


def _count(source: dict[str, Any]) -> int:
    return len(json.loads(Path(source["posts_file"]).read_text(encoding="utf-8")))


async def _queued(api: httpx.AsyncClient, total: int) -> bool:
    page = (await api.get("/api/posts", params={"event": "ev", "limit": 200})).json()
    return len(page["items"]) >= total


async def queue(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """The posts the API lists (the queue by default)."""
    answer = await api.get("/api/posts", params={"event": "ev", "limit": 200, **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def post_status(api: httpx.AsyncClient, post_id: int | str) -> tuple[str, bool]:
    """(status, held) of one post, found through the lists."""
    for status in ("pending", "approved", "rejected", "retracted"):
        for held in (False, True) if status == "pending" else (False,):
            for post in await queue(api, status=status, held=str(held).lower()):
                if str(post["id"]) == str(post_id):
                    return post["status"], post["held"]
    raise AssertionError(f"post {post_id} not found")


async def open_desk(browser: Browser, server: Server, user: str = "mia", *,
                    viewport: tuple[int, int] = (1280, 800), locale: str = "de-DE",
                    role: str = "moderator", touch: bool = True,
                    route_socket: Callable[[WebSocketRoute], None] | None = None) -> Page:
    """A new browser context signed in as `user` (created if new), on /moderate, live and
    loaded. Uncaught page errors are collected in page.problems (asserted by close_desk)."""
    try:
        await auth.add_user(server.sessions, user, role, PASSWORD)
    except auth.AccountError:
        pass  # the same user on a second device
    width, height = viewport
    context = await browser.new_context(viewport={"width": width, "height": height},
                                        locale=locale, has_touch=touch)
    signed_in = await context.request.post(
        f"{server.base_url}/login",
        form={"username": user, "password": PASSWORD, "next": "/moderate"})
    assert signed_in.ok, await signed_in.text()
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Uncaught errors, and anything the Content-Security-Policy had to block.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.problems = problems  # type: ignore[attr-defined]
    page.touch = touch  # type: ignore[attr-defined]
    if route_socket is not None:
        await page.route_web_socket(re.compile(r"/ws/moderate/"), route_socket)
    await page.goto(f"{server.base_url}/moderate")
    await desk_ready(page)
    return page


async def desk_ready(page: Page) -> None:
    await page.wait_for_selector("body[data-live='live'][data-loading='false']")


class SlowFeed:
    """Sits between the desk and its websocket and, while `holding`, keeps back the frames
    that tell of changes: the desk has not heard yet of what another moderator did."""

    def __init__(self) -> None:
        self.holding = False
        self.kept: list[str] = []

    def route(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def from_server(message: str | bytes) -> None:
            text = message.decode() if isinstance(message, bytes) else message
            if self.holding and '"post.updated"' in text:
                self.kept.append(text)
                return
            socket.send(message)

        server.on_message(from_server)


def problems(page: Page) -> list[str]:
    found: list[str] = page.problems  # type: ignore[attr-defined]
    return found


def cards(page: Page) -> Locator:
    return page.locator("#queue > [data-post-id]")


def card(page: Page, post_id: int | str) -> Locator:
    return page.locator(f"#queue > [data-post-id='{post_id}']")


async def shown_ids(page: Page) -> list[int]:
    ids: list[int] = await page.eval_on_selector_all(
        "#queue > [data-post-id]", "nodes => nodes.map(n => Number(n.dataset.postId))")
    return ids


async def press(page: Page, post_id: int | str, action: str) -> None:
    """Tap (or click) a card's action button once the cards have stopped moving: the desk
    ignores taps for a moment after a card left, so a double tap cannot hit the next one."""
    await page.wait_for_selector("#queue:not([data-settling])", state="attached")
    button = card(page, post_id).locator(f"button[data-action='{action}']")
    if page.touch:  # type: ignore[attr-defined]
        await button.tap()
    else:
        await button.click()


async def gone(page: Page, post_id: int | str) -> None:
    await card(page, post_id).wait_for(state="detached")


class Finger:
    """One finger on the touch screen, as real touch events sent through the DevTools protocol
    (Chrome turns them into pointer events and honours touch-action, as on a tablet)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.x = self.y = 0.0

    async def __aenter__(self) -> Finger:
        self.cdp = await self.page.context.new_cdp_session(self.page)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cdp.detach()

    async def _touch(self, kind: str, points: list[dict[str, float]]) -> None:
        await self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    async def down_on(self, target: Locator, dx: float) -> None:
        """Touch `target`'s text, leaving room to move by `dx`."""
        # A card sliding out still takes its place; the others move up when it has gone.
        await self.page.wait_for_function("() => !document.querySelector('[data-leaving-id]')")
        box = await target.locator(".text").bounding_box()
        assert box is not None
        self.x = box["x"] + box["width"] * (0.3 if dx > 0 else 0.7)
        self.y = box["y"] + min(box["height"] / 2, 20)
        await self._touch("touchStart", [{"x": self.x, "y": self.y}])

    async def move(self, dx: float, dy: float = 0, steps: int = 10) -> None:
        x0, y0 = self.x, self.y
        for step in range(1, steps + 1):
            self.x, self.y = x0 + dx * step / steps, y0 + dy * step / steps
            await self._touch("touchMove", [{"x": self.x, "y": self.y}])

    async def up(self) -> None:
        await self._touch("touchEnd", [])


async def swipe(page: Page, target: Locator, dx: float, dy: float = 0) -> None:
    """Put a finger on the card, move it by (dx, dy), lift it."""
    async with Finger(page) as finger:
        await finger.down_on(target, dx)
        await finger.move(dx, dy)
        await finger.up()


async def toast_text(page: Page) -> str:
    toast = page.locator("#toasts .toast").last
    await toast.wait_for()
    text: str = await toast.inner_text()
    return text
