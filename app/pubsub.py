"""Publish/subscribe between the parts of the app (and, with a shared backend, between instances).

The interface is the one of encode/broadcaster, cut down to what socialwall needs: publish a
text message on a channel, subscribe to a channel. Unlike broadcaster's memory backend every
subscriber's queue is bounded: a subscriber that stops reading is cut off (it sees `Lagged` and
resynchronises from the database) instead of holding memory or holding up the others.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

DEFAULT_QUEUE_SIZE = 1000


class Lagged(Exception):
    """The subscriber fell more than its queue size behind; messages were dropped."""


class Backend(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str, queue_size: int) -> asyncio.Queue[str | None]: ...

    def unsubscribe(self, channel: str, queue: asyncio.Queue[str | None]) -> None: ...


class MemoryBackend:
    """Delivers within this process only."""

    def __init__(self) -> None:
        self._channels: dict[str, set[asyncio.Queue[str | None]]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        for queues in self._channels.values():
            for queue in queues:
                _put_end(queue)
        self._channels.clear()

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._channels.get(channel, ())):
            if queue.qsize() >= queue.maxsize - 1:
                # Too far behind: drop this subscriber rather than grow without bound. The last
                # slot is the end marker's, so the subscriber keeps every message it was sent.
                self.unsubscribe(channel, queue)
                _put_end(queue)
            else:
                queue.put_nowait(message)

    def subscribe(self, channel: str, queue_size: int) -> asyncio.Queue[str | None]:
        # One slot more than asked for, kept free for the end-of-stream marker.
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size + 1)
        self._channels.setdefault(channel, set()).add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue[str | None]) -> None:
        queues = self._channels.get(channel)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._channels[channel]


def _put_end(queue: asyncio.Queue[str | None]) -> None:
    """Mark the end of a subscription, even when its queue is full."""
    while True:
        try:
            queue.put_nowait(None)
            return
        except asyncio.QueueFull:
            queue.get_nowait()


BACKENDS = {"memory": "app.pubsub:MemoryBackend"}


def load_backend(name: str) -> Backend:
    """Build a backend from its name in config.yaml (`pubsub.backend`)."""
    module_name, _, attr = BACKENDS[name].partition(":")
    backend: Backend = getattr(importlib.import_module(module_name), attr)()
    return backend


class Hub:
    """The app's one publish/subscribe point."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def publish(self, channel: str, message: str) -> None:
        await self.backend.publish(channel, message)

    @asynccontextmanager
    async def subscribe(
        self, channel: str, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> AsyncIterator[AsyncIterator[str]]:
        """Messages published on `channel` from now on; raises Lagged when cut off."""
        queue = self.backend.subscribe(channel, queue_size)
        try:
            yield _drain(queue)
        finally:
            self.backend.unsubscribe(channel, queue)


async def _drain(queue: asyncio.Queue[str | None]) -> AsyncIterator[str]:
    while (message := await queue.get()) is not None:
        yield message
    raise Lagged("subscription ended: too far behind, or the hub closed")
