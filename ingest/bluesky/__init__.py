"""Bluesky: posts with the event's hashtags from the Jetstream firehose, completed through the
public AppView (author, avatar, images, moderation labels) before they reach the moderators."""

from ingest.bluesky.appview import media
from ingest.bluesky.labels import BLOCKING_LABELS
from ingest.bluesky.records import hashtags, to_html
from ingest.bluesky.settings import BlueskySourceSettings
from ingest.bluesky.source import LOOKUPS, BlueskySource

__all__ = [
    "BLOCKING_LABELS",
    "LOOKUPS",
    "BlueskySource",
    "BlueskySourceSettings",
    "hashtags",
    "media",
    "to_html",
]
