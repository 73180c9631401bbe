"""Mastodon hashtag timelines: polled with a min_id cursor, or streamed over a websocket with a
REST backfill after every connect; approved posts are re-checked so deletions leave the walls."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, Literal, TypeGuard
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from app.sanitize import html_to_text
from ingest.base import (
    Author,
    MediaItem,
    MediaKind,
    NormalizedPost,
    RetryAfter,
    SourceContext,
    SourceError,
)
from ingest.http import USER_AGENT, fetch, rate_limit_pause
from ingest.settings import SourceSettings

log = logging.getLogger(__name__)

PAGE_LIMIT = 40                  # the most a Mastodon timeline page holds
MAX_PAGES = 10                   # per tag and round: a burst of 400 posts is caught up in one round
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_RECHECKS = 40                # status look-ups per re-check round, well inside 300 per 5 min
MAX_KNOWN_IDS = 10_000           # (instance, local id) -> uri, to resolve streamed deletes
MAX_RATE_LIMIT_PAUSE = 600.0     # a reset further away than this is a clock problem, not a quota
STREAM_OPEN_TIMEOUT = 10.0
_VISIBLE = frozenset({"public", "unlisted"})
_MEDIA_KINDS: frozenset[MediaKind] = frozenset({"image", "video", "gifv", "audio"})


def normalise_instance_url(value: str) -> str:
    """`https://host[:port]` from what an organiser typed; anything else is refused in words."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not a Mastodon server address: write it as "
                         "https://mastodon.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r} is more than a server address: give only "
                         f"{parts.scheme.lower()}://{parts.hostname}, without a path")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port") from exc
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host}{f':{port}' if port else ''}"


class MastodonInstance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # A user token (scope read:statuses) for servers that hide timelines from anonymous readers;
    # streaming always needs one (Mastodon 4.2 and later).
    access_token: str | None = Field(default=None, repr=False)

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return normalise_instance_url(value)

    @field_validator("access_token")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class MastodonSourceSettings(SourceSettings):
    type: Literal["mastodon"]
    instances: list[MastodonInstance]
    # ge=0 lets tests poll at once; a real wall wants >= 5 s (Mastodon allows 300 requests in
    # 5 minutes, and every round costs one request per instance and hashtag).
    poll_interval_seconds: float = Field(default=30.0, ge=0, le=3600)
    streaming: bool = False
    # How often approved posts are looked up again, so posts deleted at the source come down.
    recheck_interval_seconds: float = Field(default=120.0, gt=0, le=86400)
    only_media: bool = False

    @field_validator("instances")
    @classmethod
    def _some_instances(cls, value: list[MastodonInstance]) -> list[MastodonInstance]:
        if not value:
            raise ValueError("list at least one Mastodon instance, e.g. "
                             "instances: [{url: https://mastodon.social}]")
        urls = [instance.url for instance in value]
        if twice := sorted({url for url in urls if urls.count(url) > 1}):
            raise ValueError(f"instance {twice[0]} is listed more than once")
        return value

    @model_validator(mode="after")
    def _streaming_needs_tokens(self) -> MastodonSourceSettings:
        if self.streaming:
            for instance in self.instances:
                if instance.access_token is None:
                    raise ValueError(f"streaming needs a user access token, but instance "
                                     f"{instance.url} has none: add its access_token or set "
                                     "streaming: false")
        return self


def to_post(raw: Any, instance: str, wanted: frozenset[str]) -> NormalizedPost | None:
    """The wall post of a Status seen on `instance`, or None when it is not one: not public,
    without any of the `wanted` (folded) hashtags, or missing what a post needs."""
    try:
        return _to_post(raw, instance, wanted)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        status_id = raw.get("id") if isinstance(raw, dict) else None
        log.info("skipping malformed status %r from %s: %r", status_id, instance, exc)
        return None


def _to_post(raw: Any, instance: str, wanted: frozenset[str]) -> NormalizedPost | None:
    if not isinstance(raw, dict):
        raise TypeError("a status is a JSON object")
    # A boost's wrapper is the booster's; the wall shows the boosted post itself.
    status: dict[str, Any] = raw["reblog"] if isinstance(raw.get("reblog"), dict) else raw
    if status["visibility"] not in _VISIBLE:
        return None
    tags = tuple(tag["name"] for tag in status.get("tags") or ()
                 if isinstance(tag, dict) and isinstance(tag.get("name"), str))
    # Strict: a tag timeline can carry statuses that only match through `any[]` or a server's
    # own folding; the wall takes only posts that carry one of the event's hashtags.
    if not wanted.intersection(fold_tag(tag) for tag in tags):
        return None
    account = status["account"]
    acct = _text(account, "acct")
    handle = acct if "@" in acct else f"{acct}@{urlsplit(instance).hostname}"
    uri = _text(status, "uri")
    if not _is_id(status["id"]):
        raise ValueError("a status id is a short string")
    content = _text(status, "content")
    spoiler = status.get("spoiler_text")
    return NormalizedPost(
        external_id=uri,
        author=Author(
            name=_plain(account.get("display_name")) or _plain(account.get("username"))
            or acct.split("@")[0],
            handle=f"@{handle}",
            avatar_url=_http_url(account.get("avatar_static")) or _http_url(account.get("avatar")),
            profile_url=_http_url(account.get("url")),
        ),
        text=html_to_text(content),
        html=content,
        created_at=_moment(status["created_at"]),
        url=_http_url(status.get("url")) or uri,
        lang=_plain(status.get("language")),
        hashtags=tags,
        media=tuple(item for item in map(_media, status.get("media_attachments") or ())
                    if item is not None),
        content_warning=spoiler if isinstance(spoiler, str) and spoiler.strip() else None,
        sensitive=status.get("sensitive") is True,
        edited_at=_moment(status["edited_at"]) if status.get("edited_at") else None,
        source_data={"instance": instance, "id": status["id"]},
    )


def fold_tag(tag: str) -> str:
    """A hashtag as compared: without '#', NFKC, case-folded."""
    return unicodedata.normalize("NFKC", tag.lstrip("#")).casefold()


def _media(raw: Any) -> MediaItem | None:
    if not isinstance(raw, dict) or raw.get("type") not in _MEDIA_KINDS:
        return None  # "unknown" attachments are files the server could not process
    url = _http_url(raw.get("url")) or _http_url(raw.get("remote_url"))
    if url is None:
        return None
    meta = raw.get("meta")
    original = meta.get("original") if isinstance(meta, dict) else None
    size = original if isinstance(original, dict) else {}
    description = raw.get("description")
    return MediaItem(
        kind=raw["type"], url=url, preview_url=_http_url(raw.get("preview_url")),
        alt=description if isinstance(description, str) else "",
        width=_int(size.get("width")), height=_int(size.get("height")))


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or (key != "content" and not value):
        raise TypeError(f"{key} is not a non-empty string")
    return value


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _http_url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a time is an ISO 8601 string")
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_id(value: Any) -> TypeGuard[str]:
    # Bounded: a cursor is saved and sent back, and int() refuses thousands of digits.
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()


def _id_key(status_id: str) -> tuple[int, int, str]:
    """Orders ids: Mastodon's are numbers in strings, other servers' may be anything."""
    return (0, int(status_id), "") if status_id.isascii() and status_id.isdigit() else (
        1, 0, status_id)


def _host(url: str) -> str:
    return urlsplit(url).netloc


class MastodonSource:
    """Follows the event's hashtags on the configured Mastodon instances."""

    def __init__(self, settings: MastodonSourceSettings, *,
                 allow_private_networks: bool = False) -> None:
        self.settings = settings
        # Only for the websocket, which does not go through the SSRF-safe HTTP client: mirror
        # the client's network.allow_private_addresses.
        self.allow_private_networks = allow_private_networks
        self._cursors: dict[str, str] = {}
        self._wanted: frozenset[str] = frozenset()
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._recheck_from = 0
        # Timelines whose last catch-up stopped at the page bound: their cursor must not jump
        # ahead to a streamed status, or the posts in between would never be fetched.
        self._behind: set[str] = set()

    async def run(self, ctx: SourceContext) -> None:
        self._wanted = frozenset(fold_tag(tag) for tag in ctx.hashtags)
        saved = (await ctx.load_cursor()).get("min_id")
        if isinstance(saved, dict):
            self._cursors = {key: value for key, value in saved.items()
                             if isinstance(key, str) and _is_id(value)}
        if self.settings.streaming:
            await self._run_streaming(ctx)
        else:
            await self._run_polling(ctx)

    # Polling ----------------------------------------------------------------------------------

    async def _run_polling(self, ctx: SourceContext) -> None:
        next_recheck = 0.0
        while True:
            new = 0
            for instance in self.settings.instances:
                for tag in ctx.hashtags:
                    new += await self._catch_up(ctx, instance, tag)
            ctx.mark_healthy(f"polled {_count(len(ctx.hashtags), 'tag')} on "
                             f"{_count(len(self.settings.instances), 'instance')}, {new} new")
            if time.monotonic() >= next_recheck:
                await self._recheck(ctx)
                next_recheck = time.monotonic() + self.settings.recheck_interval_seconds
            await asyncio.sleep(self.settings.poll_interval_seconds)

    async def _catch_up(self, ctx: SourceContext, instance: MastodonInstance, tag: str) -> int:
        """Emit what is new in one tag timeline since the saved cursor; the number created."""
        key = f"{instance.url} #{fold_tag(tag)}"
        path = f"/api/v1/timelines/tag/{quote(tag.lstrip('#'), safe='')}"
        new = 0
        for _ in range(MAX_PAGES):
            cursor = self._cursors.get(key)
            params = {"limit": str(PAGE_LIMIT)}
            if cursor is not None:
                params["min_id"] = cursor  # the page immediately newer than the cursor
            if self.settings.only_media:
                params["only_media"] = "true"
            response = await self._get(ctx, instance, path, params, ok=(200, 404))
            if response.status_code == 404:
                if _is_api_error(response):
                    return new  # Mastodon says the hashtag was never used there: nothing yet
                raise SourceError(f"{_host(instance.url)} has no hashtag timelines (HTTP 404): "
                                  "is it a Mastodon server?")
            statuses = [raw for raw in _json_list(response, f"#{tag}") if isinstance(raw, dict)]
            ids = [raw["id"] for raw in statuses if _is_id(raw.get("id"))]
            for raw in sorted(statuses, key=lambda raw: _id_key(str(raw.get("id", ""))[:64])):
                new += await self._emit(ctx, instance, raw)
            # Follow rel="prev" (Mastodon's min_id for the next newer page) rather than the
            # newest id seen: the server's boundary also covers statuses it filtered out.
            newest = _prev_min_id(response) or max(ids, key=_id_key, default=None)
            if newest is None or (cursor is not None and _id_key(newest) <= _id_key(cursor)):
                return new
            self._cursors[key] = newest
            await self._save_cursors(ctx)
            # A first start takes the newest page only: a wall shows what happens from now on.
            if cursor is None or len(statuses) < PAGE_LIMIT:
                self._behind.discard(key)
                return new
        self._behind.add(key)
        return new

    async def _emit(self, ctx: SourceContext, instance: MastodonInstance, raw: Any) -> int:
        post = to_post(raw, instance.url, self._wanted)
        if post is None:
            return 0
        self._known[(instance.url, post.source_data["id"])] = post.external_id
        while len(self._known) > MAX_KNOWN_IDS:
            self._known.popitem(last=False)
        return int((await ctx.emit(post)).created)

    async def _save_cursors(self, ctx: SourceContext) -> None:
        # Only the cursors of what is followed now, so the saved cursor stays small.
        current = {f"{instance.url} #{fold_tag(tag)}" for instance in self.settings.instances
                   for tag in ctx.hashtags}
        await ctx.save_cursor({"min_id": {key: value for key, value in self._cursors.items()
                                          if key in current}})

    async def _get(self, ctx: SourceContext, instance: MastodonInstance, path: str,
                   params: dict[str, str] | None, *, ok: tuple[int, ...]) -> httpx.Response:
        """GET an API path of an instance with its token; waits out a used-up rate limit."""
        headers = {"authorization": f"Bearer {instance.access_token}"} if instance.access_token \
            else None
        response = await fetch(ctx.http, f"{instance.url}{path}", params=params, headers=headers,
                               max_bytes=MAX_PAGE_BYTES, ok=(*ok, 401))
        if response.status_code == 401:
            host = _host(instance.url)
            raise SourceError(
                f"{host} rejected the access token (HTTP 401): check that it is valid and has "
                "the read:statuses scope" if instance.access_token else
                f"{host} requires an access token to read its timelines (HTTP 401): add "
                "access_token to this instance")
        pause = rate_limit_pause(response)
        if pause:
            pause = min(pause, MAX_RATE_LIMIT_PAUSE)
            ctx.mark_healthy(f"used up the rate limit of {_host(instance.url)}; "
                             f"waiting {pause:.0f} s for it to reset")
            await asyncio.sleep(pause)
        return response

    # Deletions --------------------------------------------------------------------------------

    async def _recheck(self, ctx: SourceContext) -> None:
        """Look approved posts up again; a status gone at its instance leaves the walls."""
        instances = {instance.url: instance for instance in self.settings.instances}
        shown = [post for post in await ctx.shown_posts()
                 if post.source_data.get("instance") in instances
                 and _is_id(post.source_data.get("id"))]
        if not shown:
            return
        # A window that moves on every round, so every shown post gets its turn.
        start = self._recheck_from % len(shown)
        batch = (shown[start:] + shown[:start])[:MAX_RECHECKS]
        self._recheck_from = start + len(batch)
        for post in batch:
            instance = instances[post.source_data["instance"]]
            path = f"/api/v1/statuses/{quote(post.source_data['id'], safe='')}"
            try:
                response = await self._get(ctx, instance, path, None, ok=(200, 404, 410))
            except RetryAfter:
                raise
            except SourceError as exc:
                log.info("could not re-check %s: %s", post.external_id, exc)
                continue  # unknown is not deleted: the post stays
            if response.status_code in (404, 410):
                await ctx.delete(post.external_id)
                continue
            try:
                status = _json(response.content)
            except ValueError:
                continue
            await self._emit(ctx, instance, status)  # picks up edits when we are not streaming

    # Streaming --------------------------------------------------------------------------------

    async def _run_streaming(self, ctx: SourceContext) -> None:
        for post in await ctx.shown_posts():
            instance, local_id = post.source_data.get("instance"), post.source_data.get("id")
            if isinstance(instance, str) and isinstance(local_id, str):
                self._known[(instance, local_id)] = post.external_id
        bases = [(instance, await self._streaming_base(ctx, instance))
                 for instance in self.settings.instances]
        if not ctx.hashtags:
            ctx.mark_healthy("the event has no hashtags to stream")
        try:
            async with asyncio.TaskGroup() as group:
                for instance, base in bases:
                    for tag in ctx.hashtags:
                        group.create_task(self._stream(ctx, instance, base, tag))
                group.create_task(self._recheck_forever(ctx))
        except BaseExceptionGroup as failures:
            # The runner shows one error in words, not "unhandled errors in a TaskGroup".
            raise _first_error(failures) from None

    async def _recheck_forever(self, ctx: SourceContext) -> None:
        while True:
            await self._recheck(ctx)
            await asyncio.sleep(self.settings.recheck_interval_seconds)

    async def _streaming_base(self, ctx: SourceContext, instance: MastodonInstance) -> str:
        """Where the instance streams: configuration.urls.streaming, else the instance itself."""
        secure = instance.url.startswith("https:")
        try:
            response = await self._get(ctx, instance, "/api/v2/instance", None, ok=(200,))
            url = _json(response.content)["configuration"]["urls"]["streaming"]
            parts = urlsplit(url)
            # Never downgrade: the token travels in the handshake.
            if parts.scheme in (("wss",) if secure else ("ws", "wss")) and parts.hostname \
                    and parts.port != 0:  # .port also refuses an invalid port (ValueError)
                return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        except RetryAfter:
            raise
        except (SourceError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("no streaming address from %s, using the instance: %s", instance.url, exc)
        return ("wss:" if secure else "ws:") + instance.url.split(":", 1)[1]

    async def _stream(self, ctx: SourceContext, instance: MastodonInstance, base: str,
                      tag: str) -> None:
        url = f"{base}/api/v1/streaming?stream=hashtag&tag={quote(tag.lstrip('#'), safe='')}"
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "wss" else 80)
        address = await self._address(host, port)
        where = f"the #{tag} stream of {_host(base)}"
        try:
            # Connect to the address just checked (no second DNS answer can slip in); TLS still
            # verifies the host name.
            async with connect(url, host=address, port=port, proxy=None,
                               additional_headers={"authorization":
                                                   f"Bearer {instance.access_token}"},
                               user_agent_header=USER_AGENT, open_timeout=STREAM_OPEN_TIMEOUT,
                               max_size=MAX_PAGE_BYTES) as websocket:
                # Backfill once subscribed, so nothing falls between the backfill and the stream.
                new = await self._catch_up(ctx, instance, tag)
                ctx.mark_healthy(f"streaming #{tag} from {_host(base)}; {new} new on connect")
                async for message in websocket:
                    await self._on_event(ctx, instance, tag, message, where)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                raise SourceError(f"{_host(base)} rejected the access token for streaming "
                                  "(HTTP 401): check that it is valid and has the read scope"
                                  ) from exc
            raise SourceError(f"{_host(base)} refused the #{tag} stream (HTTP {status})"
                              ) from exc
        except ConnectionClosed as exc:
            raise SourceError(f"{where} broke off ({exc}); reconnecting") from exc
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise SourceError(f"could not open {where}: {str(exc) or type(exc).__name__}"
                              ) from exc
        raise SourceError(f"{_host(base)} closed the #{tag} stream; reconnecting")

    async def _on_event(self, ctx: SourceContext, instance: MastodonInstance, tag: str,
                        message: str | bytes, where: str) -> None:
        try:
            event = _json(message)
        except ValueError:
            log.info("ignoring a malformed message on %s", where)
            return
        if not isinstance(event, dict):
            return
        if "error" in event:
            raise SourceError(f"{where} failed: {str(event['error'])[:200]}")
        kind, payload = event.get("event"), event.get("payload")
        if not isinstance(payload, str):
            return
        if kind in ("update", "status.update"):
            try:
                status = _json(payload)
            except ValueError:
                log.info("ignoring a malformed status on %s", where)
                return
            await self._emit(ctx, instance, status)
            status_id = status.get("id") if isinstance(status, dict) else None
            key = f"{instance.url} #{fold_tag(tag)}"
            cursor = self._cursors.get(key)
            if kind == "update" and key not in self._behind and _is_id(status_id) and (
                    cursor is None or _id_key(status_id) > _id_key(cursor)):
                # Keep the REST cursor up to date, so the backfill after a reconnect is short.
                self._cursors[key] = status_id
                await self._save_cursors(ctx)
        elif kind == "delete" and (uri := self._known.pop((instance.url, payload), None)):
            await ctx.delete(uri)

    async def _address(self, host: str, port: int) -> str:
        """An address of `host` we may connect to, by the same rule as ingest.http's client."""
        try:
            candidates: list[IPv4Address | IPv6Address] = [ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise SourceError(f"could not resolve {host}: {exc}") from exc
            candidates = [ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for candidate in candidates:
            if candidate.is_global or (self.allow_private_networks and not candidate.is_multicast):
                return str(candidate)
        raise SourceError(f"refusing to stream from {host}: {candidates[0]} is a private or "
                          "local address (set network.allow_private_addresses to allow it)")


def _json(content: str | bytes) -> Any:
    """Parsed JSON; nesting too deep for the parser counts as malformed, like any other."""
    try:
        return json.loads(content)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def _json_list(response: httpx.Response, what: str) -> list[Any]:
    host = response.url.host
    try:
        data = _json(response.content)
    except ValueError as exc:
        raise SourceError(f"{host} sent malformed JSON for {what}") from exc
    if not isinstance(data, list):
        raise SourceError(f"{host} sent a JSON {type(data).__name__} instead of a list of "
                          f"statuses for {what}")
    return data


def _is_api_error(response: httpx.Response) -> bool:
    try:
        return isinstance(_json(response.content).get("error"), str)
    except (ValueError, AttributeError):
        return False


def _prev_min_id(response: httpx.Response) -> str | None:
    prev = response.links.get("prev", {}).get("url")
    if not prev:
        return None
    # Only the cursor is taken from the link; requests keep going to the configured instance.
    values = parse_qs(urlsplit(prev).query).get("min_id", [])
    return values[0] if values and _is_id(values[0]) else None


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
