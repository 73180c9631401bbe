"""app/sanitize.py: untrusted markup through an allowlist, text cleaned for a projector."""

from __future__ import annotations

import unicodedata

import pytest

from app.sanitize import MAX_TEXT_CHARS, clean_html, clean_label, clean_text, html_to_text

REL = 'rel="noopener noreferrer nofollow"'


@pytest.mark.parametrize(("dirty", "clean"), [
    ("<p>Hallo<script>alert(1)</script></p>", "<p>Hallo</p>"),
    ('<p onclick="steal()" onmouseover="steal()">Hallo</p>', "<p>Hallo</p>"),
    ('<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', f"<a {REL}>x</a>"),
    ('<p style="position:fixed;inset:0">Hallo</p>', "<p>Hallo</p>"),
    ("<style>body { display:none }</style><p>Hallo</p>", "<p>Hallo</p>"),
    ('<iframe src="https://evil.example/"></iframe><p>Hallo</p>', "<p>Hallo</p>"),
    ('<object data="x.swf"></object><embed src="x.swf"><p>Hallo</p>', "<p>Hallo</p>"),
    ('<form action="https://evil.example/"><input name="pw"><button>Go</button></form>',
     "Go"),
    ('<img src="x" onerror="alert(1)"><p>Hallo</p>', "<p>Hallo</p>"),
    ('<svg onload="alert(1)"><p>Hallo</p></svg>', "<p>Hallo</p>"),
    ('<p class="wall-takeover">Hallo</p>', "<p>Hallo</p>"),
    ('<span class="invisible evil">https://</span>', '<span class="invisible">https://</span>'),
    ("<!-- hidden --><p>Hallo</p>", "<p>Hallo</p>"),
])
def test_dangerous_markup_is_removed(dirty: str, clean: str) -> None:
    assert clean_html(dirty) == clean


def test_allowed_markup_is_kept_and_links_get_rel() -> None:
    html = ('<p>Erste Zeile<br>zweite <strong>fett</strong> <em>kursiv</em> '
            '<a href="https://example.social/@anna" target="_blank" rel="opener">'
            '<span class="invisible">https://</span>example.social</a></p>')

    assert clean_html(html) == (
        '<p>Erste Zeile<br>zweite <strong>fett</strong> <em>kursiv</em> '
        f'<a href="https://example.social/@anna" {REL}>'
        '<span class="invisible">https://</span>example.social</a></p>')


def test_a_mastodon_link_keeps_its_ellipsis_span() -> None:
    html = '<a href="http://example.org/long"><span class="ellipsis">example.org/lo</span></a>'

    assert clean_html(html) == (
        f'<a href="http://example.org/long" {REL}><span class="ellipsis">example.org/lo</span></a>')


def test_html_to_text_keeps_paragraphs_and_line_breaks() -> None:
    text = html_to_text("<p>Guten Morgen!</p><p>Zeile eins<br>Zeile zwei<br/>Ende</p>")

    assert text == "Guten Morgen!\n\nZeile eins\nZeile zwei\nEnde"


def test_html_to_text_decodes_entities_once() -> None:
    text = html_to_text("<p>Fish &amp; Chips &lt;3 &quot;gut&quot; &#x1F600; &amp;lt;b&amp;gt;</p>")

    assert text == 'Fish & Chips <3 "gut" \N{GRINNING FACE} &lt;b&gt;'


def test_html_to_text_drops_scripts_and_tags() -> None:
    assert html_to_text("<script>alert(1)</script><p>Hallo <b>Welt</b></p>") == "Hallo Welt"


def test_clean_text_drops_control_characters_but_keeps_tabs_and_newlines() -> None:
    dirty = "a\x00b\x07c\x1b[31md\x7fe\x85f\tg\nh"

    assert clean_text(dirty) == "abc[31mdef\tg\nh"


def test_clean_text_turns_carriage_returns_into_newlines() -> None:
    assert clean_text("eins\r\nzwei\rdrei") == "eins\nzwei\ndrei"


def test_clean_text_keeps_every_script_and_emoji() -> None:
    # A mechanic emoji (joined by ZWJ), CJK, and Hebrew and Arabic after a right-to-left mark.
    mechanic = "\N{WOMAN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}\u200d\N{WRENCH}"
    rtl = "\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
    text = f"Jörg Müßig {mechanic} 日本語 中文 {rtl}\nzweite Zeile"

    assert clean_text(text) == text


def test_clean_text_normalises_to_nfc() -> None:
    decomposed = "Cafe\u0301 Mu\u0308ller"

    cleaned = clean_text(decomposed)

    assert cleaned == "Café Müller"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_clean_text_cuts_at_the_limit() -> None:
    assert clean_text("x" * 20, limit=5) == "xxxxx"
    assert clean_text("e\u0301" * 4, limit=3) == "ééé"
    assert len(clean_text("y" * (MAX_TEXT_CHARS + 50))) == MAX_TEXT_CHARS


@pytest.mark.parametrize(("raw", "expected"), [
    ("M\u202eallory", "Mallory"),
    ("\u2066Anna\u2069 Weiß", "Anna Weiß"),
    ("@jo\u200berg@social.example", "@joerg@social.example"),
    (" Zoë\ufeff ", "Zoë"),
    ("محمد", "محمد"),
])
def test_names_and_handles_lose_invisible_and_direction_tricks(raw: str, expected: str) -> None:
    assert clean_label(raw) == expected
