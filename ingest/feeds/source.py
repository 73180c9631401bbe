"""FeedSource: polls feeds with conditional GETs and passes on the entries not passed on before."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import feedparser
import httpx

from ingest.base import NormalizedPost, RetryAfter, SourceContext, SourceError
from ingest.feeds.captions import Captions, media_captions
from ingest.feeds.entries import Selection, entry_version, external_id, to_post
from ingest.feeds.settings import FeedConfig, FeedSourceSettings
from ingest.http import MAX_BODY_BYTES, describe_url, fetch

log = logging.getLogger(__name__)

MAX_FEED_BYTES = MAX_BODY_BYTES
# Entries remembered per feed as passed on (with their version): more than most feeds list.
MAX_SEEN = 200
# Feeds of one source are fetched side by side, but not all at once.
CONCURRENT_FETCHES = 4
_ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
           "*/*;q=0.5")


@dataclass(slots=True)
class _Checked:
    """One feed after one poll: its new cursor state, and the posts to emit or why it failed."""

    state: dict[str, Any]
    posts: list[NormalizedPost] = field(default_factory=list)
    changed: bool = False
    error: SourceError | None = None


class FeedSource:
    """Polls feeds with conditional GETs and emits the entries selected for the event."""

    def __init__(self, settings: FeedSourceSettings) -> None:
        self.settings = settings

    async def run(self, ctx: SourceContext) -> None:
        while True:
            cursor = await ctx.load_cursor()
            due = [feed for feed in self.settings.feeds
                   if self._next_check(feed, cursor, ctx.hashtags) <= time.time()]
            if due:
                cursor = await self.poll(ctx, due)
            next_check = min(self._next_check(feed, cursor, ctx.hashtags)
                             for feed in self.settings.feeds)
            await asyncio.sleep(max(0.0, next_check - time.time()))

    def _next_check(self, feed: FeedConfig, cursor: dict[str, Any],
                    hashtags: tuple[str, ...]) -> float:
        # A feed that failed keeps its old check time: it is due again whenever the runner retries.
        state = cursor.get("feeds", {}).get(feed.url, {})
        checked_at = state.get("checked_at")
        if state.get("selection") != Selection.of(feed, hashtags).key or not isinstance(
                checked_at, int | float):
            return 0.0
        return float(checked_at) + self.settings.poll_interval_seconds

    async def poll(self, ctx: SourceContext, feeds: list[FeedConfig] | None = None
                   ) -> dict[str, Any]:
        """Check each feed once and emit its new entries; the cursor saved. A feed that failed
        does not stop the others: one SourceError naming every failed feed is raised at the end."""
        feeds = self.settings.feeds if feeds is None else feeds
        states: dict[str, Any] = dict((await ctx.load_cursor()).get("feeds", {}))
        limit = asyncio.Semaphore(CONCURRENT_FETCHES)

        async def check(feed: FeedConfig) -> _Checked:
            async with limit:
                try:
                    return await _check(ctx.http, feed, Selection.of(feed, ctx.hashtags),
                                        dict(states.get(feed.url, {})))
                except Exception as exc:  # a feed nobody foresaw must not stop the others
                    log.exception("reading the feed %s failed", feed.url)
                    return _Checked({}, error=SourceError(
                        f"the feed {describe_url(feed.url)} could not be read "
                        f"({type(exc).__name__})"))

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(check(feed)) for feed in feeds]
        errors: list[SourceError] = []
        emitted = changed = 0
        for feed, task in zip(feeds, tasks, strict=True):
            checked = task.result()
            if checked.error is not None:
                errors.append(checked.error)
                continue
            for post in checked.posts:
                await ctx.emit(post)
            emitted += len(checked.posts)
            changed += checked.changed
            states[feed.url] = checked.state
        configured = {feed.url for feed in self.settings.feeds}
        cursor = {"feeds": {url: state for url, state in states.items() if url in configured}}
        await ctx.save_cursor(cursor)
        if errors:
            error = _round_error(errors, len(feeds))
            if error is errors[0]:
                raise error
            raise error from errors[0]
        ctx.mark_healthy(f"checked {len(feeds)} feed{'s' * (len(feeds) != 1)}, {changed} "
                         f"changed; {emitted} new or edited entries passed on")
        return cursor


async def _check(client: httpx.AsyncClient, feed: FeedConfig, selection: Selection,
                 state: dict[str, Any]) -> _Checked:
    if state.get("selection") != selection.key:
        # Entries the old selection skipped may be wanted now: fetch and read the feed afresh.
        state = {"selection": selection.key}
    headers = {"accept": _ACCEPT}
    if isinstance(state.get("etag"), str):
        headers["if-none-match"] = state["etag"]
    if isinstance(state.get("modified"), str):
        headers["if-modified-since"] = state["modified"]
    try:
        response = await fetch(client, feed.url, headers=headers, ok=(200, 304),
                               max_bytes=MAX_FEED_BYTES)
        checked = {**state, "checked_at": time.time()}
        if response.status_code == 304:
            return _Checked(checked)
        body = response.content
        if not body.strip():
            raise SourceError(f"the feed {describe_url(feed.url)} sent an empty document")
        checked.update(etag=response.headers.get("etag"),
                       modified=response.headers.get("last-modified"))
        digest = hashlib.sha256(body).hexdigest()
        if digest == state.get("digest"):
            return _Checked(checked)  # a server that ignores validators sent the same document
        parsed, captions = await asyncio.to_thread(_parse, body, response)
        _check_is_feed(parsed, feed.url, response.headers.get("content-type", "no content type"))
    except SourceError as exc:
        return _Checked(state, error=exc)
    posts, seen = _select(parsed, captions, feed.url, selection, state.get("seen") or {})
    checked.update(digest=digest, seen=seen)
    return _Checked(checked, posts, changed=True)


def _parse(body: bytes, response: httpx.Response) -> tuple[Any, list[Captions] | None]:
    # A BytesIO, never the bytes or a str: feedparser fetches or opens a string that looks like
    # a URL or a file name. Content-Location lets it resolve relative links against the feed.
    headers = {key: response.headers[key] for key in ("content-type", "content-language")
               if key in response.headers}
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False,
                              response_headers={**headers, "content-location": str(response.url)})
    captions = media_captions(body) if parsed.entries else None
    if captions is not None and len(captions) != len(parsed.entries):
        captions = None
    return parsed, captions


def _check_is_feed(parsed: Any, url: str, content_type: str) -> None:
    if parsed.entries:
        return  # even a feed with an error somewhere is read for what it carries
    if not parsed.get("version"):
        raise SourceError(f"{describe_url(url)} is not an RSS or Atom feed ({content_type})")
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        raise SourceError(f"the feed {describe_url(url)} is malformed: {problem}")


def _select(parsed: Any, captions: list[Captions] | None, feed_url: str, selection: Selection,
            seen: dict[str, str]) -> tuple[list[NormalizedPost], dict[str, str]]:
    """The posts of the selected entries not passed on before in this version, and what to
    remember as passed on."""
    posts: list[NormalizedPost] = []
    now_seen: dict[str, str] = {}
    for index, entry in enumerate(parsed.entries):
        entry_id = external_id(entry, feed_url)
        version = entry_version(entry)
        if seen.get(entry_id) == version:
            now_seen[entry_id] = version
            continue
        post = to_post(entry, parsed.feed, feed_url, entry_id, selection,
                       captions[index] if captions else Captions())
        if post is not None:
            posts.append(post)
            now_seen[entry_id] = version
    return posts, dict(list(now_seen.items())[:MAX_SEEN])


def _round_error(errors: list[SourceError], total: int) -> SourceError:
    if total == 1:
        return errors[0]
    reasons = [error.reason if isinstance(error, RetryAfter) else str(error) for error in errors]
    message = f"{len(errors)} of {total} feeds failed: " + "; ".join(reasons)
    waits = [error.seconds for error in errors if isinstance(error, RetryAfter)]
    return RetryAfter(max(waits), message) if waits else SourceError(message)
