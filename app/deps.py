"""FastAPI dependencies: the app state, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from app import auth
from app.state import AppState

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


async def get_state(request: Request) -> AppState:
    # async, although it awaits nothing: FastAPI runs a plain function in a worker thread,
    # a hand-over between threads on every request.
    state: AppState = request.state.sw
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def optional_principal(request: Request, state: StateDep) -> auth.Principal | None:
    """The caller by bearer token or session cookie, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return await auth.from_bearer(state.sessions, credentials.strip())
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        return await auth.from_session(state.sessions, cookie)
    return None


async def require_moderator(
    request: Request, principal: Annotated[auth.Principal | None, Depends(optional_principal)]
) -> auth.Principal:
    """A signed-in moderator or organizer; with a cookie, state changes need the CSRF token."""
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in, or send a bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    if principal.role not in ("organizer", "moderator"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a display account may only view walls")
    if (principal.via == "session" and request.method not in SAFE_METHODS
            and not auth.csrf_matches(principal, request.headers.get(CSRF_HEADER))):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"missing or wrong {CSRF_HEADER} header for a cookie session")
    return principal


ModeratorDep = Annotated[auth.Principal, Depends(require_moderator)]
PrincipalDep = Annotated[auth.Principal | None, Depends(optional_principal)]
