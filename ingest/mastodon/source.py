"""The Mastodon source: polls or streams the event's hashtags, and re-checks approved posts."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import quote

from ingest.base import RetryAfter, SourceContext, SourceError
from ingest.mastodon import api, limits
from ingest.mastodon.settings import MastodonSourceSettings
from ingest.mastodon.statuses import Emitter, fold_tag, is_id
from ingest.mastodon.stream import Streams, streaming_base
from ingest.mastodon.timeline import Timelines

log = logging.getLogger(__name__)


class MastodonSource:
    """Follows the event's hashtags on the configured Mastodon instances."""

    def __init__(self, settings: MastodonSourceSettings, *,
                 allow_private_networks: bool = False) -> None:
        self.settings = settings
        # Only for the websocket, which does not go through the SSRF-safe HTTP client: mirror
        # the client's network.allow_private_addresses.
        self.allow_private_networks = allow_private_networks
        self._emitter = Emitter()
        self._timelines = Timelines(settings, self._emitter)
        self._streams = Streams(self._timelines, self._emitter,
                                allow_private_networks=allow_private_networks)
        self._recheck_from = 0

    async def run(self, ctx: SourceContext) -> None:
        self._emitter.wanted = frozenset(fold_tag(tag) for tag in ctx.hashtags)
        await self._timelines.load(ctx)
        if self.settings.streaming:
            await self._run_streaming(ctx)
        else:
            await self._run_polling(ctx)

    async def _run_polling(self, ctx: SourceContext) -> None:
        next_recheck = 0.0
        while True:
            new = 0
            for instance in self.settings.instances:
                for tag in ctx.hashtags:
                    new += await self._timelines.catch_up(ctx, instance, tag)
            ctx.mark_healthy(f"polled {_count(len(ctx.hashtags), 'tag')} on "
                             f"{_count(len(self.settings.instances), 'instance')}, {new} new")
            if time.monotonic() >= next_recheck:
                await self._recheck(ctx)
                next_recheck = time.monotonic() + self.settings.recheck_interval_seconds
            await asyncio.sleep(self.settings.poll_interval_seconds)

    async def _run_streaming(self, ctx: SourceContext) -> None:
        for post in await ctx.shown_posts():
            instance, local_id = post.source_data.get("instance"), post.source_data.get("id")
            if isinstance(instance, str) and isinstance(local_id, str):
                self._emitter.remember(instance, local_id, post.external_id)
        bases = [(instance, await streaming_base(ctx, instance))
                 for instance in self.settings.instances]
        if not ctx.hashtags:
            ctx.mark_healthy("the event has no hashtags to stream")
        try:
            async with asyncio.TaskGroup() as group:
                for instance, base in bases:
                    for tag in ctx.hashtags:
                        group.create_task(self._streams.follow(ctx, instance, base, tag))
                group.create_task(self._recheck_forever(ctx))
        except BaseExceptionGroup as failures:
            # The runner shows one error in words, not "unhandled errors in a TaskGroup".
            raise _first_error(failures) from None

    async def _recheck_forever(self, ctx: SourceContext) -> None:
        while True:
            await self._recheck(ctx)
            await asyncio.sleep(self.settings.recheck_interval_seconds)

    async def _recheck(self, ctx: SourceContext) -> None:
        """Look approved posts up again; a status gone at its instance leaves the walls."""
        instances = {instance.url: instance for instance in self.settings.instances}
        shown = [post for post in await ctx.shown_posts()
                 if post.source_data.get("instance") in instances
                 and is_id(post.source_data.get("id"))]
        if not shown:
            return
        # A window that moves on every round, so every shown post gets its turn.
        start = self._recheck_from % len(shown)
        batch = (shown[start:] + shown[:start])[:limits.MAX_RECHECKS]
        self._recheck_from = start + len(batch)
        for post in batch:
            instance = instances[post.source_data["instance"]]
            path = f"/api/v1/statuses/{quote(post.source_data['id'], safe='')}"
            try:
                response = await api.get(ctx, instance, path, None, ok=(200, 404, 410))
            except RetryAfter:
                raise
            except SourceError as exc:
                log.info("could not re-check %s: %s", post.external_id, exc)
                continue  # unknown is not deleted: the post stays
            if response.status_code in (404, 410):
                await ctx.delete(post.external_id)
                continue
            try:
                status = api.parse_json(response.content)
            except ValueError:
                continue
            await self._emitter.emit(ctx, instance, status)  # picks up edits when not streaming


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
