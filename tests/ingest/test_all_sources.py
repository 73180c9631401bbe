"""All three real sources in one running app: the queue fills from each, through faults at
every source and a restart of the whole app, with nothing stored twice and nothing lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse

from tests.factories import Server, make_settings, running, wait_for
from tests.ingest.fake_bluesky import FakeAppView, FakeJetstream, post_event, post_view, uri
from tests.ingest.fake_feeds import FeedServer, rss_document, serve_feeds
from tests.ingest.fake_mastodon import FakeMastodon, serve


@dataclass
class Fakes:
    mastodon: FakeMastodon
    jetstream: FakeJetstream
    appview: FakeAppView
    feeds: FeedServer
    feed_items: list[tuple[str, str]]

    def add_feed_item(self, guid: str, title: str) -> None:
        self.feed_items.append((guid, title))
        self.feeds.publish("/news.xml", rss_document(self.feed_items),
                           etag=f'"v{len(self.feed_items)}"')

    def add_bluesky_post(self, n: int) -> None:
        event = post_event(n, f"Post {n} aus Halle 3 #Werkstolz")
        self.appview.add(post_view(n, event, images=1))
        self.jetstream.publish(event)


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with AsyncExitStack() as stack:
        mastodon = await stack.enter_async_context(serve(FakeMastodon()))
        jetstream = await stack.enter_async_context(FakeJetstream().serving())
        appview = await stack.enter_async_context(FakeAppView().serving())
        feeds = await stack.enter_async_context(serve_feeds())
        yield Fakes(mastodon, jetstream, appview, feeds, [])


def _settings(database_url: str, fakes: Fakes) -> Any:
    return make_settings(database_url, hashtags=["Werkstolz"], sources=[
        {"type": "mastodon", "name": "mastodon",
         "instances": [{"url": fakes.mastodon.base_url}], "poll_interval_seconds": 0.2},
        {"type": "bluesky", "name": "bluesky", "jetstream_url": fakes.jetstream.url,
         "appview_url": fakes.appview.url, "rewind_seconds": 5},
        {"type": "rss", "name": "news", "feeds": [{"url": fakes.feeds.url("/news.xml")}],
         "poll_interval_seconds": 0.2},
    ])


async def _queue(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await api.get("/api/posts", params={"status": "pending", "limit": 200})
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _wait_for_queue(api: httpx.AsyncClient, per_source: dict[str, int]) -> list[dict]:
    async def filled() -> list[dict[str, Any]]:
        items = await _queue(api)
        counts = Counter(item["source_name"] for item in items)
        return items if counts == Counter(per_source) else []

    items: list[dict[str, Any]] = await wait_for(filled, what=f"the queue to hold {per_source}",
                                                 timeout=30)
    return items


async def _source_state(server: Server, api: httpx.AsyncClient, name: str, state: str) -> dict:
    async def reached() -> dict[str, Any] | None:
        for source in (await api.get("/api/sources")).json():
            if source["name"] == name and source["state"] == state:
                return dict(source)
        return None

    found: dict[str, Any] = await wait_for(reached, what=f"{name} to be {state}", timeout=30)
    return found


async def test_every_source_fills_the_queue_through_faults_and_a_restart(
    database_url: str, fakes: Fakes
) -> None:
    settings = _settings(database_url, fakes)
    for _ in range(2):
        fakes.mastodon.add(content="<p>Stolz auf Halle 3 <a href='x'>#Werkstolz</a></p>")
    fakes.add_feed_item("news-1", "Neue Halle eröffnet #Werkstolz")
    fakes.add_feed_item("news-2", "Besuch beim Kunden #Werkstolz")

    async with running(settings) as server:
        async with server.client(await server.token()) as api:
            await fakes.jetstream.wait_connections(1)
            fakes.add_bluesky_post(1)
            fakes.add_bluesky_post(2)
            await _wait_for_queue(api, {"mastodon": 2, "bluesky": 2, "news": 2})

            # Faults at every source: each is reported in words, and each source recovers.
            fakes.mastodon.replies = [JSONResponse({"error": "boom"}, status_code=500)]
            failing = await _source_state(server, api, "mastodon", "backoff")
            assert "server error (HTTP 500)" in failing["last_error"]
            fakes.mastodon.add(content="<p>Nach der Störung #Werkstolz</p>")

            fakes.feeds.publish("/news.xml", b"Wartung", status=503)
            failing = await _source_state(server, api, "news", "backoff")
            assert "HTTP 503" in failing["last_error"]
            fakes.add_feed_item("news-3", "Wieder da #Werkstolz")

            fakes.appview.failure = "500"
            fakes.add_bluesky_post(3)
            failing = await _source_state(server, api, "bluesky", "backoff")
            assert "HTTP 500" in failing["last_error"]
            fakes.appview.failure = None

            await _wait_for_queue(api, {"mastodon": 3, "bluesky": 3, "news": 3})
            for name in ("mastodon", "bluesky", "news"):
                await _source_state(server, api, name, "ok")

    # While the app is down, every source gets something new.
    fakes.mastodon.add(content="<p>Während des Neustarts #Werkstolz</p>")
    fakes.add_bluesky_post(4)
    fakes.add_feed_item("news-4", "Nach dem Neustart #Werkstolz")

    async with running(settings) as server:
        async with server.client(await server.token("second")) as api:
            items = await _wait_for_queue(api, {"mastodon": 4, "bluesky": 4, "news": 4})
            fakes.add_bluesky_post(5)
            items = await _wait_for_queue(api, {"mastodon": 4, "bluesky": 5, "news": 4})

    # Nothing twice: one row per post at its source, and the expected posts exactly.
    urls = Counter((item["source_name"], item["url"]) for item in items)
    assert max(urls.values()) == 1
    bluesky_urls = {item["url"] for item in items if item["source_name"] == "bluesky"}
    assert len(bluesky_urls) == 5
    assert all(f"post/{uri(n).rsplit('/', 1)[1]}" in " ".join(bluesky_urls) for n in range(1, 6))
    texts = {item["text"] for item in items if item["source_name"] == "news"}
    assert {text.split("\n")[0] for text in texts} == {
        "Neue Halle eröffnet #Werkstolz", "Besuch beim Kunden #Werkstolz",
        "Wieder da #Werkstolz", "Nach dem Neustart #Werkstolz"}
    # Media arrive as the app's own cached URLs, never hotlinked.
    bluesky_media = [m for item in items if item["source_name"] == "bluesky"
                     for m in item["media"]]
    assert bluesky_media and all(m["url"].startswith("/media/") for m in bluesky_media)
