"""How a post looks to a wall and to a moderator (the JSON both receive)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.models import Post


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def wall_post(post: Post, source_type: str) -> dict[str, Any]:
    """The post as walls show it (docs/protocol.md, "Post")."""
    return {
        "id": post.id,
        "source": source_type,
        "url": post.url,
        "author": {
            "name": post.author_name,
            "handle": post.author_handle,
            "avatar_url": post.author_avatar_url,
            "profile_url": post.author_profile_url,
        },
        "text": post.text,
        "html": post.html,
        "lang": post.lang,
        "hashtags": list(post.hashtags),
        "media": [
            {
                "kind": m.kind,
                "url": m.url,
                "preview_url": m.preview_url,
                "alt": m.alt,
                "width": m.width,
                "height": m.height,
            }
            for m in post.media
        ],
        "content_warning": post.content_warning,
        "sensitive": post.sensitive,
        "created_at": iso(post.created_at),
        "pinned": post.pinned,
    }


def moderation_post(post: Post, source_type: str, source_name: str) -> dict[str, Any]:
    """The post as the moderation API and desk see it: the wall's view plus its state."""
    return {
        **wall_post(post, source_type),
        "event_id": post.event_id,
        "source_name": source_name,
        "status": post.status,
        "held": post.held,
        "flags": list(post.flags),
        # Approved, then edited at its source: the walls show the approved form until a
        # moderator approves the edit (or rejects it, which takes the post off the walls).
        "edited": post.edited,
        "edited_at": iso(post.edited_at),
        "ingested_at": iso(post.ingested_at),
        "decided_at": iso(post.decided_at),
        "decided_by": post.decided_by,
    }


def dumps(frame: dict[str, Any]) -> str:
    """Serialise a frame compactly; non-ASCII stays as UTF-8 (umlauts, emoji)."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
