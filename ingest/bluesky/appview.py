"""The public AppView: getPosts, and the images and video of the PostViews it answers with."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from ingest.base import MediaItem, SourceError
from ingest.bluesky._utils import _dicts, _text, _web_url
from ingest.http import fetch_json


async def get_posts(client: httpx.AsyncClient, appview_url: str,
                    uris: list[str]) -> dict[str, dict[str, Any]]:
    """The PostViews the AppView knows of these post URIs, by URI."""
    url = f"{appview_url}/xrpc/app.bsky.feed.getPosts"
    data = await fetch_json(client, url, params={"uris": uris})
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, list):
        raise SourceError(f"{urlsplit(url).netloc} answered getPosts without a post list")
    return {view["uri"]: view for view in posts
            if isinstance(view, dict) and isinstance(view.get("uri"), str)}


def media(embed: Any) -> tuple[MediaItem, ...]:
    """Images and video of a PostView's embed view (also beside a quoted post)."""
    if not isinstance(embed, dict):
        return ()
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return media(embed.get("media"))
    if kind == "app.bsky.embed.images#view":
        return tuple(
            MediaItem(kind="image", url=url, preview_url=_web_url(image.get("thumb")),
                      alt=_text(image.get("alt")), width=_side(image, "width"),
                      height=_side(image, "height"))
            for image in _dicts(embed.get("images"))
            if (url := _web_url(image.get("fullsize"))))
    if kind == "app.bsky.embed.video#view" and (url := _web_url(embed.get("playlist"))):
        return (MediaItem(kind="video", url=url, preview_url=_web_url(embed.get("thumbnail")),
                          alt=_text(embed.get("alt")), width=_side(embed, "width"),
                          height=_side(embed, "height")),)
    return ()


def _side(view: dict[str, Any], side: str) -> int | None:
    """Width or height from an embed view's aspect ratio (pixel sizes, as clients send them)."""
    ratio = view.get("aspectRatio")
    value = ratio.get(side) if isinstance(ratio, dict) else None
    return value if type(value) is int and value > 0 else None
