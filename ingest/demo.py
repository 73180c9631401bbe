"""A source that replays bundled, realistic posts at a steady pace: a wall that works offline."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ingest.base import Author, MediaItem, NormalizedPost, SourceContext
from ingest.settings import SourceSettings

DEMO_MEDIA_PATH = "/demo-media"
# A hashtag starts a word: "page#section" in a link is no hashtag.
_HASHTAG = re.compile(r"(?<![\w/])#(\w+)")


class DemoSourceSettings(SourceSettings):
    type: Literal["demo"]
    interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    # Start over when the bundled posts run out (each round gets new ids), so a demo never ends.
    loop: bool = True
    # A JSON file in the bundled format to replay instead of the bundled posts.
    posts_file: Path | None = None


def demo_data_dir() -> Path:
    return Path(str(resources.files("ingest") / "demo_data"))


def load_demo_posts(path: Path | None = None) -> list[dict[str, Any]]:
    """The raw entries of a demo posts file (bundled by default)."""
    data = json.loads((path or demo_data_dir() / "posts.json").read_text(encoding="utf-8"))
    if not isinstance(data, list) or not data:
        raise ValueError("a demo posts file holds a non-empty JSON list of posts")
    return data


def to_post(entry: dict[str, Any], round_no: int, now: datetime) -> NormalizedPost:
    """Turn one bundled entry into the post of a given replay round."""
    author = entry["author"]
    avatar = author.get("avatar")
    suffix = f"~r{round_no}" if round_no else ""
    text = entry["text"]
    return NormalizedPost(
        external_id=f"{entry['id']}{suffix}",
        author=Author(
            name=author["name"],
            handle=author["handle"],
            avatar_url=f"{DEMO_MEDIA_PATH}/{avatar}" if avatar else None,
        ),
        text=text,
        html="".join(
            f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")
        ),
        created_at=now,
        lang=entry.get("lang"),
        hashtags=tuple(dict.fromkeys(_HASHTAG.findall(text))),
        media=tuple(
            MediaItem(
                kind="image",
                url=f"{DEMO_MEDIA_PATH}/{m['file']}",
                preview_url=f"{DEMO_MEDIA_PATH}/{m['file']}",
                alt=m.get("alt", ""),
                width=m.get("width"),
                height=m.get("height"),
            )
            for m in entry.get("media", [])
        ),
        content_warning=entry.get("content_warning"),
        sensitive=bool(entry.get("sensitive", False)),
    )


class DemoSource:
    """Replays the demo posts one by one, remembering its place across restarts."""

    def __init__(self, settings: DemoSourceSettings) -> None:
        self.settings = settings

    async def run(self, ctx: SourceContext) -> None:
        entries = load_demo_posts(self.settings.posts_file)
        position = int((await ctx.load_cursor()).get("position", 0))
        while self.settings.loop or position < len(entries):
            round_no, index = divmod(position, len(entries))
            await ctx.emit(to_post(entries[index], round_no, datetime.now(UTC)))
            position += 1
            await ctx.save_cursor({"position": position})
            ctx.mark_healthy(f"replayed {position} posts")
            await asyncio.sleep(self.settings.interval_seconds)
        ctx.mark_healthy(f"all {len(entries)} demo posts replayed")
