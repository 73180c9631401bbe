"""app/wallfeed.py: order, gap filling from the database, and cutting off slow sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app import wallfeed
from app.db import Sessions
from app.models import WallChange
from app.posts import Actor, PostStore
from app.pubsub import Hub, MemoryBackend
from app.wall_listener import Listener
from app.wallfeed import WallFeeds
from tests.factories import normalized, seeded, wait_for

MOD = Actor("mod")


class LossyBackend(MemoryBackend):
    """Loses the wall frames whose sequence numbers are listed, as a crash or a network might."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: set[int] = set()

    async def publish(self, channel: str, message: str) -> None:
        if channel.startswith("wall:") and json.loads(message)["seq"] in self.lose:
            return
        await super().publish(channel, message)


@dataclass
class Setup:
    sessions: Sessions
    backend: LossyBackend
    store: PostStore
    feeds: WallFeeds
    event_id: int
    post_ids: list[int]


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Setup]:
    async with seeded(database_url) as db:
        sessions, event_id, source_id = db.sessions, db.event_id, db.source_id
        backend = LossyBackend()
        hub = Hub(backend)
        store = PostStore(sessions, hub)
        post_ids = [(await store.ingest(event_id=event_id, source_id=source_id,
                                        post=normalized(f"p{i}"))).post_id for i in range(6)]
        feeds = WallFeeds(hub, sessions, poll_seconds=0.05, listener_queue=3)
        yield Setup(sessions, backend, store, feeds, event_id, post_ids)
        await feeds.aclose()


async def _take(listener: Listener, count: int) -> list[int]:
    frames = [await asyncio.wait_for(listener.queue.get(), 5) for _ in range(count)]
    return [frame.seq for frame in frames if frame is not None and frame.seq is not None]


async def test_frames_arrive_in_order(setup: Setup) -> None:
    _, listener = await setup.feeds.join(setup.event_id)
    for post_id in setup.post_ids[:3]:
        await setup.store.act(post_id, "approve", MOD)
    assert await _take(listener, 3) == [1, 2, 3]


async def test_a_lost_frame_is_filled_in_from_the_database(setup: Setup) -> None:
    _, listener = await setup.feeds.join(setup.event_id)
    setup.backend.lose = {2}
    for post_id in setup.post_ids[:3]:
        await setup.store.act(post_id, "approve", MOD)
    frames = [await asyncio.wait_for(listener.queue.get(), 5) for _ in range(3)]
    assert [f.seq for f in frames if f] == [1, 2, 3]
    assert frames[1] is not None
    assert json.loads(frames[1].text)["post"]["id"] == setup.post_ids[1]


async def test_a_lost_last_frame_is_found_by_the_poll(setup: Setup) -> None:
    _, listener = await setup.feeds.join(setup.event_id)
    setup.backend.lose = {1}
    await setup.store.act(setup.post_ids[0], "approve", MOD)
    assert await _take(listener, 1) == [1]


async def test_a_frame_published_twice_is_delivered_once(setup: Setup) -> None:
    _, listener = await setup.feeds.join(setup.event_id)
    await setup.store.act(setup.post_ids[0], "approve", MOD)
    assert await _take(listener, 1) == [1]
    async with setup.sessions() as session:
        frame = (await session.get_one(WallChange, (setup.event_id, 1))).frame
    await setup.feeds.hub.publish(f"wall:{setup.event_id}", frame)
    await setup.store.act(setup.post_ids[1], "approve", MOD)
    assert await _take(listener, 1) == [2]
    assert listener.queue.empty()


async def test_a_socket_that_stops_reading_is_cut_off_and_others_are_not(setup: Setup) -> None:
    feed, stalled = await setup.feeds.join(setup.event_id)
    healthy = feed.join()
    received: list[int] = []

    async def read() -> None:
        while (frame := await healthy.queue.get()) is not None:
            received.append(frame.seq or 0)

    reader = asyncio.create_task(read())
    for post_id in setup.post_ids:
        await setup.store.act(post_id, "approve", MOD)
    await wait_for(lambda: len(received) == 6, what="the healthy socket to get all six")
    assert received == [1, 2, 3, 4, 5, 6]
    # The stalled one holds at most its queue (3 frames) and then the end marker.
    held = [stalled.queue.get_nowait() for _ in range(stalled.queue.qsize())]
    assert [f.seq for f in held if f] == [1, 2, 3] and held[-1] is None
    assert stalled not in feed.listeners and healthy in feed.listeners
    reader.cancel()


async def test_a_feed_that_fell_behind_the_hub_hands_on_what_it_missed(database_url: str) -> None:
    async with seeded(database_url) as db:
        backend = LossyBackend()
        hub = Hub(backend)
        store = PostStore(db.sessions, hub)
        post_ids = [(await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                        post=normalized(f"q{i}"))).post_id for i in range(5)]
        # A slow poll, so that only the resubscription can recover what the hub dropped.
        feeds = WallFeeds(hub, db.sessions, poll_seconds=3600, hub_queue=2)
        try:
            _, listener = await feeds.join(db.event_id)
            backend.lose = {1, 2, 3, 4, 5}
            for post_id in post_ids:
                await store.act(post_id, "approve", MOD)
            async with db.sessions() as session:
                frames = list(await session.scalars(
                    select(WallChange.frame).order_by(WallChange.seq)))
            backend.lose = set()
            for frame in frames:  # a burst the feed cannot keep up with: its queue holds 2
                await hub.publish(f"wall:{db.event_id}", frame)
            assert await _take(listener, 5) == [1, 2, 3, 4, 5]
        finally:
            await feeds.aclose()


async def test_the_heartbeat_pings_each_wall_once_per_interval_a_slice_at_a_time(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallfeed, "PING_INTERVAL", 1.5)
    monkeypatch.setattr(wallfeed, "HEARTBEAT_SLICES", 3)  # a tick every 0.5 s
    feed, first = await setup.feeds.join(setup.event_id)
    walls = [first, *(feed.join() for _ in range(5))]

    def pinged() -> list[int]:
        return [i for i, wall in enumerate(walls) if not wall.queue.empty()]

    # The first tick pings one slice (every third wall), not all of them at once.
    assert await wait_for(pinged, what="the first ping") == [0, 3]
    await wait_for(lambda: len(pinged()) == 6, what="a ping for every wall")
    frames = [wall.queue.get_nowait() for wall in walls]
    assert all(f is not None and f.seq is None and '"type":"ping"' in f.text for f in frames)
    assert all(wall.queue.empty() for wall in walls)  # once each
