"""How each moderation action changes a post, inside the transaction app.posts runs it in:
the compare-and-set on its state, the audit row, and what walls and moderators are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm import Session

from app.models import (
    APPROVED,
    PENDING,
    REJECTED,
    RETRACTED,
    Event,
    ModerationAction,
    Post,
    table_of,
    utcnow,
)
from app.payloads import moderation_post
from app.post_changes import (
    Actor,
    Conflict,
    Outbox,
    PostNotFound,
    audit,
    conflict,
    differs_from_shown,
    load,
    moderation_frame,
    wall_change,
)

UNDO_WINDOW = timedelta(seconds=10)
SPOTLIGHT_SECONDS = 20


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
ACTIONS = (*STEPS, "pin", "unpin", "hold", "unhold", "spotlight", "undo")


def act(session: Session, post_id: int, action: str, actor: Actor, outbox: Outbox, *,
        pin: bool = False, seconds: int = SPOTLIGHT_SECONDS) -> dict[str, Any]:
    """Apply a moderation action (one of ACTIONS); the post as moderators see it now.
    Raise PostNotFound or Conflict."""
    if action in STEPS:
        post = decide(session, post_id, action, actor, outbox, pin=pin and action == "approve")
    elif action in ("pin", "unpin"):
        post = _pin(session, post_id, action == "pin", actor, outbox)
    elif action in ("hold", "unhold"):
        post = _hold(session, post_id, action == "hold", actor, outbox)
    elif action == "spotlight":
        post = _spotlight(session, post_id, seconds, actor, outbox)
    else:
        post = _undo(session, post_id, actor, outbox)
    return moderation_post(post, post.source.type, post.source.name)


def decide(session: Session, post_id: int, action: str, actor: Actor, outbox: Outbox, *,
           pin: bool = False) -> Post:
    """Approve, reject or retract (STEPS): for ingest's rules as for moderators."""
    for step in STEPS[action]:
        # Compare-and-set: of two moderators acting at once, exactly one matches the row.
        pinned = False if step.target == RETRACTED else (True if pin else None)
        result = session.connection().execute(_decision(step.edited_only, pinned), {
            "post": post_id, "from": step.source, "to": step.target,
            "at": utcnow(), "by": actor.name})
        if result.rowcount == 1:
            break
    else:
        raise conflict(session, post_id, action)
    post = load(session, post_id)
    audit(session, post, actor, "approve_pin" if pin else action, step.source)
    if step.wall_kind:
        wall_change(session, post, step.wall_kind, outbox)
    outbox.append(moderation_frame("post.updated", post))
    return post


def _pin(session: Session, post_id: int, pin: bool, actor: Actor, outbox: Outbox) -> Post:
    action = "pin" if pin else "unpin"
    post = _toggle(session, post_id, Post.pinned, pin, APPROVED, action, actor)
    wall_change(session, post, "pinned" if pin else "unpinned", outbox)
    outbox.append(moderation_frame("post.updated", post))
    return post


def _hold(session: Session, post_id: int, hold: bool, actor: Actor, outbox: Outbox) -> Post:
    action = "hold" if hold else "unhold"
    post = _toggle(session, post_id, Post.held, hold, PENDING, action, actor)
    outbox.append(moderation_frame("post.updated", post))
    return post


def _toggle(session: Session, post_id: int, flag: Any, value: bool, status: str, action: str,
            actor: Actor) -> Post:
    """Set a flag of a post in `status` that does not have it yet (compare-and-set)."""
    result = session.execute(
        update(Post).where(Post.id == post_id, Post.status == status,
                           flag.is_(not value)).values({flag: value}))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise conflict(session, post_id, action)
    post = load(session, post_id)
    audit(session, post, actor, action, status)
    return post


def _spotlight(session: Session, post_id: int, seconds: int, actor: Actor,
               outbox: Outbox) -> Post:
    post = load(session, post_id)
    paused = session.scalar(select(Event.paused).where(Event.id == post.event_id))
    if post.status != APPROVED or post.wall_payload is None or paused:
        raise conflict(session, post_id, "spotlight")
    audit(session, post, actor, "spotlight", APPROVED)
    wall_change(session, post, "spotlight", outbox, seconds=seconds)
    return post


def _undo(session: Session, post_id: int, actor: Actor, outbox: Outbox) -> Post:
    last = session.scalar(
        select(ModerationAction)
        .where(ModerationAction.post_id == post_id, ModerationAction.undone.is_(False),
               ModerationAction.action != "undo")
        .order_by(ModerationAction.id.desc()).limit(1))
    post = session.get(Post, post_id)
    if post is None:
        raise PostNotFound(post_id)
    mine = last is not None and (last.user_id == actor.user_id if actor.user_id is not None
                                 else last.actor == actor.name)
    if last is None or not mine or last.action not in _UNDO:
        raise Conflict("cannot undo: you have no action on this post to undo",
                       status=post.status, by=last.actor if last else None,
                       code="undo_none")
    if last.action in ("approve", "approve_pin", "reject") and last.from_status != PENDING:
        # A decision on an edit: the walls' earlier form is gone; decide again instead.
        raise Conflict("cannot undo a decision on an edit", status=post.status,
                       by=last.actor, code="undo_edit")
    if utcnow() - last.at > UNDO_WINDOW:
        raise Conflict("cannot undo: more than 10 s have passed", status=post.status,
                       by=last.actor, code="undo_expired")
    expected, values, wall_kind = _UNDO[last.action]
    condition = [Post.id == post_id, Post.status == last.to_status, *expected]
    result = session.execute(update(Post).where(*condition).values(**values))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise conflict(session, post_id, "undo")
    last.undone = True
    post = load(session, post_id)
    audit(session, post, actor, "undo", last.to_status)
    if last.action == "retract":
        # Back on the walls in the form they showed; an edit since then waits for review.
        post.edited = differs_from_shown(post)
    if wall_kind:
        wall_change(session, post, wall_kind, outbox, reshow=last.action == "retract")
    outbox.append(moderation_frame("post.updated", post))
    return post


_BACK_TO_QUEUE = {"status": PENDING, "decided_at": None, "decided_by": None, "pinned": False}

# What undoing an action does: extra conditions, new values, and what walls must be told.
_UNDO: dict[str, tuple[list[Any], dict[str, Any], str | None]] = {
    "approve": ([], _BACK_TO_QUEUE, "retracted"),
    "approve_pin": ([], _BACK_TO_QUEUE, "retracted"),
    "reject": ([], _BACK_TO_QUEUE, None),
    "retract": ([], {"status": APPROVED}, "approved"),
    "pin": ([Post.pinned.is_(True)], {"pinned": False}, "unpinned"),
    "unpin": ([Post.pinned.is_(False)], {"pinned": True}, "pinned"),
    "hold": ([Post.held.is_(True)], {"held": False}, None),
    "unhold": ([Post.held.is_(False)], {"held": True}, None),
}


@cache
def _decision(edited_only: bool, pinned: bool | None) -> Update:
    """The compare-and-set of a decision (built once for each form: a Core statement costs a
    fraction of the ORM's, bench/README.md); None leaves the pin as it is."""
    posts = table_of(Post)
    statement = update(posts).where(posts.c.id == bindparam("post"),
                                    posts.c.status == bindparam("from"))
    if edited_only:
        statement = statement.where(posts.c.edited.is_(True))
    values: dict[str, Any] = {"status": bindparam("to"), "decided_at": bindparam("at"),
                              "decided_by": bindparam("by"), "edited": False, "held": False}
    if pinned is not None:
        values["pinned"] = pinned
    return statement.values(values)
