"""Source types by name: their settings models (for config validation) and how to build them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from ingest.base import Source
from ingest.bluesky import BlueskySource, BlueskySourceSettings
from ingest.demo import DemoSource, DemoSourceSettings
from ingest.feeds import FeedSource, FeedSourceSettings
from ingest.mastodon import MastodonSource, MastodonSourceSettings

# One entry per `type:` accepted in config.yaml.
SOURCE_CONFIGS: dict[str, Any] = {
    "demo": DemoSourceSettings,
    "mastodon": MastodonSourceSettings,
    "bluesky": BlueskySourceSettings,
    "rss": FeedSourceSettings,
}

# Each builder takes the validated settings and whether private addresses may be reached
# (network.allow_private_addresses), for sources that open connections of their own.
_BUILDERS: dict[str, Callable[[Any, bool], Source]] = {
    "demo": lambda settings, _: DemoSource(settings),
    "mastodon": lambda settings, private: MastodonSource(settings,
                                                         allow_private_networks=private),
    "bluesky": lambda settings, _: BlueskySource(settings),
    "rss": lambda settings, _: FeedSource(settings),
}

SourceConfig = Annotated[
    DemoSourceSettings | MastodonSourceSettings | BlueskySourceSettings | FeedSourceSettings,
    Field(discriminator="type"),
]


def build_source(settings: Any, *, allow_private_networks: bool = False) -> Source:
    """The running source for validated settings of a known type."""
    return _BUILDERS[settings.type](settings, allow_private_networks)
