"""app/posts.py: storing once, the lifecycle, compare-and-set conflicts, the wall sequence."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import channels
from app.db import Sessions
from app.models import Event, ModerationAction, Post, RemoteFile, WallChange
from app.posts import Actor, Conflict, PostNotFound, PostStore
from app.pubsub import Hub, MemoryBackend
from ingest.base import Author, MediaItem
from tests.factories import count_trips, normalized, seeded

ALICE = Actor("alice", None)
BOB = Actor("bob", None)


@dataclass
class World:
    sessions: Sessions
    store: PostStore
    hub: Hub
    event_id: int
    source_id: int


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with seeded(database_url) as db:
        hub = Hub(MemoryBackend())
        yield World(db.sessions, PostStore(db.sessions, hub), hub, db.event_id, db.source_id)


async def _ingest(world: World, external_id: str = "x1", **fields: object) -> int:
    result = await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                                      post=normalized(external_id, **fields))  # type: ignore[arg-type]
    return result.post_id


async def _count(world: World, model: type) -> int:
    async with world.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_same_post_ingested_twice_is_stored_once(world: World) -> None:
    first = await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                                     post=normalized("dup"))
    second = await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                                      post=normalized("dup", text="changed text"))
    assert first.created and not second.created
    assert first.post_id == second.post_id
    assert await _count(world, Post) == 1
    async with world.sessions() as session:
        post = await session.get_one(Post, first.post_id)
        assert post.text == "Hallo #Werkstolz"
        assert len(post.media) == 1


async def test_concurrent_duplicate_ingests_store_one_row(world: World) -> None:
    results = await asyncio.gather(*(
        world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                           post=normalized("race")) for _ in range(5)))
    assert sum(r.created for r in results) == 1
    assert len({r.post_id for r in results}) == 1
    assert await _count(world, Post) == 1


async def test_ingest_sanitises_html_and_text(world: World) -> None:
    post_id = await _ingest(world, "evil", text="Hi\x00 there\u0007",
                            html='<p onclick="x()">Hi<script>alert(1)</script>'
                                 '<a href="javascript:alert(1)">x</a></p>')
    async with world.sessions() as session:
        post = await session.get_one(Post, post_id)
    assert post.text == "Hi there"
    assert "script" not in post.html and "onclick" not in post.html
    assert "javascript" not in post.html


async def test_approve_publishes_a_numbered_change_after_commit(world: World) -> None:
    post_id = await _ingest(world)
    async with world.hub.subscribe(channels.wall(world.event_id)) as frames:
        view = await world.store.act(post_id, "approve", ALICE)
        frame = json.loads(await anext(frames))
    assert view["status"] == "approved" and view["decided_by"] == "alice"
    assert frame["type"] == "change" and frame["kind"] == "approved" and frame["seq"] == 1
    assert frame["post"]["id"] == post_id
    async with world.sessions() as session:
        logged = await session.get_one(WallChange, (world.event_id, 1))
        assert json.loads(logged.frame) == frame
        assert (await session.get_one(Event, world.event_id)).last_seq == 1


async def test_an_approval_on_sqlite_is_one_trip_to_its_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole transaction (seven statements and the commit) runs in SQLite's thread.
    (On PostgreSQL each statement is a round trip of its own in any case.)"""
    async with seeded(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}") as db:
        hub = Hub(MemoryBackend())
        world = World(db.sessions, PostStore(db.sessions, hub), hub, db.event_id, db.source_id)
        post_id = await _ingest(world)
        trips = count_trips(monkeypatch)
        view = await world.store.act(post_id, "approve", ALICE)
        assert view["status"] == "approved"
        assert trips == ["transaction"]
        async with world.sessions() as session:  # and all of it was committed
            post = await session.get_one(Post, post_id)
            assert (post.status, post.wall_seq) == ("approved", 1)
            assert json.loads(post.wall_payload or "{}")["id"] == post_id
            assert await session.scalar(
                select(func.count()).select_from(ModerationAction)) == 1


async def test_lifecycle_and_sequence_without_gaps(world: World) -> None:
    a, b, c = [await _ingest(world, f"p{i}") for i in range(3)]
    await world.store.act(a, "approve", ALICE)       # seq 1
    await world.store.act(b, "reject", ALICE)        # not shown on walls: no number
    await world.store.act(c, "approve", ALICE)       # seq 2
    await world.store.act(c, "pin", ALICE)           # seq 3
    pinned = await world.store.act(c, "unpin", ALICE)  # seq 4
    retracted = await world.store.act(a, "retract", BOB)  # seq 5
    assert pinned["pinned"] is False
    assert retracted["status"] == "retracted" and retracted["decided_by"] == "bob"
    async with world.sessions() as session:
        rows = (await session.execute(
            select(WallChange.seq, WallChange.kind, WallChange.post_id)
            .order_by(WallChange.seq))).all()
        actions = (await session.execute(
            select(ModerationAction.action, ModerationAction.actor, ModerationAction.from_status,
                   ModerationAction.to_status).order_by(ModerationAction.id))).all()
    assert [tuple(r) for r in rows] == [(1, "approved", a), (2, "approved", c), (3, "pinned", c),
                                        (4, "unpinned", c), (5, "retracted", a)]
    assert [tuple(r) for r in actions] == [
        ("approve", "alice", "pending", "approved"), ("reject", "alice", "pending", "rejected"),
        ("approve", "alice", "pending", "approved"), ("pin", "alice", "approved", "approved"),
        ("unpin", "alice", "approved", "approved"), ("retract", "bob", "approved", "retracted")]


async def test_retracting_a_pinned_post_unpins_it(world: World) -> None:
    post_id = await _ingest(world)
    await world.store.act(post_id, "approve", ALICE)
    await world.store.act(post_id, "pin", ALICE)
    view = await world.store.act(post_id, "retract", ALICE)
    assert view["status"] == "retracted" and view["pinned"] is False


@pytest.mark.parametrize(("setup", "action", "message"), [
    (["approve"], "approve", "cannot approve: already approved by alice"),
    (["approve"], "reject", "cannot reject: already approved by alice"),
    (["reject"], "approve", "cannot approve: already rejected by alice"),
    ([], "retract", "cannot retract: the post is pending"),
    ([], "pin", "cannot pin: the post is pending"),
    (["approve", "pin"], "pin", "cannot pin: already pinned by alice"),
    (["approve"], "unpin", "cannot unpin: the post is not pinned"),
])
async def test_actions_that_do_not_apply_are_conflicts(
    world: World, setup: list[str], action: str, message: str
) -> None:
    post_id = await _ingest(world)
    for step in setup:
        await world.store.act(post_id, step, ALICE)
    with pytest.raises(Conflict) as raised:
        await world.store.act(post_id, action, BOB)
    assert str(raised.value) == message


async def test_unknown_post_is_not_found(world: World) -> None:
    with pytest.raises(PostNotFound):
        await world.store.act(999, "approve", ALICE)


async def test_two_moderators_racing_cannot_both_win(world: World) -> None:
    post_ids = [await _ingest(world, f"r{i}") for i in range(10)]
    for post_id in post_ids:
        outcomes = await asyncio.gather(world.store.act(post_id, "approve", ALICE),
                                        world.store.act(post_id, "reject", BOB),
                                        return_exceptions=True)
        wins = [o for o in outcomes if isinstance(o, dict)]
        losses = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(wins) == 1 and len(losses) == 1, outcomes
        assert wins[0]["decided_by"] in str(losses[0])
    async with world.sessions() as session:
        approved = await session.scalar(
            select(func.count()).select_from(Post).where(Post.status == "approved"))
        last_seq = (await session.get_one(Event, world.event_id)).last_seq
        logged = await session.scalar(select(func.count()).select_from(WallChange))
    assert last_seq == approved == logged


async def test_post_moderation_shows_posts_at_once_but_not_content_warnings(
    database_url: str,
) -> None:
    async with seeded(database_url, moderation="post") as db:
        event_id, source_id = db.event_id, db.source_id
        store = PostStore(db.sessions, Hub(MemoryBackend()))
        plain = await store.ingest(event_id=event_id, source_id=source_id, post=normalized("a"))
        warned = await store.ingest(event_id=event_id, source_id=source_id,
                                    post=normalized("b", content_warning="Spoiler"))
        sensitive = await store.ingest(event_id=event_id, source_id=source_id,
                                       post=normalized("c", sensitive=True))
    assert (plain.status, warned.status, sensitive.status) == ("approved", "pending", "pending")


async def test_auto_approve_source(world: World) -> None:
    result = await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                                      post=normalized("auto"), auto_approve=True)
    assert result.status == "approved"
    async with world.sessions() as session:
        action = await session.scalar(select(ModerationAction))
    assert action is not None and action.actor == "auto:demo"


async def _wall_frames(world: World) -> list[tuple[int, str, int]]:
    async with world.sessions() as session:
        rows = (await session.execute(select(WallChange.seq, WallChange.kind, WallChange.post_id)
                                      .order_by(WallChange.seq))).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _at(minute: int) -> datetime:
    return datetime(2026, 11, 22, 10, minute, tzinfo=UTC)


async def test_an_edit_of_a_pending_post_updates_it(world: World) -> None:
    post_id = await _ingest(world, "e1")
    result = await world.store.ingest(
        event_id=world.event_id, source_id=world.source_id,
        post=normalized("e1", text="Korrigiert #Werkstolz", edited_at=_at(1), media=()))
    assert result.post_id == post_id and not result.created and result.status == "pending"
    async with world.sessions() as session:
        post = await session.get_one(Post, post_id)
        assert post.text == "Korrigiert #Werkstolz" and post.edited is False
        assert post.media == []
    assert await _wall_frames(world) == []


async def test_an_edited_approved_post_stays_as_approved_until_approved_again(
    world: World,
) -> None:
    post_id = await _ingest(world, "e2", text="Original")
    await world.store.act(post_id, "approve", ALICE)
    await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                             post=normalized("e2", text="Edited text", edited_at=_at(2)))
    async with world.sessions() as session:
        post = await session.get_one(Post, post_id)
        assert (post.status, post.edited, post.text) == ("approved", True, "Edited text")
        assert json.loads(post.wall_payload or "{}")["text"] == "Original"
    assert await _wall_frames(world) == [(1, "approved", post_id)]  # walls were told nothing

    # Pinning it meanwhile must not leak the unreviewed edit onto the walls.
    pinned = await world.store.act(post_id, "pin", ALICE)
    assert pinned["edited"] is True
    async with world.sessions() as session:
        frame = json.loads((await session.get_one(WallChange, (world.event_id, 2))).frame)
    assert frame["post"]["text"] == "Original" and frame["post"]["pinned"] is True

    view = await world.store.act(post_id, "approve", BOB)
    assert (view["status"], view["edited"], view["text"]) == ("approved", False, "Edited text")
    async with world.sessions() as session:
        frame = json.loads((await session.get_one(WallChange, (world.event_id, 3))).frame)
    assert frame["kind"] == "approved" and frame["post"]["text"] == "Edited text"
    # Approving once more is a conflict again: the edit was reviewed.
    with pytest.raises(Conflict, match="already approved by bob"):
        await world.store.act(post_id, "approve", ALICE)


async def test_rejecting_an_edit_takes_the_post_off_the_walls(world: World) -> None:
    post_id = await _ingest(world, "e3")
    await world.store.act(post_id, "approve", ALICE)
    await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                             post=normalized("e3", text="now offensive", edited_at=_at(3)))
    view = await world.store.act(post_id, "reject", BOB)
    assert view["status"] == "retracted" and view["edited"] is False
    assert await _wall_frames(world) == [(1, "approved", post_id), (2, "retracted", post_id)]


async def test_a_repeat_without_a_newer_edit_changes_nothing(world: World) -> None:
    post_id = await _ingest(world, "e4", edited_at=_at(5))
    for when in (None, _at(4), _at(5)):
        result = await world.store.ingest(
            event_id=world.event_id, source_id=world.source_id,
            post=normalized("e4", text="stale", edited_at=when))
        assert result.post_id == post_id and not result.created
    async with world.sessions() as session:
        assert (await session.get_one(Post, post_id)).text == "Hallo #Werkstolz"


async def test_deletion_at_the_source(world: World) -> None:
    shown = await _ingest(world, "d1")
    queued = await _ingest(world, "d2")
    await world.store.act(shown, "approve", ALICE)
    await world.store.act(shown, "pin", ALICE)
    assert await world.store.delete_at_source(source_id=world.source_id, external_id="d1")
    assert await world.store.delete_at_source(source_id=world.source_id, external_id="d2")
    assert not await world.store.delete_at_source(source_id=world.source_id, external_id="d1")
    assert not await world.store.delete_at_source(source_id=world.source_id, external_id="nope")
    assert await _wall_frames(world) == [(1, "approved", shown), (2, "pinned", shown),
                                         (3, "retracted", shown)]
    async with world.sessions() as session:
        post = await session.get_one(Post, shown)
        assert (post.status, post.pinned) == ("deleted", False)
        assert (await session.get_one(Post, queued)).status == "deleted"
        actors = set(await session.scalars(select(ModerationAction.actor)
                                           .where(ModerationAction.action == "delete")))
    assert actors == {"source:demo"}
    with pytest.raises(Conflict, match="cannot approve: the post was deleted at its source"):
        await world.store.act(queued, "approve", ALICE)
    # A deleted post that its source sends again (a late re-poll) stays deleted.
    again = await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                                     post=normalized("d2", edited_at=_at(9)))
    assert again.status == "deleted" and not again.created


async def test_unsafe_urls_from_sources_never_reach_the_post(world: World) -> None:
    post_id = await _ingest(
        world, "u1", url="javascript:alert(1)",
        author=Author(name="X", handle="@x", avatar_url="data:image/png;base64,AAAA",
                      profile_url="javascript:alert(2)"),
        media=(MediaItem(kind="image", url="https://cdn.example/a.jpg", alt="a"),
               MediaItem(kind="image", url="file:///etc/passwd")))
    async with world.sessions() as session:
        post = await session.get_one(Post, post_id)
        remote = list(await session.scalars(select(RemoteFile.url)))
    assert post.url is None and post.author_avatar_url is None
    assert post.author_profile_url is None
    assert [m.url for m in post.media] == [f"/media/{post.media[0].url.rsplit('/', 1)[1]}"]
    assert remote == ["https://cdn.example/a.jpg"]


async def test_undoing_a_retraction_never_shows_an_unreviewed_edit(world: World) -> None:
    post_id = await _ingest(world, "ur", text="Original")
    await world.store.act(post_id, "approve", ALICE)
    await world.store.ingest(event_id=world.event_id, source_id=world.source_id,
                             post=normalized("ur", text="Unreviewed edit", edited_at=_at(7)))
    await world.store.act(post_id, "retract", ALICE)
    view = await world.store.act(post_id, "undo", ALICE)
    assert (view["status"], view["edited"]) == ("approved", True)  # back in the queue, marked
    async with world.sessions() as session:
        frame = json.loads((await session.get_one(WallChange, (world.event_id, 3))).frame)
    assert frame["kind"] == "approved" and frame["post"]["text"] == "Original"
