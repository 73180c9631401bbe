"""The shipped starter lists of offensive words, read on first use and then kept."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal, get_args

StarterList = Literal["de", "en"]
STARTER_LISTS: tuple[StarterList, ...] = get_args(StarterList)


@cache
def starter_words(name: StarterList) -> tuple[str, ...]:
    """The words and phrases of a shipped list (`app/rules/lists/NAME.txt`), one per line."""
    if name not in STARTER_LISTS:
        raise ValueError(f"no starter list {name!r}; there are {', '.join(STARTER_LISTS)}")
    resource = files("app.rules").joinpath("lists").joinpath(f"{name}.txt")
    text = resource.read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())
