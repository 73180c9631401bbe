"""The moderation queue, read side: posts by state and filter, page by page, and counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.db import Sessions
from app.models import APPROVED, PENDING, Event, Media, Post, Source
from app.payloads import moderation_post


class UnknownEvent(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = PENDING
    held: bool = False
    event_ids: frozenset[int] | None = None  # None: every event
    source: str | None = None
    hashtag: str | None = None
    media_only: bool = False
    text: str | None = None


def _waiting() -> ColumnElement[bool]:
    # The queue: new posts, and approved ones whose edit waits for a second look.
    return or_(Post.status == PENDING, and_(Post.status == APPROVED, Post.edited.is_(True)))


async def event_id_of(sessions: Sessions, slug: str) -> int:
    async with sessions() as session:
        event_id = await session.scalar(select(Event.id).where(Event.slug == slug))
    if event_id is None:
        raise UnknownEvent(slug)
    return event_id


async def list_posts(sessions: Sessions, filters: Filters, *, limit: int = 50,
                     cursor: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """One page of posts and the cursor of the next page (None on the last).

    Pending posts come oldest first, as a queue is worked through; decided ones newest first.
    `pending` includes approved posts edited at their source since (marked `edited`).
    """
    oldest_first = filters.status == PENDING
    conditions: list[ColumnElement[bool]] = []
    if filters.status == PENDING:
        conditions += [_waiting(), Post.held.is_(filters.held)]
    else:
        conditions.append(Post.status == filters.status)
    if filters.event_ids is not None:
        conditions.append(Post.event_id.in_(filters.event_ids))
    if filters.source:
        conditions.append(Post.source.has(Source.name == filters.source))
    if filters.hashtag:
        tag = filters.hashtag.lstrip("#").casefold()
        conditions.append(Post.hashtag_index.contains(f" {tag} ", autoescape=True))
    if filters.media_only:
        conditions.append(exists().where(Media.post_id == Post.id))
    if filters.text:
        conditions.append(Post.search_index.contains(filters.text.casefold(), autoescape=True))
    if cursor is not None:
        conditions.append(Post.id > cursor if oldest_first else Post.id < cursor)
    query = (
        select(Post).where(*conditions)
        .options(selectinload(Post.media), selectinload(Post.source))
        .order_by(Post.id.asc() if oldest_first else Post.id.desc())
        .limit(limit + 1)
    )
    async with sessions() as session:
        posts = list((await session.execute(query)).scalars())
    more = len(posts) > limit
    posts = posts[:limit]
    items = [moderation_post(p, p.source.type, p.source.name) for p in posts]
    return items, (posts[-1].id if more else None)


async def counts(sessions: Sessions, event_ids: frozenset[int] | None) -> dict[str, int]:
    """What is waiting: in the queue, and put on hold."""
    query = select(Post.held, func.count()).where(_waiting()).group_by(Post.held)
    if event_ids is not None:
        query = query.where(Post.event_id.in_(event_ids))
    async with sessions() as session:
        rows = {held: count for held, count in (await session.execute(query)).all()}
    return {"pending": rows.get(False, 0), "held": rows.get(True, 0)}
