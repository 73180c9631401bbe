"""Make untrusted post content safe to store and show: HTML through an allowlist, text cleaned."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import nh3

MAX_TEXT_CHARS = 10_000
MAX_HTML_CHARS = 50_000

# What a wall or the desk needs from a post's markup: paragraphs, line breaks, links, emphasis,
# lists, quotes. No images, styles, forms, frames or scripts; links keep http(s) only.
_TAGS = {"p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del", "blockquote",
         "ul", "ol", "li", "code", "pre"}
_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}}
# Mastodon marks the hidden parts of long links with these classes; keeping them lets a
# stylesheet shorten links as Mastodon does. Every other class is dropped.
_CLASSES = {"span": {"invisible", "ellipsis"}}

# C0/C1 controls except tab and newline: they have no business on a projector.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_html(html: str) -> str:
    """Sanitised markup: allowlisted tags and attributes only, links made inert for referrers."""
    return nh3.clean(
        html[:MAX_HTML_CHARS],
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Plain text in NFC, without control characters, cut to `limit` characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)[:limit]


# Invisible and direction-changing characters: in a name or handle they only serve to spoof
# ("M\u202eallory" shows as "Myrolla"). Post text keeps them: right-to-left writing needs them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_label(text: str, limit: int = 200) -> str:
    """A name or handle as plain text: like clean_text, and without invisible characters."""
    return clean_text(_INVISIBLE.sub("", text), limit).strip()


def html_to_text(html: str) -> str:
    """The readable text of a piece of markup, paragraphs kept as blank lines."""
    marked = re.sub(r"(?i)<br\s*/?>", "\n", html)
    marked = re.sub(r"(?i)</p\s*>", "\n\n", marked)
    text = unescape(nh3.clean(marked, tags=set()))
    return clean_text(re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip())
