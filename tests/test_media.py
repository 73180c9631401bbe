"""app/media.py and app/routes/media.py: remote files fetched once, checked, served locally."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI, Response
from sqlalchemy import select

from app.content import local_url
from app.db import Sessions, write
from app.media import MediaCache
from app.models import RemoteFile
from ingest.demo import demo_data_dir
from ingest.http import build_client
from tests.factories import database, make_settings, running, serve_app, wait_for

JPEG = (demo_data_dir() / "halle-montage.jpg").read_bytes()


@dataclass
class Remote:
    base_url: str
    hits: Counter[str]
    gate: asyncio.Event


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    """A loopback server standing in for a remote instance's media host."""
    hits: Counter[str] = Counter()
    gate = asyncio.Event()
    gate.set()
    app = FastAPI()

    @app.get("/{name}")
    async def file(name: str) -> Response:
        hits[name] += 1
        await gate.wait()
        if name == "photo.jpg":
            return Response(JPEG, media_type="image/jpeg")
        if name == "fake.jpg":  # claims to be an image, is a page with a script
            return Response(b"<html><script>alert(1)</script></html>", media_type="image/jpeg")
        if name == "huge.jpg":
            return Response(JPEG * 20, media_type="image/jpeg")
        return Response(status_code=404)

    async with serve_app(app) as base_url:
        yield Remote(base_url, hits, gate)


@pytest.fixture
async def cache(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[MediaCache, Sessions]]:
    async with database(database_url) as sessions, \
            build_client(allow_private_networks=True) as http:
        yield MediaCache(sessions, http, tmp_path / "media", max_bytes=len(JPEG) * 2), sessions


async def _register(sessions: Sessions, url: str) -> str:
    local = await write(sessions, lambda session: local_url(session, url))
    assert local is not None and local.startswith("/media/")
    return local.rsplit("/", 1)[1]


async def test_a_file_is_fetched_once_and_served_from_the_cache(
    remote: Remote, cache: tuple[MediaCache, Sessions]
) -> None:
    media, sessions = cache
    key = await _register(sessions, f"{remote.base_url}/photo.jpg")
    remote.gate.clear()
    first = asyncio.create_task(media.get(key))
    await wait_for(lambda: remote.hits["photo.jpg"] == 1, what="the first fetch to be under way")
    # While that fetch hangs, more walls ask for the same file: they must wait for it.
    others = [asyncio.create_task(media.get(key)) for _ in range(4)]
    remote.gate.set()
    results = await asyncio.gather(first, *others)
    assert remote.hits["photo.jpg"] == 1
    assert all(r is not None and r.content_type == "image/jpeg" for r in results)
    assert results[0] is not None and results[0].path.read_bytes() == JPEG
    again = await media.get(key)
    assert again is not None and remote.hits["photo.jpg"] == 1


@pytest.mark.parametrize(("name", "error"), [
    ("fake.jpg", "not an image or a video (text/html)"),
    ("huge.jpg", "sent more than"),
    ("missing.jpg", "HTTP 404"),
])
async def test_unusable_files_are_refused_and_given_up_after_three_tries(
    remote: Remote, cache: tuple[MediaCache, Sessions], name: str, error: str
) -> None:
    media, sessions = cache
    key = await _register(sessions, f"{remote.base_url}/{name}")
    for _ in range(4):
        assert await media.get(key) is None
    assert remote.hits[name] == 3
    async with sessions() as session:
        row = await session.scalar(select(RemoteFile).where(RemoteFile.key == key))
    assert row is not None and row.state == "failed" and error in (row.error or "")


async def test_the_background_worker_fetches_what_was_registered(
    remote: Remote, cache: tuple[MediaCache, Sessions]
) -> None:
    media, sessions = cache
    worker = asyncio.create_task(media.run())
    try:
        key = await _register(sessions, f"{remote.base_url}/photo.jpg")
        media.notify()

        async def fetched() -> bool:
            async with sessions() as session:
                state = await session.scalar(select(RemoteFile.state)
                                             .where(RemoteFile.key == key))
            return state == "ok"

        await wait_for(fetched, what="the worker to fetch the registered file")
        assert remote.hits["photo.jpg"] == 1
    finally:
        worker.cancel()


async def test_private_addresses_are_refused_unless_allowed(
    remote: Remote, database_url: str, tmp_path: Path
) -> None:
    async with database(database_url) as sessions, build_client() as strict:
        media = MediaCache(sessions, strict, tmp_path / "media", max_bytes=1_000_000)
        key = await _register(sessions, f"{remote.base_url}/photo.jpg")
        assert await media.get(key) is None
        async with sessions() as session:
            row = await session.scalar(select(RemoteFile).where(RemoteFile.key == key))
    assert remote.hits["photo.jpg"] == 0
    assert row is not None and "private or local address" in (row.error or "")


def test_only_http_urls_are_registered() -> None:
    class NoSession:
        pass

    for url in ("javascript:alert(1)", "data:image/png;base64,AA", "file:///etc/passwd",
                "//evil.example/x.jpg", None, ""):
        assert local_url(NoSession(), url) is None  # type: ignore[arg-type]
    assert local_url(NoSession(), "/demo-media/a.jpg") == "/demo-media/a.jpg"  # type: ignore[arg-type]


async def test_route_serves_cached_files(remote: Remote, database_url: str) -> None:
    async with running(make_settings(database_url)) as server:
        key = await _register(server.sessions, f"{remote.base_url}/photo.jpg")
        async with server.client() as browser:
            served = await browser.get(f"/media/{key}")
            bad = await browser.get("/media/not-a-key")
            unknown = await browser.get("/media/" + "0" * 40)
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    assert "immutable" in served.headers["cache-control"]
    assert bad.status_code == 404 and unknown.status_code == 404
