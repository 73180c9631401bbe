"""Outbound HTTP for sources and the media cache: safe by default, failures put into words.

Every fetch goes through one client that refuses private, loopback and link-local targets at
connection time (httpx-secure pins the address it checked, so DNS rebinding cannot slip past),
follows at most a few redirects, and reads at most a capped number of bytes. Failures become
`SourceError` with a sentence a moderator can act on, or `RetryAfter` when the remote asked us
to wait.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import httpx
from httpx_secure import SSRFProtectionError, httpx_ssrf_protection

from ingest.base import RetryAfter, SourceError

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "socialwall/0.1 (+https://github.com/socialwall/socialwall)"
# When a server says "slow down" without saying for how long.
DEFAULT_RETRY_SECONDS = 60.0


def build_client(*, allow_private_networks: bool = False, timeout: float = 15.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The shared client. `transport` is for tests that answer in-process (no sockets)."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"user-agent": USER_AGENT},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        transport=transport,
    )
    if transport is not None:
        return client

    def allowed(hostname: str, ip: IPv4Address | IPv6Address, port: int) -> bool:
        return ip.is_global or (allow_private_networks and not ip.is_multicast)

    return httpx_ssrf_protection(client, check_globally_reachable=False, custom_validator=allowed)


def check_url(url: str) -> str:
    """Refuse anything but an absolute http(s) URL before a request is even built."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SourceError(f"refusing to fetch {url!r}: only http and https URLs are allowed")
    return url


async def fetch(client: httpx.AsyncClient, url: str, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, max_bytes: int = MAX_BODY_BYTES,
                ok: tuple[int, ...] = (200,)) -> httpx.Response:
    """GET `url`, reading at most `max_bytes`; any status outside `ok` becomes an error."""
    check_url(url)
    try:
        async with client.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code not in ok:
                raise _status_error(response)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise SourceError(f"{describe_url(url)} sent more than {max_bytes:,} bytes; "
                                      "ignoring the response")
            # Hand back a response whose body is already read, with headers and status intact.
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=bytes(body), request=response.request)
    except SSRFProtectionError as exc:
        raise SourceError(f"refusing to fetch {describe_url(url)}: {exc.hostname} is a private or "
                          "local address (set network.allow_private_addresses to allow it)"
                          ) from exc
    except httpx.TimeoutException as exc:
        raise SourceError(f"{describe_url(url)} did not answer in time") from exc
    except httpx.TooManyRedirects as exc:
        raise SourceError(
            f"{describe_url(url)} redirected more than {MAX_REDIRECTS} times") from exc
    except httpx.ConnectError as exc:
        raise SourceError(f"could not connect to {describe_url(url)}: {exc}") from exc
    except httpx.TransportError as exc:
        raise SourceError(f"connection to {describe_url(url)} failed: {exc}") from exc


async def fetch_json(client: httpx.AsyncClient, url: str, **options: Any) -> Any:
    """GET and parse JSON; malformed JSON becomes a SourceError."""
    response = await fetch(client, url, **options)
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise SourceError(f"{describe_url(url)} sent malformed JSON") from exc


def _status_error(response: httpx.Response) -> Exception:
    where = describe_url(str(response.url))
    status = response.status_code
    if status == 429 or (status == 503 and "retry-after" in response.headers):
        return RetryAfter(retry_delay(response) or DEFAULT_RETRY_SECONDS,
                          f"{where} is rate limiting us (HTTP {status})")
    if status == 401:
        return SourceError(f"{where} requires an access token (HTTP 401)")
    if status == 403:
        return SourceError(f"{where} refused access (HTTP 403): check the access token")
    if status == 404:
        return SourceError(f"{where} does not exist (HTTP 404)")
    if status >= 500:
        return SourceError(f"{where} has a server error (HTTP {status})")
    return SourceError(f"{where} answered HTTP {status}")


def retry_delay(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or a date) or `X-RateLimit-Reset`."""
    now = now or datetime.now(UTC)
    value = response.headers.get("retry-after")
    if value is not None:
        return _seconds_until(value, now)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset")
        if reset is not None:
            return _seconds_until(reset, now)
    return None


def rate_limit_pause(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds until the quota resets when this response spent the last request, else None."""
    if response.headers.get("x-ratelimit-remaining") == "0":
        return retry_delay(response, now)
    return None


def _seconds_until(value: str, now: datetime) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        # Small numbers are a delay in seconds; large ones a Unix time.
        return max(0.0, number - now.timestamp() if number > 1e9 else number)
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def describe_url(url: str) -> str:
    """A URL shortened for messages: host, port if any, and path."""
    parsed = httpx.URL(url)
    if not parsed.host:
        return url
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host}{port}{parsed.path}"
