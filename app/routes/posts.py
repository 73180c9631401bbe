"""The moderation API (docs/moderation.md): list and filter the queue, act on posts, in bulk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from app.access import moderated_events, require_event, require_post_access
from app.deps import ModeratorDep, StateDep
from app.posts import Actor, Conflict, PostNotFound
from app.queue import Filters, UnknownEvent, counts, event_id_of, list_posts
from app.schemas import BulkOut, ConflictOut, ErrorOut, PostOut, PostPage, PostStatus

router = APIRouter(prefix="/api/posts", tags=["moderation"])

PostId = Annotated[int, Path(ge=1, description="The post's id")]


@router.get("", response_model=PostPage)
async def get_posts(
    state: StateDep,
    moderator: ModeratorDep,
    status: PostStatus = "pending",
    event: Annotated[str | None, Query(description="An event's slug")] = None,
    held: Annotated[bool, Query(description="With status=pending: the held posts")] = False,
    source: Annotated[str | None, Query(max_length=100, description="A source's name")] = None,
    hashtag: Annotated[str | None, Query(max_length=100)] = None,
    media: Annotated[bool, Query(description="Only posts with images or video")] = False,
    q: Annotated[str | None, Query(max_length=200, description="Text search")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of the page before")]
    = None,
) -> dict[str, Any]:
    """Posts in one state: pending oldest first (the queue), the others newest first."""
    allowed = await moderated_events(state.sessions, moderator)
    if event is not None:
        try:
            event_id = await event_id_of(state.sessions, event)
        except UnknownEvent:
            raise HTTPException(404, f"no event {event!r}") from None
        require_event(allowed, event_id)
        allowed = frozenset({event_id})
    filters = Filters(status=status, held=held, event_ids=allowed, source=source,
                      hashtag=hashtag, media_only=media, text=q or None)
    items, next_cursor = await list_posts(state.sessions, filters, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor,
            "counts": await counts(state.sessions, allowed)}


_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_403_FORBIDDEN: {"model": ErrorOut, "description": "Not a moderator of its event"},
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "No such post"},
    status.HTTP_409_CONFLICT: {"model": ConflictOut,
                               "description": "The post is not in a state this action applies "
                                              "to, e.g. another moderator acted first"},
}


def _action_route(action: str, summary: str) -> None:
    async def act(post_id: PostId, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
        await require_post_access(state.sessions, moderator, post_id)
        return await state.store.act(post_id, action, _actor(moderator))

    act.__name__ = f"{action}_post"
    router.add_api_route(f"/{{post_id}}/{action}", act, methods=["POST"], response_model=PostOut,
                         summary=summary, responses=_ERRORS)


@router.post("/{post_id}/approve", response_model=PostOut, responses=_ERRORS,
             summary="Approve a pending post (or an edit) and show it on the event's walls")
async def approve_post(
    post_id: PostId, state: StateDep, moderator: ModeratorDep,
    pin: Annotated[bool, Query(description="Pin it too, in the same step")] = False,
) -> dict[str, Any]:
    await require_post_access(state.sessions, moderator, post_id)
    return await state.store.act(post_id, "approve", _actor(moderator), pin=pin)


@router.post("/{post_id}/spotlight", response_model=PostOut, responses=_ERRORS,
             summary="Show an approved post large on every wall of its event, now")
async def spotlight_post(
    post_id: PostId, state: StateDep, moderator: ModeratorDep,
    seconds: Annotated[int, Query(ge=5, le=300)] = 20,
) -> dict[str, Any]:
    await require_post_access(state.sessions, moderator, post_id)
    return await state.store.act(post_id, "spotlight", _actor(moderator), seconds=seconds)


_action_route("reject", "Reject a pending post (or an edit, which takes the post off the walls)")
_action_route("retract", "Pull an approved post back from every wall")
_action_route("pin", "Keep an approved post on the walls")
_action_route("unpin", "End the pinning of a post")
_action_route("hold", "Put a pending post aside, out of the queue")
_action_route("unhold", "Put a held post back into the queue")
_action_route("undo", "Undo your last action on this post, within 10 seconds")


class BulkIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=200)
    action: str = Field(pattern="^(approve|reject)$")


@router.post("/bulk", response_model=BulkOut, summary="Approve or reject several posts")
async def bulk(body: BulkIn, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
    """Every post is tried on its own; the answer says how each went."""
    results: list[dict[str, Any]] = []
    for post_id in dict.fromkeys(body.ids):
        try:
            await require_post_access(state.sessions, moderator, post_id)
            post = await state.store.act(post_id, body.action, _actor(moderator))
            results.append({"id": post_id, "ok": True, "post": post})
        except HTTPException as exc:
            results.append({"id": post_id, "ok": False, "status": exc.status_code,
                            "detail": exc.detail})
        except PostNotFound:
            results.append({"id": post_id, "ok": False, "status": 404,
                            "detail": f"no post {post_id}"})
        except Conflict as exc:
            results.append({"id": post_id, "ok": False, "status": 409, "detail": str(exc),
                            "code": exc.code, "post_status": exc.status, "by": exc.by})
    return {"results": results}


def _actor(moderator: Any) -> Actor:
    return Actor(name=moderator.name, user_id=moderator.user_id)
