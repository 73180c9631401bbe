"""Everything the running app holds, built in the lifespan and handed to routes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import Sessions
from app.displays import DisplayStore
from app.login_limits import LoginLimits
from app.media import MediaCache
from app.posts import PostStore
from app.presence import UserSockets
from app.pubsub import Hub
from app.wallfeed import WallFeeds
from ingest.runner import IngestRunner


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: Sessions
    hub: Hub
    http: httpx.AsyncClient
    media: MediaCache
    store: PostStore
    displays: DisplayStore
    feeds: WallFeeds
    runner: IngestRunner
    templates: Jinja2Templates
    login_limits: LoginLimits
    user_sockets: UserSockets
