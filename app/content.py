"""How a normalised post becomes stored columns: sanitised text and markup, local media URLs."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Media, RemoteFile
from app.sanitize import clean_html, clean_label, clean_text
from ingest.base import NormalizedPost

MEDIA_PATH = "/media"


def dialect_insert(session: Session) -> Any:
    """The INSERT with ON CONFLICT support of the session's database."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def local_url(session: Session, url: str | None) -> str | None:
    """The app's own URL for a remote file (registered for the media cache to fetch).

    Paths of this app (bundled demo media) stay as they are; anything that is not http(s) is
    dropped, so a `javascript:` or `data:` URL from a source never reaches a page.
    """
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    if not url.startswith(("https://", "http://")) or len(url) > 2048:
        return None
    key = hashlib.sha256(url.encode()).hexdigest()[:40]
    insert = dialect_insert(session)
    session.execute(
        insert(RemoteFile).values(key=key, url=url, state="pending", attempts=0)
        .on_conflict_do_nothing(index_elements=["key"]))
    return f"{MEDIA_PATH}/{key}"


def content_values(session: Session, post: NormalizedPost) -> dict[str, Any]:
    """The post's content columns, cleaned: everything an edit may change."""
    hashtags = [clean_text(tag, 100) for tag in post.hashtags][:50]
    text = clean_text(post.text)
    author_name = clean_label(post.author.name)
    author_handle = clean_label(post.author.handle)
    return {
        "is_reply": post.is_reply,
        "is_repost": post.is_repost,
        # Lower-case, space-delimited: `LIKE '% tag %'` finds a whole hashtag on any database.
        "hashtag_index": " " + " ".join(tag.casefold() for tag in hashtags) + " ",
        "search_index": " ".join((text, author_name, author_handle)).casefold(),
        "url": _link(post.url),
        "author_name": author_name,
        "author_handle": author_handle,
        "author_avatar_url": local_url(session, post.author.avatar_url),
        "author_profile_url": _link(post.author.profile_url),
        "text": text,
        "html": clean_html(post.html),
        "lang": clean_text(post.lang or "", 16) or None,
        "hashtags": hashtags,
        "content_warning": clean_text(post.content_warning or "", 500) or None,
        "sensitive": post.sensitive,
        "edited_at": post.edited_at,
        "source_data": dict(post.source_data),
    }


def media_rows(session: Session, post_id: int, post: NormalizedPost) -> list[Media]:
    """Media rows for the post, pointing at the app's cache; unusable URLs are left out."""
    rows: list[Media] = []
    for item in post.media[:10]:
        url = local_url(session, item.url)
        if url is None:
            continue
        rows.append(Media(post_id=post_id, position=len(rows), kind=item.kind, url=url,
                          preview_url=local_url(session, item.preview_url) or url,
                          alt=clean_text(item.alt, 1500), width=item.width, height=item.height,
                          size=item.size))
    return rows


def _link(url: str | None) -> str | None:
    """An outbound link kept as data (never fetched): http(s) only."""
    if url and url.startswith(("https://", "http://")) and len(url) <= 2048:
        return url
    return None
