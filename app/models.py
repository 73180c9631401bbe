"""The database tables, as SQLAlchemy 2 typed mappings. Alembic migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints, so migrations on SQLite (batch mode) and PostgreSQL can address them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PENDING, APPROVED, REJECTED, RETRACTED = "pending", "approved", "rejected", "retracted"
# Deleted where it was posted: gone from walls and queue, kept for the audit log.
DELETED = "deleted"
POST_STATUSES = (PENDING, APPROVED, REJECTED, RETRACTED, DELETED)
# display: may only view walls that need a token (a screen's own login).
ROLES = ("organizer", "moderator", "display")


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements on the hot paths (app.post_changes)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON
    }


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    hashtags: Mapped[list[Any]] = mapped_column(default=list)
    moderation: Mapped[str] = mapped_column(String(8), default="pre")
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Walls of a paused event keep what they show; approvals wait (retractions do not).
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # The announcement every wall of the event shows now: {"text", "until"} (ISO time or null).
    announcement: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The last number of this event's wall sequence; only app.posts moves it.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    walls: Mapped[list[Wall]] = relationship(back_populates="event", order_by="Wall.id")
    sources: Mapped[list[Source]] = relationship(back_populates="event", order_by="Source.id")


class Wall(Base):
    __tablename__ = "walls"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    layout: Mapped[str] = mapped_column(String(32), default="grid")
    max_posts: Mapped[int] = mapped_column(Integer, default=30)
    theme: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Pacing, rotation, QR code and asset paths (WallConfig.options), changeable live.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # public: anyone who can reach the server may open it; token: screens need a token.
    access: Mapped[str] = mapped_column(String(16), default="public")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="walls")


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the source left off (a min_id, a time_us, a replay position), kept across restarts.
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)

    event: Mapped[Event] = relationship(back_populates="sources")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_posts_event_status_id", "event_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_handle: Mapped[str] = mapped_column(String(200), default="")
    author_avatar_url: Mapped[str | None] = mapped_column(String(2048))
    author_profile_url: Mapped[str | None] = mapped_column(String(2048))
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(16))
    hashtags: Mapped[list[Any]] = mapped_column(default=list)
    content_warning: Mapped[str | None] = mapped_column(String(500))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(100))
    # The sequence number of the last change of this post that walls saw.
    wall_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The post exactly as walls were last told (JSON): an approved post edited at its source
    # stays on the walls in this form until a moderator approves the edit.
    wall_payload: Mapped[str | None] = mapped_column(Text)
    # Edited at its source after approval, waiting for a moderator to look again.
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column()
    # Put aside by a moderator: pending, but out of the queue until released.
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why rules put the post where it is: [{"rule": ..., "detail": ...}].
    flags: Mapped[list[Any]] = mapped_column(default=list)
    is_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    is_repost: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lower-case " tag1 tag2 " and "text author handle", for the desk's filters (both databases).
    hashtag_index: Mapped[str] = mapped_column(Text, default="")
    search_index: Mapped[str] = mapped_column(Text, default="")
    # Changed while the event's walls were paused: to be shown when they resume.
    wall_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the source needs to re-check or delete the post later (ingest.base.NormalizedPost).
    source_data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    source: Mapped[Source] = relationship()
    media: Mapped[list[Media]] = relationship(
        order_by="Media.position", cascade="all, delete-orphan", lazy="selectin"
    )


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    preview_url: Mapped[str | None] = mapped_column(String(2048))
    alt: Mapped[str] = mapped_column(Text, default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(BigInteger)


class RemoteFile(Base):
    """A remote image or video, fetched once and served from here (venues have poor networks,
    and hotlinked files would tell third parties who is watching)."""

    __tablename__ = "remote_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, ok, failed
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column()


class ModerationAction(Base):
    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class WallChange(Base):
    """The per-event log of what walls were told, replayed to walls that reconnect."""

    __tablename__ = "wall_changes"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int] = mapped_column(Integer)
    # The frame exactly as sent, so a replay is byte-for-byte what live walls received.
    frame: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserEvent(Base):
    """A moderator's assignment to an event (a moderator without any moderates every event)."""

    __tablename__ = "user_events"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a SHA-256 of the token is stored: tokens are long random strings, so a fast hash is
    # enough and lets every request look its token up by index.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")
