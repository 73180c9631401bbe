"""Defensive readers for the loosely typed JSON of Jetstream records and AppView views."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _web_url(value: Any) -> str | None:
    return value if isinstance(value, str) and _has_scheme(value, ("http", "https")) else None


def _has_scheme(url: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)
