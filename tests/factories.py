"""Builders shared by the tests: settings, a running server, users and tokens, demo posts."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest
import uvicorn
from sqlalchemy import select

from app import auth, migrate
from app.config import Settings, parse_settings
from app.db import Sessions, create_engine, create_sessions
from app.main import create_app
from app.models import Event, Source
from app.seed import apply_settings
from app.serving import uvicorn_config
from ingest.base import Author, MediaItem, NormalizedPost


def make_settings(database_url: str, *, sources: list[dict[str, Any]] | None = None,
                  top: dict[str, Any] | None = None, **event: Any) -> Settings:
    """One event `ev` with a wall `main`, by default no sources; `top` adds top-level sections.

    Outbound fetches may reach loopback, where the tests' fake servers run."""
    return parse_settings({
        "network": {"allow_private_addresses": True},
        **(top or {}),
        "database": {"url": database_url},
        "events": [{
            "slug": "ev", "name": "Testevent", "hashtags": ["Werkstolz", "KundenZuFans"],
            "walls": [{"slug": "main", "max_posts": 20}],
            "sources": sources if sources is not None else [],
            **event,
        }],
    })


def demo_source(posts_file: Path | None = None, **options: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "demo", "name": "demo", "interval_seconds": 0,
                              "loop": False}
    if posts_file is not None:
        source["posts_file"] = str(posts_file)
    return {**source, **options}


def write_demo_posts(path: Path, count: int, **fields: Any) -> Path:
    """A demo posts file of `count` simple posts (ids p01, p02, ...)."""
    entries = [{"id": f"p{i:02d}", "author": {"name": f"Person {i}", "handle": f"@p{i}"},
                "text": f"Beitrag Nummer {i} #Werkstolz", "lang": "de", **fields}
               for i in range(1, count + 1)]
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def normalized(external_id: str = "x1", text: str = "Hallo #Werkstolz", **fields: Any
               ) -> NormalizedPost:
    defaults: dict[str, Any] = {
        "author": Author(name="Jörg Ümlaut", handle="@joerg@example.social"),
        "created_at": datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        "hashtags": ("Werkstolz",),
        "media": (MediaItem(kind="image", url="/demo-media/x.jpg", alt="Bild"),),
    }
    return NormalizedPost(external_id=external_id, text=text, **{**defaults, **fields})


@dataclass
class Server:
    """A socialwall app running on a loopback port, with a database handle for set-up."""

    base_url: str
    ws_url: str
    sessions: Sessions

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10)

    async def token(self, name: str = "mod", role: str = "moderator") -> str:
        """A bearer token of a (new) user."""
        await auth.add_user(self.sessions, name, role, "correct horse battery")
        return await auth.create_token(self.sessions, name)


@dataclass
class Seeded:
    """A migrated database holding `make_settings`' event and its demo source."""

    sessions: Sessions
    event_id: int
    source_id: int


@asynccontextmanager
async def seeded(url: str, **settings: Any) -> AsyncIterator[Seeded]:
    async with database(url) as sessions:
        await apply_settings(sessions, make_settings(url, sources=[demo_source()], **settings))
        async with sessions() as session:
            event_id = await session.scalar(select(Event.id))
            source_id = await session.scalar(select(Source.id))
        assert event_id is not None and source_id is not None
        yield Seeded(sessions, event_id, source_id)


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        yield create_sessions(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def serve_app(app: Any, port: int = 0, *, direct: bool = True) -> AsyncIterator[str]:
    """Serve any ASGI app with uvicorn on a loopback port (a free one by default), as
    `socialwall serve` does, or (direct=False) with uvicorn's plain websocket protocol; yields
    its base URL."""
    options = {"host": "127.0.0.1", "port": port, "log_level": "warning", "lifespan": "on",
               "timeout_graceful_shutdown": 2}
    config = uvicorn_config(app, **options) if direct else uvicorn.Config(app, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started or task.done(), what="uvicorn to start")
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped during start-up")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running(settings: Settings, port: int = 0, *, direct: bool = True,
                  **app_options: Any) -> AsyncIterator[Server]:
    """Serve socialwall with uvicorn on a loopback port for the duration of the block."""
    async with serve_app(create_app(settings, **app_options), port, direct=direct) as base_url, \
            database(settings.database.url) as sessions:
        yield Server(base_url, base_url.replace("http://", "ws://"), sessions)


async def wait_for(condition: Any, *, what: str, timeout: float = 10.0) -> Any:
    """Poll `condition` (sync or async) until it returns something truthy; fail after timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def free_port() -> int:
    """A loopback port nobody listens on right now (to restart a server on the same one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the calls made in SQLite's thread (aiosqlite's), by name: a statement as its
    BEGIN and first word ("BEGIN IMMEDIATE + INSERT"), a whole transaction as "transaction"."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn.__name__ == "_run":  # (connection, begin, operation, ...)
            made.append(" + ".join(filter(None, (args[1], args[2].split()[0]))))
        else:
            made.append(fn.__name__)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made
