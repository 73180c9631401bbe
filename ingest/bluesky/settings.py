"""The settings of a Bluesky source, as written under `sources:` in config.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ingest.bluesky._utils import _has_scheme
from ingest.settings import SourceSettings


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
