"""Live hashtag streams over an instance's streaming websocket, to an address checked first."""

from __future__ import annotations

import asyncio
import logging
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ingest.base import RetryAfter, SourceContext, SourceError
from ingest.http import USER_AGENT
from ingest.mastodon import api, limits
from ingest.mastodon.settings import MastodonInstance
from ingest.mastodon.statuses import Emitter
from ingest.mastodon.timeline import Timelines

log = logging.getLogger(__name__)


class Streams:
    """Follows hashtags live on the instances' websockets, backfilling over REST on connect."""

    def __init__(self, timelines: Timelines, emitter: Emitter, *,
                 allow_private_networks: bool) -> None:
        self.timelines = timelines
        self.emitter = emitter
        self.allow_private_networks = allow_private_networks

    async def follow(self, ctx: SourceContext, instance: MastodonInstance, base: str,
                     tag: str) -> None:
        """Stream one hashtag from `base` until the connection ends, which raises SourceError."""
        url = f"{base}/api/v1/streaming?stream=hashtag&tag={quote(tag.lstrip('#'), safe='')}"
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "wss" else 80)
        address = await checked_address(host, port,
                                        allow_private_networks=self.allow_private_networks)
        where = f"the #{tag} stream of {api.host_of(base)}"
        try:
            # Connect to the address just checked (no second DNS answer can slip in); TLS still
            # verifies the host name.
            async with connect(url, host=address, port=port, proxy=None,
                               additional_headers={"authorization":
                                                   f"Bearer {instance.access_token}"},
                               user_agent_header=USER_AGENT,
                               open_timeout=limits.STREAM_OPEN_TIMEOUT,
                               max_size=limits.MAX_PAGE_BYTES) as websocket:
                # Backfill once subscribed, so nothing falls between the backfill and the stream.
                new = await self.timelines.catch_up(ctx, instance, tag)
                ctx.mark_healthy(f"streaming #{tag} from {api.host_of(base)}; "
                                 f"{new} new on connect")
                async for message in websocket:
                    await self._on_event(ctx, instance, tag, message, where)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                raise SourceError(f"{api.host_of(base)} rejected the access token for streaming "
                                  "(HTTP 401): check that it is valid and has the read scope"
                                  ) from exc
            raise SourceError(f"{api.host_of(base)} refused the #{tag} stream (HTTP {status})"
                              ) from exc
        except ConnectionClosed as exc:
            raise SourceError(f"{where} broke off ({exc}); reconnecting") from exc
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise SourceError(f"could not open {where}: {str(exc) or type(exc).__name__}"
                              ) from exc
        raise SourceError(f"{api.host_of(base)} closed the #{tag} stream; reconnecting")

    async def _on_event(self, ctx: SourceContext, instance: MastodonInstance, tag: str,
                        message: str | bytes, where: str) -> None:
        try:
            event = api.parse_json(message)
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
                status = api.parse_json(payload)
            except ValueError:
                log.info("ignoring a malformed status on %s", where)
                return
            await self.emitter.emit(ctx, instance, status)
            if kind == "update":
                status_id = status.get("id") if isinstance(status, dict) else None
                await self.timelines.advance(ctx, instance, tag, status_id)
        elif kind == "delete" and (uri := self.emitter.forget(instance.url, payload)):
            await ctx.delete(uri)


async def streaming_base(ctx: SourceContext, instance: MastodonInstance) -> str:
    """Where the instance streams: configuration.urls.streaming, else the instance itself."""
    secure = instance.url.startswith("https:")
    try:
        response = await api.get(ctx, instance, "/api/v2/instance", None, ok=(200,))
        url = api.parse_json(response.content)["configuration"]["urls"]["streaming"]
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


async def checked_address(host: str, port: int, *, allow_private_networks: bool) -> str:
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
        if candidate.is_global or (allow_private_networks and not candidate.is_multicast):
            return str(candidate)
    raise SourceError(f"refusing to stream from {host}: {candidates[0]} is a private or "
                      "local address (set network.allow_private_addresses to allow it)")
