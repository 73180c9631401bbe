"""Shapes of the JSON API, for validation and the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

PostStatus = Literal["pending", "approved", "rejected", "retracted", "deleted"]


class AuthorOut(BaseModel):
    name: str
    handle: str
    avatar_url: str | None
    profile_url: str | None


class MediaOut(BaseModel):
    kind: str
    url: str
    preview_url: str | None
    alt: str
    width: int | None
    height: int | None


class FlagOut(BaseModel):
    """A rule's reason: an English sentence, and a code with values for translation."""

    rule: str
    detail: str
    code: str = ""
    values: dict[str, str] = {}


class PostOut(BaseModel):
    id: int
    event_id: int
    source: str
    source_name: str
    url: str | None
    author: AuthorOut
    text: str
    html: str
    lang: str | None
    hashtags: list[str]
    media: list[MediaOut]
    content_warning: str | None
    sensitive: bool
    created_at: str | None
    pinned: bool
    status: PostStatus
    held: bool
    flags: list[FlagOut]
    edited: bool
    edited_at: str | None
    ingested_at: str | None
    decided_at: str | None
    decided_by: str | None


class CountsOut(BaseModel):
    pending: int
    held: int


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: int | None
    counts: CountsOut


class BulkResult(BaseModel):
    id: int
    ok: bool
    post: PostOut | None = None
    status: int | None = None  # the HTTP status this post alone would have had
    detail: str | None = None
    code: str | None = None  # on a conflict: why, for an interface that words it (see Conflict)
    post_status: PostStatus | None = None  # on a conflict: the post's state, and who decided
    by: str | None = None


class BulkOut(BaseModel):
    results: list[BulkResult]


class WallRef(BaseModel):
    slug: str
    title: str


class EventOut(BaseModel):
    slug: str
    name: str
    hashtags: list[str]
    moderation: Literal["pre", "post"]
    paused: bool
    walls: list[WallRef]


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    post_id: int
    from_status: str
    to_status: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: int | None


class ErrorOut(BaseModel):
    detail: str


class ConflictOut(BaseModel):
    detail: str
    status: PostStatus
    by: str | None


class SourceHealthOut(BaseModel):
    id: int
    event: str
    name: str
    type: str
    state: str
    last_success: str | None
    last_error: str | None
    next_attempt: str | None
    posts_ingested: int
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str
    sources: dict[str, int]
    walls_connected: int
