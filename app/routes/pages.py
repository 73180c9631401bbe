"""The HTML pages: start page, walls (and their theme), the moderator page, sign-in."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from app import auth
from app.access import moderated_events
from app.config import ThemeConfig
from app.deps import PrincipalDep, StateDep
from app.i18n import TEXTS, pick_language
from app.models import Event, Wall
from app.walls import find_wall, wall_token_valid

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE = "socialwall_lang"
_THEME_PROPERTIES = {
    "background": "--wall-bg", "foreground": "--wall-fg", "muted": "--wall-muted",
    "accent": "--wall-accent", "card_background": "--wall-card-bg",
    "card_foreground": "--wall-card-fg", "font": "--wall-font",
}


def _page(request: Request, state: Any, template: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    lang = pick_language(request.headers.get("accept-language"),
                         request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))
    response = state.templates.TemplateResponse(
        request, template, {"lang": lang, "t": TEXTS[lang], "static_url": "/static/", **context},
        status_code=status_code)
    response.headers["cache-control"] = "no-store"
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response  # type: ignore[no-any-return]


@router.get("/")
async def index(request: Request, state: StateDep) -> HTMLResponse:
    async with state.sessions() as session:
        rows = (await session.execute(
            select(Event, Wall).join(Wall).order_by(Event.id, Wall.id))).all()
    events: dict[str, dict[str, Any]] = {}
    for event, wall in rows:
        entry = events.setdefault(event.slug, {"name": event.name, "hashtags": event.hashtags,
                                               "walls": []})
        entry["walls"].append({"slug": wall.slug, "title": wall.title or event.name})
    return _page(request, state, "index.html", events=list(events.values()))


@router.get("/wall/{slug}")
async def wall_page(slug: str, request: Request, state: StateDep) -> HTMLResponse:
    wall = await find_wall(state.sessions, slug)
    if wall is None:
        return _page(request, state, "not_found.html", status_code=404)
    ws_path = f"/ws/wall/{wall.slug}"
    if wall.access == "token":
        token = request.query_params.get("token", "")
        if not await wall_token_valid(state.sessions, token):
            lang = pick_language(request.headers.get("accept-language"))
            return _page(request, state, "not_found.html", status_code=401,
                         message=TEXTS[lang]["wall_needs_token"])
        ws_path += "?" + urlencode({"token": token})
    return _page(request, state, "wall.html", wall=wall, ws_path=ws_path)


@router.get("/wall/{slug}/theme.css")
async def wall_theme(slug: str, state: StateDep) -> Response:
    wall = await find_wall(state.sessions, slug)
    if wall is None:
        raise HTTPException(404)
    try:
        theme = ThemeConfig.model_validate(wall.theme)
    except ValidationError:
        theme = ThemeConfig()  # stored values are checked again: CSS is no place for surprises
    declarations = "".join(f"  {prop}: {getattr(theme, key)};\n"
                           for key, prop in _THEME_PROPERTIES.items())
    return Response(f":root {{\n{declarations}}}\n", media_type="text/css",
                    headers={"cache-control": "no-cache"})


@router.get("/moderate")
async def moderate_page(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    if principal is None:
        return RedirectResponse("/login?next=/moderate", status_code=303)
    if principal.role not in ("organizer", "moderator"):
        return RedirectResponse("/login?next=/moderate", status_code=303)
    allowed = await moderated_events(state.sessions, principal)
    query = select(Event).order_by(Event.id)
    if allowed is not None:
        query = query.where(Event.id.in_(allowed))
    async with state.sessions() as session:
        events = [{"slug": e.slug, "name": e.name} for e in await session.scalars(query)]
    return _page(request, state, "moderate.html", user=principal, events=events)


@router.get("/login")
async def login_page(request: Request, state: StateDep, next: str = "/moderate") -> HTMLResponse:
    return _page(request, state, "login.html", next=_local(next), error=None)


@router.post("/login")
async def login(
    request: Request, state: StateDep, username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form()] = "/moderate",
) -> Response:
    if not _same_origin(request):
        # A form on another site must not sign a browser in (login CSRF).
        raise HTTPException(403, "cross-site sign-in refused")
    address = request.client.host if request.client else "unknown"
    wait = state.login_limits.attempt(address, username)
    if wait is not None:
        refused = _page(request, state, "login.html", status_code=429, next=_local(next),
                        error="too_many", username=username)
        refused.headers["retry-after"] = str(int(wait))
        return refused
    result = await auth.log_in(state.sessions, username, password)
    if result is None:
        return _page(request, state, "login.html", status_code=401, next=_local(next),
                     error="bad_login", username=username)
    token, _ = result
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token,
                        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=state.settings.server.https)
    return response


@router.post("/logout")
async def logout(request: Request, state: StateDep) -> Response:
    if not _same_origin(request):
        raise HTTPException(403, "cross-site sign-out refused")
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        principal = await auth.from_session(state.sessions, token)
        await auth.log_out(state.sessions, token)
        if principal is not None:
            # Signed out means signed out everywhere on this server: open desks lose their feed.
            await state.user_sockets.close_all(principal.user_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


def _same_origin(request: Request) -> bool:
    """A cookie-changing form post must come from this site (browsers send Origin with it)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def _local(target: str) -> str:
    """Only paths on this site are followed after sign-in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"
