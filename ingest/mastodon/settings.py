"""What an organiser configures for a Mastodon source: its instances, polling or streaming."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ingest.settings import SourceSettings


def normalise_instance_url(value: str) -> str:
    """`https://host[:port]` from what an organiser typed; anything else is refused in words."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not a Mastodon server address: write it as "
                         "https://mastodon.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r} is more than a server address: give only "
                         f"{parts.scheme.lower()}://{parts.hostname}, without a path")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port") from exc
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host}{f':{port}' if port else ''}"


class MastodonInstance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # A user token (scope read:statuses) for servers that hide timelines from anonymous readers;
    # streaming always needs one (Mastodon 4.2 and later).
    access_token: str | None = Field(default=None, repr=False)

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return normalise_instance_url(value)

    @field_validator("access_token")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class MastodonSourceSettings(SourceSettings):
    type: Literal["mastodon"]
    instances: list[MastodonInstance]
    # ge=0 lets tests poll at once; a real wall wants >= 5 s (Mastodon allows 300 requests in
    # 5 minutes, and every round costs one request per instance and hashtag).
    poll_interval_seconds: float = Field(default=30.0, ge=0, le=3600)
    streaming: bool = False
    # How often approved posts are looked up again, so posts deleted at the source come down.
    recheck_interval_seconds: float = Field(default=120.0, gt=0, le=86400)
    only_media: bool = False

    @field_validator("instances")
    @classmethod
    def _some_instances(cls, value: list[MastodonInstance]) -> list[MastodonInstance]:
        if not value:
            raise ValueError("list at least one Mastodon instance, e.g. "
                             "instances: [{url: https://mastodon.social}]")
        urls = [instance.url for instance in value]
        if twice := sorted({url for url in urls if urls.count(url) > 1}):
            raise ValueError(f"instance {twice[0]} is listed more than once")
        return value

    @model_validator(mode="after")
    def _streaming_needs_tokens(self) -> MastodonSourceSettings:
        if self.streaming:
            for instance in self.instances:
                if instance.access_token is None:
                    raise ValueError(f"streaming needs a user access token, but instance "
                                     f"{instance.url} has none: add its access_token or set "
                                     "streaming: false")
        return self
