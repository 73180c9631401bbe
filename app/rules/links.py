"""The host names a post links to, for the blocked-domain rule."""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape
from urllib.parse import urlsplit

import httpx

# A URL with a scheme, up to the first space or character that cannot be part of one.
_URL = re.compile(r"[hH][tT][tT][pP][sS]?://[^\s<>\"'`{}|\\^\[\]]+")
# An anchor in sanitised markup (nh3 writes attributes in double quotes) and what it shows, up
# to its end or, should it never be closed, the next anchor or the end of the markup.
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)(?=</a\s*>|<a\b|$)", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# A host name written without a scheme ("spam.example", "www.example.com/offer"): labels and a
# top-level domain of letters. Not after "@" (an e-mail address or a fediverse handle names a
# person, not a link) nor after "/" or "." (the middle of a URL or of a longer name). The
# character before is matched rather than looked behind at, so the engine skips ahead in C.
_BARE_HOST = re.compile(r"[^\w.@/:-]((?:[^\W_][\w-]*\.)+[^\W\d_]{2,})(?![\w-])")
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_TRAILING = ".,;:!?'\"»›”’"
_HOST_LABELS = re.compile(r"(?:[^\W_][\w-]*\.)+[^\W_][\w-]*")


def normalise_host(entry: str) -> str:
    """A configured domain as compared with links; ValueError saying what is wrong with it."""
    text = entry.strip()
    if not text:
        raise ValueError(f"{entry!r} is empty: give a host name like 'example.com'")
    if "://" in text or any(char in text for char in "/?#@:"):
        hint = _host(text) if "://" in text else None
        suggestion = f" here: {hint!r}" if hint else ", like 'example.com'"
        raise ValueError(
            f"{entry!r} is a URL, not a host name: write the host name only{suggestion}")
    if text.startswith("*."):
        raise ValueError(f"{entry!r}: subdomains are blocked with their domain anyway; "
                         f"write {text[2:]!r}")
    host = _host(text)
    if host is None or not _HOST_LABELS.fullmatch(host):
        raise ValueError(f"{entry!r} is not a host name; give one like 'example.com'")
    return host


def link_domains(html: str, text: str) -> tuple[str, ...]:
    """Host names linked from the markup or written in the text, lower-case, without "www.".

    Links that show as a mention or hashtag ("@anna", "#event") are left out: they lead to the
    author's own server, not somewhere the post sends people.
    """
    candidates = _hrefs(html) if "href" in html else []
    if "://" in text:
        candidates.extend(_trim(match.group()) for match in _URL.finditer(text))
    # A dot right before a letter: without one there is no host name, and most posts have none.
    if _DOT_LETTER.search(text):
        candidates.extend(match.group(1) for match in _BARE_HOST.finditer(f" {text}"))
    hosts: dict[str, None] = {}
    for candidate in candidates:
        host = _host(candidate)
        if host:
            hosts.setdefault(host, None)
    return tuple(hosts)


def is_within(host: str, domain: str) -> bool:
    """Whether `host` is `domain` or one of its subdomains (not merely ending in the same text)."""
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=1024)
def _host(url: str) -> str | None:
    """The normalised host of a URL or bare host name, or None when there is none."""
    if "://" not in url:
        url = "https://" + url
    try:
        host = urlsplit(url).hostname or ""
        # httpx (IDNA 2008) only for international names, to give them in Unicode whether
        # written so or as "xn--"; it is ten times slower than urlsplit.
        if not host.isascii() or "xn--" in host:
            host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError):
        return None
    host = host.rstrip(".").removeprefix("www.")
    return host or None


def _trim(url: str) -> str:
    """A URL found in running text without the punctuation that ends the sentence around it."""
    url = url.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    return url


def _hrefs(html: str) -> list[str]:
    """The hrefs of the markup's anchors, except those that show as a mention or hashtag."""
    hrefs = []
    for anchor in _ANCHOR.finditer(html):
        href = _HREF.search(anchor.group(1))
        shown = unescape(_TAG.sub("", anchor.group(2))).lstrip()
        if href and not shown.startswith(("@", "#")):
            hrefs.append(unescape(next(value for value in href.groups() if value is not None)))
    return hrefs
