"""RSS 2.0 and Atom feeds as a source: the entries of blogs and press pages that carry a hashtag."""

from ingest.feeds.entries import hashtag_pattern
from ingest.feeds.settings import FeedSourceSettings
from ingest.feeds.source import FeedSource

__all__ = ["FeedSource", "FeedSourceSettings", "hashtag_pattern"]
