"""`create_app(settings)`: the web app, with storage, hub, wall feeds and ingest built in its
lifespan (nothing happens at import time)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from app import migrate
from app.config import Settings
from app.db import create_engine, create_sessions
from app.displays import DisplayStore
from app.login_limits import LoginLimits
from app.media import MediaCache
from app.models import Event, User
from app.posts import Conflict, PostNotFound, PostStore
from app.presence import UserSockets
from app.pubsub import Hub, load_backend
from app.routes import (
    audit,
    events,
    moderation_ws,
    pages,
    posts,
    status,
    wall_assets,
    wall_ws,
    walls_api,
)
from app.routes import media as media_routes
from app.rules import matcher_for
from app.security import SecurityHeaders
from app.seed import apply_settings
from app.state import AppState
from app.wallfeed import WallFeeds
from ingest.demo import DEMO_MEDIA_PATH, demo_data_dir
from ingest.http import build_client
from ingest.runner import IngestRunner

log = logging.getLogger(__name__)


def _ui_dir(name: str) -> Path:
    return Path(str(resources.files("wall_ui") / name))


def create_app(settings: Settings, *, start_sources: bool = True) -> FastAPI:
    """The socialwall app for these settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        engine = create_engine(settings.database.url)
        try:
            await migrate.upgrade(engine)
            sessions = create_sessions(engine)
            await apply_settings(sessions, settings)
            hub = Hub(load_backend(settings.pubsub.backend))
            await hub.backend.connect()
            http = build_client(allow_private_networks=settings.network.allow_private_addresses,
                                timeout=settings.network.timeout_seconds)
            media = MediaCache(sessions, http, settings.media.cache_dir,
                               int(settings.media.max_megabytes * 1024 * 1024))
            store = PostStore(sessions, hub, on_new_media=media.notify)
            feeds = WallFeeds(hub, sessions)
            runner = IngestRunner(
                sessions, store, http,
                allow_private_networks=settings.network.allow_private_addresses)
            state = AppState(settings=settings, engine=engine, sessions=sessions, hub=hub,
                             http=http, media=media, store=store,
                             displays=DisplayStore(sessions, hub), feeds=feeds, runner=runner,
                             templates=Jinja2Templates(directory=_ui_dir("templates")),
                             login_limits=LoginLimits(), user_sockets=UserSockets())
            async with sessions() as session:
                event_ids = list(await session.scalars(select(Event.id)))
                if not await session.scalar(select(func.count()).select_from(User)):
                    log.warning("No accounts yet: create one with "
                                "`socialwall users add NAME --role organizer` to moderate.")
            for event_id in event_ids:
                # Rules may have changed with config.yaml: e.g. a newly blocked author's posts
                # leave the walls before anything is shown. Their word matchers are built now
                # (a few hundred ms each), not when the first post arrives.
                await store.enforce_rules(event_id)
            for event in settings.events:
                await asyncio.to_thread(matcher_for, event.rules)
            if start_sources:
                await runner.sync()
            fetcher = asyncio.create_task(media.run(), name="media-cache")
            try:
                yield {"sw": state}
            finally:
                await runner.aclose()
                fetcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetcher
                await feeds.aclose()
                await hub.backend.disconnect()
                await http.aclose()
        finally:
            await engine.dispose()

    app = FastAPI(title="socialwall", version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(wall_ws.WallSockets)
    app.include_router(status.router)
    app.include_router(posts.router)
    app.include_router(events.router)
    app.include_router(walls_api.router)
    app.include_router(wall_assets.router)
    app.include_router(audit.router)
    app.include_router(moderation_ws.router)
    app.include_router(pages.router)
    app.include_router(media_routes.router)
    app.mount("/static", StaticFiles(directory=_ui_dir("static")), name="static")
    app.mount(DEMO_MEDIA_PATH, StaticFiles(directory=demo_data_dir()), name="demo-media")
    app.add_exception_handler(PostNotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    return app


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"no post {exc.args[0]}"}, status_code=404)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Conflict)
    return JSONResponse({"detail": str(exc), "code": exc.code, "status": exc.status,
                         "by": exc.by}, status_code=409)


def _version() -> str:
    from importlib.metadata import version

    return version("socialwall")
