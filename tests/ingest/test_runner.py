"""ingest/runner.py: sources supervised one by one, retried with backoff, kept in sync."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from sqlalchemy import select

from app.db import Sessions, writing
from app.models import Event, Post, Source
from app.posts import PostStore
from app.pubsub import Hub, MemoryBackend
from app.seed import apply_settings
from ingest import registry
from ingest.base import RetryAfter, SourceContext
from ingest.runner import IngestRunner, backoff_delay
from ingest.settings import SourceSettings
from tests.factories import (
    database,
    demo_source,
    make_settings,
    normalized,
    wait_for,
    write_demo_posts,
)


def test_backoff_grows_exponentially_from_the_base() -> None:
    def top() -> float:
        return 1.0

    assert [backoff_delay(n, 0.5, 1000.0, rng=top) for n in range(1, 6)] == [
        0.5, 1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(0, 0.5, 1000.0, rng=top) == 0.5


def test_backoff_is_capped_even_after_very_many_failures() -> None:
    def top() -> float:
        return 1.0

    assert backoff_delay(10, 1.0, 300.0, rng=top) == 300.0
    # Thousands of failures are a source down for days, not a reason to crash its supervisor.
    assert backoff_delay(1100, 1.0, 300.0, rng=top) == 300.0
    assert backoff_delay(50_000, 1.0, 300.0, rng=top) == 300.0


def test_backoff_jitter_stays_between_half_a_step_and_a_step() -> None:
    assert backoff_delay(3, 1.0, 300.0, rng=lambda: 0.0) == 2.0
    assert backoff_delay(3, 1.0, 300.0, rng=lambda: 0.5) == 3.0

    rng = random.Random(26).random
    delays = [backoff_delay(3, 1.0, 300.0, rng=rng) for _ in range(200)]
    assert all(2.0 <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 100  # really jittered, not one fixed value


class FlakySettings(SourceSettings):
    """Settings of a test-only source type that fails a number of times, then works."""

    type: Literal["flaky"]
    message: str = "feed.example answered 503 Service Unavailable"
    fail_times: int = 1_000_000
    retry_after: float | None = None


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[FlakySettings]:
    """Register the `flaky` source type; the list holds the settings of every run started."""
    runs: list[FlakySettings] = []

    class FlakySource:
        def __init__(self, settings: FlakySettings) -> None:
            self.settings = settings

        async def run(self, ctx: SourceContext) -> None:
            runs.append(self.settings)
            if len(runs) <= self.settings.fail_times:
                if self.settings.retry_after is not None:
                    raise RetryAfter(self.settings.retry_after)
                raise RuntimeError(self.settings.message)
            await ctx.emit(normalized(f"flaky-{len(runs)}"))
            ctx.mark_healthy("listening")
            await asyncio.Event().wait()

    monkeypatch.setitem(registry.SOURCE_CONFIGS, "flaky", FlakySettings)
    monkeypatch.setitem(registry._BUILDERS, "flaky", lambda settings, _: FlakySource(settings))
    return runs


@dataclass
class Ingest:
    sessions: Sessions
    runner: IngestRunner

    async def add_source(self, name: str, type_: str, **config: Any) -> None:
        """A source row written straight to the database, as the organizer's console would."""
        async with writing(self.sessions) as session:
            event_id = await session.scalar(select(Event.id).where(Event.slug == "ev"))
            assert event_id is not None
            session.add(Source(event_id=event_id, name=name, type=type_, enabled=True,
                               config={"type": type_, "name": name, **config}, cursor={}))

    def health(self, name: str) -> dict[str, Any] | None:
        return next((h for h in self.runner.health() if h["name"] == name), None)

    async def external_ids(self, source_name: str) -> list[str]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Post.external_id).join(Source).where(Source.name == source_name)
                .order_by(Post.id))
            return list(rows)


@asynccontextmanager
async def ingesting(database_url: str, sources: list[dict[str, Any]] | None = None,
                    **runner_options: Any) -> AsyncIterator[Ingest]:
    # The sources here make no requests; should one try, it gets an answer, not the network.
    offline = httpx.MockTransport(lambda request: httpx.Response(503))
    async with database(database_url) as sessions, httpx.AsyncClient(transport=offline) as http:
        await apply_settings(sessions, make_settings(database_url, sources=sources or []))
        runner = IngestRunner(sessions, PostStore(sessions, Hub(MemoryBackend())), http,
                              **runner_options)
        try:
            yield Ingest(sessions, runner)
        finally:
            await runner.aclose()


def _time(iso: str | None) -> datetime:
    assert iso is not None and iso.endswith("Z")
    return datetime.fromisoformat(iso)


async def test_a_failing_source_is_retried_and_does_not_stop_its_neighbour(
        database_url: str, tmp_path: Path, attempts: list[FlakySettings]) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 3)
    async with ingesting(database_url, [demo_source(posts_file)],
                         backoff_base=0.01, backoff_cap=0.05) as ingest:
        await ingest.add_source("flaky", "flaky")

        await ingest.runner.sync()

        await wait_for(lambda: len(attempts) >= 3, what="the failing source to be retried")
        demo = await wait_for(
            lambda: (h := ingest.health("demo")) and h["state"] == "finished" and h,
            what="the demo source to replay its posts")
        assert demo["posts_ingested"] == 3
        assert demo["last_error"] is None
        assert await ingest.external_ids("demo") == ["p01", "p02", "p03"]

        # Retried every few milliseconds: catch it between two attempts.
        flaky = await wait_for(
            lambda: (h := ingest.health("flaky")) and h["state"] == "backoff" and h,
            what="the failing source to wait for its next attempt")
        assert flaky["last_error"] == "feed.example answered 503 Service Unavailable"
        assert flaky["last_success"] is None
        assert _time(flaky["next_attempt"]) > datetime.now(UTC) - timedelta(seconds=5)
        assert await ingest.external_ids("flaky") == []


async def test_a_source_that_recovers_is_healthy_again(
        database_url: str, attempts: list[FlakySettings]) -> None:
    async with ingesting(database_url, backoff_base=0.01, backoff_cap=0.05) as ingest:
        await ingest.add_source("flaky", "flaky", fail_times=2)

        await ingest.runner.sync()

        flaky = await wait_for(lambda: (h := ingest.health("flaky")) and h["state"] == "ok" and h,
                               what="the source to recover")
        assert len(attempts) == 3
        assert flaky["last_error"] is None
        assert flaky["next_attempt"] is None
        assert flaky["last_success"] is not None
        assert flaky["detail"] == "listening"
        assert flaky["posts_ingested"] == 1
        assert await ingest.external_ids("flaky") == ["flaky-3"]


async def test_the_next_attempt_follows_the_backoff(
        database_url: str, attempts: list[FlakySettings]) -> None:
    async with ingesting(database_url, backoff_base=60.0, backoff_cap=600.0) as ingest:
        await ingest.add_source("flaky", "flaky")
        before = datetime.now(UTC)

        await ingest.runner.sync()

        flaky = await wait_for(
            lambda: (h := ingest.health("flaky")) and h["state"] == "backoff" and h,
            what="the first failure")
        after = datetime.now(UTC)
        # First failure: half a step fixed plus up to half a step of jitter.
        next_attempt = _time(flaky["next_attempt"])
        assert before + timedelta(seconds=30) <= next_attempt <= after + timedelta(seconds=60)
        assert len(attempts) == 1


async def test_retry_after_is_respected(database_url: str,
                                        attempts: list[FlakySettings]) -> None:
    async with ingesting(database_url, backoff_base=0.01, backoff_cap=0.05) as ingest:
        await ingest.add_source("flaky", "flaky", retry_after=120)
        before = datetime.now(UTC)

        await ingest.runner.sync()

        flaky = await wait_for(
            lambda: (h := ingest.health("flaky")) and h["state"] == "backoff" and h,
            what="the rate limit")
        assert flaky["last_error"] == "rate limited; retrying in 120 s"
        assert _time(flaky["next_attempt"]) >= before + timedelta(seconds=120)
        assert len(attempts) == 1


async def test_a_source_of_an_unknown_type_is_stopped_with_the_reason(
        database_url: str) -> None:
    async with ingesting(database_url) as ingest:
        await ingest.add_source("old", "retired")

        await ingest.runner.sync()

        old = await wait_for(lambda: (h := ingest.health("old")) and h["state"] == "stopped" and h,
                             what="the source to give up")
        assert "unusable settings for a 'retired' source" in old["last_error"]


async def test_health_lists_every_source_with_its_counts(
        database_url: str, tmp_path: Path) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 4)
    async with ingesting(database_url, [demo_source(posts_file)]) as ingest:
        await ingest.runner.sync()

        demo = await wait_for(
            lambda: (h := ingest.health("demo")) and h["state"] == "finished" and h,
            what="the demo source to finish")

        assert isinstance(demo.pop("id"), int)
        assert isinstance(demo.pop("last_success"), str)
        assert demo == {"event": "ev", "name": "demo", "type": "demo", "state": "finished",
                        "last_error": None, "next_attempt": None, "posts_ingested": 4,
                        "detail": "all 4 demo posts replayed"}


def _source_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("source-ev-")]


async def test_aclose_stops_every_source(database_url: str, tmp_path: Path,
                                         attempts: list[FlakySettings]) -> None:
    posts_file = write_demo_posts(tmp_path / "posts.json", 3)
    # A looping demo waits an hour after each post; the flaky source waits a minute to retry.
    async with ingesting(database_url, [demo_source(posts_file, loop=True, interval_seconds=3600)],
                         backoff_base=60.0) as ingest:
        await ingest.add_source("flaky", "flaky")
        await ingest.runner.sync()
        await wait_for(lambda: {h["state"] for h in ingest.runner.health()} == {"ok", "backoff"},
                       what="both sources to be running")
        assert len(_source_tasks()) == 2

        await ingest.runner.aclose()

        assert ingest.runner.health() == []
        assert _source_tasks() == []


async def test_sync_restarts_a_changed_source_and_stops_a_disabled_one(
        database_url: str, tmp_path: Path) -> None:
    first = write_demo_posts(tmp_path / "first.json", 3)
    async with ingesting(database_url, [demo_source(first)]) as ingest:
        await ingest.runner.sync()
        await wait_for(lambda: (h := ingest.health("demo")) and h["state"] == "finished",
                       what="the first file to be replayed")

        # Unchanged settings: the source is left alone (a restart would start from zero).
        await apply_settings(ingest.sessions, make_settings(database_url,
                                                            sources=[demo_source(first)]))
        await ingest.runner.sync()
        unchanged = ingest.health("demo")
        assert unchanged is not None
        assert (unchanged["state"], unchanged["posts_ingested"]) == ("finished", 3)

        # A changed file: restarted with the new settings, resuming at its cursor.
        second = write_demo_posts(tmp_path / "second.json", 5)
        await apply_settings(ingest.sessions, make_settings(database_url,
                                                            sources=[demo_source(second)]))
        await ingest.runner.sync()
        restarted = await wait_for(
            lambda: (h := ingest.health("demo")) and h["state"] == "finished" and h,
            what="the restarted source to finish")
        assert restarted["posts_ingested"] == 2
        assert restarted["detail"] == "all 5 demo posts replayed"
        assert await ingest.external_ids("demo") == ["p01", "p02", "p03", "p04", "p05"]

        # Disabled in the settings: stopped and no longer listed.
        await apply_settings(ingest.sessions, make_settings(
            database_url, sources=[demo_source(second, enabled=False)]))
        await ingest.runner.sync()
        assert ingest.runner.health() == []
        assert _source_tasks() == []
