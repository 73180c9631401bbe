"""What every source yields (a normalised post) and what the runner hands every source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import httpx

MediaKind = Literal["image", "video", "gifv", "audio"]


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    handle: str
    avatar_url: str | None = None
    profile_url: str | None = None


@dataclass(frozen=True, slots=True)
class MediaItem:
    kind: MediaKind
    url: str
    preview_url: str | None = None
    alt: str = ""
    width: int | None = None
    height: int | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class NormalizedPost:
    """One post as any source reports it. `html` is untrusted here; storage sanitises it."""

    external_id: str
    author: Author
    text: str
    created_at: datetime
    html: str = ""
    url: str | None = None
    lang: str | None = None
    hashtags: tuple[str, ...] = ()
    media: tuple[MediaItem, ...] = ()
    content_warning: str | None = None
    sensitive: bool = False
    edited_at: datetime | None = None
    # For the rules "no replies" and "no reposts" (a boost, a repost: someone else's post).
    is_reply: bool = False
    is_repost: bool = False
    # Whatever the source needs later to re-check or delete this post (e.g. the instance and
    # local id of a Mastodon status); stored with the post, handed back in ShownPost.
    source_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IngestResult:
    post_id: int
    created: bool
    status: str


@dataclass(frozen=True, slots=True)
class ShownPost:
    """A post of this source that is approved (on the walls), for re-checking at the source."""

    external_id: str
    url: str | None
    source_data: dict[str, Any]


class SourceContext(Protocol):
    """What a running source may do; the runner implements it on top of app storage."""

    @property
    def hashtags(self) -> tuple[str, ...]:
        """The event's hashtags, without '#'."""
        ...

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared outbound client (use ingest.http.fetch / fetch_json with it)."""
        ...

    async def emit(self, post: NormalizedPost) -> IngestResult:
        """Store a post (once, however often it is emitted) and queue it for moderation.

        Emitting a stored post again with a later `edited_at` records the edit: a pending post
        is updated, an approved one stays on the walls as approved and returns to the
        moderators marked as edited."""
        ...

    async def delete(self, external_id: str) -> None:
        """The post was deleted at its source: take it off every wall and out of the queue."""
        ...

    async def shown_posts(self, limit: int = 200) -> list[ShownPost]:
        """This source's approved posts, newest first, to re-check where deletions are not
        pushed to us."""
        ...

    async def load_cursor(self) -> dict[str, Any]:
        """Where this source left off, as last saved; {} on a first start."""
        ...

    async def save_cursor(self, cursor: dict[str, Any]) -> None: ...

    def mark_healthy(self, detail: str = "") -> None:
        """Tell the runner the source works (resets its backoff)."""
        ...


class Source(Protocol):
    """A running source: `run` pulls or receives posts for as long as it is allowed to."""

    async def run(self, ctx: SourceContext) -> None: ...


@dataclass(slots=True)
class SourceHealth:
    # stopped: cannot run (bad settings); finished: ran to its end (a demo replay without loop)
    state: Literal["starting", "ok", "backoff", "stopped", "finished"] = "starting"
    last_success: datetime | None = None
    last_error: str | None = None
    next_attempt: datetime | None = None
    posts_ingested: int = 0
    detail: str = ""
    failures: int = field(default=0)


class SourceError(Exception):
    """A source failed; the message says why in words a moderator can act on."""


class RetryAfter(SourceError):
    """Raised by a source the remote asked to wait (HTTP 429, Retry-After): retry no sooner."""

    def __init__(self, seconds: float, reason: str = "rate limited") -> None:
        super().__init__(f"{reason}; retrying in {seconds:.0f} s")
        self.seconds = seconds
        self.reason = reason
