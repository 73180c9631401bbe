"""A tagged post on its way to the wall: waiting for the AppView, then a NormalizedPost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ingest.base import Author, NormalizedPost
from ingest.bluesky._utils import _dict, _text, _web_url
from ingest.bluesky.appview import media
from ingest.bluesky.records import hashtags, to_html

CONTENT_WARNING = "Content warning"


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
        is_reply=isinstance(item.record.get("reply"), dict),
    )


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
