"""app/routes/posts.py: the moderation API over HTTP, with its authentication and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app import auth
from tests.factories import (
    Server,
    demo_source,
    make_settings,
    running,
    wait_for,
    write_demo_posts,
)

ACTIONS = ("approve", "reject", "retract", "pin", "unpin")


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    posts_file = write_demo_posts(tmp_path / "posts.json", 5)
    async with running(make_settings(database_url, sources=[demo_source(posts_file)])) as srv:
        yield srv


async def _pending_ids(api: httpx.AsyncClient, count: int) -> list[int]:
    async def ready() -> list[int]:
        items = (await api.get("/api/posts", params={"status": "pending"})).json()["items"]
        return [p["id"] for p in items] if len(items) >= count else []

    ids: list[int] = await wait_for(ready, what=f"{count} pending posts")
    return ids


async def test_unauthenticated_calls_are_refused(server: Server) -> None:
    async with server.client() as anonymous:
        listing = await anonymous.get("/api/posts")
        assert listing.status_code == 401
        assert listing.headers["www-authenticate"] == "Bearer"
        for action in ACTIONS:
            response = await anonymous.post(f"/api/posts/1/{action}")
            assert response.status_code == 401, action
        assert (await anonymous.get("/api/sources")).status_code == 401
    async with server.client("sw_not-a-real-token") as forged:
        assert (await forged.get("/api/posts")).status_code == 401
        assert (await forged.post("/api/posts/1/approve")).status_code == 401


async def test_revoked_token_is_refused(server: Server) -> None:
    token = await server.token("script")
    async with server.client(token) as api:
        assert (await api.get("/api/posts")).status_code == 200
        assert await auth.revoke_tokens(server.sessions, "script") == 1
        assert (await api.get("/api/posts")).status_code == 401


async def test_paging_through_the_queue(server: Server) -> None:
    async with server.client(await server.token()) as api:
        await _pending_ids(api, 5)
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, str | int] = {"status": "pending", "limit": 2, "event": "ev"}
            if cursor is not None:
                params["cursor"] = cursor
            page = (await api.get("/api/posts", params=params)).json()
            seen += [p["id"] for p in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == sorted(seen) and len(set(seen)) == 5


async def test_decided_posts_are_listed_newest_first(server: Server) -> None:
    async with server.client(await server.token()) as api:
        ids = await _pending_ids(api, 5)
        for post_id in ids[:3]:
            assert (await api.post(f"/api/posts/{post_id}/approve")).status_code == 200
        approved = (await api.get("/api/posts", params={"status": "approved"})).json()["items"]
        assert [p["id"] for p in approved] == list(reversed(ids[:3]))


async def test_conflicts_and_unknown_posts(server: Server) -> None:
    async with server.client(await server.token("alice")) as alice, \
            server.client(await server.token("bob")) as bob:
        post_id = (await _pending_ids(alice, 1))[0]
        assert (await alice.post(f"/api/posts/{post_id}/approve")).status_code == 200
        late = await bob.post(f"/api/posts/{post_id}/reject")
        assert late.status_code == 409
        assert late.json() == {"detail": "cannot reject: already approved by alice",
                               "code": "decided", "status": "approved", "by": "alice"}
        missing = await bob.post("/api/posts/987654/approve")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "no post 987654"


@pytest.mark.parametrize(("method", "url", "field"), [
    ("GET", "/api/posts?status=maybe", "status"),
    ("GET", "/api/posts?limit=0", "limit"),
    ("GET", "/api/posts?limit=lots", "limit"),
    ("GET", "/api/posts?cursor=-1", "cursor"),
    ("POST", "/api/posts/abc/approve", "post_id"),
    ("POST", "/api/posts/0/approve", "post_id"),
])
async def test_malformed_requests_get_a_reason(server: Server, method: str, url: str,
                                               field: str) -> None:
    async with server.client(await server.token()) as api:
        response = await api.request(method, url)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


async def test_unknown_event_filter(server: Server) -> None:
    async with server.client(await server.token()) as api:
        response = await api.get("/api/posts", params={"event": "nope"})
    assert response.status_code == 404
    assert response.json()["detail"] == "no event 'nope'"


async def test_cookie_session_needs_the_csrf_token(server: Server) -> None:
    await auth.add_user(server.sessions, "mia", "moderator", "correct horse battery")
    async with server.client() as browser:
        login = await browser.post("/login", data={"username": "mia",
                                                   "password": "correct horse battery",
                                                   "next": "/moderate"})
        assert login.status_code == 303 and login.headers["location"] == "/moderate"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        page = await browser.get("/moderate")
        assert page.status_code == 200
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        post_id = (await _pending_ids(browser, 1))[0]
        refused = await browser.post(f"/api/posts/{post_id}/approve")
        assert refused.status_code == 403
        wrong = await browser.post(f"/api/posts/{post_id}/approve",
                                   headers={"x-csrf-token": "guess"})
        assert wrong.status_code == 403
        ok = await browser.post(f"/api/posts/{post_id}/approve", headers={"x-csrf-token": csrf})
        assert ok.status_code == 200 and ok.json()["decided_by"] == "mia"


async def test_wrong_password_is_refused(server: Server) -> None:
    await auth.add_user(server.sessions, "mia", "moderator", "correct horse battery")
    async with server.client() as browser:
        for name, password in (("mia", "wrong password"), ("nobody", "correct horse battery")):
            response = await browser.post("/login", data={"username": name, "password": password})
            assert response.status_code == 401
            assert "set-cookie" not in response.headers
        assert (await browser.get("/api/posts")).status_code == 401


async def test_openapi_documents_the_moderation_api(server: Server) -> None:
    async with server.client() as anonymous:
        spec = (await anonymous.get("/api/openapi.json")).json()
    paths = spec["paths"]
    assert "get" in paths["/api/posts"]
    for action in ACTIONS:
        operation = paths[f"/api/posts/{{post_id}}/{action}"]["post"]
        assert {"200", "404", "409", "422"} <= set(operation["responses"])
