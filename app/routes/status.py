"""Liveness and the state of the sources."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import version
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import ModeratorDep, StateDep
from app.schemas import HealthOut, SourceHealthOut

router = APIRouter()


@router.get("/healthz", response_model=HealthOut, tags=["status"],
            responses={503: {"model": HealthOut, "description": "The database is unreachable"}})
async def healthz(state: StateDep) -> Any:
    """Whether the app and its database answer; counts of sources by state and of walls."""
    try:
        async with state.sessions() as session:
            await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "version": version("socialwall"),
        "sources": dict(Counter(s["state"] for s in state.runner.health())),
        "walls_connected": state.feeds.connections(),
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


@router.get("/api/sources", response_model=list[SourceHealthOut], tags=["status"])
async def sources(state: StateDep, moderator: ModeratorDep) -> list[dict[str, Any]]:
    """Every running source: state, last success, last error in words, next attempt, posts."""
    return state.runner.health()
