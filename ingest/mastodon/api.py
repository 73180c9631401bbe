"""Requests to an instance's REST API: with its token, within its rate limit, JSON kept safe."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from ingest.base import SourceContext, SourceError
from ingest.http import fetch, rate_limit_pause
from ingest.mastodon import limits
from ingest.mastodon.settings import MastodonInstance


async def get(ctx: SourceContext, instance: MastodonInstance, path: str,
              params: dict[str, str] | None, *, ok: tuple[int, ...]) -> httpx.Response:
    """GET an API path of an instance with its token; waits out a used-up rate limit."""
    headers = {"authorization": f"Bearer {instance.access_token}"} if instance.access_token \
        else None
    response = await fetch(ctx.http, f"{instance.url}{path}", params=params, headers=headers,
                           max_bytes=limits.MAX_PAGE_BYTES, ok=(*ok, 401))
    if response.status_code == 401:
        host = host_of(instance.url)
        raise SourceError(
            f"{host} rejected the access token (HTTP 401): check that it is valid and has "
            "the read:statuses scope" if instance.access_token else
            f"{host} requires an access token to read its timelines (HTTP 401): add "
            "access_token to this instance")
    pause = rate_limit_pause(response)
    if pause:
        pause = min(pause, limits.MAX_RATE_LIMIT_PAUSE)
        ctx.mark_healthy(f"used up the rate limit of {host_of(instance.url)}; "
                         f"waiting {pause:.0f} s for it to reset")
        await asyncio.sleep(pause)
    return response


def parse_json(content: str | bytes) -> Any:
    """Parsed JSON; nesting too deep for the parser counts as malformed, like any other."""
    try:
        return json.loads(content)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def host_of(url: str) -> str:
    """The host[:port] of a URL, as messages name a server."""
    return urlsplit(url).netloc
