"""A queue for exactly one reader: asyncio.Queue's methods at a fraction of its size.

asyncio.Queue is built for many readers and writers (three deques and an Event with a fourth,
about 3 KB before anything is queued). Every connected wall has a few queues that are nearly
always empty, and thousands of walls may be connected (bench/README.md, memory per wall).
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    """A FIFO for one reader, bounded by maxsize (0: unbounded), which can be woken too."""

    __slots__ = ("_items", "_waiter", "maxsize")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        # A list, not a deque: it is nearly always empty, and a deque's first block alone is
        # 600 bytes. pop(0) of a list this short is cheap.
        self._items: list[T] = []
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: T) -> None:
        if self.maxsize and len(self._items) >= self.maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        self.wake()

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> T:
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
