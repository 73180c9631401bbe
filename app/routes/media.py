"""Cached media (`/media/{key}`): remote images and videos served from the app itself."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from app.deps import StateDep

router = APIRouter(include_in_schema=False)
_KEY = re.compile(r"[0-9a-f]{40}")


@router.get("/media/{key}")
async def media(key: str, state: StateDep) -> FileResponse:
    if not _KEY.fullmatch(key):
        raise HTTPException(404, "no such media")
    cached = await state.media.get(key)
    if cached is None:
        raise HTTPException(404, "this media could not be fetched")
    # A key names one remote URL's content for good: browsers may keep it.
    return FileResponse(cached.path, media_type=cached.content_type,
                        headers={"cache-control": "public, max-age=31536000, immutable"})
