"""The files a wall shows besides posts, served by the app itself (a venue network may have no
internet): the organizer's logo, background and custom CSS, and the QR code, drawn here."""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path

import segno
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from app.deps import StateDep
from app.walls import WallInfo, find_wall

router = APIRouter(tags=["walls"], include_in_schema=False)

# Assets change only with the wall's settings, whose version is in the URL.
_CACHE = {"cache-control": "public, max-age=86400"}


async def _wall(state: StateDep, slug: str) -> WallInfo:
    wall = await find_wall(state.sessions, slug)
    if wall is None:
        raise HTTPException(404)
    return wall


def _file(wall: WallInfo, option: str) -> Response:
    stored = wall.options.get(option)
    if not stored or not Path(stored).is_file():
        raise HTTPException(404)
    path = Path(stored)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {**_CACHE, "x-content-type-options": "nosniff"}
    if path.suffix.lower() == ".svg":
        # An SVG is a document: it must not run scripts even when opened on its own.
        headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return FileResponse(path, media_type=media_type, headers=headers)


@router.get("/wall/{slug}/logo")
async def logo(slug: str, state: StateDep) -> Response:
    return _file(await _wall(state, slug), "logo")


@router.get("/wall/{slug}/background")
async def background(slug: str, state: StateDep) -> Response:
    return _file(await _wall(state, slug), "background_image")


@router.get("/wall/{slug}/custom.css")
async def custom_css(slug: str, state: StateDep) -> Response:
    return _file(await _wall(state, slug), "custom_css")


@router.get("/wall/{slug}/qr.svg")
async def qr_code(slug: str, state: StateDep) -> Response:
    wall = await _wall(state, slug)
    qr = wall.options.get("qr")
    if not qr:
        raise HTTPException(404)
    out = io.BytesIO()
    segno.make(qr["url"], error="m").save(out, kind="svg", scale=10, border=2, dark="#000000",
                                          light="#ffffff", xmldecl=False)
    return Response(out.getvalue(), media_type="image/svg+xml", headers=_CACHE)
