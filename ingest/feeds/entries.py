"""A feedparser entry as a NormalizedPost, if the hashtags and keywords of its feed select it."""

from __future__ import annotations

import calendar
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.sanitize import clean_text, html_to_text
from ingest.base import Author, MediaItem, NormalizedPost
from ingest.feeds.captions import Captions
from ingest.feeds.settings import FeedConfig

MAX_MEDIA = 4
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S")


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
class Selection:
    """What makes an entry of one feed worth passing on."""

    hashtags: tuple[str, ...]
    keywords: tuple[str, ...]
    all_entries: bool
    hashtag_re: re.Pattern[str] | None = field(compare=False)
    keyword_re: re.Pattern[str] | None = field(compare=False)

    @classmethod
    def of(cls, feed: FeedConfig, hashtags: tuple[str, ...]) -> Selection:
        tags = tuple(tag.lstrip("#") for tag in hashtags if tag.lstrip("#"))
        return cls(tags, tuple(feed.keywords), feed.all_entries, hashtag_pattern(tags),
                   word_pattern(feed.keywords))

    @property
    def key(self) -> str:
        """Changes when the selection does; a feed's validators are only good for one selection."""
        blob = repr((sorted(t.casefold() for t in self.hashtags), self.keywords, self.all_entries))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry_version(entry: Any) -> str:
    """The entry's updated (else published) date as given: it changes when the entry is edited."""
    # dict.get: feedparser's own get answers `updated` with `published` (and a warning).
    return _str(dict.get(entry, "updated")) or _str(entry.get("published"))


def to_post(entry: Any, feed: Any, feed_url: str, external_id: str, selection: Selection,
            captions: Captions) -> NormalizedPost | None:
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


def external_id(entry: Any, feed_url: str) -> str:
    """The entry's id, unique across the feeds of a source."""
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


def _media(entry: Any, captions: Captions, title: str) -> tuple[MediaItem, ...]:
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
