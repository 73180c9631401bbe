"""The Bluesky source: reads Jetstream for tagged posts and deletions, hydrates them in batches
through the AppView, keeps its cursor, and re-checks approved posts for new labels."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, OrderedDict
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from ingest.base import SourceContext, SourceError
from ingest.bluesky._utils import _strings
from ingest.bluesky.appview import get_posts
from ingest.bluesky.labels import BLOCKING_LABELS, WARN_LABEL, labels_of, self_labels
from ingest.bluesky.posts import _Pending, to_post
from ingest.bluesky.records import _DID, _RKEY, POST, hashtags
from ingest.bluesky.settings import BlueskySourceSettings
from ingest.http import USER_AGENT

log = logging.getLogger(__name__)

# A post the AppView does not know yet (it trails the firehose by a moment) is asked for again
# this many times, waiting twice as long each time, before it is given up.
LOOKUPS = 5
# Deletions on the whole network come by the dozen a second; only those of authors we have
# ingested from are passed on, so the store is not asked about every one of them.
KNOWN_AUTHORS = 2000
RECENT = 5000
SAVE_EVERY_EVENTS = 1000


class BlueskySource:
    """Reads Jetstream, looks tagged posts up in batches, and remembers its place by time_us."""

    def __init__(self, settings: BlueskySourceSettings, *, batch_delay: float = 1.0,
                 save_interval: float = 5.0, recheck_interval: float = 300.0,
                 idle_timeout: float = 60.0) -> None:
        self.settings = settings
        self.batch_delay = batch_delay            # longest a tagged post waits for its batch
        self.save_interval = save_interval        # cursor save and health report
        self.recheck_interval = recheck_interval  # approved posts re-checked for new labels
        self.idle_timeout = idle_timeout          # a firehose that says nothing has stalled
        self.counts: Counter[str] = Counter()
        self._pending: dict[str, _Pending] = {}
        self._recent: OrderedDict[str, int] = OrderedDict()   # "uri cid" -> time_us, decided
        self._authors: OrderedDict[str, None] = OrderedDict()  # DIDs we have ingested from
        self._time_us: int | None = None
        self._unsaved = 0
        self._saved: dict[str, Any] = {}

    async def run(self, ctx: SourceContext) -> None:
        await self._restore(ctx)
        url, host = self._subscribe_url(), urlsplit(self.settings.jetstream_url).netloc
        try:
            ws = await connect(url, user_agent_header=USER_AGENT, open_timeout=10)
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise SourceError(f"could not connect to Jetstream at {host}: {exc}") from exc
        try:
            async with ws:
                ctx.mark_healthy(f"connected to Jetstream at {host}")
                await self._read(ctx, ws)
        except ConnectionClosed as exc:
            raise SourceError(f"Jetstream at {host} closed the connection: {exc}") from exc
        finally:
            # Also on cancellation (a clean stop) and on errors: what is saved never passes a
            # post that is still waiting, so nothing is skipped on the next start.
            await self._save(ctx)

    async def handle_message(self, ctx: SourceContext, message: str | bytes) -> None:
        """Take one Jetstream event: queue a tagged post, pass a deletion on, skip the rest."""
        self.counts["received"] += 1
        try:
            event = json.loads(message)
            time_us, kind = event["time_us"], event["kind"]
            if type(time_us) is not int or not isinstance(kind, str):
                raise ValueError("time_us or kind of the wrong type")
        except (ValueError, TypeError, KeyError) as exc:
            self._skip("malformed", "unreadable Jetstream event (%s): %.200r", exc, message)
            return
        self._time_us = max(self._time_us or 0, time_us)
        self._unsaved += 1
        commit = event.get("commit")
        if kind == "commit" and not isinstance(commit, dict):
            self._skip("malformed", "commit event without a commit: %.200r", message)
            return
        if kind != "commit" or commit.get("collection") != POST:
            self._skip("skipped", "not a post event: %s", kind)
            return
        did, rkey, operation = event.get("did"), commit.get("rkey"), commit.get("operation")
        if not (isinstance(did, str) and _DID.fullmatch(did) and isinstance(rkey, str)
                and _RKEY.fullmatch(rkey) and operation in ("create", "update", "delete")):
            self._skip("malformed", "post commit without did, rkey or operation: %.200r", message)
            return
        uri = f"at://{did}/{POST}/{rkey}"
        if operation == "delete":
            self._pending.pop(uri, None)
            if did in self._authors:
                self.counts["deleted"] += 1
                await ctx.delete(uri)
            return
        record = commit.get("record")
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            self._skip("malformed", "post commit without a record: %.200r", message)
            return
        wanted = {tag.casefold() for tag in ctx.hashtags}
        if not any(tag.casefold() in wanted for tag in hashtags(record)):
            self.counts["untagged"] += 1
            return
        version = f"{uri} {commit.get('cid') or commit.get('rev') or ''}"
        if version in self._recent:
            self.counts["repeated"] += 1   # replayed after a reconnect, and already decided
            return
        earlier = self._pending.get(uri)
        self._pending[uri] = _Pending(
            uri, did, rkey, record, min(time_us, earlier.time_us) if earlier else time_us,
            version, operation == "update", asyncio.get_running_loop().time() + self.batch_delay)
        self.counts["matched"] += 1

    async def hydrate_due(self, ctx: SourceContext) -> None:
        """Look up the posts whose wait is over, or a full batch of new ones."""
        while True:
            now = asyncio.get_running_loop().time()
            full = len(self._pending) >= self.settings.hydrate_batch
            batch = [p for p in self._pending.values()
                     if p.due <= now or (full and not p.lookups)]
            if not batch:
                return
            batch = batch[:self.settings.hydrate_batch]
            views = await get_posts(ctx.http, self.settings.appview_url, [p.uri for p in batch])
            for item in batch:
                view = views.get(item.uri)
                if view is not None:
                    await self._decide(ctx, item, view)
                    del self._pending[item.uri]   # only now: the cursor must not pass it before
                    continue
                item.lookups += 1
                if item.lookups < LOOKUPS:
                    item.due = now + max(self.batch_delay, 0.05) * 2 ** item.lookups
                    continue
                log.info("the AppView does not know %s; giving it up", item.uri)
                del self._pending[item.uri]
                self._remember(item)
                self.counts["unknown"] += 1

    async def _read(self, ctx: SourceContext, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        last_message = next_save = loop.time()
        next_recheck = next_save + self.recheck_interval
        while True:
            wake = min([next_save, next_recheck, last_message + self.idle_timeout,
                        *(p.due for p in self._pending.values())])
            try:
                async with asyncio.timeout(max(0.0, wake - loop.time())):
                    message = await ws.recv()   # safe to cancel: nothing is lost
            except TimeoutError:
                message = None
            now = loop.time()
            if message is not None:
                last_message = now
                await self.handle_message(ctx, message)
            elif now - last_message >= self.idle_timeout:
                raise SourceError(f"Jetstream sent nothing for {self.idle_timeout:g} s")
            await self.hydrate_due(ctx)
            if now >= next_save or self._unsaved >= SAVE_EVERY_EVENTS:
                await self._save(ctx)
                ctx.mark_healthy(f"{self.counts['received']} events read, "
                                 f"{self.counts['emitted']} posts ingested")
                next_save = now + self.save_interval
            if now >= next_recheck:
                await self.recheck(ctx)
                next_recheck = now + self.recheck_interval

    async def recheck(self, ctx: SourceContext) -> None:
        """Take approved posts down that have since been labelled (labels are not streamed)."""
        uris = [p.external_id for p in await ctx.shown_posts()
                if p.external_id.startswith("at://")]
        size = self.settings.hydrate_batch
        for start in range(0, len(uris), size):
            views = await get_posts(ctx.http, self.settings.appview_url, uris[start:start + size])
            for uri, view in views.items():
                if labels_of(view) & BLOCKING_LABELS:
                    self.counts["taken down"] += 1
                    await ctx.delete(uri)

    async def _decide(self, ctx: SourceContext, item: _Pending, view: dict[str, Any]) -> None:
        labels = labels_of(view) | self_labels(item.record)
        if labels & BLOCKING_LABELS:
            self.counts["blocked"] += 1
            if item.update:   # it may have been ingested before it was labelled
                await ctx.delete(item.uri)
        else:
            await ctx.emit(to_post(item, view, warn=WARN_LABEL in labels))
            self.counts["emitted"] += 1
            self._authors[item.did] = None
            self._authors.move_to_end(item.did)
            if len(self._authors) > KNOWN_AUTHORS:
                self._authors.popitem(last=False)
        self._remember(item)

    def _remember(self, item: _Pending) -> None:
        self._recent[item.version] = item.time_us
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    def _cursor(self) -> int | None:
        """The time_us up to which every event is dealt with."""
        if self._pending:
            return min(p.time_us for p in self._pending.values()) - 1
        return self._time_us

    async def _save(self, ctx: SourceContext) -> None:
        cursor = self._cursor()
        if cursor is None:
            return
        since = cursor - int(self.settings.rewind_seconds * 1_000_000)
        state = {
            "time_us": cursor,
            # What replaying the rewound seconds will bring again, so it is not looked up twice.
            "recent": [version for version, time_us in self._recent.items() if time_us >= since],
            "authors": list(self._authors),
        }
        if state != self._saved:
            await ctx.save_cursor(state)
            self._saved = state
        self._unsaved = 0

    async def _restore(self, ctx: SourceContext) -> None:
        saved = await ctx.load_cursor()
        self._pending.clear()
        self._time_us = None
        if type(saved.get("time_us")) is int:
            self._time_us = saved["time_us"]
            for version in _strings(saved.get("recent")):
                self._recent.setdefault(version, saved["time_us"])
            for did in _strings(saved.get("authors")):
                self._authors.setdefault(did, None)

    def _subscribe_url(self) -> str:
        parts = urlsplit(self.settings.jetstream_url)
        query = [*parse_qsl(parts.query), ("wantedCollections", POST)]
        if self._time_us is not None:
            rewind = int(self.settings.rewind_seconds * 1_000_000)
            query.append(("cursor", str(max(0, self._time_us - rewind))))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _skip(self, count: str, message: str, *args: Any) -> None:
        self.counts[count] += 1
        log.debug(message, *args)
