"""app/pubsub.py: in-order delivery per channel, bounded queues, clean ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.pubsub import Hub, Lagged, MemoryBackend, load_backend
from tests.factories import wait_for


async def _drain(messages: AsyncIterator[str]) -> list[str]:
    """Everything a subscription still delivers; it must then end with Lagged."""
    received: list[str] = []
    with pytest.raises(Lagged):
        async for message in messages:
            received.append(message)
    return received


class RecordingBackend(MemoryBackend):
    """The memory backend, noting which channels were unsubscribed."""

    def __init__(self) -> None:
        super().__init__()
        self.unsubscribed: list[str] = []

    def unsubscribe(self, channel: str, queue: asyncio.Queue[str | None]) -> None:
        self.unsubscribed.append(channel)
        super().unsubscribe(channel, queue)


async def test_every_subscriber_of_a_channel_gets_its_messages_in_order() -> None:
    hub = Hub(MemoryBackend())
    async with (hub.subscribe("wall:1") as first, hub.subscribe("wall:1") as second,
                hub.subscribe("wall:2") as other):
        for n in range(5):
            await hub.publish("wall:1", f"m{n}")
        await hub.publish("wall:2", "elsewhere")
        await hub.publish("moderation:1", "nobody listens")
        await hub.backend.disconnect()

        expected = [f"m{n}" for n in range(5)]
        assert await _drain(first) == expected
        assert await _drain(second) == expected
        assert await _drain(other) == ["elsewhere"]


async def test_a_subscriber_only_hears_what_is_published_after_it_subscribed() -> None:
    hub = Hub(MemoryBackend())
    await hub.publish("wall:1", "before")
    async with hub.subscribe("wall:1") as messages:
        await hub.publish("wall:1", "after")
        await hub.backend.disconnect()

        assert await _drain(messages) == ["after"]


async def test_a_stalled_subscriber_is_cut_off_while_a_reading_one_gets_everything() -> None:
    hub = Hub(MemoryBackend())
    sent = [f"m{n}" for n in range(10)]
    healthy: list[str] = []

    async def read(messages: AsyncIterator[str]) -> None:
        async for message in messages:
            healthy.append(message)

    async with (hub.subscribe("wall:1", queue_size=3) as stalled,
                hub.subscribe("wall:1", queue_size=3) as reading):
        reader = asyncio.create_task(read(reading))
        try:
            for count, message in enumerate(sent, start=1):
                await hub.publish("wall:1", message)
                await wait_for(lambda count=count: len(healthy) == count,
                               what=f"the reading subscriber to get message {count}")
        finally:
            reader.cancel()

        # It gets exactly what fitted into its queue, with no gap, and then the news that it
        # fell behind (so it can resynchronise from the database).
        assert await _drain(stalled) == sent[:3]
    assert healthy == sent


async def test_leaving_the_block_unsubscribes() -> None:
    backend = RecordingBackend()
    hub = Hub(backend)
    async with hub.subscribe("wall:1") as staying:
        async with hub.subscribe("wall:1"):
            pass
        assert backend.unsubscribed == ["wall:1"]

        with pytest.raises(RuntimeError, match="handler failed"):
            async with hub.subscribe("wall:2"):
                raise RuntimeError("handler failed")
        assert backend.unsubscribed == ["wall:1", "wall:2"]

        await hub.publish("wall:1", "still here")
        await backend.disconnect()
        assert await _drain(staying) == ["still here"]


async def test_disconnect_ends_every_subscription() -> None:
    hub = Hub(MemoryBackend())
    async with hub.subscribe("wall:1") as waiting, hub.subscribe("wall:2") as behind:
        await hub.publish("wall:2", "queued")
        blocked = asyncio.create_task(_drain(waiting))

        await hub.backend.disconnect()

        assert await asyncio.wait_for(blocked, timeout=5) == []
        assert await _drain(behind) == ["queued"]
        # Nothing is delivered after the end, and publishing is harmless.
        await hub.publish("wall:1", "late")


async def test_load_backend_builds_a_fresh_backend_by_name() -> None:
    backend = load_backend("memory")

    assert isinstance(backend, MemoryBackend)
    assert load_backend("memory") is not backend
    with pytest.raises(KeyError):
        load_backend("carrier-pigeon")

    hub = Hub(backend)
    await backend.connect()
    async with hub.subscribe("wall:1") as messages:
        await hub.publish("wall:1", "hallo")
        await backend.disconnect()
        assert await _drain(messages) == ["hallo"]
