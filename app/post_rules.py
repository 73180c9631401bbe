"""An event's rules applied to a stored post: what they decide, and why (the card's flags)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from app.models import Post
from app.rules import RuleInput, RulesConfig, Verdict, evaluate, link_domains, matcher_for


@lru_cache(maxsize=32)
def _rules(serialised: str) -> RulesConfig:
    return RulesConfig.model_validate(json.loads(serialised))


def rules_of(stored: dict[str, Any]) -> RulesConfig:
    """An event's rules from the database (validated once per distinct rule set)."""
    return _rules(json.dumps(stored or {}, sort_keys=True))


def judge(rules: RulesConfig, post: Post) -> Verdict:
    """What the rules say about a stored (already cleaned) post."""
    return evaluate(rules, RuleInput(
        text=post.text,
        author_handle=post.author_handle,
        link_domains=link_domains(post.html, post.text),
        has_media=bool(post.media),
        lang=post.lang,
        is_reply=post.is_reply,
        is_repost=post.is_repost,
        sensitive=post.sensitive,
        content_warning=post.content_warning,
    ), matcher_for(rules))


def flags(verdict: Verdict) -> list[dict[str, Any]]:
    """The reasons as stored on a post and sent to the desk (which words them from code/values)."""
    return [{"rule": reason.rule, "detail": reason.detail, "code": reason.code,
             "values": dict(reason.values)} for reason in verdict.reasons]
