"""Events for the desk: which ones the caller moderates, and pausing their walls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import moderated_event, moderated_events
from app.deps import ModeratorDep, StateDep
from app.models import Event
from app.schemas import ErrorOut, EventOut

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get("", response_model=list[EventOut])
async def list_events(state: StateDep, moderator: ModeratorDep) -> list[dict[str, Any]]:
    """The events the caller may moderate."""
    allowed = await moderated_events(state.sessions, moderator)
    async with state.sessions() as session:
        query = select(Event).options(selectinload(Event.walls)).order_by(Event.id)
        if allowed is not None:
            query = query.where(Event.id.in_(allowed))
        events = list(await session.scalars(query))
    return [{"slug": e.slug, "name": e.name, "hashtags": list(e.hashtags),
             "moderation": e.moderation, "paused": e.paused,
             "walls": [{"slug": w.slug, "title": w.title or e.name} for w in e.walls]}
            for e in events]


async def _pause(slug: str, paused: bool, state: Any, moderator: Any) -> dict[str, Any]:
    event_id = await moderated_event(state.sessions, moderator, slug)
    result: dict[str, Any] = await state.store.set_paused(event_id, paused)
    return result


@router.post("/{slug}/pause", responses={404: {"model": ErrorOut}},
             summary="Freeze every wall of the event: approvals wait, retractions still apply")
async def pause(slug: str, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
    return await _pause(slug, True, state, moderator)


@router.post("/{slug}/resume", responses={404: {"model": ErrorOut}},
             summary="Release the walls: what was approved meanwhile appears, in order")
async def resume(slug: str, state: StateDep, moderator: ModeratorDep) -> dict[str, Any]:
    return await _pause(slug, False, state, moderator)
