"""Text folding for word matching: one ASCII spelling for every way of writing a word."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Cyrillic, Greek and Armenian letters that look like Latin ones. anyascii transliterates by
# sound (Cyrillic "р" becomes "r", "с" becomes "s"), but someone hiding a word uses them for
# their looks, so they are mapped by shape first. Upper and lower case differ (Greek "Η" looks
# like H, "η" like n), hence this runs before case folding.
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "А": "a", "а": "a", "В": "b", "в": "b", "Е": "e", "е": "e", "Ё": "e", "ё": "e",
    "К": "k", "к": "k", "М": "m", "м": "m", "Н": "h", "н": "h", "О": "o", "о": "o",
    "Р": "p", "р": "p", "С": "c", "с": "c", "Т": "t", "т": "t", "У": "y", "у": "y",
    "Х": "x", "х": "x", "Ѕ": "s", "ѕ": "s", "І": "i", "і": "i", "Ї": "i", "ї": "i",
    "Ј": "j", "ј": "j", "Ԁ": "d", "ԁ": "d", "Һ": "h", "һ": "h", "Ԛ": "q", "ԛ": "q",
    "Ԝ": "w", "ԝ": "w", "Ӏ": "i", "ӏ": "l", "ь": "b", "Ь": "b", "г": "r", "п": "n",
    # Greek
    "Α": "a", "α": "a", "Β": "b", "β": "b", "Ε": "e", "ε": "e", "Ζ": "z", "Η": "h",
    "η": "n", "Ι": "i", "ι": "i", "Κ": "k", "κ": "k", "Μ": "m", "μ": "u", "Ν": "n",
    "ν": "v", "Ο": "o", "ο": "o", "Ρ": "p", "ρ": "p", "Τ": "t", "τ": "t", "Υ": "y",
    "υ": "u", "Χ": "x", "χ": "x", "γ": "y", "ω": "w", "ϲ": "c", "Ϲ": "c", "ϳ": "j",
    # Armenian
    "օ": "o", "ս": "u", "ց": "g", "ո": "n", "հ": "h", "զ": "q",
})

# Invisible letters (category Lo, so not caught by the category test) used as blank fillers.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
# Format characters (zero-width space and joiners, soft hyphen, BOM, tags) and combining marks
# vanish: inserted into a word they must not split it.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me"})

# German convention: ä, ö, ü may be written ae, oe, ue. Patterns use that spelling; a text with
# umlauts is also folded that way (see `fold_text`), while its plain fold keeps "fück" -> "fuck".
# Folding marks them with private-use characters (never produced otherwise: anyascii drops
# private-use input), to be spelled either way at the end without folding twice.
_UMLAUT_MARKS = {"ä": "\ue0e4", "ö": "\ue0f6", "ü": "\ue0fc"}
_PLAIN = (("\ue0e4", "a"), ("\ue0f6", "o"), ("\ue0fc", "u"))
_AS_E = (("\ue0e4", "ae"), ("\ue0f6", "oe"), ("\ue0fc", "ue"))

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s"})
# A letter next to a digit, "@" or "$": the sign of leetspeak or of a word run into a number.
# (These quick checks start with the rarer character class, so the engine skips to it in C.)
_MIXED = re.compile(r"[0-9@$](?:(?<=[a-z].)|(?=[a-z]))")
# A run of letters, digits, "@" and "$" that mixes letters with the others. Only the start of a
# run is tried (the look-behind), so a long run costs one pass, not one per character.
_MIXED_TOKEN = re.compile(r"(?<![a-z0-9@$])[a-z0-9@$]*?(?:[a-z][0-9@$]|[0-9@$][a-z])[a-z0-9@$]*")
_LETTER_DIGIT = re.compile(r"[0-9](?:(?<=[a-z].)|(?=[a-z]))")
_LETTER_DIGIT_SPLIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HAS_UMLAUT = re.compile("[\ue0e4\ue0f6\ue0fc]")
_TRAILING_DIGITS = re.compile(r"[0-9]+$")
_LEET_DIGITS = re.compile(r"[013457]")


def fold_text(text: str) -> tuple[str, str | None]:
    """A text's folded spelling, and a second with umlauts written ae, oe, ue if it has any.

    Both start and end with a space, so every word has a separator before and after it.
    """
    marked = _mark(text)
    if not _HAS_UMLAUT.search(marked):
        return _finish(marked, text=True), None
    return (_finish(_spell(marked, _PLAIN), text=True),
            _finish(_spell(marked, _AS_E), text=True))


def fold_pattern(entry: str) -> str:
    """The folded spelling of a configured word or phrase (umlauts written ae, oe, ue)."""
    return _finish(_spell(_mark(entry), _AS_E))


def fold_pattern_plain(entry: str) -> str:
    """Like `fold_pattern` but with umlauts written a, o, u (how allowed words are also found)."""
    return _finish(_spell(_mark(entry), _PLAIN))


def unleet(token: str, *, keep_number_at_end: bool = True) -> str:
    """A token with leetspeak replaced, if it has a letter (plain numbers stay numbers).

    Digits after the last letter stay digits too, unless told otherwise, so "fuck2024" is the
    word "fuck" and a year.
    """
    if not any("a" <= char <= "z" for char in token):
        return token
    tail = _TRAILING_DIGITS.search(token) if keep_number_at_end else None
    if tail is None:
        return token.translate(_LEET)
    return token[: tail.start()].translate(_LEET) + tail.group()


def _unleet_all(token: str) -> str | None:
    """The token read as leetspeak to its end, when that differs from `unleet` ("5h17")."""
    tail = _TRAILING_DIGITS.search(token)
    if tail is None or not _LEET_DIGITS.search(tail.group()):
        return None
    return token.translate(_LEET)


def _mark(text: str) -> str:
    """Lower-case ASCII, except umlauts, which become placeholders for either spelling."""
    text = unicodedata.normalize("NFKC", text)
    return _NON_ASCII.sub(lambda m: _fold_char(m.group()), text).lower()


def _spell(marked: str, spelling: tuple[tuple[str, str], ...]) -> str:
    """Umlaut placeholders replaced (str.replace: str.translate is slow on non-ASCII text)."""
    for mark, letters in spelling:
        marked = marked.replace(mark, letters)
    return marked


def _finish(folded: str, *, text: bool = False) -> str:
    """Leetspeak undone and letters split from digits, padded with a space at either end.

    Digits ending a word may be a number ("fuck2024") or leetspeak ("5h17"). The first reading
    is kept in place; for a text (not a pattern) the second is added at the end as a word of
    its own, so either can be found.
    """
    # Most posts have no leetspeak: two quick searches instead of a pass over every word.
    if not _MIXED.search(folded):
        return f" {folded} "
    also: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group()
        if text and (whole := _unleet_all(token)) is not None:
            also.append(whole)
        return unleet(token)

    folded = _MIXED_TOKEN.sub(replace, folded)
    # Letters and digits left side by side are separate words ("fuck2024", "2 girls").
    if _LETTER_DIGIT.search(folded):
        folded = _LETTER_DIGIT_SPLIT.sub(" ", folded)
    return f" {folded} {' '.join(also)} " if also else f" {folded} "


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """One non-ASCII character as lower-case ASCII (maybe several letters, maybe none)."""
    if char in _FILLERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return ""
    lookalike = char.translate(_LOOKALIKES)
    if lookalike != char:
        return lookalike
    lower = char.casefold()
    if lower in _UMLAUT_MARKS:
        return _UMLAUT_MARKS[lower]
    return anyascii(lower).lower()
