"""The media cache: remote images and videos fetched once, checked, and served by the app.

Posts point at `/media/{key}` (app.content registers the remote URL); a background worker
fetches new files as soon as they are registered, and a request for a file not fetched yet
fetches it on the spot. Files are limited in size and must really be an image or a video,
whatever the remote server claims.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import puremagic
from sqlalchemy import select, update

from app.db import Sessions, writing
from app.models import RemoteFile, utcnow
from ingest.base import SourceError
from ingest.http import fetch

log = logging.getLogger(__name__)

ALLOWED_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif",
    "video/mp4", "video/webm", "video/quicktime",
})
MAX_ATTEMPTS = 3
RETRY_SECONDS = 60.0
WORKERS = 3


@dataclass(frozen=True, slots=True)
class CachedFile:
    path: Path
    content_type: str


class MediaCache:
    def __init__(self, sessions: Sessions, http: httpx.AsyncClient, directory: Path,
                 max_bytes: int) -> None:
        self.sessions = sessions
        self.http = http
        self.directory = directory
        self.max_bytes = max_bytes
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._workers = asyncio.Semaphore(WORKERS)

    def notify(self) -> None:
        """New files may have been registered: fetch them soon."""
        self._wake.set()

    async def run(self) -> None:
        """Fetch registered files in the background, for as long as the app runs."""
        while True:
            self._wake.clear()
            async with self.sessions() as session:
                keys = list(await session.scalars(
                    select(RemoteFile.key).where(RemoteFile.state == "pending")
                    .order_by(RemoteFile.id).limit(50)))
            if keys:
                await asyncio.gather(*(self._fetch_limited(key) for key in keys))
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), RETRY_SECONDS)
            except TimeoutError:
                pass

    async def _fetch_limited(self, key: str) -> None:
        async with self._workers:
            await self._fetch_once(key)

    async def get(self, key: str) -> CachedFile | None:
        """The cached file for a key, fetching it now if it has not been; None if unusable."""
        row = await self._row(key)
        if row is not None and row.state == "pending":
            await self._fetch_once(key)
            row = await self._row(key)
        if row is None or row.state != "ok" or row.content_type is None:
            return None
        path = self._path(key)
        return CachedFile(path, row.content_type) if path.exists() else None

    async def _row(self, key: str) -> RemoteFile | None:
        async with self.sessions() as session:
            return await session.scalar(select(RemoteFile).where(RemoteFile.key == key))

    async def _fetch_once(self, key: str) -> None:
        # One fetch per file at a time, however many walls ask for it at once.
        task = self._in_flight.get(key)
        if task is None:
            task = self._in_flight[key] = asyncio.create_task(self._fetch(key))
            task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        await asyncio.shield(task)

    async def _fetch(self, key: str) -> None:
        row = await self._row(key)
        if row is None or row.state != "pending":
            return
        try:
            response = await fetch(self.http, row.url, max_bytes=self.max_bytes)
            content_type = _sniff(response.content)
            if content_type not in ALLOWED_TYPES:
                raise SourceError(f"not an image or a video ({content_type or 'unknown type'})")
            await asyncio.to_thread(self._store, key, response.content)
        except SourceError as exc:
            attempts = row.attempts + 1
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            log.info("media %s from %s: %s (attempt %d)", key, row.url, exc, attempts)
            await self._update(key, state=state, attempts=attempts, error=str(exc)[:500])
            return
        await self._update(key, state="ok", attempts=row.attempts + 1, error=None,
                           content_type=content_type, size=len(response.content),
                           fetched_at=utcnow())

    async def _update(self, key: str, **values: object) -> None:
        async with writing(self.sessions) as session:
            await session.execute(update(RemoteFile).where(RemoteFile.key == key).values(**values))

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def _store(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(content)
        os.replace(temporary, path)  # readers see the whole file or none of it


def _sniff(content: bytes) -> str | None:
    """The type the bytes really are (never what the remote server said)."""
    try:
        kind: str = puremagic.from_string(content[:8192], mime=True)
    except (puremagic.PureError, ValueError):
        return None
    return kind or None
