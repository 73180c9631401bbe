"""The rules schema: safe defaults, and refusals that say which entry is wrong and why."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.rules import RulesConfig


def refusal(**fields: object) -> str:
    """The message of the ValidationError that these rules cause."""
    with pytest.raises(ValidationError) as caught:
        RulesConfig.model_validate(fields)
    return str(caught.value)


def test_the_defaults_let_posts_through_to_the_moderators_with_both_starter_lists() -> None:
    rules = RulesConfig()
    assert rules.starter_lists == ["de", "en"]
    assert rules.blocked_words_action == "flag"
    assert rules.blocked_words == rules.allowed_words == rules.languages == []
    assert rules.blocked_authors == rules.trusted_authors == rules.blocked_domains == []
    assert not (rules.require_media or rules.no_replies or rules.no_reposts)


def test_rules_load_from_the_stored_json_and_round_trip() -> None:
    stored = {"blocked_words": ["scheiß*", "*loch", "*fick*", "blow job"],
              "starter_lists": ["de"], "allowed_words": ["Cockburn"],
              "blocked_words_action": "reject", "blocked_authors": ["@spam@bad.example"],
              "trusted_authors": ["anna.bsky.social"], "blocked_domains": ["example.com"],
              "require_media": True, "languages": ["de", "en"], "no_replies": True,
              "no_reposts": True}
    rules = RulesConfig.model_validate(stored)
    assert rules.model_dump() == stored
    assert RulesConfig.model_validate(rules.model_dump()) == rules


def test_unknown_fields_are_refused() -> None:
    message = refusal(blocked_word=["typo"])
    assert "blocked_word" in message and "Extra inputs are not permitted" in message


def test_rules_are_frozen() -> None:
    rules = RulesConfig()
    with pytest.raises(ValidationError):
        rules.require_media = True


@pytest.mark.parametrize(("entry", "problem"), [
    ("f*ck", "'*' may only stand at the start or the end"),
    ("**fick", "'*' may only stand at the start or the end"),
    ("", "is empty"),
    ("  ", "is empty"),
    ("!!!", "has no letters or digits"),
    ("*", "has no letters or digits"),
    ("🖕", "has no letters or digits"),
    ("fick *", "a '*' must touch a word"),
])
@pytest.mark.parametrize("field", ["blocked_words", "allowed_words"])
def test_malformed_words_are_refused_naming_the_entry(field: str, entry: str,
                                                      problem: str) -> None:
    message = refusal(**{field: ["fine", entry]})
    assert field in message
    assert repr(entry) in message
    assert problem in message


def test_unknown_starter_lists_and_actions_are_refused() -> None:
    assert "starter_lists" in refusal(starter_lists=["fr"])
    assert "blocked_words_action" in refusal(blocked_words_action="delete")
    assert RulesConfig(starter_lists=[]).starter_lists == []


def test_an_author_both_blocked_and_trusted_is_refused_whatever_the_spelling() -> None:
    message = refusal(blocked_authors=["@Anna@Social.example"],
                      trusted_authors=["bob.bsky.social", "anna@social.EXAMPLE"])
    assert "'anna@social.EXAMPLE' cannot be both a blocked and a trusted author" in message
    RulesConfig(blocked_authors=["@anna@social.example"], trusted_authors=["@bob@social.example"])


@pytest.mark.parametrize(("handle", "problem"), [
    ("", "is not a handle"), ("@", "is not a handle"), ("anna bsky", "has a space"),
])
@pytest.mark.parametrize("field", ["blocked_authors", "trusted_authors"])
def test_malformed_handles_are_refused(field: str, handle: str, problem: str) -> None:
    message = refusal(**{field: [handle]})
    assert repr(handle) in message and problem in message


@pytest.mark.parametrize(("entry", "problem"), [
    ("https://example.com/ads", "is a URL, not a host name: write the host name only here: "
                                "'example.com'"),
    ("example.com/ads", "is a URL, not a host name"),
    ("example.com:8080", "is a URL, not a host name"),
    ("*.example.com", "subdomains are blocked with their domain anyway; write 'example.com'"),
    ("example", "is not a host name"),
    ("exa mple.com", "is not a host name"),
    ("", "is empty"),
])
def test_blocked_domains_must_be_host_names(entry: str, problem: str) -> None:
    message = refusal(blocked_domains=[entry])
    assert repr(entry) in message and problem in message


def test_host_names_in_any_case_and_international_ones_are_accepted() -> None:
    rules = RulesConfig(blocked_domains=["Example.COM", "bücher.de", "xn--bcher-kva.de",
                                         "www.example.org", "1.2.3.4"])
    assert rules.blocked_domains[0] == "Example.COM"  # kept as written, compared normalised


@pytest.mark.parametrize("code", ["DE", "de-DE", "d", "deutsch", "d3", " de"])
def test_languages_must_be_lower_case_iso_codes(code: str) -> None:
    message = refusal(languages=[code])
    assert repr(code) in message and "is not a language code" in message


def test_two_and_three_letter_language_codes_are_accepted() -> None:
    assert RulesConfig(languages=["de", "en", "gsw"]).languages == ["de", "en", "gsw"]


def test_importing_the_rules_reads_no_word_list() -> None:
    code = ("import app.rules, sys\n"
            "from app.rules.starter import starter_words\n"
            "assert starter_words.cache_info().currsize == 0\n"
            "from app.rules import RulesConfig, matcher_for\n"
            "matcher_for(RulesConfig(starter_lists=['de']))\n"
            "assert starter_words.cache_info().currsize == 1\n")
    subprocess.run([sys.executable, "-c", code], check=True)
