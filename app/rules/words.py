"""Blocked words: a matcher compiled once from a word list and reused for every post."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.rules._fold import fold_pattern, fold_pattern_plain, fold_text, unleet

_WORD = re.compile(r"[a-z0-9]+")
_NOT_IN_RUN = re.compile(r"[^a-z0-9@$]+")
# Between the words of a phrase: any run of spaces and punctuation.
_PHRASE_GAP = "[^a-z0-9]+"
# A word spelled letter by letter ("f.u.c.k", "f u c k", "$.h.1.t"): three or more single
# letters, digits or leet signs, each one a word of its own, with the same short separator
# between all of them. The same separator throughout keeps everyday runs of short words
# ("z. B. ein A und I") from joining up with their neighbours.
_SPACED = re.compile(r"[^a-z0-9@$]([a-z0-9@$](?P<gap>[^a-z0-9@$]{1,3})[a-z0-9@$]"
                     r"(?:(?P=gap)[a-z0-9@$])+)(?![a-z0-9@$])")
# Letter-spelled words are searched inside the run, so only words this long count: shorter ones
# turn up by chance in runs of initials.
_SPACED_MIN_LENGTH = 3
_UMLAUT_PAIR = re.compile(r"[aou]e")


@dataclass(frozen=True, slots=True)
class Pattern:
    """A configured word or phrase, folded: its words, and whether it is open at either end."""

    source: str
    words: tuple[str, ...]
    open_start: bool
    open_end: bool


def parse_pattern(entry: str, *, plain_umlauts: bool = False) -> Pattern:
    """The pattern an entry describes; ValueError naming the entry and what is wrong with it.

    Umlauts are spelled ae, oe, ue unless `plain_umlauts` (a, o, u).
    """
    text = entry.strip()
    if not text:
        raise ValueError(f"{entry!r} is empty: give a word or phrase")
    open_start, open_end = text.startswith("*"), text.endswith("*") and len(text) > 1
    core = text[1 if open_start else 0 : -1 if open_end else None]
    if "*" in core:
        raise ValueError(
            f"{entry!r}: '*' may only stand at the start or the end, as in 'scheiß*' (any word "
            "starting with 'scheiß') or '*loch' (any word ending in 'loch')")
    if core != core.strip():
        raise ValueError(f"{entry!r}: a '*' must touch a word, as in 'fick*', not 'fick *'")
    # Folded, an emoji becomes its name ("🖕" is "middle finger"), so the shipped list can hold
    # one; whatever folds to nothing at all cannot be found.
    folded = fold_pattern_plain(core) if plain_umlauts else fold_pattern(core)
    words = tuple(_WORD.findall(folded))
    if not words:
        raise ValueError(f"{entry!r} has no letters or digits, so it cannot match a word")
    return Pattern(source=entry, words=words, open_start=open_start, open_end=open_end)


class WordMatcher:
    """Finds configured words and phrases in posts, however they are disguised.

    Built once per word list (compiling is the slow part) and then used for many posts.
    Matching works on a folded spelling of the text (see `app.rules._fold`): case, accents,
    look-alike letters, leetspeak and invisible characters make no difference. Words match
    whole words only ("arsch" does not match "Arschkarte" unless written "arsch*"); a phrase
    matches with any spaces or punctuation between its words; a word spelled letter by letter
    ("f.u.c.k") is found too. Allowed words are blanked out of the text before searching, so
    nothing inside them is ever reported.
    """

    def __init__(self, patterns: Iterable[str], allowed: Iterable[str] = ()) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        groups: dict[tuple[bool, tuple[str, ...], bool], int] = {}
        self._sources: list[list[str]] = []
        unique: list[tuple[Pattern, int]] = []
        for pattern in map(parse_pattern, self.patterns):
            key = (pattern.open_start, pattern.words, pattern.open_end)
            if key not in groups:
                groups[key] = len(self._sources)
                self._sources.append([])
                unique.append((pattern, groups[key]))
            if pattern.source not in self._sources[groups[key]]:
                self._sources[groups[key]].append(pattern.source)
        self._main = _compile(unique, bounded=True)
        # A text with umlauts is searched a second time with them spelled ae, oe, ue; only a
        # pattern with such a pair can match there and not in the first spelling.
        self._umlauts = _compile(
            [(p, g) for p, g in unique if any(_UMLAUT_PAIR.search(word) for word in p.words)],
            bounded=True)
        self._spaced = _compile(
            [(p, g) for p, g in unique
             if len(p.words) == 1 and len(p.words[0]) >= _SPACED_MIN_LENGTH], bounded=False)
        # Allowed words in both spellings, so they are blanked out of both spellings of a text.
        allowed_patterns = [parse_pattern(entry, plain_umlauts=plain)
                            for entry in allowed for plain in (False, True)]
        self._allowed = _compile(
            [(p, n) for n, p in enumerate(dict.fromkeys(allowed_patterns))], bounded=True)

    def find(self, text: str) -> list[str]:
        """The configured patterns found in `text`, in configured order, each once."""
        if self._main is None:
            return []
        found: set[int] = set()
        folded, with_e = fold_text(text)
        folded = self._blank_allowed(folded)
        _scan(self._main, folded, found)
        if self._spaced is not None:
            for run in _SPACED.finditer(folded):
                letters = _NOT_IN_RUN.sub("", run.group(1))
                _scan(self._spaced, unleet(letters, keep_number_at_end=False), found)
        if with_e is not None and self._umlauts is not None:
            _scan(self._umlauts, self._blank_allowed(with_e), found)
        return [source for group in sorted(found) for source in self._sources[group]]

    def _blank_allowed(self, folded: str) -> str:
        if self._allowed is None:
            return folded
        return self._allowed.sub(lambda m: " " * len(m.group()), folded)

    def __repr__(self) -> str:
        return f"<WordMatcher of {len(self.patterns)} patterns>"


def _scan(regex: re.Pattern[str], text: str, found: set[int]) -> None:
    """Adds the group of every match, overlapping ones included ("piece of shit" and "shit")."""
    position = 0
    while (match := regex.search(text, position)) is not None:
        if match.lastgroup is not None:
            found.add(int(match.lastgroup[1:]))
        position = match.start() + 1


class _Node:
    """A trie node: what may follow, and the patterns that end here."""

    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.ends: list[tuple[bool, int]] = []  # (open end, group)


def _compile(patterns: list[tuple[Pattern, int]], *, bounded: bool) -> re.Pattern[str] | None:
    """One regular expression for all patterns: a trie, so each word start costs one descent.

    Python's regex engine tries alternatives one after another; a flat alternation of 500 words
    would be tried 500 times at every word, the trie branches on one character at a time.
    `bounded` is for whole words in a folded text: a match starts at the separator before the
    word (a leading character class lets the engine skip to candidates in C, where a
    look-behind would be tried at every position). Unbounded is for the inside of
    letter-by-letter runs.
    """
    if not patterns:
        return None
    closed, open_start = _Node(), _Node()
    for pattern, group in patterns:
        node = open_start if pattern.open_start and bounded else closed
        for symbol in " ".join(pattern.words):
            node = node.children.setdefault(symbol, _Node())
        node.ends.append((pattern.open_end or not bounded, group))
    heads = []
    if closed.children:
        heads.append(_trie(closed))
    if open_start.children:
        heads.append("[a-z0-9]*?" + _trie(open_start))
    return re.compile(("[^a-z0-9]" if bounded else "") + _group(heads))


def _trie(node: _Node) -> str:
    """The regular expression of a trie node: what may follow, longest first."""
    branches = [
        (_PHRASE_GAP if symbol == " " else symbol) + _trie(child)
        for symbol, child in sorted(node.children.items())
    ]
    # Ends after children, so "piece of shit" wins over a pattern "piece" at the same place.
    for open_end, group in node.ends:
        branches.append(("" if open_end else "(?![a-z0-9])") + f"(?P<g{group}>)")
    return _group(branches)


def _group(branches: list[str]) -> str:
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
