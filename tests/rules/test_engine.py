"""Deciding posts: each rule on its own, and how their decisions combine."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.rules import Reason, RuleInput, RulesConfig, Verdict, WordMatcher, evaluate, matcher_for


def post(text: str = "Great keynote at the summit!", **facts: Any) -> RuleInput:
    return RuleInput(text=text, author_handle=facts.pop("author_handle", "@anna@social.example"),
                     **facts)


def rules_of(verdict: Verdict) -> list[str]:
    return [reason.rule for reason in verdict.reasons]


def test_an_ordinary_post_is_left_to_the_moderators() -> None:
    assert evaluate(RulesConfig(), post()) == Verdict(decision=None, reasons=())


@pytest.mark.parametrize("handle", ["@spam@bad.example", "spam@bad.example", "@SPAM@Bad.Example"])
def test_a_blocked_author_is_rejected_whatever_the_spelling(handle: str) -> None:
    rules = RulesConfig(blocked_authors=["@Spam@bad.example"])
    verdict = evaluate(rules, post(author_handle=handle))
    assert verdict.decision == "reject"
    assert verdict.reasons == (Reason("blocked_author", f"{handle} is a blocked author",
                                      "blocked_author", {"author": handle}),)


def test_an_author_whose_handle_merely_contains_a_blocked_one_passes() -> None:
    rules = RulesConfig(blocked_authors=["spam@bad.example"])
    assert evaluate(rules, post(author_handle="@nospam@bad.example")).decision is None


@pytest.mark.parametrize(("domain", "detail", "code", "values"), [
    ("example.com", "Links to example.com which is blocked", "blocked_domain",
     {"host": "example.com"}),
    ("ads.example.com", "Links to ads.example.com, part of example.com, which is blocked",
     "blocked_domain_within", {"host": "ads.example.com", "domain": "example.com"}),
    ("a.b.example.com", "Links to a.b.example.com, part of example.com, which is blocked",
     "blocked_domain_within", {"host": "a.b.example.com", "domain": "example.com"}),
    ("WWW.Example.com", "Links to example.com which is blocked", "blocked_domain",
     {"host": "example.com"}),
])
def test_links_to_a_blocked_domain_or_its_subdomains_are_rejected(
        domain: str, detail: str, code: str, values: dict[str, str]) -> None:
    rules = RulesConfig(blocked_domains=["www.Example.com"])
    verdict = evaluate(rules, post(link_domains=("social.example", domain)))
    assert verdict.decision == "reject"
    assert verdict.reasons == (Reason("blocked_domain", detail, code, values),)


@pytest.mark.parametrize("domain", ["notexample.com", "example.com.evil.net", "example.co"])
def test_domains_that_only_look_alike_pass(domain: str) -> None:
    rules = RulesConfig(blocked_domains=["example.com"])
    assert evaluate(rules, post(link_domains=(domain,))).decision is None


def test_an_international_blocked_domain_matches_in_either_spelling() -> None:
    rules = RulesConfig(blocked_domains=["xn--bcher-kva.de"])
    assert evaluate(rules, post(link_domains=("shop.bücher.de",))).decision == "reject"


def test_required_media_rejects_posts_without_any() -> None:
    rules = RulesConfig(require_media=True)
    verdict = evaluate(rules, post(has_media=False))
    assert verdict.decision == "reject" and rules_of(verdict) == ["require_media"]
    assert evaluate(rules, post(has_media=True)).decision is None
    assert evaluate(RulesConfig(), post(has_media=False)).decision is None


@pytest.mark.parametrize(("lang", "decision"), [
    ("fr", "reject"), ("de", None), ("en", None), ("de-DE", None), ("EN", None), ("en_GB", None),
    (None, None), ("", None), ("und", None), ("es-419", "reject"),
])
def test_only_allowed_languages_pass_and_posts_without_one_too(lang: str | None,
                                                               decision: str | None) -> None:
    verdict = evaluate(RulesConfig(languages=["de", "en"]), post(lang=lang))
    assert verdict.decision == decision
    if decision:
        assert verdict.reasons[0].rule == "language"
        assert "this wall shows posts in de, en only" in verdict.reasons[0].detail
        assert verdict.reasons[0].values == {"lang": str(lang).lower().split("-")[0],
                                             "allowed": "de, en"}


def test_any_language_passes_when_none_are_listed() -> None:
    assert evaluate(RulesConfig(), post(lang="fr")).decision is None


def test_replies_and_reposts_are_rejected_only_when_the_rules_say_so() -> None:
    rules = RulesConfig(no_replies=True, no_reposts=True)
    assert rules_of(evaluate(rules, post(is_reply=True))) == ["reply"]
    assert rules_of(evaluate(rules, post(is_repost=True))) == ["repost"]
    assert evaluate(rules, post(is_reply=True)).decision == "reject"
    assert evaluate(RulesConfig(), post(is_reply=True, is_repost=True)).decision is None


def test_a_blocked_word_flags_the_post_by_default() -> None:
    rules = RulesConfig(blocked_words=["Konkurrenz*"], starter_lists=[])
    verdict = evaluate(rules, post("Die Konkurrenzprodukte sind besser"))
    assert verdict == Verdict("flag", (Reason("blocked_word",
                                              "Contains the blocked word 'Konkurrenz*'",
                                              "blocked_word", {"word": "Konkurrenz*"}),))


def test_a_blocked_word_rejects_the_post_when_the_action_is_reject() -> None:
    rules = RulesConfig(blocked_words=["konkurrenz"], blocked_words_action="reject")
    assert evaluate(rules, post("Konkurrenz!")).decision == "reject"


def test_every_blocked_word_is_a_reason() -> None:
    verdict = evaluate(RulesConfig(), post("Du Arschloch, what the f.u.c.k"))
    assert verdict.reasons == (
        Reason("blocked_word", "Contains the blocked word 'arschloch'", "blocked_word",
               {"word": "arschloch"}),
        Reason("blocked_word", "Contains the blocked word 'fuck'", "blocked_word",
               {"word": "fuck"}))


@pytest.mark.parametrize(("starter_lists", "text"), [(["de"], "Hurensohn"), (["en"], "bullshit")])
def test_starter_lists_flag_on_their_own_and_can_be_switched_off(starter_lists: list[str],
                                                                 text: str) -> None:
    assert evaluate(RulesConfig(starter_lists=starter_lists), post(text)).decision == "flag"
    assert evaluate(RulesConfig(), post(text)).decision == "flag"
    assert evaluate(RulesConfig(starter_lists=[]), post(text)).decision is None


def test_one_starter_list_does_not_bring_the_other() -> None:
    assert evaluate(RulesConfig(starter_lists=["de"]), post("bullshit")).decision is None
    assert evaluate(RulesConfig(starter_lists=["en"]), post("Hurensohn")).decision is None


def test_allowed_words_exempt_from_the_starter_lists() -> None:
    rules = RulesConfig(allowed_words=["Fotze-Bar"])
    assert evaluate(rules, post("Treffen in der Fotze-Bar")).decision is None
    assert evaluate(rules, post("Fotze")).decision == "flag"


def test_words_in_a_content_warning_count_too() -> None:
    verdict = evaluate(RulesConfig(), post("harmless", content_warning="bullshit inside"))
    assert rules_of(verdict) == ["blocked_word", "sensitive"]


def test_sensitive_posts_and_content_warnings_need_a_human() -> None:
    verdict = evaluate(RulesConfig(), post(sensitive=True))
    assert verdict == Verdict("flag", (Reason("sensitive",
                                              "Marked sensitive by its author: needs a human",
                                              "sensitive"),))
    verdict = evaluate(RulesConfig(), post(sensitive=True, content_warning=" Spoiler "))
    assert verdict == Verdict("flag", (Reason(
        "sensitive", "Has a content warning ('Spoiler'): needs a human", "sensitive_warning",
        {"warning": "Spoiler"}),))
    assert evaluate(RulesConfig(), post(content_warning="   ")).decision is None


def test_a_trusted_author_is_approved_when_nothing_else_speaks_up() -> None:
    rules = RulesConfig(trusted_authors=["Anna@social.example"])
    verdict = evaluate(rules, post())
    assert verdict == Verdict("approve", (Reason(
        "trusted_author", "@anna@social.example is a trusted author", "trusted_author",
        {"author": "@anna@social.example"}),))


def test_a_trusted_authors_flagged_post_is_flagged() -> None:
    rules = RulesConfig(trusted_authors=["@anna@social.example"])
    verdict = evaluate(rules, post("Was für eine Scheiße"))
    assert verdict.decision == "flag"
    assert rules_of(verdict) == ["blocked_word", "trusted_author"]
    assert evaluate(rules, post(sensitive=True)).decision == "flag"


def test_a_trusted_authors_rejected_post_is_rejected() -> None:
    rules = RulesConfig(trusted_authors=["@anna@social.example"], no_reposts=True)
    verdict = evaluate(rules, post(is_repost=True))
    assert verdict.decision == "reject"
    assert rules_of(verdict) == ["repost", "trusted_author"]


def test_all_reasons_are_reported_and_the_strongest_decides() -> None:
    rules = RulesConfig(blocked_authors=["@anna@social.example"], blocked_domains=["spam.example"],
                        require_media=True, languages=["de"], no_replies=True, no_reposts=True,
                        trusted_authors=["@bob@social.example"])
    verdict = evaluate(rules, post("bullshit", link_domains=("spam.example",), lang="en",
                                   is_reply=True, is_repost=True, sensitive=True))
    assert verdict.decision == "reject"
    assert rules_of(verdict) == ["blocked_author", "blocked_domain", "require_media", "language",
                                 "reply", "repost", "blocked_word", "sensitive"]


def test_a_given_matcher_is_used_instead_of_the_rules_words() -> None:
    matcher = WordMatcher(["keynote"])
    verdict = evaluate(RulesConfig(), post("Great keynote"), matcher)
    assert verdict.reasons == (Reason("blocked_word", "Contains the blocked word 'keynote'",
                                      "blocked_word", {"word": "keynote"}),)


def test_matchers_are_built_once_per_word_list() -> None:
    first = matcher_for(RulesConfig(blocked_words=["eins"], trusted_authors=["a.example"]))
    assert matcher_for(RulesConfig(blocked_words=["eins"])) is first
    assert matcher_for(RulesConfig(blocked_words=["zwei"])) is not first
    assert matcher_for(RulesConfig(blocked_words=["eins"], allowed_words=["x"])) is not first
    assert matcher_for(RulesConfig(blocked_words=["eins"], starter_lists=["de"])) is not first
    assert first.find("eins, zwei") == ["eins"]


def test_inputs_and_verdicts_are_frozen() -> None:
    verdict = evaluate(RulesConfig(), post())
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.decision = "approve"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        post().text = "changed"  # type: ignore[misc]
