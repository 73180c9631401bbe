"""The moderation API: list the queue, approve, reject, retract, pin, unpin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status

from app.deps import ModeratorDep, StateDep
from app.posts import Actor
from app.queue import UnknownEvent, list_posts
from app.schemas import ConflictOut, ErrorOut, PostOut, PostPage, PostStatus

router = APIRouter(prefix="/api/posts", tags=["moderation"])

PostId = Annotated[int, Path(ge=1, description="The post's id")]


@router.get("", response_model=PostPage)
async def get_posts(
    state: StateDep,
    moderator: ModeratorDep,
    status: PostStatus = "pending",
    event: Annotated[str | None, Query(description="An event's slug")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of the page before")]
    = None,
) -> dict[str, Any]:
    """Posts in one state: pending oldest first (the queue), the others newest first."""
    try:
        items, next_cursor = await list_posts(state.sessions, status=status, event_slug=event,
                                              limit=limit, cursor=cursor)
    except UnknownEvent:
        raise HTTPException(404, f"no event {event!r}") from None
    return {"items": items, "next_cursor": next_cursor}


_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "No such post"},
    status.HTTP_409_CONFLICT: {"model": ConflictOut,
                               "description": "The post is not in a state this action applies "
                                              "to, e.g. another moderator acted first"},
}


def _action_route(action: str, summary: str) -> None:
    async def act(post_id: PostId, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
        return await state.store.act(post_id, action,
                                     Actor(name=moderator.name, user_id=moderator.user_id))

    act.__name__ = f"{action}_post"
    router.add_api_route(f"/{{post_id}}/{action}", act, methods=["POST"], response_model=PostOut,
                         summary=summary, responses=_ERRORS)


_action_route("approve", "Approve a pending post and show it on the event's walls")
_action_route("reject", "Reject a pending post")
_action_route("retract", "Pull an approved post back from every wall")
_action_route("pin", "Keep an approved post on the walls")
_action_route("unpin", "End the pinning of a post")
