"""Mastodon hashtag timelines: polled with a min_id cursor, or streamed over a websocket with a
REST backfill after every connect; approved posts are re-checked so deletions leave the walls."""

from ingest.mastodon.limits import MAX_PAGE_BYTES
from ingest.mastodon.settings import MastodonSourceSettings
from ingest.mastodon.source import MastodonSource

__all__ = ["MAX_PAGE_BYTES", "MastodonSource", "MastodonSourceSettings"]
