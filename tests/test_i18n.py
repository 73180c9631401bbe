"""The interface texts: both languages complete, and every rule reason worded in each."""

from __future__ import annotations

import re

import pytest

from app.i18n import TEXTS, pick_language
from app.rules import RuleInput, RulesConfig, evaluate


def test_german_and_english_have_the_same_keys_and_fields() -> None:
    assert TEXTS["de"].keys() == TEXTS["en"].keys()
    for key, german in TEXTS["de"].items():
        fields = set(re.findall(r"\{(\w+)\}", german))
        assert fields == set(re.findall(r"\{(\w+)\}", TEXTS["en"][key])), key


def _every_reason() -> list[tuple[str, dict[str, str]]]:
    rules = RulesConfig(blocked_authors=["@anna@social.example"],
                        blocked_domains=["spam.example", "ads.example"], require_media=True,
                        languages=["de"], no_replies=True, no_reposts=True)
    posts = [
        RuleInput("bullshit", "@anna@social.example", ("spam.example", "x.ads.example"),
                  lang="en", is_reply=True, is_repost=True, content_warning="Spoiler"),
        RuleInput("fine", "@anna@social.example", sensitive=True),
        RuleInput("fine", "@bob@social.example"),
    ]
    trusted = RulesConfig(trusted_authors=["@bob@social.example"])
    verdicts = [evaluate(rules, post) for post in posts] + [evaluate(trusted, posts[2])]
    return [(reason.code, reason.values) for verdict in verdicts for reason in verdict.reasons]


def test_every_rule_reason_has_a_text_that_uses_its_values() -> None:
    reasons = _every_reason()
    codes = {code for code, _ in reasons}
    assert codes == {"blocked_author", "blocked_domain", "blocked_domain_within",
                     "require_media", "language", "reply", "repost", "blocked_word",
                     "sensitive_warning", "sensitive", "trusted_author"}
    for code, values in reasons:
        for language in ("de", "en"):
            template = TEXTS[language][f"desk_why_{code}"]
            assert set(re.findall(r"\{(\w+)\}", template)) == set(values), (language, code)


@pytest.mark.parametrize(("header", "chosen", "expected"), [
    ("en-US,en;q=0.9,de;q=0.8", None, "en"),
    ("fr-FR,de;q=0.5,en;q=0.4", None, "de"),
    ("de;q=0.2,en;q=0.9", None, "en"),
    ("fr,it", None, "de"),
    (None, None, "de"),
    ("en", "de", "de"),
    ("de", "xx", "de"),
    ("de;q=bogus,en", None, "en"),
])
def test_the_language_follows_the_choice_then_the_browser(header: str | None,
                                                          chosen: str | None,
                                                          expected: str) -> None:
    assert pick_language(header, chosen) == expected
