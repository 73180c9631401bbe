"""Moderation labels: which a post carries, and which keep it off the walls."""

from __future__ import annotations

from typing import Any

from ingest.bluesky._utils import _dict, _dicts, _text

# Labels that keep a post off the walls whoever set them (the author, Bluesky's moderation):
# adult and graphic content, "hide", and authors who asked not to be shown to logged-out
# viewers, which a wall in a hall is. `gore`, `nsfl` are the older names of `graphic-media`.
BLOCKING_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore", "nsfl",
                             "!hide", "!no-unauthenticated"})
WARN_LABEL = "!warn"


def labels_of(view: dict[str, Any]) -> set[str]:
    """The label values on a PostView, its author and its record, less the negated ones."""
    author = _dict(view.get("author"))
    record = _dict(view.get("record"))
    applied: set[tuple[str, str]] = set()
    negated: set[tuple[str, str]] = set()
    for label in [*_dicts(view.get("labels")), *_dicts(author.get("labels"))]:
        value, src = label.get("val"), _text(label.get("src"))
        if isinstance(value, str):
            (negated if label.get("neg") is True else applied).add((src, value))
    return {value for _, value in applied - negated} | self_labels(record)


def self_labels(record: dict[str, Any]) -> set[str]:
    labels = record.get("labels")
    values = labels.get("values") if isinstance(labels, dict) else None
    return {v["val"] for v in _dicts(values) if isinstance(v.get("val"), str)}
