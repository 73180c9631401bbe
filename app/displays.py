"""The one writer of what walls look like while they run: a wall's layout, pacing, colours and
QR code, and an event's announcement. Each change is logged in the event's wall sequence, so a
screen that was offline catches up on it like on any post."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Layout, QrConfig, ThemeConfig
from app.db import Sessions, write
from app.models import Event, Wall, utcnow
from app.payloads import iso
from app.post_changes import Outbox, log, next_seq, publish
from app.pubsub import Hub
from app.walls import WallInfo, wall_info


class WallUpdate(BaseModel):
    """The settings an organizer may change on a running wall; absent ones stay as they are.
    (Logo, background and custom CSS are files: they come from config.yaml.)"""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    layout: Layout | None = None
    max_posts: int | None = Field(default=None, ge=1, le=200)
    pace_seconds: float | None = Field(default=None, ge=0, le=60)
    rotate_seconds: float | None = Field(default=None, ge=0, le=600)
    theme: ThemeConfig | None = None
    qr: QrConfig | None = None
    remove_qr: bool = False


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=280)
    seconds: int | None = Field(default=None, ge=5, le=24 * 3600)  # None: until taken down


class WallNotFound(LookupError):
    pass


class DisplayStore:
    def __init__(self, sessions: Sessions, hub: Hub) -> None:
        self.sessions = sessions
        self.hub = hub

    async def update_wall(self, slug: str, update: WallUpdate) -> WallInfo:
        """Change a running wall; every screen showing it follows within a moment."""
        outbox: Outbox = []
        info = await write(self.sessions,
                           lambda session: _update_wall(session, slug, update, outbox))
        await publish(self.hub, outbox)
        return info

    async def announce(self, event_id: int, announcement: Announcement | None
                       ) -> dict[str, Any] | None:
        """Show a message on every wall of the event (None takes it down)."""
        shown: dict[str, Any] | None = None
        if announcement is not None:
            until = (utcnow() + timedelta(seconds=announcement.seconds)
                     if announcement.seconds else None)
            shown = {"text": announcement.text, "until": iso(until), "at": iso(utcnow())}
        outbox: Outbox = []
        await write(self.sessions, lambda session: _announce(session, event_id, shown, outbox))
        await publish(self.hub, outbox)
        return shown


def _update_wall(session: Session, slug: str, update: WallUpdate, outbox: Outbox) -> WallInfo:
    row = session.execute(select(Wall, Event).join(Event).where(Wall.slug == slug)).one_or_none()
    if row is None:
        raise WallNotFound(slug)
    wall, event = row
    for name in ("title", "layout", "max_posts"):
        if (value := getattr(update, name)) is not None:
            setattr(wall, name, value)
    if update.theme is not None:
        wall.theme = update.theme.model_dump()
    options = dict(wall.options or {})
    for name in ("pace_seconds", "rotate_seconds"):
        if (value := getattr(update, name)) is not None:
            options[name] = value
    if update.qr is not None:
        options["qr"] = update.qr.model_dump()
    elif update.remove_qr:
        options["qr"] = None
    wall.options = options
    wall.updated_at = utcnow()
    session.flush()
    info = wall_info(wall, event)
    seq = next_seq(session, event.id)
    log(session, event.id, {"type": "change", "seq": seq, "kind": "wall",
                            "wall": info.settings()}, outbox)
    return info


def _announce(session: Session, event_id: int, shown: dict[str, Any] | None,
              outbox: Outbox) -> None:
    event = session.get_one(Event, event_id, populate_existing=True)
    event.announcement = shown
    seq = next_seq(session, event_id)
    log(session, event_id, {"type": "change", "seq": seq, "kind": "announcement",
                            "announcement": shown}, outbox)
