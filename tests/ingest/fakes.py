"""An in-memory SourceContext for testing one source at a time, without the app around it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ingest.base import IngestResult, NormalizedPost, ShownPost


class FakeContext:
    """Records what a source emits and deletes; keeps its cursor like the runner would."""

    def __init__(self, http: httpx.AsyncClient, hashtags: tuple[str, ...] = ("Werkstolz",),
                 cursor: dict[str, Any] | None = None) -> None:
        self._http = http
        self._hashtags = hashtags
        self.cursor: dict[str, Any] = dict(cursor or {})
        self.posts: dict[str, NormalizedPost] = {}   # stored once per external id, like app.posts
        self.emitted: list[NormalizedPost] = []      # every emit, duplicates included
        self.deleted: list[str] = []
        self.shown: list[ShownPost] = []             # what shown_posts() answers
        self.healthy: list[str] = []
        self.changed = asyncio.Event()               # set on every emit, delete, cursor save

    @property
    def hashtags(self) -> tuple[str, ...]:
        return self._hashtags

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    async def emit(self, post: NormalizedPost) -> IngestResult:
        self.emitted.append(post)
        created = post.external_id not in self.posts
        previous = self.posts.get(post.external_id)
        if created or (post.edited_at and (previous is None or previous.edited_at is None
                                           or post.edited_at > previous.edited_at)):
            self.posts[post.external_id] = post
        self.changed.set()
        return IngestResult(post_id=len(self.posts), created=created, status="pending")

    async def delete(self, external_id: str) -> None:
        self.deleted.append(external_id)
        self.changed.set()

    async def shown_posts(self, limit: int = 200) -> list[ShownPost]:
        return self.shown[:limit]

    async def load_cursor(self) -> dict[str, Any]:
        return dict(self.cursor)

    async def save_cursor(self, cursor: dict[str, Any]) -> None:
        self.cursor = dict(cursor)
        self.changed.set()

    def mark_healthy(self, detail: str = "") -> None:
        self.healthy.append(detail)

    async def wait_until(self, condition: Any, timeout: float = 10.0) -> None:
        """Wait until `condition()` holds, re-checking whenever the source does something."""
        async def loop() -> None:
            while True:
                self.changed.clear()  # before checking, so no change slips in between
                if condition():
                    return
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)
