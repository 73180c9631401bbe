"""The desk's API (docs/moderation.md): filters and counts, approve-and-pin, hold, spotlight,
undo, bulk, pausing walls, event assignments and the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app import auth, post_actions
from app.db import writing
from app.models import Event, User, UserEvent
from tests.factories import Server, demo_source, make_settings, running, wait_for
from tests.wsclient import WallClient

ENTRIES = [
    {"id": "a", "author": {"name": "Anna Weiß", "handle": "@anna"}, "lang": "de",
     "text": "Montage in Halle 3 #Werkstolz", "media": [{"file": "halle-montage.jpg"}]},
    {"id": "b", "author": {"name": "Ben", "handle": "@ben"}, "lang": "en",
     "text": "Customers first #KundenZuFans"},
    {"id": "c", "author": {"name": "Cem", "handle": "@cem"}, "lang": "de",
     "text": "Kaffee! #Werkstolz #KundenZuFans"},
    {"id": "d", "author": {"name": "Dana", "handle": "@dana"}, "lang": "en",
     "text": "Great keynote #Werkstolz"},
]


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    posts_file = tmp_path / "posts.json"
    posts_file.write_text(json.dumps(ENTRIES), encoding="utf-8")
    settings = make_settings(database_url, sources=[demo_source(posts_file)])
    async with running(settings) as srv:
        yield srv


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with server.client(await server.token("mia")) as client:
        yield client


async def _ids(api: httpx.AsyncClient) -> dict[str, int]:
    async def full() -> dict[str, int]:
        items = (await api.get("/api/posts")).json()["items"]
        return {p["author"]["handle"][1:]: p["id"] for p in items} if len(items) == 4 else {}

    ids: dict[str, int] = await wait_for(full, what="the four posts")
    return ids


async def _act(api: httpx.AsyncClient, post_id: int, action: str, **params: object
               ) -> httpx.Response:
    return await api.post(f"/api/posts/{post_id}/{action}", params=params)


async def _listed(api: httpx.AsyncClient, **params: object) -> list[str]:
    page = (await api.get("/api/posts", params=params)).json()
    return [p["author"]["handle"][1:] for p in page["items"]]


async def test_filters_and_counts(api: httpx.AsyncClient) -> None:
    await _ids(api)
    assert await _listed(api, hashtag="kundenzufans") == ["ben", "cem"]
    assert await _listed(api, hashtag="#Werkstolz") == ["anna", "cem", "dana"]
    assert await _listed(api, hashtag="Werk") == []  # whole hashtags only
    assert await _listed(api, media="true") == ["anna"]
    assert await _listed(api, q="KEYNOTE") == ["dana"]
    assert await _listed(api, q="weiß") == ["anna"]  # the author's name counts too
    assert await _listed(api, source="demo") == ["anna", "ben", "cem", "dana"]
    assert await _listed(api, source="nope") == []
    assert await _listed(api, q="50%_") == []  # LIKE wildcards are plain text here
    page = (await api.get("/api/posts", params={"event": "ev"})).json()
    assert page["counts"] == {"pending": 4, "held": 0}


async def test_hold_and_unhold(api: httpx.AsyncClient) -> None:
    ids = await _ids(api)
    held = await _act(api, ids["ben"], "hold")
    assert held.status_code == 200 and held.json()["held"] is True
    assert await _listed(api) == ["anna", "cem", "dana"]
    assert await _listed(api, held="true") == ["ben"]
    page = (await api.get("/api/posts")).json()
    assert page["counts"] == {"pending": 3, "held": 1}
    again = await _act(api, ids["ben"], "hold")
    assert again.status_code == 409 and again.json()["detail"] == "cannot hold: already held by mia"
    assert (again.json()["code"], again.json()["by"]) == ("held", "mia")
    assert (await _act(api, ids["ben"], "unhold")).json()["held"] is False
    assert await _listed(api) == ["anna", "ben", "cem", "dana"]
    # Approving a held post takes it out of "held" as well.
    await _act(api, ids["ben"], "hold")
    assert (await _act(api, ids["ben"], "approve")).json()["held"] is False


async def test_approve_and_pin_in_one_step_and_spotlight(server: Server,
                                                        api: httpx.AsyncClient) -> None:
    ids = await _ids(api)
    wall = await WallClient.connect(server.ws_url)
    await wall.until("snapshot")
    approved = await _act(api, ids["anna"], "approve", pin="true")
    assert approved.json()["pinned"] is True and approved.json()["status"] == "approved"
    frame = await wall.next()
    assert (frame["seq"], frame["kind"], frame["post"]["pinned"]) == (1, "approved", True)
    spot = await _act(api, ids["anna"], "spotlight", seconds=30)
    assert spot.status_code == 200
    frame = await wall.next()
    assert (frame["seq"], frame["kind"], frame["seconds"]) == (2, "spotlight", 30)
    assert frame["post"]["id"] == ids["anna"]
    pending = await _act(api, ids["ben"], "spotlight")
    assert pending.status_code == 409
    assert (await _act(api, ids["anna"], "spotlight", seconds=1)).status_code == 422
    await wall.close()


async def test_undo_within_ten_seconds(server: Server, api: httpx.AsyncClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await _ids(api)
    wall = await WallClient.connect(server.ws_url)
    await wall.until("snapshot")
    await _act(api, ids["anna"], "approve")
    assert (await wall.next())["kind"] == "approved"
    undone = await _act(api, ids["anna"], "undo")
    assert undone.status_code == 200
    assert (undone.json()["status"], undone.json()["decided_by"]) == ("pending", None)
    frame = await wall.next()
    assert (frame["kind"], frame["post_id"]) == ("retracted", ids["anna"])
    nothing = await _act(api, ids["anna"], "undo")
    assert nothing.status_code == 409 and "no action on this post" in nothing.json()["detail"]
    assert nothing.json()["code"] == "undo_none"

    await _act(api, ids["ben"], "reject")
    async with server.client(await server.token("ole")) as other:
        foreign = await _act(other, ids["ben"], "undo")
    assert foreign.status_code == 409  # someone else's action is not yours to undo
    assert (foreign.json()["code"], foreign.json()["by"]) == ("undo_none", "mia")
    monkeypatch.setattr(post_actions, "UNDO_WINDOW", post_actions.UNDO_WINDOW * 0)
    late = await _act(api, ids["ben"], "undo")
    assert late.status_code == 409 and "more than 10 s" in late.json()["detail"]
    assert late.json()["code"] == "undo_expired"
    await wall.close()


async def test_bulk_reports_each_post(api: httpx.AsyncClient) -> None:
    ids = await _ids(api)
    await _act(api, ids["cem"], "reject")
    response = await api.post("/api/posts/bulk", json={
        "ids": [ids["anna"], ids["cem"], ids["dana"], 999999], "action": "approve"})
    results = {r["id"]: r for r in response.json()["results"]}
    assert results[ids["anna"]]["ok"] and results[ids["dana"]]["ok"]
    assert results[ids["cem"]] == {"id": ids["cem"], "ok": False, "post": None, "status": 409,
                                   "detail": "cannot approve: already rejected by mia",
                                   "code": "decided", "post_status": "rejected", "by": "mia"}
    assert results[999999]["status"] == 404
    bad = await api.post("/api/posts/bulk", json={"ids": [], "action": "explode"})
    assert bad.status_code == 422


async def test_pausing_freezes_the_walls_until_released(server: Server,
                                                       api: httpx.AsyncClient) -> None:
    ids = await _ids(api)
    await _act(api, ids["anna"], "approve")
    paused = await api.post("/api/events/ev/pause")
    assert paused.json()["paused"] is True
    assert (await api.get("/api/events")).json()[0]["paused"] is True
    wall = await WallClient.connect(server.ws_url)
    snapshot = await wall.until("snapshot")
    await _act(api, ids["ben"], "approve")
    await _act(api, ids["cem"], "approve")
    refused = await _act(api, ids["anna"], "spotlight")
    assert (refused.status_code, refused.json()["code"]) == (409, "paused")
    # Retractions do not wait.
    await _act(api, ids["anna"], "retract")
    frame = await wall.next()
    assert (frame["kind"], frame["post_id"], frame["seq"]) == ("retracted", ids["anna"], 2)
    # A wall connecting now sees what walls showed, not what waits.
    late = await WallClient.connect(server.ws_url)
    assert (await late.until("snapshot"))["posts"] == []
    assert [p["id"] for p in snapshot["posts"]] == [ids["anna"]]

    await api.post("/api/events/ev/resume")
    released = [await wall.next(), await wall.next()]
    assert [(f["kind"], f["post"]["id"], f["seq"]) for f in released] == [
        ("approved", ids["ben"], 3), ("approved", ids["cem"], 4)]
    for client in (wall, late):
        await client.close()


async def test_moderators_see_only_their_events(server: Server) -> None:
    token = await server.token("kai")
    async with writing(server.sessions) as session:
        other = Event(slug="other", name="Other", hashtags=[], rules={}, last_seq=0)
        session.add(other)
        await session.flush()
        kai = await session.scalar(select(User.id).where(User.name == "kai"))
        session.add(UserEvent(user_id=kai, event_id=other.id))
    async with server.client(token) as kai_api, server.client(await server.token()) as mod:
        ids = await _ids(mod)
        assert [e["slug"] for e in (await kai_api.get("/api/events")).json()] == ["other"]
        assert (await kai_api.get("/api/posts")).json()["items"] == []
        refused = await kai_api.get("/api/posts", params={"event": "ev"})
        assert refused.status_code == 403
        acting = await _act(kai_api, ids["anna"], "approve")
        assert acting.status_code == 403
        assert (await kai_api.post("/api/events/ev/pause")).status_code == 403
        desk = (await kai_api.get("/moderate")).text
        assert '"other"' in desk and '"ev"' not in desk
        async with writing(server.sessions) as session:  # now assigned to "ev" as well
            ev = await session.scalar(select(Event.id).where(Event.slug == "ev"))
            session.add(UserEvent(user_id=kai, event_id=ev))
        assert (await _act(kai_api, ids["anna"], "approve")).status_code == 200
        assert (await _act(kai_api, 10_000, "approve")).status_code == 404


async def test_the_audit_log_is_for_organizers(server: Server, api: httpx.AsyncClient) -> None:
    ids = await _ids(api)
    await _act(api, ids["anna"], "approve")
    await _act(api, ids["ben"], "reject")
    assert (await api.get("/api/audit")).status_code == 403
    await auth.add_user(server.sessions, "olga", "organizer", "correct horse battery")
    async with server.client(await auth.create_token(server.sessions, "olga")) as organizer:
        log = (await organizer.get("/api/audit", params={"event": "ev"})).json()["items"]
        exported = await organizer.get("/api/audit.csv", params={"event": "ev"})
    assert [(e["actor"], e["action"], e["from_status"], e["to_status"]) for e in log] == [
        ("mia", "reject", "pending", "rejected"), ("mia", "approve", "pending", "approved")]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv")
    assert [r["action"] for r in rows] == ["approve", "reject"]
    assert rows[0]["post_id"] == str(ids["anna"]) and rows[0]["actor"] == "mia"


async def test_a_flagged_post_carries_its_reason_for_translation(
        database_url: str, tmp_path: Path) -> None:
    posts_file = tmp_path / "posts.json"
    posts_file.write_text(json.dumps([{"id": "m", "author": {"name": "Mo", "handle": "@mo"},
                                       "text": "So ein Mist #Werkstolz"}]), encoding="utf-8")
    settings = make_settings(database_url, sources=[demo_source(posts_file)],
                             rules={"blocked_words": ["mist"]})
    async with running(settings) as srv, srv.client(await srv.token("mia")) as api:
        items = await wait_for(lambda: _items(api), what="the flagged post")
    assert items[0]["flags"] == [{"rule": "blocked_word",
                                  "detail": "Contains the blocked word 'mist'",
                                  "code": "blocked_word", "values": {"word": "mist"}}]


async def _items(api: httpx.AsyncClient) -> list[dict[str, object]]:
    items: list[dict[str, object]] = (await api.get("/api/posts")).json()["items"]
    return items
