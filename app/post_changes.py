"""The steps app.posts builds its changes from: loading, auditing, telling walls (in sequence,
held back while an event is paused) and moderators, and explaining conflicts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app import channels
from app.models import (
    APPROVED,
    DELETED,
    PENDING,
    Event,
    ModerationAction,
    Post,
    WallChange,
)
from app.payloads import dumps, moderation_post, wall_post
from app.pubsub import Hub

Outbox = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user (by session or token), or the system (a source, a rule)."""

    name: str
    user_id: int | None = None


class PostNotFound(LookupError):
    pass


class Conflict(Exception):
    """The post is not in a state the action applies to (someone else acted first).

    `code` names the reason for an interface that words it itself: decided, deleted, paused,
    pinned, not_pinned, held, not_held, state, undo_none, undo_edit, undo_expired.
    """

    def __init__(self, message: str, *, status: str, by: str | None, code: str = "state") -> None:
        super().__init__(message)
        self.status = status
        self.by = by
        self.code = code


async def load(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(
        Post,
        post_id,
        # One statement rather than three (each is a trip to the database).
        options=[joinedload(Post.media), joinedload(Post.source, innerjoin=True)],
        populate_existing=True,
    )
    if post is None:
        raise PostNotFound(post_id)
    return post


# audit() and log() insert with a plain statement rather than session.add(): nothing reads the
# rows back in the transaction, and the ORM's flush of new objects costs about a millisecond
# of an approval's time (bench/README.md).
async def audit(session: AsyncSession, post: Post, actor: Actor, action: str,
                before: str) -> None:
    await session.execute(insert(ModerationAction).values(
        post_id=post.id, event_id=post.event_id, user_id=actor.user_id, actor=actor.name,
        action=action, from_status=before, to_status=post.status))


async def wall_change(session: AsyncSession, post: Post, kind: str, outbox: Outbox,
                      *, reshow: bool = False, **extra: Any) -> None:
    """Tell the walls, with the event's next sequence number; while the event is paused,
    only retractions go out and the rest waits for `resume`."""
    seq = await _take_seq(session, post.event_id, unless_paused=kind != "retracted")
    if seq is None:  # paused
        post.wall_pending = True
        return
    frame: dict[str, Any] = {"type": "change", "seq": seq, "kind": kind, **extra}
    if kind == "retracted":
        # The last shown form stays in wall_payload (snapshots only take approved posts), so
        # that undoing the retraction shows exactly what was approved, never a later edit.
        frame["post_id"] = post.id
    else:
        if (kind in ("pinned", "unpinned", "spotlight") or reshow) and post.wall_payload:
            # These change nothing but the pin (or point at the post, or undo a retraction):
            # an edit waiting for review stays off the walls.
            payload = {**json.loads(post.wall_payload), "pinned": post.pinned}
        else:
            payload = wall_post(post, post.source.type)
        frame["post"] = payload
        post.wall_payload = dumps(payload)
    post.wall_seq = seq
    post.wall_pending = False
    await log(session, post.event_id, frame, outbox, post_id=post.id)


async def next_seq(session: AsyncSession, event_id: int) -> int:
    """The event's next wall sequence number (taken in the caller's transaction)."""
    seq = await _take_seq(session, event_id, unless_paused=False)
    assert seq is not None
    return seq


async def _take_seq(session: AsyncSession, event_id: int, *, unless_paused: bool) -> int | None:
    # The row lock taken by this UPDATE orders concurrent changes of one event on PostgreSQL;
    # SQLite has a single writer anyway. So numbers are handed out without gaps or repeats.
    # The pause is checked in the same statement: each statement is a trip to the database.
    statement = update(Event).where(Event.id == event_id)
    if unless_paused:
        statement = statement.where(Event.paused.is_(False))
    seq: int | None = (
        await session.execute(statement.values(last_seq=Event.last_seq + 1)
                              .returning(Event.last_seq))
    ).scalar_one_or_none()
    return seq


async def publish(hub: Hub, outbox: Outbox) -> None:
    """Send what a committed transaction queued for walls and moderators."""
    for channel, message in outbox:
        await hub.publish(channel, message)
    # Let this process's feeds hand the frames on (they are woken and run next) before the
    # caller goes on to build its HTTP response: the screens come first.
    await asyncio.sleep(0)


async def log(session: AsyncSession, event_id: int, frame: dict[str, Any], outbox: Outbox, *,
              post_id: int = 0) -> None:
    """Keep a change frame in the wall log (for walls that catch up) and queue it for the live
    ones; post_id 0 for changes that concern no post (a wall's settings, an announcement)."""
    text = dumps(frame)
    await session.execute(insert(WallChange).values(
        event_id=event_id, seq=frame["seq"], kind=frame["kind"], post_id=post_id, frame=text))
    outbox.append((channels.wall(event_id), text))


def differs_from_shown(post: Post) -> bool:
    """Whether the post's content changed since walls were last shown it (an unreviewed edit)."""
    if not post.wall_payload:
        return False
    shown = {k: v for k, v in json.loads(post.wall_payload).items() if k != "pinned"}
    now = {k: v for k, v in wall_post(post, post.source.type).items() if k != "pinned"}
    return shown != now


def moderation_frame(kind: str, post: Post) -> tuple[str, str]:
    frame = {"type": kind, "post": moderation_post(post, post.source.type, post.source.name)}
    return channels.moderation(post.event_id), dumps(frame)


async def conflict(session: AsyncSession, post_id: int, action: str) -> Exception:
    """Explain why an action did not apply: the post is gone, or someone acted first."""
    post = await session.get(Post, post_id, populate_existing=True)
    if post is None:
        return PostNotFound(post_id)
    by = post.decided_by
    if action in ("pin", "unpin", "spotlight") and post.status == APPROVED:
        if action == "spotlight":
            code, reason = "paused", "the walls are paused"
        elif post.pinned:
            by = await _last_actor(session, post_id, "pin")
            code, reason = "pinned", f"already pinned by {by}"
        else:
            code, reason = "not_pinned", "the post is not pinned"
    elif action in ("hold", "unhold") and post.status == PENDING:
        by = await _last_actor(session, post_id, "hold") if post.held else None
        code, reason = (("held", f"already held by {by}") if post.held
                        else ("not_held", "the post is not held"))
    elif post.status == DELETED:
        code, reason = "deleted", "the post was deleted at its source"
    elif post.status != PENDING and by:
        code, reason = "decided", f"already {post.status} by {by}"
    else:
        code, reason = "state", f"the post is {post.status}"
    return Conflict(f"cannot {action}: {reason}", status=post.status, by=by, code=code)


async def _last_actor(session: AsyncSession, post_id: int, action: str) -> str | None:
    actor: str | None = await session.scalar(
        select(ModerationAction.actor)
        .where(ModerationAction.post_id == post_id, ModerationAction.action == action)
        .order_by(ModerationAction.id.desc()).limit(1))
    return actor
