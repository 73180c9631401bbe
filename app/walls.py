"""What a wall is shown: its settings, and the frames that bring it up to date."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth import from_bearer
from app.db import Sessions, reading
from app.models import APPROVED, Event, Post, Wall, WallChange, utcnow
from app.payloads import dumps

# A wall further behind than this gets a fresh snapshot instead of a replay: past a few hundred
# changes a snapshot is smaller, and the wall shows only its newest posts anyway.
RESUME_LIMIT = 500


@dataclass(frozen=True, slots=True)
class WallInfo:
    id: int
    slug: str
    title: str
    layout: str
    max_posts: int
    theme: dict[str, Any]
    event_id: int
    event_slug: str
    event_name: str
    hashtags: tuple[str, ...]
    access: str = "public"
    options: dict[str, Any] = field(default_factory=dict)
    announcement: dict[str, Any] | None = None
    version: int = 0  # changes whenever the wall's settings do (cache-busts its assets)

    def settings(self) -> dict[str, Any]:
        """The wall's settings as walls get them (docs/protocol.md, "wall")."""
        base = f"/wall/{self.slug}"
        qr = self.options.get("qr")
        return {
            "slug": self.slug, "title": self.title, "event": self.event_slug,
            "event_name": self.event_name, "hashtags": list(self.hashtags),
            "layout": self.layout, "max_posts": self.max_posts,
            "pace_seconds": self.options.get("pace_seconds", 2.0),
            "rotate_seconds": self.options.get("rotate_seconds", 12.0),
            "theme_url": f"{base}/theme.css?v={self.version}",
            "logo_url": f"{base}/logo?v={self.version}" if self.options.get("logo") else None,
            "background_url": (f"{base}/background?v={self.version}"
                               if self.options.get("background_image") else None),
            "custom_css_url": (f"{base}/custom.css?v={self.version}"
                               if self.options.get("custom_css") else None),
            "qr": ({"url": qr["url"], "text": qr.get("text", ""),
                    "image_url": f"{base}/qr.svg?v={self.version}"} if qr else None),
            "announcement": self.announcement,
        }

    def frame(self) -> str:
        return dumps({"type": "wall", "wall": self.settings()})


async def wall_token_valid(sessions: Sessions, token: str) -> bool:
    """Whether a token may open walls that need one (any account's token: display or not)."""
    return bool(token) and await from_bearer(sessions, token) is not None


async def find_wall(sessions: Sessions, slug: str) -> WallInfo | None:
    async with sessions() as session:
        row = (
            await session.execute(select(Wall, Event).join(Event).where(Wall.slug == slug))
        ).one_or_none()
    if row is None:
        return None
    wall, event = row
    return wall_info(wall, event)


def wall_info(wall: Wall, event: Event) -> WallInfo:
    """A wall's settings as loaded from the database."""
    return WallInfo(id=wall.id, slug=wall.slug, title=wall.title or event.name,
                    layout=wall.layout, max_posts=wall.max_posts, theme=dict(wall.theme),
                    event_id=event.id, event_slug=event.slug, event_name=event.name,
                    hashtags=tuple(event.hashtags), access=wall.access,
                    options=dict(wall.options or {}), announcement=current(event.announcement),
                    version=int(wall.updated_at.timestamp() * 1000) if wall.updated_at else 0)


def current(announcement: dict[str, Any] | None) -> dict[str, Any] | None:
    """The announcement if it is still on (its "until" not yet passed)."""
    if not announcement:
        return None
    until = announcement.get("until")
    if until and datetime.fromisoformat(until) <= utcnow():
        return None
    return announcement


async def catch_up(
    sessions: Sessions, wall: WallInfo, last_seq: int | None
) -> tuple[int, list[str]]:
    """The frames that bring a wall from `last_seq` to now, and the sequence number they reach.

    A replay of exactly the missed changes followed by `resumed`, or, when the wall is new, too
    far behind or ahead of the database (it was reset), one `snapshot`.
    """
    async with reading(sessions) as session:
        current = (
            await session.execute(select(Event.last_seq).where(Event.id == wall.event_id))
        ).scalar_one()
        if last_seq is not None and 0 <= current - last_seq <= RESUME_LIMIT:
            missed = list(
                (
                    await session.execute(
                        select(WallChange.frame)
                        .where(WallChange.event_id == wall.event_id,
                               WallChange.seq > last_seq, WallChange.seq <= current)
                        .order_by(WallChange.seq)
                    )
                ).scalars()
            )
            if len(missed) == current - last_seq:
                return current, [*missed, dumps({"type": "resumed", "seq": current})]
        posts = (
            await session.execute(
                select(Post)
                # On the walls: approved and shown (not waiting for a paused event's release).
                .where(Post.event_id == wall.event_id, Post.status == APPROVED,
                       Post.wall_payload.is_not(None))
                .options(selectinload(Post.media), selectinload(Post.source))
                .order_by(Post.pinned.desc(), Post.decided_at.desc(), Post.id.desc())
                .limit(wall.max_posts)
            )
        ).scalars()
        # Each post as walls were last told: an edit awaiting review is not shown yet.
        snapshot = {"type": "snapshot", "seq": current,
                    "posts": [json.loads(post.wall_payload or "{}") for post in posts]}
    return current, [dumps(snapshot)]
