"""app/routes/pages.py: the pages exist, send a strict CSP, and keep moderation behind sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.security import CONTENT_SECURITY_POLICY
from tests.factories import Server, make_settings, running


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    async with running(make_settings(database_url)) as srv:
        yield srv


@pytest.mark.parametrize("path", ["/", "/wall/main", "/login", "/wall/nowhere"])
async def test_pages_send_a_strict_content_security_policy(server: Server, path: str) -> None:
    async with server.client() as browser:
        response = await browser.get(path)
    assert response.status_code == (404 if path == "/wall/nowhere" else 200)
    csp = response.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_wall_page_points_at_its_socket_and_theme(server: Server) -> None:
    async with server.client() as browser:
        page = (await browser.get("/wall/main")).text
        theme = await browser.get("/wall/main/theme.css")
    assert "/ws/wall/main" in page and "/wall/main/theme.css" in page
    assert theme.headers["content-type"].startswith("text/css")
    assert "--wall-bg: #0b1020;" in theme.text and "--wall-accent: #ff6b3d;" in theme.text


async def test_moderation_page_needs_sign_in(server: Server) -> None:
    async with server.client() as browser:
        response = await browser.get("/moderate")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/moderate"


async def test_login_does_not_redirect_off_site(server: Server) -> None:
    from app import auth

    await auth.add_user(server.sessions, "mia", "moderator", "correct horse battery")
    async with server.client() as browser:
        response = await browser.post("/login", data={"username": "mia",
                                                      "password": "correct horse battery",
                                                      "next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize(("accept", "expected"), [
    ("de-DE,de;q=0.9,en;q=0.8", "Anmelden"), ("en-GB,en;q=0.9", "Sign in"),
    ("fr-FR,en;q=0.5", "Sign in"), ("", "Anmelden")])
async def test_language_follows_the_browser(server: Server, accept: str, expected: str) -> None:
    async with server.client() as browser:
        page = await browser.get("/login", headers={"accept-language": accept})
    assert f"<h1>{expected}</h1>" in page.text


async def test_healthz(server: Server) -> None:
    async with server.client() as anonymous:
        response = await anonymous.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["walls_connected"] == 0
