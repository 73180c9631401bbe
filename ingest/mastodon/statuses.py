"""Mastodon Status JSON as wall posts: checked, normalised and emitted, their ids remembered."""

from __future__ import annotations

import logging
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from app.sanitize import html_to_text
from ingest.base import Author, MediaItem, MediaKind, NormalizedPost, SourceContext
from ingest.mastodon import limits
from ingest.mastodon.settings import MastodonInstance

log = logging.getLogger(__name__)

_VISIBLE = frozenset({"public", "unlisted"})
_MEDIA_KINDS: frozenset[MediaKind] = frozenset({"image", "video", "gifv", "audio"})


class Emitter:
    """Emits statuses as wall posts and remembers their ids, so a streamed delete finds its post."""

    def __init__(self) -> None:
        self.wanted: frozenset[str] = frozenset()  # the event's hashtags, folded
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()

    def remember(self, instance_url: str, local_id: str, uri: str) -> None:
        """Note a post that is already on the walls."""
        self._known[(instance_url, local_id)] = uri

    def forget(self, instance_url: str, local_id: str) -> str | None:
        """The uri of a status seen before, which is forgotten now; None when it is unknown."""
        return self._known.pop((instance_url, local_id), None)

    async def emit(self, ctx: SourceContext, instance: MastodonInstance, raw: Any) -> int:
        """Emit a status seen on `instance` if it is a wall post; 1 when that created a post."""
        post = to_post(raw, instance.url, self.wanted)
        if post is None:
            return 0
        self._known[(instance.url, post.source_data["id"])] = post.external_id
        while len(self._known) > limits.MAX_KNOWN_IDS:
            self._known.popitem(last=False)
        return int((await ctx.emit(post)).created)


def to_post(raw: Any, instance: str, wanted: frozenset[str]) -> NormalizedPost | None:
    """The wall post of a Status seen on `instance`, or None when it is not one: not public,
    without any of the `wanted` (folded) hashtags, or missing what a post needs."""
    try:
        return _to_post(raw, instance, wanted)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        status_id = raw.get("id") if isinstance(raw, dict) else None
        log.info("skipping malformed status %r from %s: %r", status_id, instance, exc)
        return None


def _to_post(raw: Any, instance: str, wanted: frozenset[str]) -> NormalizedPost | None:
    if not isinstance(raw, dict):
        raise TypeError("a status is a JSON object")
    # A boost's wrapper is the booster's; the wall shows the boosted post itself.
    status: dict[str, Any] = raw["reblog"] if isinstance(raw.get("reblog"), dict) else raw
    if status["visibility"] not in _VISIBLE:
        return None
    tags = tuple(tag["name"] for tag in status.get("tags") or ()
                 if isinstance(tag, dict) and isinstance(tag.get("name"), str))
    # Strict: a tag timeline can carry statuses that only match through `any[]` or a server's
    # own folding; the wall takes only posts that carry one of the event's hashtags.
    if not wanted.intersection(fold_tag(tag) for tag in tags):
        return None
    account = status["account"]
    acct = _text(account, "acct")
    handle = acct if "@" in acct else f"{acct}@{urlsplit(instance).hostname}"
    uri = _text(status, "uri")
    if not is_id(status["id"]):
        raise ValueError("a status id is a short string")
    content = _text(status, "content")
    spoiler = status.get("spoiler_text")
    return NormalizedPost(
        external_id=uri,
        author=Author(
            name=_plain(account.get("display_name")) or _plain(account.get("username"))
            or acct.split("@")[0],
            handle=f"@{handle}",
            avatar_url=_http_url(account.get("avatar_static")) or _http_url(account.get("avatar")),
            profile_url=_http_url(account.get("url")),
        ),
        text=html_to_text(content),
        html=content,
        created_at=_moment(status["created_at"]),
        url=_http_url(status.get("url")) or uri,
        lang=_plain(status.get("language")),
        hashtags=tags,
        media=tuple(item for item in map(_media, status.get("media_attachments") or ())
                    if item is not None),
        content_warning=spoiler if isinstance(spoiler, str) and spoiler.strip() else None,
        sensitive=status.get("sensitive") is True,
        edited_at=_moment(status["edited_at"]) if status.get("edited_at") else None,
        source_data={"instance": instance, "id": status["id"]},
        is_reply=status.get("in_reply_to_id") is not None,
        is_repost=status is not raw,
    )


def fold_tag(tag: str) -> str:
    """A hashtag as compared: without '#', NFKC, case-folded."""
    return unicodedata.normalize("NFKC", tag.lstrip("#")).casefold()


def is_id(value: Any) -> TypeGuard[str]:
    """Whether `value` can be a status id."""
    # Bounded: a cursor is saved and sent back, and int() refuses thousands of digits.
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()


def id_key(status_id: str) -> tuple[int, int, str]:
    """Orders ids: Mastodon's are numbers in strings, other servers' may be anything."""
    return (0, int(status_id), "") if status_id.isascii() and status_id.isdigit() else (
        1, 0, status_id)


def _media(raw: Any) -> MediaItem | None:
    if not isinstance(raw, dict) or raw.get("type") not in _MEDIA_KINDS:
        return None  # "unknown" attachments are files the server could not process
    url = _http_url(raw.get("url")) or _http_url(raw.get("remote_url"))
    if url is None:
        return None
    meta = raw.get("meta")
    original = meta.get("original") if isinstance(meta, dict) else None
    size = original if isinstance(original, dict) else {}
    description = raw.get("description")
    return MediaItem(
        kind=raw["type"], url=url, preview_url=_http_url(raw.get("preview_url")),
        alt=description if isinstance(description, str) else "",
        width=_int(size.get("width")), height=_int(size.get("height")))


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or (key != "content" and not value):
        raise TypeError(f"{key} is not a non-empty string")
    return value


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _http_url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a time is an ISO 8601 string")
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
