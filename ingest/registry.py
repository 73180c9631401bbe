"""Source types by name: their settings models (for config validation) and how to build them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ingest.base import Source
from ingest.demo import DemoSource, DemoSourceSettings

# One entry per `type:` accepted in config.yaml.
SOURCE_CONFIGS: dict[str, Any] = {"demo": DemoSourceSettings}
_BUILDERS: dict[str, Any] = {"demo": DemoSource}

SourceConfig = Annotated[DemoSourceSettings, Field(discriminator="type")]


def build_source(settings: Any) -> Source:
    """The running source for validated settings of a known type."""
    source: Source = _BUILDERS[settings.type](settings)
    return source
