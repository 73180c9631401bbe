"""Hashtag timelines over REST: paged from a saved min_id cursor per instance and hashtag."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from ingest.base import SourceContext, SourceError
from ingest.mastodon import api, limits
from ingest.mastodon.settings import MastodonInstance, MastodonSourceSettings
from ingest.mastodon.statuses import Emitter, fold_tag, id_key, is_id


class Timelines:
    """The min_id cursors of the followed tag timelines, and catching up from them."""

    def __init__(self, settings: MastodonSourceSettings, emitter: Emitter) -> None:
        self.settings = settings
        self.emitter = emitter
        self._cursors: dict[str, str] = {}
        # Timelines whose last catch-up stopped at the page bound: their cursor must not jump
        # ahead to a streamed status, or the posts in between would never be fetched.
        self._behind: set[str] = set()

    async def load(self, ctx: SourceContext) -> None:
        """Take up the cursors an earlier run saved."""
        saved = (await ctx.load_cursor()).get("min_id")
        if isinstance(saved, dict):
            self._cursors = {key: value for key, value in saved.items()
                             if isinstance(key, str) and is_id(value)}

    async def catch_up(self, ctx: SourceContext, instance: MastodonInstance, tag: str) -> int:
        """Emit what is new in one tag timeline since the saved cursor; the number created."""
        key = _key(instance, tag)
        path = f"/api/v1/timelines/tag/{quote(tag.lstrip('#'), safe='')}"
        new = 0
        for _ in range(limits.MAX_PAGES):
            cursor = self._cursors.get(key)
            params = {"limit": str(limits.PAGE_LIMIT)}
            if cursor is not None:
                params["min_id"] = cursor  # the page immediately newer than the cursor
            if self.settings.only_media:
                params["only_media"] = "true"
            response = await api.get(ctx, instance, path, params, ok=(200, 404))
            if response.status_code == 404:
                if _is_api_error(response):
                    return new  # Mastodon says the hashtag was never used there: nothing yet
                raise SourceError(f"{api.host_of(instance.url)} has no hashtag timelines "
                                  "(HTTP 404): is it a Mastodon server?")
            statuses = [raw for raw in _json_list(response, f"#{tag}") if isinstance(raw, dict)]
            ids = [raw["id"] for raw in statuses if is_id(raw.get("id"))]
            for raw in sorted(statuses, key=lambda raw: id_key(str(raw.get("id", ""))[:64])):
                new += await self.emitter.emit(ctx, instance, raw)
            # Follow rel="prev" (Mastodon's min_id for the next newer page) rather than the
            # newest id seen: the server's boundary also covers statuses it filtered out.
            newest = _prev_min_id(response) or max(ids, key=id_key, default=None)
            if newest is None or (cursor is not None and id_key(newest) <= id_key(cursor)):
                return new
            self._cursors[key] = newest
            await self.save(ctx)
            # A first start takes the newest page only: a wall shows what happens from now on.
            if cursor is None or len(statuses) < limits.PAGE_LIMIT:
                self._behind.discard(key)
                return new
        self._behind.add(key)
        return new

    async def advance(self, ctx: SourceContext, instance: MastodonInstance, tag: str,
                      status_id: Any) -> None:
        """Move a timeline's cursor up to a status that was streamed, if it is newer."""
        key = _key(instance, tag)
        cursor = self._cursors.get(key)
        if key not in self._behind and is_id(status_id) and (
                cursor is None or id_key(status_id) > id_key(cursor)):
            # Keep the REST cursor up to date, so the backfill after a reconnect is short.
            self._cursors[key] = status_id
            await self.save(ctx)

    async def save(self, ctx: SourceContext) -> None:
        """Save the cursors of the timelines followed now."""
        # Only the cursors of what is followed now, so the saved cursor stays small.
        current = {_key(instance, tag) for instance in self.settings.instances
                   for tag in ctx.hashtags}
        await ctx.save_cursor({"min_id": {key: value for key, value in self._cursors.items()
                                          if key in current}})


def _key(instance: MastodonInstance, tag: str) -> str:
    return f"{instance.url} #{fold_tag(tag)}"


def _json_list(response: httpx.Response, what: str) -> list[Any]:
    host = response.url.host
    try:
        data = api.parse_json(response.content)
    except ValueError as exc:
        raise SourceError(f"{host} sent malformed JSON for {what}") from exc
    if not isinstance(data, list):
        raise SourceError(f"{host} sent a JSON {type(data).__name__} instead of a list of "
                          f"statuses for {what}")
    return data


def _is_api_error(response: httpx.Response) -> bool:
    try:
        return isinstance(api.parse_json(response.content).get("error"), str)
    except (ValueError, AttributeError):
        return False


def _prev_min_id(response: httpx.Response) -> str | None:
    prev = response.links.get("prev", {}).get("url")
    if not prev:
        return None
    # Only the cursor is taken from the link; requests keep going to the configured instance.
    values = parse_qs(urlsplit(prev).query).get("min_id", [])
    return values[0] if values and is_id(values[0]) else None
