"""What a wall is shown: its settings, and the frames that bring it up to date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth import from_bearer
from app.db import Sessions, reading
from app.models import APPROVED, Event, Post, Wall, WallChange
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

    def frame(self) -> str:
        return dumps({"type": "wall", "wall": {
            "slug": self.slug, "title": self.title, "event": self.event_slug,
            "event_name": self.event_name, "hashtags": list(self.hashtags),
            "layout": self.layout, "max_posts": self.max_posts,
        }})


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
    return WallInfo(id=wall.id, slug=wall.slug, title=wall.title or event.name,
                    layout=wall.layout, max_posts=wall.max_posts, theme=dict(wall.theme),
                    event_id=event.id, event_slug=event.slug, event_name=event.name,
                    hashtags=tuple(event.hashtags), access=wall.access)


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
