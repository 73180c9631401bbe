"""The settings every source shares; each source module extends them with its own."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SourceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    # Names a source within its event, in the moderator's view and in `GET /api/sources`.
    name: str = Field(default="", max_length=100)
    enabled: bool = True
    # Posts from this source go up without a moderator (content warnings still wait for one).
    # Meant for curated sources such as the demo, not for open hashtags.
    auto_approve: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and data.get("type"):
            return {**data, "name": data["type"]}
        return data
