"""Media RSS captions (media:description) read from the document itself: feedparser mixes them
into an entry's summary or content (kurtmckee/feedparser#53), losing which medium each describes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_MRSS = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_MEDIA_DESCRIPTION = {f"{{{ns}}}description" for ns in _MRSS}
_MEDIA_ITEM = {f"{{{ns}}}{name}" for ns in _MRSS for name in ("content", "thumbnail")}
_MEDIA_GROUP = {f"{{{ns}}}group" for ns in _MRSS}
_ENTRY_TAGS = {"item", "{http://purl.org/rss/1.0/}item", "{http://www.w3.org/2005/Atom}entry"}


@dataclass(frozen=True, slots=True)
class Captions:
    """The media:description texts of one entry: by media URL ('' for the entry), and all."""

    by_url: dict[str, str] = field(default_factory=dict)
    texts: frozenset[str] = frozenset()


def media_captions(body: bytes) -> list[Captions] | None:
    """Each entry's Media RSS captions, in document order; None without any or if unreadable."""
    if b"search.yahoo.com/mrss" not in body:
        return None
    try:
        root = ET.fromstring(body)  # expat >= 2.4 refuses entity bombs; no external entities
    except ET.ParseError:
        return None
    return [_captions_of(item) for item in root.iter() if item.tag in _ENTRY_TAGS]


def _captions_of(item: ET.Element) -> Captions:
    by_url: dict[str, str] = {}

    def description(element: ET.Element) -> str:
        return next((child.text.strip() for child in element if child.tag in _MEDIA_DESCRIPTION
                     and child.text and child.text.strip()), "")

    def walk(element: ET.Element, inherited: str) -> str:
        own = description(element) or inherited
        for child in element:
            if child.tag in _MEDIA_ITEM and (url := (child.get("url") or "").strip()):
                if caption := description(child) or own:
                    by_url.setdefault(url, caption)
            elif child.tag in _MEDIA_GROUP:
                walk(child, own)
        return own

    if own := walk(item, ""):
        by_url[""] = own
    return Captions(by_url, frozenset(
        d.text.strip() for d in item.iter() if d.tag in _MEDIA_DESCRIPTION and d.text))
