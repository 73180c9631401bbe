"""Runs every enabled source as its own supervised task: a source that fails is retried with
backoff and jitter, and never takes the server or the other sources down with it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import select, update

from app.db import Sessions, writing
from app.models import APPROVED, Event, Post, Source
from app.payloads import iso
from app.posts import PostStore
from ingest.base import IngestResult, NormalizedPost, RetryAfter, ShownPost, SourceHealth
from ingest.registry import SOURCE_CONFIGS, build_source

log = logging.getLogger(__name__)


def backoff_delay(failures: int, base: float, cap: float,
                  rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, so sources that fail
    together do not retry together, and no retry comes sooner than half a step."""
    # The exponent is bounded: a float base times 2**1024 or more raises OverflowError, which
    # would end the supervisor of a source that has been failing for days.
    step = min(cap, base * 2.0 ** min(max(0, failures - 1), 64))
    return step / 2 + rng() * step / 2


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Running:
    fingerprint: str
    task: asyncio.Task[None]
    health: SourceHealth
    event_slug: str
    name: str
    type: str


class _Context:
    """What one running source sees of the app (ingest.base.SourceContext)."""

    def __init__(self, runner: IngestRunner, source_id: int, event_id: int,
                 hashtags: tuple[str, ...], auto_approve: bool, health: SourceHealth) -> None:
        self._runner = runner
        self._source_id = source_id
        self._event_id = event_id
        self._hashtags = hashtags
        self._auto_approve = auto_approve
        self._health = health

    @property
    def hashtags(self) -> tuple[str, ...]:
        return self._hashtags

    @property
    def http(self) -> httpx.AsyncClient:
        return self._runner.http

    async def emit(self, post: NormalizedPost) -> IngestResult:
        result = await self._runner.store.ingest(
            event_id=self._event_id, source_id=self._source_id, post=post,
            auto_approve=self._auto_approve)
        if result.created:
            self._health.posts_ingested += 1
        return result

    async def delete(self, external_id: str) -> None:
        await self._runner.store.delete_at_source(source_id=self._source_id,
                                                  external_id=external_id)

    async def shown_posts(self, limit: int = 200) -> list[ShownPost]:
        async with self._runner.sessions() as session:
            rows = (await session.execute(
                select(Post.external_id, Post.url, Post.source_data)
                .where(Post.source_id == self._source_id, Post.status == APPROVED)
                .order_by(Post.id.desc()).limit(limit))).all()
        return [ShownPost(row.external_id, row.url, dict(row.source_data)) for row in rows]

    async def load_cursor(self) -> dict[str, Any]:
        async with self._runner.sessions() as session:
            cursor = await session.scalar(select(Source.cursor).where(Source.id == self._source_id))
        return dict(cursor or {})

    async def save_cursor(self, cursor: dict[str, Any]) -> None:
        async with writing(self._runner.sessions) as session:
            await session.execute(
                update(Source).where(Source.id == self._source_id).values(cursor=cursor))

    def mark_healthy(self, detail: str = "") -> None:
        self._health.state = "ok"
        self._health.last_success = _now()
        self._health.failures = 0
        self._health.last_error = None
        self._health.next_attempt = None
        self._health.detail = detail


class IngestRunner:
    """Starts, supervises and stops the sources configured in the database."""

    def __init__(self, sessions: Sessions, store: PostStore, http: httpx.AsyncClient, *,
                 allow_private_networks: bool = False, backoff_base: float = 1.0,
                 backoff_cap: float = 300.0) -> None:
        self.sessions = sessions
        self.store = store
        self.http = http
        self.allow_private_networks = allow_private_networks
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._running: dict[int, _Running] = {}

    async def sync(self) -> None:
        """Match the running sources to the enabled ones in the database (start, stop, restart)."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(Source, Event).join(Event).where(Source.enabled.is_(True))
            )).all()
        wanted = {source.id: (source, event, _fingerprint(source, event)) for source, event in rows}
        for source_id, run in list(self._running.items()):
            if source_id not in wanted or wanted[source_id][2] != run.fingerprint:
                await self._stop(source_id)
        for source_id, (source, event, fingerprint) in wanted.items():
            if source_id not in self._running:
                health = SourceHealth()
                task = asyncio.create_task(
                    self._supervise(source.id, event.id, tuple(event.hashtags), source.type,
                                    dict(source.config), health),
                    name=f"source-{event.slug}-{source.name}")
                self._running[source_id] = _Running(fingerprint, task, health, event.slug,
                                                    source.name, source.type)

    def health(self) -> list[dict[str, Any]]:
        """Every running source's state, for `GET /api/sources` and the moderator page."""
        return [
            {
                "id": source_id, "event": run.event_slug, "name": run.name, "type": run.type,
                "state": run.health.state,
                "last_success": iso(run.health.last_success),
                "last_error": run.health.last_error,
                "next_attempt": iso(run.health.next_attempt),
                "posts_ingested": run.health.posts_ingested,
                "detail": run.health.detail,
            }
            for source_id, run in sorted(self._running.items())
        ]

    async def aclose(self) -> None:
        for source_id in list(self._running):
            await self._stop(source_id)

    async def _stop(self, source_id: int) -> None:
        run = self._running.pop(source_id)
        run.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run.task

    async def _supervise(self, source_id: int, event_id: int, hashtags: tuple[str, ...],
                         source_type: str, config: dict[str, Any], health: SourceHealth) -> None:
        try:
            settings = SOURCE_CONFIGS[source_type].model_validate(config)
        except (KeyError, ValidationError) as exc:
            health.state = "stopped"
            health.last_error = f"unusable settings for a {source_type!r} source: {exc}"
            log.error("source %s: %s", source_id, health.last_error)
            return
        ctx = _Context(self, source_id, event_id, hashtags, settings.auto_approve, health)
        while True:
            try:
                source = build_source(settings,
                                      allow_private_networks=self.allow_private_networks)
                await source.run(ctx)
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                health.failures += 1
                self._failed(health, exc, exc.seconds)
            except Exception as exc:
                health.failures += 1
                self._failed(health, exc, backoff_delay(health.failures, self.backoff_base,
                                                        self.backoff_cap))
                log.warning("source %s (%s) failed: %s", source_id, source_type,
                            health.last_error, exc_info=exc)
            else:
                health.state = "finished"
                health.next_attempt = None
                return
            assert health.next_attempt is not None
            await asyncio.sleep(max(0.0, (health.next_attempt - _now()).total_seconds()))

    @staticmethod
    def _failed(health: SourceHealth, exc: Exception, delay: float) -> None:
        health.state = "backoff"
        health.last_error = str(exc) or type(exc).__name__
        health.next_attempt = _now() + timedelta(seconds=delay)


def _fingerprint(source: Source, event: Event) -> str:
    """Changes whenever anything the running source depends on changes."""
    blob = json.dumps([source.type, source.config, event.hashtags, event.id], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()
