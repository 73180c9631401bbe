"""The host names a post links to: from its sanitised markup and from its text."""

from __future__ import annotations

import pytest

from app.rules import link_domains
from app.rules.engine import link_domains as engine_link_domains

MASTODON_HTML = (
    '<p>Slides: <a href="https://www.Slides.Example/talk?x=1" rel="nofollow noopener noreferrer">'
    '<span class="invisible">https://www.</span><span>slides.example/talk?x=1</span></a> '
    'thanks <span><a href="https://social.example/@bob">@<span>bob</span></a></span> '
    '<a href="https://social.example/tags/summit" rel="tag">#<span>summit</span></a></p>'
)


def test_hrefs_are_read_from_markup_without_mentions_and_hashtags() -> None:
    assert link_domains(MASTODON_HTML, "") == ("slides.example",)


def test_bare_urls_in_the_text_are_found_without_sentence_punctuation() -> None:
    text = ("See https://Shop.Example.com/offer. Or (https://b.example/x_(y)), "
            "http://c.example:8080/, and https://user@d.example/!")
    assert link_domains("", text) == ("shop.example.com", "b.example", "c.example", "d.example")


def test_punctuation_right_after_a_bare_host_is_not_part_of_it() -> None:
    text = "Try https://a.example! Or https://b.example, or (https://c.example)."
    assert link_domains("", text) == ("a.example", "b.example", "c.example")


def test_host_names_written_without_a_scheme_are_found() -> None:
    text = "Go to www.Casino.example or casino-spam.example/win now! Mail me at me@mail.example"
    assert link_domains("", text) == ("casino.example", "casino-spam.example")


def test_handles_and_plain_words_are_not_host_names() -> None:
    text = "Hi @anna@social.example! z.B. ist 3.5 besser, e.g. the U.S. team. Ende."
    assert link_domains("", text) == ()


def test_hosts_are_listed_once_in_order_of_appearance() -> None:
    html = '<a href="https://a.example/1">a</a><a href="https://b.example/">b</a>'
    assert link_domains(html, "https://a.example/2 and www.a.example") == ("a.example",
                                                                           "b.example")


def test_international_host_names_are_given_in_unicode() -> None:
    assert link_domains('<a href="https://xn--bcher-kva.de/">x</a>', "") == ("bücher.de",)


@pytest.mark.parametrize("html", [
    '<a href="/relative">x</a>', '<a>no href</a>', '<a href="https://xn--zz.com/">bad</a>',
    '<a href="">empty</a>',
])
def test_links_without_a_usable_host_are_skipped(html: str) -> None:
    assert link_domains(html, "") == ()


def test_anchors_are_read_whatever_their_quoting_and_case() -> None:
    html = ("<A HREF='https://one.example/?a=1&amp;b=2'>one</A> <a class=x href=https://two.example>"
            "two</a> <abbr>x.example</abbr> <a href=\"https://three.example\">&#64;someone</a>"
            '<a href="https://f&#111;ur.example/">four</a>')
    assert link_domains(html, "") == ("one.example", "two.example", "four.example")


def test_an_unclosed_anchor_still_counts() -> None:
    assert link_domains('<p><a href="https://open.example/">open', "") == ("open.example",)


def test_the_engine_module_offers_the_same_function() -> None:
    assert engine_link_domains is link_domains
