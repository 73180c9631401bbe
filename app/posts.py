"""The one writer of post state: ingest (and edits), approve, reject, retract, pin, unpin, and
deletion at the source.

Every change walls must see takes the event's next sequence number in the same transaction as
the change, is written to the wall log, and is published only after the commit, so a wall never
hears of something the database does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app import channels
from app.content import content_values, dialect_insert, media_rows
from app.db import Sessions, writing
from app.models import (
    APPROVED,
    DELETED,
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
from ingest.base import IngestResult, NormalizedPost


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user (by session or token), or the system (a source, a rule)."""

    name: str
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Step:
    """One way an action applies: from `source` (and, if set, only to an edited post)."""

    source: str
    target: str
    wall_kind: str | None
    edited_only: bool = False


# An approved post edited at its source is on the walls in its approved form and back in the
# queue: approving takes the edit to the walls, rejecting takes the post off them.
STEPS = {
    "approve": (_Step(PENDING, APPROVED, "approved"),
                _Step(APPROVED, APPROVED, "approved", edited_only=True)),
    "reject": (_Step(PENDING, REJECTED, None),
               _Step(APPROVED, RETRACTED, "retracted", edited_only=True)),
    "retract": (_Step(APPROVED, RETRACTED, "retracted"),),
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

    def __init__(self, sessions: Sessions, hub: Hub,
                 on_new_media: Callable[[], None] | None = None) -> None:
        self.sessions = sessions
        self.hub = hub
        self._on_new_media = on_new_media or (lambda: None)

    async def ingest(
        self, *, event_id: int, source_id: int, post: NormalizedPost, auto_approve: bool = False
    ) -> IngestResult:
        """Store a post once per source and external id, and queue (or approve) it; a known
        post emitted again with a later `edited_at` is an edit."""
        outbox: Outbox = []
        async with writing(self.sessions) as session:
            known = (await session.execute(
                select(Post.id, Post.status, Post.edited_at).where(
                    Post.source_id == source_id, Post.external_id == post.external_id[:512])
            )).one_or_none()
            if known is not None:
                # Sources repeat themselves (rewinds, re-polls): only a newer edit does anything.
                if known.status == DELETED or not _newer(post, known.edited_at):
                    return IngestResult(known.id, created=False, status=known.status)
                result = await self._edit(session, known.id, post, outbox)
            else:
                result = await self._create(session, event_id, source_id, post, auto_approve,
                                            outbox)
        await self._publish(outbox)
        if outbox:
            self._on_new_media()
        return result

    async def act(self, post_id: int, action: str, actor: Actor) -> dict[str, Any]:
        """Apply a moderation action; raise PostNotFound or Conflict."""
        outbox: Outbox = []
        async with writing(self.sessions) as session:
            if action in STEPS:
                post = await self._apply(session, post_id, action, actor, outbox)
            elif action in ("pin", "unpin"):
                post = await self._pin(session, post_id, action == "pin", actor, outbox)
            else:
                raise ValueError(f"unknown action {action!r}")
            view = moderation_post(post, post.source.type, post.source.name)
        await self._publish(outbox)
        return view

    async def delete_at_source(self, *, source_id: int, external_id: str) -> bool:
        """The post was deleted where it was posted: off every wall and out of the queue.
        False if there is no such post or it was already deleted."""
        outbox: Outbox = []
        async with writing(self.sessions) as session:
            while True:
                row = (await session.execute(
                    select(Post.id, Post.status).where(Post.source_id == source_id,
                                                       Post.external_id == external_id)
                )).one_or_none()
                if row is None or row.status == DELETED:
                    return False
                # Compare-and-set on the status read: a moderator acting in between (possible
                # on PostgreSQL) makes this match nothing, and we look again.
                result = await session.execute(
                    update(Post).where(Post.id == row.id, Post.status == row.status).values(
                        status=DELETED, pinned=False, edited=False, deleted_at=utcnow()))
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    break
            post = await _load(session, row.id)
            _audit(session, post, Actor(f"source:{post.source.name}"), "delete", row.status)
            if row.status == APPROVED:
                await _wall_change(session, post, "retracted", outbox)
            outbox.append(_moderation_frame("post.updated", post))
        await self._publish(outbox)
        return True

    async def _create(self, session: AsyncSession, event_id: int, source_id: int,
                      post: NormalizedPost, auto_approve: bool, outbox: Outbox) -> IngestResult:
        values = await content_values(session, post)
        post_id = await _insert_once(session, event_id, source_id, post, values)
        if post_id is None:  # another writer stored it a moment ago (PostgreSQL)
            existing = (await session.execute(
                select(Post.id, Post.status).where(Post.source_id == source_id,
                                                   Post.external_id == post.external_id[:512])
            )).one()
            return IngestResult(existing.id, created=False, status=existing.status)
        session.add_all(await media_rows(session, post_id, post))
        await session.flush()
        stored = await _load(session, post_id)
        outbox.append(_moderation_frame("post.new", stored))
        event = await session.get_one(Event, event_id)
        # A content warning always waits for a human, whatever the mode.
        needs_human = stored.sensitive or bool(stored.content_warning)
        if (auto_approve or event.moderation == "post") and not needs_human:
            stored = await self._apply(session, post_id, "approve",
                                       Actor(name=f"auto:{stored.source.name}"), outbox)
        return IngestResult(post_id, created=True, status=stored.status)

    async def _edit(self, session: AsyncSession, post_id: int, post: NormalizedPost,
                    outbox: Outbox) -> IngestResult:
        values = await content_values(session, post)
        # An approved post keeps its approved form on the walls (wall_payload) and goes back
        # to the moderators; a pending one is simply updated.
        await session.execute(update(Post).where(Post.id == post_id).values(
            **values, edited=Post.status == APPROVED))
        await session.execute(delete(Media).where(Media.post_id == post_id))
        session.add_all(await media_rows(session, post_id, post))
        await session.flush()
        edited = await _load(session, post_id)
        outbox.append(_moderation_frame("post.updated", edited))
        return IngestResult(post_id, created=False, status=edited.status)

    async def _apply(
        self, session: AsyncSession, post_id: int, action: str, actor: Actor, outbox: Outbox
    ) -> Post:
        for step in STEPS[action]:
            condition = [Post.id == post_id, Post.status == step.source]
            if step.edited_only:
                condition.append(Post.edited.is_(True))
            values: dict[str, Any] = {"status": step.target, "decided_at": utcnow(),
                                      "decided_by": actor.name, "edited": False}
            if step.target == RETRACTED:
                values["pinned"] = False
            # Compare-and-set: of two moderators acting at once, exactly one matches the row.
            result = await session.execute(update(Post).where(*condition).values(**values))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                break
        else:
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


def _newer(post: NormalizedPost, stored_edited_at: datetime | None) -> bool:
    return post.edited_at is not None and (stored_edited_at is None
                                           or post.edited_at > stored_edited_at)


async def _insert_once(session: AsyncSession, event_id: int, source_id: int,
                       post: NormalizedPost, values: dict[str, Any]) -> int | None:
    """Insert the post unless this source already delivered it; its id, or None if it had."""
    statement = (
        dialect_insert(session)(Post)
        .values(event_id=event_id, source_id=source_id, external_id=post.external_id[:512],
                status=PENDING, pinned=False, edited=False, ingested_at=utcnow(),
                created_at=post.created_at, **values)
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
    elif post.status == DELETED:
        reason = "the post was deleted at its source"
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
        post.wall_payload = None
    else:
        if kind in ("pinned", "unpinned") and post.wall_payload:
            # Pinning changes nothing but the pin: an edit waiting for review stays off walls.
            payload = {**json.loads(post.wall_payload), "pinned": post.pinned}
        else:
            payload = wall_post(post, post.source.type)
        frame["post"] = payload
        post.wall_payload = dumps(payload)
    text = dumps(frame)
    post.wall_seq = seq
    session.add(WallChange(event_id=post.event_id, seq=seq, kind=kind, post_id=post.id,
                           frame=text))
    outbox.append((channels.wall(post.event_id), text))


def _moderation_frame(kind: str, post: Post) -> tuple[str, str]:
    frame = {"type": kind, "post": moderation_post(post, post.source.type, post.source.name)}
    return channels.moderation(post.event_id), dumps(frame)
