"""Signing in and out: rate limits, cross-site sign-in refused, sockets closed on sign-out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import websockets

from app import auth
from tests.factories import Server, make_settings, running

PASSWORD = "correct horse battery"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Server]:
    async with running(make_settings(database_url)) as srv:
        await auth.add_user(srv.sessions, "mia", "moderator", PASSWORD)
        yield srv


async def test_guessing_a_password_runs_into_a_limit(server: Server) -> None:
    async with server.client() as browser:
        for _ in range(10):
            wrong = await browser.post("/login", data={"username": "mia", "password": "guess"})
            assert wrong.status_code == 401
        # Even the right password waits now: the account is being guessed at.
        limited = await browser.post("/login", data={"username": "MIA", "password": PASSWORD})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 300
    assert "set-cookie" not in limited.headers


async def test_a_sign_in_from_another_site_is_refused(server: Server) -> None:
    async with server.client() as browser:
        forged = await browser.post("/login", headers={"origin": "https://evil.example"},
                                    data={"username": "mia", "password": PASSWORD})
        same = await browser.post("/login", headers={"origin": server.base_url},
                                  data={"username": "mia", "password": PASSWORD})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    assert same.status_code == 303


async def test_signing_out_closes_the_desk_sockets(server: Server) -> None:
    async with server.client() as browser:
        await browser.post("/login", data={"username": "mia", "password": PASSWORD})
        cookie = browser.cookies[auth.SESSION_COOKIE]
        headers = {"cookie": f"{auth.SESSION_COOKIE}={cookie}", "origin": server.base_url}
        async with websockets.connect(f"{server.ws_url}/ws/moderate/ev",
                                      additional_headers=headers) as desk:
            assert json.loads(await desk.recv())["type"] == "ready"
            await browser.post("/logout")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await desk.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        # And the session is gone: the desk cannot reconnect with it.
        async with websockets.connect(f"{server.ws_url}/ws/moderate/ev",
                                      additional_headers=headers) as again:
            with pytest.raises(websockets.ConnectionClosed) as refused:
                await again.recv()
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401


async def test_the_desk_socket_refuses_other_origins(server: Server) -> None:
    async with server.client() as browser:
        await browser.post("/login", data={"username": "mia", "password": PASSWORD})
        cookie = browser.cookies[auth.SESSION_COOKIE]
    headers = {"cookie": f"{auth.SESSION_COOKIE}={cookie}", "origin": "https://evil.example"}
    async with websockets.connect(f"{server.ws_url}/ws/moderate/ev",
                                  additional_headers=headers) as desk:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await desk.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
