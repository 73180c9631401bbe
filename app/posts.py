"""The one writer of post state: ingest, approve, reject, retract, pin, unpin.

Every change walls must see takes the event's next sequence number in the same transaction as
the change, is written to the wall log, and is published only after the commit, so a wall never
hears of something the database does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app import channels
from app.db import Sessions, writing
from app.models import (
    APPROVED,
    PENDING,
    REJECTED,
    RETRACTED,
    Event,
    Media,
    ModerationAction,
    Post,
    WallChange,
    utcnow,
)
from app.payloads import dumps, moderation_post, wall_post
from app.pubsub import Hub
from app.sanitize import clean_html, clean_text
from ingest.base import IngestResult, NormalizedPost


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user (by session or token), or the system (a source, a rule)."""

    name: str
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Transition:
    source: str
    target: str
    wall_kind: str | None


TRANSITIONS = {
    "approve": _Transition(PENDING, APPROVED, "approved"),
    "reject": _Transition(PENDING, REJECTED, None),
    "retract": _Transition(APPROVED, RETRACTED, "retracted"),
}


class PostNotFound(LookupError):
    pass


class Conflict(Exception):
    """The post is not in a state the action applies to (someone else acted first)."""

    def __init__(self, message: str, *, status: str, by: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.by = by


Outbox = list[tuple[str, str]]


class PostStore:
    """Changes posts and tells the hub; routes, sources and rules go through it."""

    def __init__(self, sessions: Sessions, hub: Hub) -> None:
        self.sessions = sessions
        self.hub = hub

    async def ingest(
        self, *, event_id: int, source_id: int, post: NormalizedPost, auto_approve: bool = False
    ) -> IngestResult:
        """Store a post once per source and external id, and queue (or approve) it."""
        outbox: Outbox = []
        async with writing(self.sessions) as session:
            post_id = await _insert_once(session, event_id, source_id, post)
            if post_id is None:
                existing = (
                    await session.execute(
                        select(Post.id, Post.status).where(
                            Post.source_id == source_id, Post.external_id == post.external_id
                        )
                    )
                ).one()
                return IngestResult(existing.id, created=False, status=existing.status)
            for position, item in enumerate(post.media):
                session.add(Media(post_id=post_id, position=position, kind=item.kind,
                                  url=item.url, preview_url=item.preview_url,
                                  alt=clean_text(item.alt, 1500), width=item.width,
                                  height=item.height, size=item.size))
            await session.flush()
            stored = await _load(session, post_id)
            event = await session.get_one(Event, event_id)
            outbox.append(_moderation_frame("post.new", stored))
            # A content warning always waits for a human, whatever the mode.
            needs_human = stored.sensitive or bool(stored.content_warning)
            if (auto_approve or event.moderation == "post") and not needs_human:
                actor = Actor(name=f"auto:{stored.source.name}")
                stored = await self._transition(session, post_id, "approve", actor, outbox)
            status = stored.status
        await self._publish(outbox)
        return IngestResult(post_id, created=True, status=status)

    async def act(self, post_id: int, action: str, actor: Actor) -> dict[str, Any]:
        """Apply a moderation action; raise PostNotFound or Conflict."""
        outbox: Outbox = []
        async with writing(self.sessions) as session:
            if action in TRANSITIONS:
                post = await self._transition(session, post_id, action, actor, outbox)
            elif action in ("pin", "unpin"):
                post = await self._pin(session, post_id, action == "pin", actor, outbox)
            else:
                raise ValueError(f"unknown action {action!r}")
            view = moderation_post(post, post.source.type, post.source.name)
        await self._publish(outbox)
        return view

    async def _transition(
        self, session: AsyncSession, post_id: int, action: str, actor: Actor, outbox: Outbox
    ) -> Post:
        step = TRANSITIONS[action]
        values: dict[str, Any] = {"status": step.target, "decided_at": utcnow(),
                                  "decided_by": actor.name}
        if step.target == RETRACTED:
            values["pinned"] = False
        # Compare-and-set: of two moderators acting at once, exactly one matches the row.
        result = await session.execute(
            update(Post).where(Post.id == post_id, Post.status == step.source).values(**values)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise await _conflict(session, post_id, action)
        post = await _load(session, post_id)
        _audit(session, post, actor, action, step.source)
        if step.wall_kind:
            await _wall_change(session, post, step.wall_kind, outbox)
        outbox.append(_moderation_frame("post.updated", post))
        return post

    async def _pin(
        self, session: AsyncSession, post_id: int, pin: bool, actor: Actor, outbox: Outbox
    ) -> Post:
        result = await session.execute(
            update(Post)
            .where(Post.id == post_id, Post.status == APPROVED, Post.pinned.is_(not pin))
            .values(pinned=pin)
        )
        action = "pin" if pin else "unpin"
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise await _conflict(session, post_id, action)
        post = await _load(session, post_id)
        _audit(session, post, actor, action, APPROVED)
        await _wall_change(session, post, "pinned" if pin else "unpinned", outbox)
        outbox.append(_moderation_frame("post.updated", post))
        return post

    async def _publish(self, outbox: Outbox) -> None:
        for channel, message in outbox:
            await self.hub.publish(channel, message)


async def _insert_once(
    session: AsyncSession, event_id: int, source_id: int, post: NormalizedPost
) -> int | None:
    """Insert the post unless this source already delivered it; its id, or None if it had."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Post)
        .values(
            event_id=event_id,
            source_id=source_id,
            external_id=post.external_id[:512],
            url=post.url,
            author_name=clean_text(post.author.name, 200),
            author_handle=clean_text(post.author.handle, 200),
            author_avatar_url=post.author.avatar_url,
            author_profile_url=post.author.profile_url,
            text=clean_text(post.text),
            html=clean_html(post.html),
            lang=post.lang[:16] if post.lang else None,
            hashtags=[clean_text(tag, 100) for tag in post.hashtags],
            content_warning=clean_text(post.content_warning or "", 500) or None,
            sensitive=post.sensitive,
            status=PENDING,
            pinned=False,
            created_at=post.created_at,
            edited_at=post.edited_at,
            ingested_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(Post.id)
    )
    post_id: int | None = (await session.execute(statement)).scalar_one_or_none()
    return post_id


async def _load(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(
        Post,
        post_id,
        options=[selectinload(Post.media), selectinload(Post.source)],
        populate_existing=True,
    )
    if post is None:
        raise PostNotFound(post_id)
    return post


async def _conflict(session: AsyncSession, post_id: int, action: str) -> Exception:
    """Explain why an action did not apply: the post is gone, or someone acted first."""
    post = await session.get(Post, post_id, populate_existing=True)
    if post is None:
        return PostNotFound(post_id)
    by = post.decided_by
    if action in ("pin", "unpin") and post.status == APPROVED:
        if post.pinned:
            by = await session.scalar(
                select(ModerationAction.actor)
                .where(ModerationAction.post_id == post_id, ModerationAction.action == "pin")
                .order_by(ModerationAction.id.desc()).limit(1))
            reason = f"already pinned by {by}"
        else:
            reason = "the post is not pinned"
    elif post.status != PENDING and by:
        reason = f"already {post.status} by {by}"
    else:
        reason = f"the post is {post.status}"
    return Conflict(f"cannot {action}: {reason}", status=post.status, by=by)


def _audit(session: AsyncSession, post: Post, actor: Actor, action: str, before: str) -> None:
    session.add(ModerationAction(post_id=post.id, event_id=post.event_id, user_id=actor.user_id,
                                 actor=actor.name, action=action, from_status=before,
                                 to_status=post.status))


async def _wall_change(session: AsyncSession, post: Post, kind: str, outbox: Outbox) -> None:
    # The row lock taken by this UPDATE orders concurrent changes of one event on PostgreSQL;
    # SQLite has a single writer anyway. So numbers are handed out without gaps or repeats.
    seq: int = (
        await session.execute(
            update(Event)
            .where(Event.id == post.event_id)
            .values(last_seq=Event.last_seq + 1)
            .returning(Event.last_seq)
        )
    ).scalar_one()
    frame: dict[str, Any] = {"type": "change", "seq": seq, "kind": kind}
    if kind == "retracted":
        frame["post_id"] = post.id
    else:
        frame["post"] = wall_post(post, post.source.type)
    text = dumps(frame)
    post.wall_seq = seq
    session.add(WallChange(event_id=post.event_id, seq=seq, kind=kind, post_id=post.id,
                           frame=text))
    outbox.append((channels.wall(post.event_id), text))


def _moderation_frame(kind: str, post: Post) -> tuple[str, str]:
    frame = {"type": kind, "post": moderation_post(post, post.source.type, post.source.name)}
    return channels.moderation(post.event_id), dumps(frame)
