"""RSS 2.0 and Atom feeds as a source: the entries of blogs and press pages that carry a hashtag."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
import mimetypes
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import feedparser
import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.sanitize import clean_text, html_to_text
from ingest.base import (
    Author,
    MediaItem,
    NormalizedPost,
    RetryAfter,
    SourceContext,
    SourceError,
)
from ingest.http import MAX_BODY_BYTES, describe_url, fetch
from ingest.settings import SourceSettings

log = logging.getLogger(__name__)

MAX_FEED_BYTES = MAX_BODY_BYTES
# Entries remembered per feed as passed on (with their version): more than most feeds list.
MAX_SEEN = 200
MAX_MEDIA = 4
# Feeds of one source are fetched side by side, but not all at once.
CONCURRENT_FETCHES = 4
_ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
           "*/*;q=0.5")
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S")
_MRSS = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_MEDIA_DESCRIPTION = {f"{{{ns}}}description" for ns in _MRSS}
_MEDIA_ITEM = {f"{{{ns}}}{name}" for ns in _MRSS for name in ("content", "thumbnail")}
_MEDIA_GROUP = {f"{{{ns}}}group" for ns in _MRSS}
_ENTRY_TAGS = {"item", "{http://purl.org/rss/1.0/}item", "{http://www.w3.org/2005/Atom}entry"}


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # Take every entry, not only those with a hashtag or keyword (e.g. the company's own news).
    all_entries: bool = False
    # Words that select an entry too, matched as whole words in its title and summary.
    keywords: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        url = url.strip()
        try:
            parsed: httpx.URL | None = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"a feed URL starts with http:// or https://, {url!r} does not")
        return url

    @field_validator("keywords")
    @classmethod
    def _no_blank_keywords(cls, keywords: list[str]) -> list[str]:
        keywords = [keyword.strip() for keyword in keywords]
        if not all(keywords):
            raise ValueError("a keyword may not be blank")
        return keywords


class FeedSourceSettings(SourceSettings):
    type: Literal["rss"]
    feeds: list[FeedConfig]
    poll_interval_seconds: float = Field(default=300, ge=0)

    @field_validator("feeds")
    @classmethod
    def _some_distinct_feeds(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        if not feeds:
            raise ValueError("an rss source needs at least one feed")
        urls = [feed.url for feed in feeds]
        for url in urls:
            if urls.count(url) > 1:
                raise ValueError(f"the feed {url} is listed twice")
        return feeds


def word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """Matches any of `words` standing alone (not inside a longer word), in any case."""
    alternatives = sorted({unicodedata.normalize("NFC", word) for word in words if word},
                          key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)",
                      re.IGNORECASE)


def hashtag_pattern(hashtags: Iterable[str]) -> re.Pattern[str] | None:
    """Matches '#Tag' for any of `hashtags`: #Werkstolz, #werkstolz, not #Werkstolzer."""
    return word_pattern(f"#{tag.lstrip('#')}" for tag in hashtags if tag.lstrip("#"))


@dataclass(frozen=True, slots=True)
class _Selection:
    """What makes an entry of one feed worth passing on."""

    hashtags: tuple[str, ...]
    keywords: tuple[str, ...]
    all_entries: bool
    hashtag_re: re.Pattern[str] | None = field(compare=False)
    keyword_re: re.Pattern[str] | None = field(compare=False)

    @classmethod
    def of(cls, feed: FeedConfig, hashtags: tuple[str, ...]) -> _Selection:
        tags = tuple(tag.lstrip("#") for tag in hashtags if tag.lstrip("#"))
        return cls(tags, tuple(feed.keywords), feed.all_entries, hashtag_pattern(tags),
                   word_pattern(feed.keywords))

    @property
    def key(self) -> str:
        """Changes when the selection does; a feed's validators are only good for one selection."""
        blob = repr((sorted(t.casefold() for t in self.hashtags), self.keywords, self.all_entries))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


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
        if state.get("selection") != _Selection.of(feed, hashtags).key or not isinstance(
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
                    return await _check(ctx.http, feed, _Selection.of(feed, ctx.hashtags),
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


async def _check(client: httpx.AsyncClient, feed: FeedConfig, selection: _Selection,
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


def _parse(body: bytes, response: httpx.Response) -> tuple[Any, list[_Captions] | None]:
    # A BytesIO, never the bytes or a str: feedparser fetches or opens a string that looks like
    # a URL or a file name. Content-Location lets it resolve relative links against the feed.
    headers = {key: response.headers[key] for key in ("content-type", "content-language")
               if key in response.headers}
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False,
                              response_headers={**headers, "content-location": str(response.url)})
    captions = _media_captions(body) if parsed.entries else None
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


def _select(parsed: Any, captions: list[_Captions] | None, feed_url: str, selection: _Selection,
            seen: dict[str, str]) -> tuple[list[NormalizedPost], dict[str, str]]:
    """The posts of the selected entries not passed on before in this version, and what to
    remember as passed on."""
    posts: list[NormalizedPost] = []
    now_seen: dict[str, str] = {}
    for index, entry in enumerate(parsed.entries):
        external_id = _external_id(entry, feed_url)
        # dict.get: feedparser's own get answers `updated` with `published` (and a warning).
        version = _str(dict.get(entry, "updated")) or _str(entry.get("published"))
        if seen.get(external_id) == version:
            now_seen[external_id] = version
            continue
        post = _to_post(entry, parsed.feed, feed_url, external_id, selection,
                        captions[index] if captions else _Captions())
        if post is not None:
            posts.append(post)
            now_seen[external_id] = version
    return posts, dict(list(now_seen.items())[:MAX_SEEN])


def _to_post(entry: Any, feed: Any, feed_url: str, external_id: str, selection: _Selection,
             captions: _Captions) -> NormalizedPost | None:
    """The post of an entry, or None if the selection does not take it."""
    title_detail = entry.get("title_detail") or {}
    title = _str(entry.get("title"))
    title = html_to_text(title) if "html" in _str(title_detail.get("type")) else clean_text(title)
    # Media RSS captions end up in feedparser's summary or content (kurtmckee/feedparser#53).
    summary_html = _str(entry.get("summary"))
    summary_html = "" if summary_html in captions.texts else summary_html
    contents = [c for c in entry.get("content") or []
                if _str(c.get("value")) and _str(c.get("value")) not in captions.texts]
    contents.sort(key=lambda c: "html" not in _str(c.get("type")))
    content_html = _str(contents[0].get("value")) if contents else ""
    summary, content = html_to_text(summary_html), html_to_text(content_html)

    body = summary or content
    everything = "\n".join((title, summary, content))
    terms = {_str(t.get(key)).lstrip("#").casefold()
             for t in entry.get("tags") or [] for key in ("term", "label")}
    categories = [tag for tag in selection.hashtags if tag.casefold() in terms]
    if not (selection.all_entries or categories
            or (selection.hashtag_re and selection.hashtag_re.search(everything))
            or (selection.keyword_re and selection.keyword_re.search(f"{title}\n{body}"))):
        return None

    # Microblog feeds repeat the start of the text as the title.
    repeated = bool(title) and " ".join(body.split()).startswith(" ".join(title.split()))
    published = _when(entry.get("published_parsed"))
    updated = _when(dict.get(entry, "updated_parsed"))
    now = datetime.now(UTC)
    tags = {tag.casefold(): tag for tag in selection.hashtags}  # the event's spelling first
    tags = {key: tags.get(key, tag) for tag in [*_HASHTAG.findall(everything), *categories]
            if (key := tag.casefold())}
    lang = _str(title_detail.get("language")) or _str(feed.get("language"))
    return NormalizedPost(
        external_id=external_id,
        author=_author(entry, feed, feed_url),
        text=body if repeated else "\n\n".join(part for part in (title, body) if part),
        html=content_html or summary_html,
        url=_http_url(entry.get("link")),
        lang=re.split(r"[-_]", lang)[0].lower() or None,
        hashtags=tuple(tags.values()),
        media=_media(entry, captions, title),
        # A wrong time zone must not keep a post "in the future" at the top of the wall.
        created_at=min(published or updated or now, now),
        edited_at=updated if published and updated and updated > published else None,
    )


def _external_id(entry: Any, feed_url: str) -> str:
    guid = _str(entry.get("id"))
    if guid:
        # A guid like "1234" is only unique within its feed, and one source reads several feeds.
        return guid if _URI.match(guid) else f"{feed_url}#{guid}"
    link = _str(entry.get("link"))
    if link:
        return link
    blob = "\n".join(_str(entry.get(key)) for key in ("title", "published", "summary"))
    return f"{feed_url}#sha256:{hashlib.sha256(blob.encode()).hexdigest()[:32]}"


def _author(entry: Any, feed: Any, feed_url: str) -> Author:
    site = _http_url(feed.get("link"))
    image = feed.get("image") or {}
    entry_author = _str(entry.get("author"))
    name = (_str((entry.get("author_detail") or {}).get("name"))
            or ("" if "@" in entry_author else entry_author)  # never show an e-mail address
            or _str((feed.get("author_detail") or {}).get("name"))
            or clean_text(_str(feed.get("title"))))
    host = httpx.URL(site or feed_url).host
    return Author(name=name or host, handle=host,
                  avatar_url=(_http_url(image.get("href")) or _http_url(feed.get("logo"))
                              or _http_url(feed.get("icon"))),
                  profile_url=site)


def _media(entry: Any, captions: _Captions, title: str) -> tuple[MediaItem, ...]:
    thumbnails = [url for t in entry.get("media_thumbnail") or []
                  if (url := _http_url(t.get("url")))]
    candidates = [(m.get("url"), m.get("medium"), m.get("type"), m, "") for m in
                  entry.get("media_content") or []]
    candidates += [(e.get("href"), None, e.get("type"), {"filesize": e.get("length")},
                    _str(e.get("title"))) for e in entry.get("enclosures") or []]
    if not candidates:
        candidates = [(url, "image", None, {}, "") for url in thumbnails]
        thumbnails = []
    found: dict[str, MediaItem] = {}
    for raw_url, medium, mime, size, label in candidates:
        url = _http_url(raw_url)
        if url is None or url in found:
            continue
        kind = (_str(medium) or _str(mime).split("/")[0]
                or (mimetypes.guess_type(httpx.URL(url).path)[0] or "").split("/")[0])
        if kind not in ("image", "video"):
            continue  # audio (podcasts) and documents have no place on a wall
        found[url] = MediaItem(
            kind="image" if kind == "image" else "video", url=url,
            preview_url=thumbnails[0] if kind == "video" and thumbnails else None,
            alt=captions.by_url.get(url) or captions.by_url.get("") or label or title,
            width=_int(size.get("width")), height=_int(size.get("height")),
            size=_int(size.get("filesize")))
    return tuple(found.values())[:MAX_MEDIA]


@dataclass(frozen=True, slots=True)
class _Captions:
    """The media:description texts of one entry: by media URL ('' for the entry), and all."""

    by_url: dict[str, str] = field(default_factory=dict)
    texts: frozenset[str] = frozenset()


def _media_captions(body: bytes) -> list[_Captions] | None:
    """Each entry's Media RSS captions, in document order; None without any or if unreadable."""
    if b"search.yahoo.com/mrss" not in body:
        return None
    try:
        root = ET.fromstring(body)  # expat >= 2.4 refuses entity bombs; no external entities
    except ET.ParseError:
        return None
    return [_captions_of(item) for item in root.iter() if item.tag in _ENTRY_TAGS]


def _captions_of(item: ET.Element) -> _Captions:
    by_url: dict[str, str] = {}

    def description(element: ET.Element) -> str:
        return next((child.text.strip() for child in element if child.tag in _MEDIA_DESCRIPTION
                     and child.text and child.text.strip()), "")

    def walk(element: ET.Element, inherited: str) -> str:
        own = description(element) or inherited
        for child in element:
            if child.tag in _MEDIA_ITEM and (url := (child.get("url") or "").strip()):
                if caption := description(child) or own:
                    by_url.setdefault(url, caption)
            elif child.tag in _MEDIA_GROUP:
                walk(child, own)
        return own

    if own := walk(item, ""):
        by_url[""] = own
    return _Captions(by_url, frozenset(
        d.text.strip() for d in item.iter() if d.tag in _MEDIA_DESCRIPTION and d.text))


def _round_error(errors: list[SourceError], total: int) -> SourceError:
    if total == 1:
        return errors[0]
    reasons = [error.reason if isinstance(error, RetryAfter) else str(error) for error in errors]
    message = f"{len(errors)} of {total} feeds failed: " + "; ".join(reasons)
    waits = [error.seconds for error in errors if isinstance(error, RetryAfter)]
    return RetryAfter(max(waits), message) if waits else SourceError(message)


def _when(value: Any) -> datetime | None:
    try:  # feedparser's *_parsed: a time.struct_time in UTC
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _http_url(value: Any) -> str | None:
    url = _str(value)
    return url if url.lower().startswith(("http://", "https://")) else None
