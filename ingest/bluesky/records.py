"""Post records as Jetstream carries them: their hashtags and their text with facets as HTML."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from ingest.bluesky._utils import _dict, _dicts, _strings, _web_url

POST = "app.bsky.feed.post"
TAG = "app.bsky.richtext.facet#tag"
LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


def hashtags(record: dict[str, Any]) -> tuple[str, ...]:
    """The tags of tag facets and of `record.tags`, once each (the text itself is not read)."""
    found: dict[str, str] = {}
    tags: list[Any] = [feature.get("tag") for facet in _dicts(record.get("facets"))
                       for feature in _dicts(facet.get("features")) if feature.get("$type") == TAG]
    tags += _strings(record.get("tags"))
    for tag in tags:
        if isinstance(tag, str) and (tag := tag.strip().lstrip("#")):
            found.setdefault(tag.casefold(), tag)
    return tuple(found.values())


def to_html(text: str, facets: Any) -> str:
    """Escaped text in paragraphs, with link and mention facets (UTF-8 byte ranges) as links."""
    data = text.encode()
    pieces: list[str] = []
    position = 0
    for start, end, href in sorted(filter(None, map(_facet_link, _dicts(facets)))):
        if not position <= start < end <= len(data):
            continue   # overlapping or outside the text
        try:
            before, inner = data[position:start].decode(), data[start:end].decode()
        except UnicodeDecodeError:
            continue   # a range that cuts a character in two
        pieces += [escape(before), f'<a href="{escape(href)}">{escape(inner)}</a>']
        position = end
    pieces.append(escape(data[position:].decode()))
    html = "".join(pieces)
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in html.split("\n\n"))


def _facet_link(facet: dict[str, Any]) -> tuple[int, int, str] | None:
    """The byte range and target of a link or mention facet."""
    index = _dict(facet.get("index"))
    start, end = index.get("byteStart"), index.get("byteEnd")
    if type(start) is not int or type(end) is not int:
        return None
    for feature in _dicts(facet.get("features")):
        did = feature.get("did")
        if feature.get("$type") == LINK and (href := _web_url(feature.get("uri"))):
            return start, end, href
        if feature.get("$type") == MENTION and isinstance(did, str) and _DID.fullmatch(did):
            return start, end, f"https://bsky.app/profile/{did}"
    return None
