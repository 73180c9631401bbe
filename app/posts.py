"""The one writer of post state: ingest (and edits), approve, reject, retract, pin, unpin, hold,
spotlight, undo, deletion at the source, and pausing an event's walls.

Every change walls must see takes the event's next sequence number in the same transaction as
the change, is written to the wall log, and is published only after the commit, so a wall never
hears of something the database does not hold (app.post_changes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app import channels, post_actions
from app.content import content_values, dialect_insert, media_rows
from app.db import Sessions, write
from app.models import (
    APPROVED,
    DELETED,
    PENDING,
    Event,
    Media,
    Post,
    utcnow,
)
from app.payloads import dumps
from app.post_actions import ACTIONS, SPOTLIGHT_SECONDS, decide
from app.post_changes import (
    Actor,
    Conflict,
    Outbox,
    PostNotFound,
    audit,
    load,
    moderation_frame,
    publish,
    wall_change,
)
from app.post_rules import flags, judge, rules_of
from app.pubsub import Hub
from ingest.base import IngestResult, NormalizedPost

__all__ = ["Actor", "Conflict", "PostNotFound", "PostStore"]

RULES = Actor(name="rules")


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
        result = await write(self.sessions, lambda session: self._ingest(
            session, event_id, source_id, post, auto_approve, outbox))
        await publish(self.hub, outbox)
        if outbox:
            self._on_new_media()
        return result

    async def act(self, post_id: int, action: str, actor: Actor, *, pin: bool = False,
                  seconds: int = SPOTLIGHT_SECONDS) -> dict[str, Any]:
        """Apply a moderation action; raise PostNotFound or Conflict."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        outbox: Outbox = []
        view = await write(self.sessions, lambda session: post_actions.act(
            session, post_id, action, actor, outbox, pin=pin, seconds=seconds))
        await publish(self.hub, outbox)
        return view

    async def delete_at_source(self, *, source_id: int, external_id: str) -> bool:
        """The post was deleted where it was posted: off every wall and out of the queue.
        False if there is no such post or it was already deleted."""
        outbox: Outbox = []
        deleted = await write(self.sessions, lambda session: self._delete(
            session, source_id, external_id, outbox))
        await publish(self.hub, outbox)
        return deleted

    async def set_paused(self, event_id: int, paused: bool) -> dict[str, Any]:
        """Freeze an event's walls (approvals wait; retractions still go out), or release
        them: what waited is shown now, in the order it was approved."""
        outbox: Outbox = []
        state = await write(self.sessions, lambda session: self._pause(
            session, event_id, paused, outbox))
        await publish(self.hub, outbox)
        return state

    async def enforce_rules(self, event_id: int) -> int:
        """Apply the event's author rules to posts already stored (after the rules changed):
        a blocked author's approved posts leave the walls, the pending ones the queue.
        How many posts were taken down."""
        async with self.sessions() as session:
            event = await session.get_one(Event, event_id)
            rules = rules_of(event.rules)
            if not rules.blocked_authors:
                return 0
            candidates = list(await session.scalars(
                select(Post).where(Post.event_id == event_id,
                                   Post.status.in_((PENDING, APPROVED)))))
        taken = 0
        for post in candidates:
            if not any(reason.rule == "blocked_author" for reason in judge(rules, post).reasons):
                continue
            try:
                await self.act(post.id, "retract" if post.status == APPROVED else "reject",
                               RULES)
                taken += 1
            except Conflict:
                pass  # a moderator got there first
        return taken

    # The transactions themselves: synchronous, each run whole by app.db.write.

    def _ingest(self, session: Session, event_id: int, source_id: int, post: NormalizedPost,
                auto_approve: bool, outbox: Outbox) -> IngestResult:
        known = session.execute(
            select(Post.id, Post.status, Post.edited_at).where(
                Post.source_id == source_id, Post.external_id == post.external_id[:512])
        ).one_or_none()
        if known is None:
            return self._create(session, event_id, source_id, post, auto_approve, outbox)
        # Sources repeat themselves (rewinds, re-polls): only a newer edit does anything.
        if known.status == DELETED or not _newer(post, known.edited_at):
            return IngestResult(known.id, created=False, status=known.status)
        return self._edit(session, known.id, post, outbox)

    @staticmethod
    def _delete(session: Session, source_id: int, external_id: str, outbox: Outbox) -> bool:
        while True:
            row = session.execute(
                select(Post.id, Post.status).where(Post.source_id == source_id,
                                                   Post.external_id == external_id)
            ).one_or_none()
            if row is None or row.status == DELETED:
                return False
            # Compare-and-set on the status read: a moderator acting in between (possible
            # on PostgreSQL) makes this match nothing, and we look again.
            result = session.execute(
                update(Post).where(Post.id == row.id, Post.status == row.status).values(
                    status=DELETED, pinned=False, edited=False, deleted_at=utcnow()))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                break
        post = load(session, row.id)
        audit(session, post, Actor(f"source:{post.source.name}"), "delete", row.status)
        if row.status == APPROVED:
            wall_change(session, post, "retracted", outbox)
        outbox.append(moderation_frame("post.updated", post))
        return True

    @staticmethod
    def _pause(session: Session, event_id: int, paused: bool, outbox: Outbox) -> dict[str, Any]:
        event = session.get_one(Event, event_id, populate_existing=True)
        event.paused = paused
        session.flush()
        if not paused:
            waiting = list(session.scalars(
                select(Post.id).where(Post.event_id == event_id, Post.wall_pending.is_(True))
                .order_by(Post.decided_at, Post.id)))
            for post_id in waiting:
                post = load(session, post_id)
                if post.status == APPROVED:
                    wall_change(session, post, "approved", outbox)
                post.wall_pending = False
        state = {"slug": event.slug, "name": event.name, "paused": event.paused,
                 "moderation": event.moderation}
        outbox.append((channels.moderation(event_id),
                       dumps({"type": "event.updated", "event": state})))
        return state

    def _create(self, session: Session, event_id: int, source_id: int, post: NormalizedPost,
                auto_approve: bool, outbox: Outbox) -> IngestResult:
        values = content_values(session, post)
        post_id = _insert_once(session, event_id, source_id, post, values)
        if post_id is None:  # another writer stored it a moment ago (PostgreSQL)
            existing = session.execute(
                select(Post.id, Post.status).where(Post.source_id == source_id,
                                                   Post.external_id == post.external_id[:512])
            ).one()
            return IngestResult(existing.id, created=False, status=existing.status)
        session.add_all(media_rows(session, post_id, post))
        session.flush()
        stored = load(session, post_id)
        event = session.get_one(Event, event_id)
        verdict = judge(rules_of(event.rules), stored)
        stored.flags = flags(verdict)
        outbox.append(moderation_frame("post.new", stored))
        # Rules decide first: a rejection is final, a flag always waits for a human (so do
        # sensitive posts and content warnings: the rules flag those), and only then may a
        # trusted author, a curated source or post-moderation put a post up at once.
        if verdict.decision == "reject":
            stored = decide(session, post_id, "reject", RULES, outbox)
        elif verdict.decision != "flag" and (verdict.decision == "approve" or auto_approve
                                             or event.moderation == "post"):
            actor = RULES if verdict.decision == "approve" else Actor(
                name=f"auto:{stored.source.name}")
            stored = decide(session, post_id, "approve", actor, outbox)
        return IngestResult(post_id, created=True, status=stored.status)

    def _edit(self, session: Session, post_id: int, post: NormalizedPost,
              outbox: Outbox) -> IngestResult:
        values = content_values(session, post)
        # An approved post keeps its approved form on the walls (wall_payload) and goes back
        # to the moderators; a pending one is simply updated.
        session.execute(update(Post).where(Post.id == post_id).values(
            **values, edited=Post.status == APPROVED))
        session.execute(delete(Media).where(Media.post_id == post_id))
        session.add_all(media_rows(session, post_id, post))
        session.flush()
        edited = load(session, post_id)
        # The moderators see what the rules say about the new text (an edit can add a word).
        event = session.get_one(Event, edited.event_id)
        edited.flags = flags(judge(rules_of(event.rules), edited))
        outbox.append(moderation_frame("post.updated", edited))
        return IngestResult(post_id, created=False, status=edited.status)

def _newer(post: NormalizedPost, stored_edited_at: datetime | None) -> bool:
    return post.edited_at is not None and (stored_edited_at is None
                                           or post.edited_at > stored_edited_at)


def _insert_once(session: Session, event_id: int, source_id: int, post: NormalizedPost,
                 values: dict[str, Any]) -> int | None:
    """Insert the post unless this source already delivered it; its id, or None if it had."""
    statement = (
        dialect_insert(session)(Post)
        .values(event_id=event_id, source_id=source_id, external_id=post.external_id[:512],
                status=PENDING, pinned=False, edited=False, ingested_at=utcnow(),
                created_at=post.created_at, **values)
        .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
        .returning(Post.id)
    )
    post_id: int | None = (session.execute(statement)).scalar_one_or_none()
    return post_id
