"""Who may moderate what: organizers every event, moderators the events assigned to them
(or every event when they have no assignment, for small set-ups with one event)."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import bindparam, exists, select

from app.auth import Principal
from app.db import Sessions, read
from app.models import Post, UserEvent, table_of
from app.queue import UnknownEvent, event_id_of

_posts, _assigned = table_of(Post), table_of(UserEvent)
_ASSIGNED = select(_assigned.c.event_id).where(_assigned.c.user_id == bindparam("user"))


async def moderated_events(sessions: Sessions, principal: Principal) -> frozenset[int] | None:
    """The ids of the events the caller may moderate; None means all of them."""
    if principal.role == "organizer":
        return None
    rows = await read(sessions, _ASSIGNED, {"user": principal.user_id})
    return frozenset(row.event_id for row in rows) or None


def require_event(allowed: frozenset[int] | None, event_id: int) -> None:
    if allowed is not None and event_id not in allowed:
        raise _not_theirs()


async def moderated_event(sessions: Sessions, principal: Principal, slug: str) -> int:
    """The id of the event `slug` if the caller moderates it: 404 if there is none, else 403."""
    try:
        event_id = await event_id_of(sessions, slug)
    except UnknownEvent:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {slug!r}") from None
    require_event(await moderated_events(sessions, principal), event_id)
    return event_id


# Whether a moderator may act on a post, in one read (every action of the desk asks): whether
# they are assigned to the post's event, and whether to any event at all.
_POST_ACCESS = select(
    exists().where(_assigned.c.user_id == bindparam("user"),
                   _assigned.c.event_id == _posts.c.event_id).label("assigned"),
    exists().where(_assigned.c.user_id == bindparam("user")).label("restricted"),
).where(_posts.c.id == bindparam("post"))


async def require_post_access(sessions: Sessions, principal: Principal, post_id: int) -> None:
    """403 when the post belongs to an event the caller does not moderate (404 is the store's)."""
    if principal.role == "organizer":
        return
    rows = await read(sessions, _POST_ACCESS, {"user": principal.user_id, "post": post_id})
    if rows and rows[0].restricted and not rows[0].assigned:
        raise _not_theirs()


def _not_theirs() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, "you are not a moderator of this event")


def require_organizer(principal: Principal) -> None:
    if principal.role != "organizer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only organizers may do this")
