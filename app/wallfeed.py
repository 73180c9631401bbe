"""One feed per event and process: hears the event's wall changes once, puts them in order,
fills gaps from the database, and hands each frame to every connected wall of that process.

Sockets get bounded queues: a screen that stops reading is cut off (and resumes by sequence
number when it reconnects) instead of slowing the others down or holding memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from sqlalchemy import select

from app import channels
from app.db import Sessions
from app.models import Event, WallChange
from app.pubsub import DEFAULT_QUEUE_SIZE, Hub, Lagged

log = logging.getLogger(__name__)

LISTENER_QUEUE = 256
# How often a feed compares its position with the database, in case a publish was lost
# (an instance died between commit and publish, or a shared backend dropped a message).
POLL_SECONDS = 5.0
FEED_START_TIMEOUT = 10.0

Frame = tuple[int, str]


# A feed wakes one inbox per connected wall for every frame. asyncio.Queue is built for many
# readers and writers (four deques, a list of waiting getters): thousands of those cost a few KB
# per wall and several µs per wake-up, which adds up to the fan-out's latency.
class Inbox:
    """A bounded queue for one reader (asyncio.Queue's methods), which a timer can wake too."""

    __slots__ = ("_items", "_waiter", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        # A list, not a deque: it is nearly always empty, and a deque's first block alone is
        # 600 bytes. pop(0) of a list this short is cheap.
        self._items: list[Frame | None] = []
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Frame | None) -> None:
        if len(self._items) >= self.maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        self.wake()

    def get_nowait(self) -> Frame | None:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> Frame | None:
        """The next item, waiting for one; only one task may wait at a time."""
        while not self._items:
            await self.wait()
        return self._items.pop(0)

    async def wait(self) -> None:
        """Until an item is queued (at once if one is) or wake() is called."""
        if self._items:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def wake(self) -> None:
        """End the reader's wait, whether or not an item was queued."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class Listener:
    """One wall socket's inbox: frames in sequence order; None means it was cut off."""

    __slots__ = ("queue",)

    def __init__(self, size: int) -> None:
        self.queue = Inbox(size + 1)

    def offer(self, frame: Frame) -> bool:
        """Queue a frame; False (and the end marker) if the socket is too far behind."""
        if self.queue.qsize() >= self.queue.maxsize - 1:
            self.queue.put_nowait(None)
            return False
        self.queue.put_nowait(frame)
        return True


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

    def join(self) -> Listener:
        listener = Listener(self.listener_queue)
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
        for listener in list(self.listeners):
            if not listener.offer((seq, text)):
                self.listeners.discard(listener)


class WallFeeds:
    """The feeds of this process, started on the first wall that connects to an event."""

    def __init__(self, hub: Hub, sessions: Sessions, **options: Any) -> None:
        self.hub = hub
        self.sessions = sessions
        self.options = options
        self._feeds: dict[int, WallFeed] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    async def join(self, event_id: int) -> tuple[WallFeed, Listener]:
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = WallFeed(event_id, self.hub, self.sessions,
                                                    **self.options)
            self._tasks[event_id] = asyncio.create_task(feed.run(), name=f"wallfeed-{event_id}")
        # Bounded: if the feed cannot start (database down), the socket fails and the wall
        # reconnects later instead of waiting here for ever.
        await asyncio.wait_for(feed.ready.wait(), FEED_START_TIMEOUT)
        return feed, feed.join()

    def connections(self) -> int:
        return sum(len(feed.listeners) for feed in self._feeds.values())

    async def aclose(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._feeds.clear()
