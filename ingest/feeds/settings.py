"""The settings of an rss source: its feeds, and what selects an entry of each."""

from __future__ import annotations

from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.settings import SourceSettings


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # Take every entry, not only those with a hashtag or keyword (e.g. the company's own news).
    all_entries: bool = False
    # Words that select an entry too, matched as whole words in its title and summary.
    keywords: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        url = url.strip()
        try:
            parsed: httpx.URL | None = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"a feed URL starts with http:// or https://, {url!r} does not")
        return url

    @field_validator("keywords")
    @classmethod
    def _no_blank_keywords(cls, keywords: list[str]) -> list[str]:
        keywords = [keyword.strip() for keyword in keywords]
        if not all(keywords):
            raise ValueError("a keyword may not be blank")
        return keywords


class FeedSourceSettings(SourceSettings):
    type: Literal["rss"]
    feeds: list[FeedConfig]
    poll_interval_seconds: float = Field(default=300, ge=0)

    @field_validator("feeds")
    @classmethod
    def _some_distinct_feeds(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        if not feeds:
            raise ValueError("an rss source needs at least one feed")
        urls = [feed.url for feed in feeds]
        for url in urls:
            if urls.count(url) > 1:
                raise ValueError(f"the feed {url} is listed twice")
        return feeds
