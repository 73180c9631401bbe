"""One feed per event and process: hears the event's wall changes once, puts them in order,
fills gaps from the database, and hands each frame to every connected wall of that process
(app/wall_listener.py). One heartbeat for all of them pings the walls and closes silent ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from typing import Any

from sqlalchemy import select

from app import channels
from app.db import Sessions
from app.models import Event, WallChange
from app.payloads import dumps
from app.pubsub import DEFAULT_QUEUE_SIZE, Hub, Lagged
from app.wall_listener import CLOSE_TIMEOUT, Frame, Listener

log = logging.getLogger(__name__)

LISTENER_QUEUE = 256
# How often a feed compares its position with the database, in case a publish was lost
# (an instance died between commit and publish, or a shared backend dropped a message).
POLL_SECONDS = 5.0
FEED_START_TIMEOUT = 10.0
# The walls' heartbeat (docs/protocol.md): a ping to every wall this often, and a wall that has
# sent nothing (not even the pong) for IDLE_TIMEOUT is taken for gone and closed.
PING_INTERVAL = 15.0
IDLE_TIMEOUT = 45.0
# The walls are pinged in this many slices, one every PING_INTERVAL / HEARTBEAT_SLICES: pinging
# 5,000 walls at once (and reading their 5,000 pongs) held up a change frame by 100 ms.
HEARTBEAT_SLICES = 15


class WallFeed:
    def __init__(self, event_id: int, hub: Hub, sessions: Sessions,
                 listener_queue: int = LISTENER_QUEUE, poll_seconds: float = POLL_SECONDS,
                 hub_queue: int = DEFAULT_QUEUE_SIZE) -> None:
        self.event_id = event_id
        self.hub = hub
        self.sessions = sessions
        self.listener_queue = listener_queue
        self.poll_seconds = poll_seconds
        self.hub_queue = hub_queue
        self.listeners: set[Listener] = set()
        self.seq = 0
        self.ready = asyncio.Event()
        self._lock = asyncio.Lock()
        self._joined = 0

    def join(self) -> Listener:
        listener = Listener(self.listener_queue)
        listener.slot = self._joined % HEARTBEAT_SLICES
        self._joined += 1
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def run(self) -> None:
        poller = asyncio.create_task(self._poll())
        try:
            while True:
                try:
                    await self._listen()
                except Lagged:
                    log.warning("wall feed of event %s fell behind the hub; resynchronising",
                                self.event_id)
                except Exception:
                    log.exception("wall feed of event %s failed; retrying", self.event_id)
                    await asyncio.sleep(1.0)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def _listen(self) -> None:
        async with self.hub.subscribe(channels.wall(self.event_id), self.hub_queue) as messages:
            # Subscribed first, then read the position: nothing committed after this read can
            # be missed, and anything before it is in the database for sockets to catch up on.
            async with self._lock:
                current = await self._database_seq()
                if not self.ready.is_set():
                    self.seq = current  # no socket has joined yet: nothing to deliver
                elif current > self.seq:
                    await self._fill(current)  # back after falling behind: hand on what we missed
            self.ready.set()
            async for text in messages:
                seq = int(json.loads(text)["seq"])
                async with self._lock:
                    if seq <= self.seq:
                        continue
                    if seq > self.seq + 1:
                        await self._fill(seq - 1)
                    self._deliver(seq, text)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                current = await self._database_seq()
                if current > self.seq:
                    async with self._lock:
                        await self._fill(current)
            except Exception:
                log.exception("wall feed of event %s could not check the database", self.event_id)

    async def _database_seq(self) -> int:
        async with self.sessions() as session:
            seq: int = (
                await session.execute(select(Event.last_seq).where(Event.id == self.event_id))
            ).scalar_one()
            return seq

    async def _fill(self, upto: int) -> None:
        """Deliver the logged changes after our position up to `upto`, in order."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(WallChange.seq, WallChange.frame)
                    .where(WallChange.event_id == self.event_id,
                           WallChange.seq > self.seq, WallChange.seq <= upto)
                    .order_by(WallChange.seq)
                )
            ).all()
        for seq, frame in rows:
            self._deliver(seq, frame)

    def _deliver(self, seq: int, text: str) -> None:
        self.seq = seq
        self.broadcast(Frame(seq, text))

    def broadcast(self, frame: Frame) -> None:
        """Hand a frame to every wall; those cut off for falling behind leave the feed."""
        for listener in list(self.listeners):
            if not listener.offer(frame):
                self.listeners.discard(listener)


class WallFeeds:
    """The feeds of this process, started on the first wall that connects to an event."""

    def __init__(self, hub: Hub, sessions: Sessions, **options: Any) -> None:
        self.hub = hub
        self.sessions = sessions
        self.options = options
        self._feeds: dict[int, WallFeed] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    async def join(self, event_id: int) -> tuple[WallFeed, Listener]:
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = WallFeed(event_id, self.hub, self.sessions,
                                                    **self.options)
            self._tasks[event_id] = asyncio.create_task(feed.run(), name=f"wallfeed-{event_id}")
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name="wallfeed-heartbeat")
        # Bounded: if the feed cannot start (database down), the socket fails and the wall
        # reconnects later instead of waiting here for ever.
        await asyncio.wait_for(feed.ready.wait(), FEED_START_TIMEOUT)
        return feed, feed.join()

    def connections(self) -> int:
        return sum(len(feed.listeners) for feed in self._feeds.values())

    async def _beat(self) -> None:
        """Ping every wall each PING_INTERVAL and close those silent for IDLE_TIMEOUT: one
        task for all walls rather than a timer per wall, a slice of the walls at a time."""
        loop = asyncio.get_running_loop()
        for tick in itertools.count():
            await asyncio.sleep(PING_INTERVAL / HEARTBEAT_SLICES)
            slot = tick % HEARTBEAT_SLICES
            ping = Frame(None, dumps({"type": "ping", "t": int(time.time() * 1000)}))
            silent_since = loop.time() - IDLE_TIMEOUT
            for feed in list(self._feeds.values()):
                for listener in list(feed.listeners):
                    if listener.slot != slot:
                        continue
                    if listener.heard < silent_since:
                        listener.close(CLOSE_TIMEOUT, f"nothing received for {IDLE_TIMEOUT:g} s")
                        feed.leave(listener)
                    elif not listener.offer(ping):
                        feed.leave(listener)

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._heartbeat] if self._heartbeat else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._heartbeat = None
        self._feeds.clear()
