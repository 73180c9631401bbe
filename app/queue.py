"""The moderation queue, read side: posts by state, page by page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.db import Sessions
from app.models import APPROVED, PENDING, Event, Post
from app.payloads import moderation_post


class UnknownEvent(LookupError):
    pass


async def list_posts(
    sessions: Sessions, *, status: str, event_slug: str | None = None, limit: int = 50,
    cursor: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of posts in `status` and the cursor of the next page (None on the last).

    Pending posts come oldest first, as a queue is worked through; decided ones newest first.
    `pending` includes approved posts edited at their source since (marked `edited`).
    """
    oldest_first = status == PENDING
    # The queue holds new posts and approved ones whose edit waits for a second look.
    wanted = (or_(Post.status == PENDING, and_(Post.status == APPROVED, Post.edited.is_(True)))
              if status == PENDING else Post.status == status)
    query = (
        select(Post)
        .where(wanted)
        .options(selectinload(Post.media), selectinload(Post.source))
        .order_by(Post.id.asc() if oldest_first else Post.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        query = query.where(Post.id > cursor if oldest_first else Post.id < cursor)
    async with sessions() as session:
        if event_slug is not None:
            event_id = await session.scalar(select(Event.id).where(Event.slug == event_slug))
            if event_id is None:
                raise UnknownEvent(event_slug)
            query = query.where(Post.event_id == event_id)
        posts = list((await session.execute(query)).scalars())
    more = len(posts) > limit
    posts = posts[:limit]
    items = [moderation_post(p, p.source.type, p.source.name) for p in posts]
    return items, (posts[-1].id if more else None)
