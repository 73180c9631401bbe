"""The audit log: every moderation action, who, what, when, from which state (organizers)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, select

from app.access import require_organizer
from app.deps import ModeratorDep, StateDep
from app.models import Event, ModerationAction
from app.payloads import iso
from app.schemas import AuditPage

router = APIRouter(prefix="/api", tags=["audit"])

_COLUMNS = ("id", "at", "actor", "action", "post_id", "from_status", "to_status")


def _row(action: ModerationAction) -> dict[str, Any]:
    return {"id": action.id, "at": iso(action.at), "actor": action.actor,
            "action": action.action, "post_id": action.post_id,
            "from_status": action.from_status, "to_status": action.to_status}


async def _query(state: Any, event: str | None) -> Select[Any]:
    query = select(ModerationAction)
    if event is not None:
        async with state.sessions() as session:
            event_id = await session.scalar(select(Event.id).where(Event.slug == event))
        if event_id is None:
            raise HTTPException(404, f"no event {event!r}")
        query = query.where(ModerationAction.event_id == event_id)
    return query


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    state: StateDep, principal: ModeratorDep,
    event: Annotated[str | None, Query(description="An event's slug")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """The newest actions first."""
    require_organizer(principal)
    query = (await _query(state, event)).order_by(ModerationAction.id.desc()).limit(limit + 1)
    if cursor is not None:
        query = query.where(ModerationAction.id < cursor)
    async with state.sessions() as session:
        actions = list(await session.scalars(query))
    more = len(actions) > limit
    actions = actions[:limit]
    return {"items": [_row(a) for a in actions],
            "next_cursor": actions[-1].id if more else None}


@router.get("/audit.csv", response_class=StreamingResponse)
async def audit_csv(
    state: StateDep, principal: ModeratorDep,
    event: Annotated[str | None, Query(description="An event's slug")] = None,
) -> StreamingResponse:
    """The whole log as CSV, oldest first, streamed in pages."""
    require_organizer(principal)
    query = (await _query(state, event)).order_by(ModerationAction.id)

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_COLUMNS)
        writer.writeheader()
        after = 0
        while True:
            async with state.sessions() as session:
                page = list(await session.scalars(
                    query.where(ModerationAction.id > after).limit(500)))
            for action in page:
                writer.writerow(_row(action))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(page) < 500:
                return
            after = page[-1].id

    name = f"audit-{event or 'all'}.csv"
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{name}"'})
