"""The steps app.posts builds its changes from: loading, auditing, telling walls (in sequence,
held back while an event is paused) and moderators, and explaining conflicts.

They are synchronous functions of a Session: a change runs as a whole through app.db.write
(in SQLite's thread on SQLite); only `publish`, after the commit, is on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import channels
from app.models import (
    APPROVED,
    DELETED,
    PENDING,
    Event,
    ModerationAction,
    Post,
    WallChange,
    table_of,
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


def load(session: Session, post_id: int) -> Post:
    """The post with its media and source, as the database holds it now."""
    post: Post | None = session.execute(_LOAD, {"post": post_id}).unique().scalar_one_or_none()
    if post is None:
        raise PostNotFound(post_id)
    return post


# The statements of every change, built once. Core statements on the tables rather than the
# ORM's: an approval is about a dozen of them, and the ORM's way (building the statement,
# evaluating it against the session's objects, flushing) cost about 4 ms of its time
# (bench/README.md). The post objects are kept in step with set_committed_value().
_posts = table_of(Post)
_events = table_of(Event)
# One statement rather than three (each a trip to the database on PostgreSQL).
_LOAD = (select(Post).options(joinedload(Post.media), joinedload(Post.source, innerjoin=True))
         .where(Post.id == bindparam("post")).execution_options(populate_existing=True))
_AUDIT = insert(table_of(ModerationAction))
_LOG = insert(table_of(WallChange))
_SHOWN = update(_posts).where(_posts.c.id == bindparam("post")).values(
    wall_seq=bindparam("seq"), wall_payload=bindparam("payload"), wall_pending=False)
_HELD_BACK = update(_posts).where(_posts.c.id == bindparam("post")).values(wall_pending=True)
# The row lock taken by this UPDATE orders concurrent changes of one event on PostgreSQL;
# SQLite has a single writer anyway. So numbers are handed out without gaps or repeats.
_NEXT_SEQ = (update(_events).where(_events.c.id == bindparam("event"))
             .values(last_seq=_events.c.last_seq + 1).returning(_events.c.last_seq))
# The pause is checked in the same statement: one statement less.
_NEXT_SEQ_UNLESS_PAUSED = _NEXT_SEQ.where(_events.c.paused.is_(False))


def audit(session: Session, post: Post, actor: Actor, action: str, before: str) -> None:
    session.connection().execute(_AUDIT, {
        "post_id": post.id, "event_id": post.event_id, "user_id": actor.user_id,
        "actor": actor.name, "action": action, "from_status": before,
        "to_status": post.status})


def wall_change(session: Session, post: Post, kind: str, outbox: Outbox,
                *, reshow: bool = False, **extra: Any) -> None:
    """Tell the walls, with the event's next sequence number; while the event is paused,
    only retractions go out and the rest waits for `resume`."""
    seq = _take_seq(session, post.event_id, unless_paused=kind != "retracted")
    if seq is None:  # paused
        session.connection().execute(_HELD_BACK, {"post": post.id})
        set_committed_value(post, "wall_pending", True)
        return
    frame: dict[str, Any] = {"type": "change", "seq": seq, "kind": kind, **extra}
    payload_text = post.wall_payload
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
        payload_text = dumps(payload)
    session.connection().execute(_SHOWN, {"post": post.id, "seq": seq,
                                          "payload": payload_text})
    for name, value in (("wall_seq", seq), ("wall_payload", payload_text),
                        ("wall_pending", False)):
        set_committed_value(post, name, value)
    log(session, post.event_id, frame, outbox, post_id=post.id)


def next_seq(session: Session, event_id: int) -> int:
    """The event's next wall sequence number (taken in the caller's transaction)."""
    seq = _take_seq(session, event_id, unless_paused=False)
    assert seq is not None
    return seq


def _take_seq(session: Session, event_id: int, *, unless_paused: bool) -> int | None:
    statement = _NEXT_SEQ_UNLESS_PAUSED if unless_paused else _NEXT_SEQ
    seq: int | None = session.connection().execute(
        statement, {"event": event_id}).scalar_one_or_none()
    return seq


async def publish(hub: Hub, outbox: Outbox) -> None:
    """Send what a committed transaction queued for walls and moderators."""
    for channel, message in outbox:
        await hub.publish(channel, message)
    # Let this process's feeds hand the frames on (they are woken and run next) before the
    # caller goes on to build its HTTP response: the screens come first.
    await asyncio.sleep(0)


def log(session: Session, event_id: int, frame: dict[str, Any], outbox: Outbox, *,
        post_id: int = 0) -> None:
    """Keep a change frame in the wall log (for walls that catch up) and queue it for the live
    ones; post_id 0 for changes that concern no post (a wall's settings, an announcement)."""
    text = dumps(frame)
    session.connection().execute(_LOG, {"event_id": event_id, "seq": frame["seq"],
                                        "kind": frame["kind"], "post_id": post_id,
                                        "frame": text})
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


def conflict(session: Session, post_id: int, action: str) -> Exception:
    """Explain why an action did not apply: the post is gone, or someone acted first."""
    post = session.get(Post, post_id, populate_existing=True)
    if post is None:
        return PostNotFound(post_id)
    by = post.decided_by
    if action in ("pin", "unpin", "spotlight") and post.status == APPROVED:
        if action == "spotlight":
            code, reason = "paused", "the walls are paused"
        elif post.pinned:
            by = _last_actor(session, post_id, "pin")
            code, reason = "pinned", f"already pinned by {by}"
        else:
            code, reason = "not_pinned", "the post is not pinned"
    elif action in ("hold", "unhold") and post.status == PENDING:
        by = _last_actor(session, post_id, "hold") if post.held else None
        code, reason = (("held", f"already held by {by}") if post.held
                        else ("not_held", "the post is not held"))
    elif post.status == DELETED:
        code, reason = "deleted", "the post was deleted at its source"
    elif post.status != PENDING and by:
        code, reason = "decided", f"already {post.status} by {by}"
    else:
        code, reason = "state", f"the post is {post.status}"
    return Conflict(f"cannot {action}: {reason}", status=post.status, by=by, code=code)


def _last_actor(session: Session, post_id: int, action: str) -> str | None:
    actor: str | None = session.scalar(
        select(ModerationAction.actor)
        .where(ModerationAction.post_id == post_id, ModerationAction.action == action)
        .order_by(ModerationAction.id.desc()).limit(1))
    return actor
