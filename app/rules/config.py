"""An event's moderation rules: what is rejected, flagged or approved before a human looks."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from app.rules.links import normalise_host
from app.rules.starter import StarterList
from app.rules.words import parse_pattern

_LANGUAGE = re.compile(r"[a-z]{2,3}")


def author_key(handle: str) -> str:
    """How handles are compared: without a leading '@', case-insensitively."""
    return handle.strip().removeprefix("@").casefold()


class RulesConfig(BaseModel):
    """One event's rules; by default all posts go to the moderators, starter words flagged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Words and phrases; "scheiß*" is any word starting with "scheiß", "*loch" any ending in it.
    blocked_words: list[str] = []
    # Shipped lists of offensive words (app/rules/lists/) used in addition to blocked_words.
    starter_lists: list[StarterList] = ["de", "en"]
    # Never caught, whatever the lists say: a product or a person's name, say.
    allowed_words: list[str] = []
    blocked_words_action: Literal["flag", "reject"] = "flag"
    # Handles as posts show them: "@anna@social.example", "anna.bsky.social".
    blocked_authors: list[str] = []
    trusted_authors: list[str] = []
    # Host names; a blocked domain blocks its subdomains too.
    blocked_domains: list[str] = []
    require_media: bool = False
    # ISO 639-1 codes of the languages shown; empty means any. A post without one passes.
    languages: list[str] = []
    no_replies: bool = False
    no_reposts: bool = False

    @field_validator("blocked_words", "allowed_words")
    @classmethod
    def _patterns(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if entry.strip() and not any(char.isalnum() for char in entry):
                raise ValueError(f"{entry!r} has no letters or digits, so it cannot match a word")
            parse_pattern(entry)
        return entries

    @field_validator("blocked_authors", "trusted_authors")
    @classmethod
    def _handles(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            key = author_key(entry)
            if not key:
                raise ValueError(f"{entry!r} is not a handle: give one as posts show it, "
                                 "like '@anna@social.example' or 'anna.bsky.social'")
            if any(char.isspace() for char in key):
                raise ValueError(f"{entry!r} has a space in it; a handle has none")
        return entries

    @field_validator("blocked_domains")
    @classmethod
    def _domains(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            normalise_host(entry)
        return entries

    @field_validator("languages")
    @classmethod
    def _languages(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if not _LANGUAGE.fullmatch(entry):
                raise ValueError(f"{entry!r} is not a language code: use two or three lower-case "
                                 "letters (ISO 639-1), like 'de' or 'en'")
        return entries

    @model_validator(mode="after")
    def _not_both_blocked_and_trusted(self) -> RulesConfig:
        blocked = {author_key(handle) for handle in self.blocked_authors}
        both = [handle for handle in self.trusted_authors if author_key(handle) in blocked]
        if both:
            raise ValueError(f"{', '.join(map(repr, both))} cannot be both a blocked and a "
                             "trusted author; remove it from one of the lists")
        return self
