"""A feed server on loopback: serves RSS/Atom documents by path, honours If-None-Match and
If-Modified-Since with 304, can fail or hang on demand, and counts requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.factories import serve_app

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass
class Doc:
    """What the fake server answers on one path."""

    body: bytes
    content_type: str = RSS_TYPE
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # answer only when the test ends: a server that never replies


@dataclass
class Hit:
    path: str
    headers: Headers
    status: int


class FeedServer:
    """Serves documents by path, honours If-None-Match / If-Modified-Since, counts requests."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.hits: list[Hit] = []
        self.release = asyncio.Event()
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self.handle)])

    def publish(self, path: str, body: bytes, **options: Any) -> str:
        self.docs[path] = Doc(body, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def hits_of(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    async def handle(self, request: Request) -> Response:
        doc = self.docs.get(request.url.path)
        response = self.answer(doc, request.headers)
        self.hits.append(Hit(request.url.path, request.headers, response.status_code))
        if doc is not None and doc.hang:
            await self.release.wait()
        return response

    @staticmethod
    def answer(doc: Doc | None, headers: Headers) -> Response:
        if doc is None:
            return Response("Nicht gefunden", status_code=404)
        if doc.status != 200:
            return Response(doc.body, status_code=doc.status, headers=doc.headers)
        validators = {name: value for name, value in
                      (("etag", doc.etag), ("last-modified", doc.last_modified)) if value}
        # RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only without.
        if "if-none-match" in headers:
            fresh = doc.etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
        elif "if-modified-since" in headers and doc.last_modified:
            fresh = (parsedate_to_datetime(doc.last_modified)
                     <= parsedate_to_datetime(headers["if-modified-since"]))
        else:
            fresh = False
        if fresh:
            return Response(status_code=304, headers=validators)
        return Response(doc.body, headers={**validators, **doc.headers},
                        media_type=doc.content_type)


@asynccontextmanager
async def serve_feeds() -> AsyncIterator[FeedServer]:
    feed_server = FeedServer()
    try:
        async with serve_app(feed_server.app) as base_url:
            feed_server.base_url = base_url
            yield feed_server
    finally:
        feed_server.release.set()


def rss_document(items: list[tuple[str, str]]) -> bytes:
    """A small RSS 2.0 feed with one item per (guid, title), one hour apart."""
    start = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    entries = "".join(
        f"<item><guid isPermaLink=\"false\">{escape(guid)}</guid><title>{escape(title)}</title>"
        f"<link>https://werk.example/news/{escape(guid)}</link>"
        f"<description>{escape(title)}</description>"
        f"<pubDate>{format_datetime(start + timedelta(hours=n))}</pubDate></item>"
        for n, (guid, title) in enumerate(items))
    return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>Werkblog</title><link>https://werk.example/</link><language>de</language>"
            f"{entries}</channel></rss>").encode()
