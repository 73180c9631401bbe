"""Bluesky: posts with the event's hashtags from the Jetstream firehose, completed through the
public AppView (author, avatar, images, moderation labels) before they reach the moderators."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from ingest.base import Author, MediaItem, NormalizedPost, SourceContext, SourceError
from ingest.http import USER_AGENT, fetch_json
from ingest.settings import SourceSettings

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
TAG = "app.bsky.richtext.facet#tag"
LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
# Labels that keep a post off the walls whoever set them (the author, Bluesky's moderation):
# adult and graphic content, "hide", and authors who asked not to be shown to logged-out
# viewers, which a wall in a hall is. `gore`, `nsfl` are the older names of `graphic-media`.
BLOCKING_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore", "nsfl",
                             "!hide", "!no-unauthenticated"})
WARN_LABEL = "!warn"
CONTENT_WARNING = "Content warning"
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
# A post the AppView does not know yet (it trails the firehose by a moment) is asked for again
# this many times, waiting twice as long each time, before it is given up.
LOOKUPS = 5
# Deletions on the whole network come by the dozen a second; only those of authors we have
# ingested from are passed on, so the store is not asked about every one of them.
KNOWN_AUTHORS = 2000
RECENT = 5000
SAVE_EVERY_EVENTS = 1000


class BlueskySourceSettings(SourceSettings):
    type: Literal["bluesky"]
    jetstream_url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    appview_url: str = "https://public.api.bsky.app"
    # How far the saved cursor is rewound on reconnecting: Jetstream's time cursor is not
    # gapless at the exact boundary; replayed posts are recognised and not stored twice.
    rewind_seconds: float = Field(default=5.0, ge=0, le=3600)
    # Posts looked up with one getPosts request (the AppView takes at most 25).
    hydrate_batch: int = Field(default=25, ge=1, le=25)

    @field_validator("jetstream_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if not _has_scheme(value, ("ws", "wss")):
            raise ValueError("jetstream_url must be a ws:// or wss:// URL, such as "
                             "wss://jetstream2.us-east.bsky.network/subscribe")
        return value

    @field_validator("appview_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _has_scheme(value, ("http", "https")):
            raise ValueError("appview_url must be an http:// or https:// URL, such as "
                             "https://public.api.bsky.app")
        return value.rstrip("/")


@dataclass(slots=True)
class _Pending:
    """A post with an event hashtag, waiting to be looked up at the AppView."""

    uri: str
    did: str
    rkey: str
    record: dict[str, Any]
    time_us: int
    version: str
    update: bool
    due: float
    lookups: int = 0


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
            views = await self._lookup(ctx, [p.uri for p in batch])
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
            for uri, view in (await self._lookup(ctx, uris[start:start + size])).items():
                if labels_of(view) & BLOCKING_LABELS:
                    self.counts["taken down"] += 1
                    await ctx.delete(uri)

    async def _lookup(self, ctx: SourceContext, uris: list[str]) -> dict[str, dict[str, Any]]:
        url = f"{self.settings.appview_url}/xrpc/app.bsky.feed.getPosts"
        data = await fetch_json(ctx.http, url, params={"uris": uris})
        posts = data.get("posts") if isinstance(data, dict) else None
        if not isinstance(posts, list):
            raise SourceError(f"{urlsplit(url).netloc} answered getPosts without a post list")
        return {view["uri"]: view for view in posts
                if isinstance(view, dict) and isinstance(view.get("uri"), str)}

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


def to_post(item: _Pending, view: dict[str, Any], *, warn: bool = False) -> NormalizedPost:
    """The post of a Jetstream record and its AppView PostView."""
    author = _dict(view.get("author"))
    handle = _text(author.get("handle"))
    ident = handle if handle and handle != "handle.invalid" else item.did
    profile = f"https://bsky.app/profile/{quote(ident, safe=':.')}"
    text: str = item.record["text"]
    langs = item.record.get("langs")
    return NormalizedPost(
        external_id=item.uri,
        author=Author(name=_text(author.get("displayName")).strip() or ident,
                      handle=f"@{ident}", avatar_url=_web_url(author.get("avatar")),
                      profile_url=profile),
        text=text,
        html=to_html(text, item.record.get("facets")),
        created_at=_created_at(item.record.get("createdAt"), item.time_us),
        url=f"{profile}/post/{item.rkey}",
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        hashtags=hashtags(item.record),
        media=media(view.get("embed")),
        content_warning=CONTENT_WARNING if warn else None,
        sensitive=warn,
        edited_at=_moment(item.time_us) if item.update else None,
        source_data={"did": item.did, "rkey": item.rkey},
    )


def hashtags(record: dict[str, Any]) -> tuple[str, ...]:
    """The tags of tag facets and of `record.tags`, once each (the text itself is not read)."""
    found: dict[str, str] = {}
    tags: list[Any] = [feature.get("tag") for facet in _dicts(record.get("facets"))
                       for feature in _dicts(facet.get("features")) if feature.get("$type") == TAG]
    tags += _strings(record.get("tags"))
    for tag in tags:
        if isinstance(tag, str) and (tag := tag.strip().lstrip("#")):
            found.setdefault(tag.casefold(), tag)
    return tuple(found.values())


def labels_of(view: dict[str, Any]) -> set[str]:
    """The label values on a PostView, its author and its record, less the negated ones."""
    author = _dict(view.get("author"))
    record = _dict(view.get("record"))
    applied: set[tuple[str, str]] = set()
    negated: set[tuple[str, str]] = set()
    for label in [*_dicts(view.get("labels")), *_dicts(author.get("labels"))]:
        value, src = label.get("val"), _text(label.get("src"))
        if isinstance(value, str):
            (negated if label.get("neg") is True else applied).add((src, value))
    return {value for _, value in applied - negated} | self_labels(record)


def self_labels(record: dict[str, Any]) -> set[str]:
    labels = record.get("labels")
    values = labels.get("values") if isinstance(labels, dict) else None
    return {v["val"] for v in _dicts(values) if isinstance(v.get("val"), str)}


def to_html(text: str, facets: Any) -> str:
    """Escaped text in paragraphs, with link and mention facets (UTF-8 byte ranges) as links."""
    data = text.encode()
    pieces: list[str] = []
    position = 0
    for start, end, href in sorted(filter(None, map(_facet_link, _dicts(facets)))):
        if not position <= start < end <= len(data):
            continue   # overlapping or outside the text
        try:
            before, inner = data[position:start].decode(), data[start:end].decode()
        except UnicodeDecodeError:
            continue   # a range that cuts a character in two
        pieces += [escape(before), f'<a href="{escape(href)}">{escape(inner)}</a>']
        position = end
    pieces.append(escape(data[position:].decode()))
    html = "".join(pieces)
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in html.split("\n\n"))


def _facet_link(facet: dict[str, Any]) -> tuple[int, int, str] | None:
    """The byte range and target of a link or mention facet."""
    index = _dict(facet.get("index"))
    start, end = index.get("byteStart"), index.get("byteEnd")
    if type(start) is not int or type(end) is not int:
        return None
    for feature in _dicts(facet.get("features")):
        did = feature.get("did")
        if feature.get("$type") == LINK and (href := _web_url(feature.get("uri"))):
            return start, end, href
        if feature.get("$type") == MENTION and isinstance(did, str) and _DID.fullmatch(did):
            return start, end, f"https://bsky.app/profile/{did}"
    return None


def media(embed: Any) -> tuple[MediaItem, ...]:
    """Images and video of a PostView's embed view (also beside a quoted post)."""
    if not isinstance(embed, dict):
        return ()
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return media(embed.get("media"))
    if kind == "app.bsky.embed.images#view":
        return tuple(
            MediaItem(kind="image", url=url, preview_url=_web_url(image.get("thumb")),
                      alt=_text(image.get("alt")), width=_side(image, "width"),
                      height=_side(image, "height"))
            for image in _dicts(embed.get("images"))
            if (url := _web_url(image.get("fullsize"))))
    if kind == "app.bsky.embed.video#view" and (url := _web_url(embed.get("playlist"))):
        return (MediaItem(kind="video", url=url, preview_url=_web_url(embed.get("thumbnail")),
                          alt=_text(embed.get("alt")), width=_side(embed, "width"),
                          height=_side(embed, "height")),)
    return ()


def _side(view: dict[str, Any], side: str) -> int | None:
    """Width or height from an embed view's aspect ratio (pixel sizes, as clients send them)."""
    ratio = view.get("aspectRatio")
    value = ratio.get(side) if isinstance(ratio, dict) else None
    return value if type(value) is int and value > 0 else None


def _created_at(value: Any, time_us: int) -> datetime:
    """The post's own date, unless it is unreadable or far ahead of when it was received."""
    received = _moment(time_us)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is not None:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    return moment if moment and moment <= received + timedelta(minutes=10) else received


def _moment(time_us: int) -> datetime:
    try:
        return datetime.fromtimestamp(time_us / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.now(UTC)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _web_url(value: Any) -> str | None:
    return value if isinstance(value, str) and _has_scheme(value, ("http", "https")) else None


def _has_scheme(url: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)
