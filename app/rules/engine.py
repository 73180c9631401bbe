"""Deciding a post by its event's rules: reject, flag, approve, or leave it to the moderators."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from app.rules.config import RulesConfig, author_key
from app.rules.links import is_within, link_domains, normalise_host
from app.rules.starter import StarterList, starter_words
from app.rules.words import WordMatcher

__all__ = ["Reason", "RuleInput", "Verdict", "evaluate", "link_domains", "matcher_for"]

Decision = Literal["reject", "flag", "approve"]
RuleName = Literal["blocked_author", "blocked_domain", "blocked_word", "require_media",
                   "language", "reply", "repost", "trusted_author", "sensitive"]
# Languages a source may report that say nothing about the language.
_NO_LANGUAGE = {"", "und", "mul", "zxx"}


@dataclass(frozen=True, slots=True)
class RuleInput:
    """What the rules look at in a post: its cleaned text and a few facts about it."""

    text: str
    author_handle: str
    link_domains: tuple[str, ...] = ()
    has_media: bool = False
    lang: str | None = None
    is_reply: bool = False
    is_repost: bool = False
    sensitive: bool = False
    content_warning: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule spoke up about a post, in words a moderator understands.

    `detail` is the English sentence (for scripts and logs); `code` and `values` say the same for
    an interface that words it in its own language, e.g. ("blocked_word", {"word": "mist"}).
    """

    rule: RuleName
    detail: str
    code: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The strongest decision of all rules (None: the moderators decide), and every reason."""

    decision: Decision | None
    reasons: tuple[Reason, ...] = ()


def evaluate(rules: RulesConfig, post: RuleInput, matcher: WordMatcher | None = None) -> Verdict:
    """Every rule's say about a post, and the strongest decision: reject > flag > approve.

    A trusted author's post is approved only when no other rule rejects or flags it.
    `matcher` is `matcher_for(rules)` unless given (callers may keep one per event).
    """
    rejects: list[Reason] = []
    flags: list[Reason] = []
    author = author_key(post.author_handle)
    if author in {author_key(handle) for handle in rules.blocked_authors}:
        rejects.append(Reason("blocked_author", f"{post.author_handle} is a blocked author",
                              "blocked_author", {"author": post.author_handle}))
    blocked_hosts = _hosts(tuple(rules.blocked_domains))
    for host in dict.fromkeys(_clean_host(host) for host in post.link_domains):
        domain = next((domain for domain in blocked_hosts if is_within(host, domain)), None)
        if domain is not None:
            if host == domain:
                rejects.append(Reason("blocked_domain", f"Links to {host} which is blocked",
                                      "blocked_domain", {"host": host}))
            else:
                rejects.append(Reason("blocked_domain",
                                      f"Links to {host}, part of {domain}, which is blocked",
                                      "blocked_domain_within", {"host": host, "domain": domain}))
    if rules.require_media and not post.has_media:
        rejects.append(Reason("require_media", "Has no photo or video, and this wall shows "
                                               "only posts with one", "require_media"))
    lang = (post.lang or "").strip().lower().replace("_", "-").split("-")[0]
    if rules.languages and lang not in _NO_LANGUAGE and lang not in rules.languages:
        allowed = ", ".join(rules.languages)
        rejects.append(Reason("language", f"Written in '{lang}'; this wall shows posts in "
                                          f"{allowed} only", "language",
                              {"lang": lang, "allowed": allowed}))
    if rules.no_replies and post.is_reply:
        rejects.append(Reason("reply", "Is a reply, and this wall shows no replies", "reply"))
    if rules.no_reposts and post.is_repost:
        rejects.append(Reason("repost", "Is a repost of someone else's post, and this wall "
                                        "shows no reposts", "repost"))
    warning = (post.content_warning or "").strip()
    words = (matcher or matcher_for(rules)).find(f"{post.text}\n{warning}")
    for word in words:
        reason = Reason("blocked_word", f"Contains the blocked word '{word}'", "blocked_word",
                        {"word": word})
        (rejects if rules.blocked_words_action == "reject" else flags).append(reason)
    if warning:
        flags.append(Reason("sensitive", f"Has a content warning ('{warning}'): needs a human",
                            "sensitive_warning", {"warning": warning}))
    elif post.sensitive:
        flags.append(Reason("sensitive", "Marked sensitive by its author: needs a human",
                            "sensitive"))
    approvals: list[Reason] = []
    if author in {author_key(handle) for handle in rules.trusted_authors}:
        approvals.append(Reason("trusted_author", f"{post.author_handle} is a trusted author",
                                "trusted_author", {"author": post.author_handle}))
    decision: Decision | None = (
        "reject" if rejects else "flag" if flags else "approve" if approvals else None)
    return Verdict(decision=decision, reasons=(*rejects, *flags, *approvals))


def matcher_for(rules: RulesConfig) -> WordMatcher:
    """The word matcher of a rule set, built on first use and kept for identical word lists."""
    return _matcher(tuple(rules.blocked_words), tuple(rules.starter_lists),
                    tuple(rules.allowed_words))


# Keyed by the word fields only: a config is frozen but holds lists, so it cannot be hashed,
# and a change of, say, trusted authors needs no new matcher. A few entries cover the events of
# one server and the edits an organizer makes while setting one up.
@lru_cache(maxsize=16)
def _matcher(blocked: tuple[str, ...], starters: tuple[StarterList, ...],
             allowed: tuple[str, ...]) -> WordMatcher:
    words = list(blocked)
    for name in dict.fromkeys(starters):
        words.extend(starter_words(name))
    return WordMatcher(words, allowed)


@lru_cache(maxsize=64)
def _hosts(domains: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(normalise_host(domain) for domain in domains)


def _clean_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("www.")
