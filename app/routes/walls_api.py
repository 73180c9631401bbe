"""Walls while they run: their settings (organizers change layout, pace, colours, QR code live)
and the event's announcement (moderators put a message on every screen)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from app.access import moderated_event, moderated_events, require_organizer
from app.deps import ModeratorDep, StateDep
from app.displays import Announcement, WallNotFound, WallUpdate
from app.models import Event, Wall
from app.schemas import ErrorOut
from app.walls import wall_info

router = APIRouter(prefix="/api", tags=["walls"])


@router.get("/walls", summary="The walls of the events the caller moderates, with settings")
async def list_walls(state: StateDep, moderator: ModeratorDep) -> list[dict[str, Any]]:
    allowed = await moderated_events(state.sessions, moderator)
    query = select(Wall, Event).join(Event).order_by(Event.id, Wall.id)
    if allowed is not None:
        query = query.where(Event.id.in_(allowed))
    async with state.sessions() as session:
        rows = (await session.execute(query)).all()
    return [{**wall_info(wall, event).settings(), "theme": dict(wall.theme)}
            for wall, event in rows]


@router.patch("/walls/{slug}", responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
              summary="Change a running wall (organizers): its screens follow at once")
async def update_wall(slug: str, update: WallUpdate, state: StateDep,
                      moderator: ModeratorDep) -> dict[str, Any]:
    require_organizer(moderator)
    try:
        info = await state.displays.update_wall(slug, update)
    except WallNotFound:
        raise HTTPException(404, f"no wall {slug!r}") from None
    return {**info.settings(), "theme": info.theme}


@router.put("/events/{slug}/announcement",
            responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
            summary="Show a message on every wall of the event (for `seconds`, or until removed)")
async def announce(slug: str, announcement: Announcement, state: StateDep,
                   moderator: ModeratorDep) -> dict[str, Any]:
    event_id = await moderated_event(state.sessions, moderator, slug)
    return {"announcement": await state.displays.announce(event_id, announcement)}


@router.delete("/events/{slug}/announcement",
               responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
               summary="Take the announcement off the walls")
async def take_down(slug: str, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
    event_id = await moderated_event(state.sessions, moderator, slug)
    return {"announcement": await state.displays.announce(event_id, None)}
