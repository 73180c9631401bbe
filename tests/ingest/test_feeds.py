"""ingest/feeds/ against a real HTTP server on loopback serving RSS 2.0 and Atom documents."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from pydantic import ValidationError

from ingest.base import MediaItem, RetryAfter, SourceError
from ingest.feeds import FeedSource, FeedSourceSettings, hashtag_pattern
from ingest.feeds import source as feeds
from ingest.http import build_client
from tests.ingest.fake_feeds import FeedServer, serve_feeds
from tests.ingest.fakes import FakeContext

DATA = Path(__file__).parent / "data" / "feeds"
RSS = (DATA / "werkblog.rss.xml").read_bytes()
ATOM = (DATA / "presse.atom.xml").read_bytes()
ATOM_TYPE = "application/atom+xml"
LAST_MODIFIED = "Sun, 25 Oct 2026 09:15:00 GMT"
HASHTAGS = ("Werkstolz", "KundenZuFans")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with serve_feeds() as feed_server:
        yield feed_server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(allow_private_networks=True, timeout=5.0) as client:
        yield client


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts feedparser.parse calls made by the source."""
    calls: list[int] = []
    real = feedparser.parse

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", counting)
    return calls


def source(*feed_configs: str | dict[str, Any], interval: float = 0) -> FeedSource:
    return FeedSource(FeedSourceSettings.model_validate({
        "type": "rss",
        "feeds": [{"url": f} if isinstance(f, str) else f for f in feed_configs],
        "poll_interval_seconds": interval,
    }))


def context(http: httpx.AsyncClient, cursor: dict[str, Any] | None = None,
            hashtags: tuple[str, ...] = HASHTAGS) -> FakeContext:
    return FakeContext(http, hashtags=hashtags, cursor=cursor)


def with_item(rss: bytes, item: str) -> bytes:
    """The RSS document with one more item at the top, as a blog adds a new post."""
    return rss.replace(b"<item>", item.encode() + b"\n    <item>", 1)


NEW_ITEM = """<item>
      <title>Zweite Schicht feiert 1000 Getriebe ohne Reklamation #Werkstolz 💪</title>
      <link>https://werk.example.org/blog/2026/10/tausend</link>
      <guid isPermaLink="false">werkblog-2026-0413</guid>
      <pubDate>Sun, 25 Oct 2026 11:00:00 +0100</pubDate>
      <description>Tausend Getriebe, null Reklamationen.</description>
    </item>"""


def rss_id(url: str, guid: str) -> str:
    return f"{url}#{guid}"


# --- which entries are taken ---------------------------------------------------------------


async def test_rss_entries_with_the_hashtag_become_posts_with_their_fields(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    ctx = context(http)

    await source(url).poll(ctx)

    post = ctx.posts[rss_id(url, "werkblog-2026-0412")]
    assert post.url == "https://werk.example.org/blog/2026/10/pruefstand-laeuft"
    assert post.text == ("Unser neuer Prüfstand läuft 🎉 #Werkstolz\n\nNach acht Wochen Umbau "
                         "dreht sich in Halle 3 wieder alles – schöner als je zuvor.")
    # The richest markup, raw: storage sanitises it. Relative links resolve against the feed.
    assert "<strong>Halle 3</strong>" in post.html
    assert '<script>alert("über")</script>' in post.html
    assert f'href="{server.url("/blog/team")}"' in post.html
    assert post.author.name == "Jana Kühn"  # not her e-mail address
    assert post.author.handle == "werk.example.org"
    assert post.author.avatar_url == "https://werk.example.org/static/logo-256.png"
    assert post.author.profile_url == "https://werk.example.org/blog/"
    assert post.lang == "de"
    assert post.hashtags == ("Werkstolz",)
    assert post.created_at == datetime(2026, 10, 25, 8, 30, tzinfo=UTC)
    assert post.edited_at is None
    assert post.media == (MediaItem(
        kind="image", url="https://werk.example.org/media/pruefstand.jpg",
        alt="Der neue Prüfstand in Halle 3, grün beleuchtet",
        width=1600, height=1067, size=284113),)

    # A Mastodon-style hashtag link inside the HTML counts; no guid: the link is the id.
    breakfast = ctx.posts["https://werk.example.org/blog/2026/10/fruehstueck"]
    assert breakfast.text == ("Frühstück für die Frühschicht ☕\n\n"
                              "Brezeln, Kaffee und gute Laune. #werkstolz")
    assert breakfast.author.name == "Mehmet Yılmaz"
    assert breakfast.hashtags == ("Werkstolz",)
    assert ctx.healthy == ["checked 1 feed, 1 changed; 3 new or edited entries passed on"]


async def test_entries_without_the_hashtag_are_left_out(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS)
    ctx = context(http)

    await source(url).poll(ctx)

    # Not the canteen plan, not #Werkstolzer / #Werkstolz2, not the crane note or open day.
    assert sorted(ctx.posts) == sorted([
        rss_id(url, "werkblog-2026-0412"),
        rss_id(url, "werkblog-2026-0409"),
        "https://werk.example.org/blog/2026/10/fruehstueck",
    ])


@pytest.mark.parametrize(("text", "matches"), [
    ("Stolz! #Werkstolz", True),
    ("#werkstolz am Morgen", True),
    ("(#WERKSTOLZ)", True),
    ("Feierabend.#Werkstolz, wieder einmal", True),
    ("#Werkstolzer", False),
    ("#Werkstolz_2026", False),
    ("#Werkstolz2", False),
    ("#Werkstolzé", False),
    ("Werkstolz ohne Raute", False),
    ("mail#Werkstolz", False),
    ("#Grüße aus Halle 3", True),
    ("#GRÜSSE", False),
    ("#Grüßeundmehr", False),
])
def test_hashtags_match_whole_words_in_any_case(text: str, matches: bool) -> None:
    pattern = hashtag_pattern(["Werkstolz", "#Grüße"])

    assert pattern is not None
    assert bool(pattern.search(text)) is matches


def test_no_hashtags_match_nothing() -> None:
    assert hashtag_pattern([]) is None
    assert hashtag_pattern(["#", ""]) is None


async def test_a_category_equal_to_a_hashtag_selects_an_entry(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    rss_url = server.publish("/blog/feed.xml", RSS)
    atom_url = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE)
    ctx = context(http)

    await source(rss_url, atom_url).poll(ctx)

    shift = ctx.posts[rss_id(rss_url, "werkblog-2026-0409")]
    assert shift.hashtags == ("Werkstolz",)
    # Image and video enclosures are media; the podcast audio is not.
    assert [(m.kind, m.url, m.size, m.alt) for m in shift.media] == [
        ("image", "https://werk.example.org/media/schichtwechsel.jpg", 198433,
         "Schichtwechsel im Morgengrauen"),
        ("video", "https://werk.example.org/media/schichtwechsel.mp4", 7340032,
         "Schichtwechsel im Morgengrauen"),
    ]
    # An Atom category term in lower case, with a scheme, counts as well.
    assert ctx.posts["tag:presse.example.org,2026:pm-0040"].hashtags == ("Werkstolz",)


async def test_atom_entries_become_posts_with_their_fields(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE)
    ctx = context(http)

    await source(url).poll(ctx)

    assert sorted(ctx.posts) == ["tag:presse.example.org,2026:pm-0040",
                                 "tag:presse.example.org,2026:pm-0042"]
    post = ctx.posts["tag:presse.example.org,2026:pm-0042"]
    assert post.text == ("Kundentag 2026: Rekordbesuch in Halle 3\n\n"
                         "Über 800 Gäste kamen zum Kundentag – danke! #KundenZuFans")
    assert post.html == ("<p>Über <b>800 Gäste</b> kamen zum Kundentag. #KundenZuFans 🙌</p>"
                         "<script>track()</script>")
    assert post.url == "https://presse.example.org/2026/kundentag-rekord"
    assert post.author.name == "Katarzyna Nowak"
    assert post.author.avatar_url == "https://presse.example.org/logo.png"
    assert post.lang == "de"
    assert post.hashtags == ("KundenZuFans",)
    assert post.created_at == datetime(2026, 10, 24, 15, 0, tzinfo=UTC)
    assert post.edited_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert post.media == (MediaItem(kind="image",
                                    url="https://presse.example.org/bilder/kundentag.jpg",
                                    alt="Besucher drängen sich am Prüfstand", size=312000),)

    # No author of its own: the feed's; no published date: created when last updated.
    apprentices = ctx.posts["tag:presse.example.org,2026:pm-0040"]
    assert apprentices.author.name == "Pressestelle Müller & Söhne"
    assert apprentices.created_at == datetime(2026, 10, 13, 7, 30, tzinfo=UTC)
    assert apprentices.edited_at is None
    assert apprentices.text == ("Ausbildungsstart mit 24 neuen Azubis\n\n"
                                "24 junge Menschen beginnen ihre Ausbildung bei uns.")


async def test_keywords_select_entries_by_whole_words(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS)
    open_day = rss_id(url, "werkblog-2026-0408")

    taken = context(http)
    await source({"url": url, "keywords": ["führungen"]}).poll(taken)
    not_a_word = context(http)
    await source({"url": url, "keywords": ["Führung", "offene Tür"]}).poll(not_a_word)

    assert open_day not in not_a_word.posts
    post = taken.posts[open_day]
    # feedparser files a media:description as the summary (kurtmckee/feedparser#53): the text
    # is the item's description all the same, and the caption is the image's alt text.
    assert post.text == ("Tag der offenen Tür am Samstag\n\n"
                         "Besuchen Sie die Getriebefertigung: Führungen stündlich ab 10\xa0Uhr.")
    assert post.media == (MediaItem(kind="image",
                                    url="https://werk.example.org/media/halle-aussen.jpg",
                                    alt="Halle 3 von außen, Fahnen im Wind",
                                    width=1200, height=675),)
    assert post.hashtags == ()


async def test_all_entries_takes_every_entry_of_that_feed_only(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    rss_url = server.publish("/blog/feed.xml", RSS)
    atom_url = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE)
    ctx = context(http)

    await source({"url": rss_url, "all_entries": True}, atom_url).poll(ctx)

    rss_posts = [p for p in ctx.emitted if p.author.handle == "werk.example.org"]
    atom_ids = {p.external_id for p in ctx.emitted if p.author.handle == "presse.example.org"}
    assert len(rss_posts) == 7
    assert atom_ids == {"tag:presse.example.org,2026:pm-0040",
                        "tag:presse.example.org,2026:pm-0042"}
    # An item with neither guid nor link still gets an id, the same one every time.
    crane = next(p for p in rss_posts if p.text.startswith("Kurz notiert"))
    assert crane.external_id.startswith(f"{rss_url}#sha256:")
    assert crane.url is None
    again = context(http)
    await source({"url": rss_url, "all_entries": True}).poll(again)
    assert crane.external_id in again.posts


# --- conditional GET, cursor, changes ------------------------------------------------------


async def test_the_second_poll_sends_the_validators_and_a_304_costs_nothing(
        server: FeedServer, http: httpx.AsyncClient, parses: list[int]) -> None:
    url = server.publish("/blog/feed.xml", RSS, etag='"w1"', last_modified=LAST_MODIFIED)
    ctx = context(http)
    feed_source = source(url)

    await feed_source.poll(ctx)
    assert ctx.cursor["feeds"][url]["etag"] == '"w1"'
    assert ctx.cursor["feeds"][url]["modified"] == LAST_MODIFIED
    emitted, parsed = len(ctx.emitted), len(parses)
    await feed_source.poll(ctx)

    first, second = server.hits_of("/blog/feed.xml")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"] == '"w1"'
    assert second.headers["if-modified-since"] == LAST_MODIFIED
    assert (first.status, second.status) == (200, 304)
    assert len(ctx.emitted) == emitted == 3
    assert len(parses) == parsed == 1
    assert ctx.healthy[-1] == "checked 1 feed, 0 changed; 0 new or edited entries passed on"


async def test_last_modified_alone_makes_the_get_conditional(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS, last_modified=LAST_MODIFIED)
    ctx = context(http)

    await source(url).poll(ctx)
    await source(url).poll(ctx)

    second = server.hits_of("/blog/feed.xml")[1]
    assert "if-none-match" not in second.headers
    assert (second.headers["if-modified-since"], second.status) == (LAST_MODIFIED, 304)


async def test_a_server_ignoring_validators_is_not_parsed_again_for_the_same_document(
        server: FeedServer, http: httpx.AsyncClient, parses: list[int]) -> None:
    url = server.publish("/blog/feed.xml", RSS)  # no ETag, no Last-Modified: always 200
    ctx = context(http)

    await source(url).poll(ctx)
    await source(url).poll(ctx)

    assert [hit.status for hit in server.hits] == [200, 200]
    assert len(parses) == 1
    assert len(ctx.emitted) == 3


async def test_a_changed_feed_is_read_again_and_only_its_new_entries_are_emitted(
        server: FeedServer, http: httpx.AsyncClient, parses: list[int]) -> None:
    url = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    ctx = context(http)
    feed_source = source(url)
    await feed_source.poll(ctx)

    server.publish("/blog/feed.xml", with_item(RSS, NEW_ITEM), etag='"w2"')
    ctx.emitted.clear()
    await feed_source.poll(ctx)

    assert server.hits_of("/blog/feed.xml")[1].status == 200
    assert len(parses) == 2
    assert [p.external_id for p in ctx.emitted] == [rss_id(url, "werkblog-2026-0413")]
    assert ctx.emitted[0].text.startswith("Zweite Schicht feiert 1000 Getriebe")
    assert ctx.cursor["feeds"][url]["etag"] == '"w2"'


async def test_a_restarted_source_carries_on_from_its_saved_cursor(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    first = context(http)
    await source(url).poll(first)

    # While the server was down, the blog published a post.
    server.publish("/blog/feed.xml", with_item(RSS, NEW_ITEM), etag='"w2"')
    restarted = context(http, cursor=first.cursor)
    await source(url).poll(restarted)

    assert server.hits_of("/blog/feed.xml")[1].headers["if-none-match"] == '"w1"'
    assert [p.external_id for p in restarted.emitted] == [rss_id(url, "werkblog-2026-0413")]

    unchanged = context(http, cursor=restarted.cursor)
    await source(url).poll(unchanged)
    assert server.hits_of("/blog/feed.xml")[2].status == 304
    assert unchanged.emitted == []


async def test_an_updated_entry_is_emitted_again_as_an_edit(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE, etag='"p1"')
    ctx = context(http)
    feed_source = source(url)
    await feed_source.poll(ctx)

    edited = ATOM.replace(b"<updated>2026-10-25T08:00:00Z</updated>",
                          b"<updated>2026-10-25T12:30:00Z</updated>").replace(
                          b"800 G\xc3\xa4ste kamen zum Kundentag \xe2\x80\x93 danke!",
                          b"812 G\xc3\xa4ste kamen zum Kundentag \xe2\x80\x93 danke!")
    server.publish("/presse/atom.xml", edited, content_type=ATOM_TYPE, etag='"p2"')
    ctx.emitted.clear()
    await feed_source.poll(ctx)

    assert [p.external_id for p in ctx.emitted] == ["tag:presse.example.org,2026:pm-0042"]
    post = ctx.posts["tag:presse.example.org,2026:pm-0042"]
    assert post.edited_at == datetime(2026, 10, 25, 12, 30, tzinfo=UTC)
    assert post.created_at == datetime(2026, 10, 24, 15, 0, tzinfo=UTC)
    assert "812 Gäste" in post.text


async def test_changing_the_hashtags_reads_the_feed_afresh(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE, etag='"p1"')
    before = context(http, hashtags=("Werkstolz",))
    await source(url).poll(before)

    after = context(http, cursor=before.cursor, hashtags=("Werkstolz", "KundenZuFans"))
    await source(url).poll(after)

    # The old ETag would have answered 304 and hidden the entry the new hashtag selects.
    assert "if-none-match" not in server.hits_of("/presse/atom.xml")[1].headers
    assert "tag:presse.example.org,2026:pm-0042" in after.posts
    assert "tag:presse.example.org,2026:pm-0042" not in before.posts


async def test_the_cursor_remembers_a_bounded_number_of_entries(
        server: FeedServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_SEEN", 5)
    items = "".join(f"<item><title>Schicht {n} #Werkstolz</title><guid>https://werk.example.org/"
                    f"s/{n}</guid></item>" for n in range(8))
    url = server.publish("/blog/feed.xml", f'<rss version="2.0"><channel><title>Werk</title>'
                         f"{items}</channel></rss>".encode(), etag='"s1"')
    ctx = context(http)

    await source(url).poll(ctx)

    assert len(ctx.posts) == 8
    assert list(ctx.cursor["feeds"][url]["seen"]) == [f"https://werk.example.org/s/{n}"
                                                      for n in range(5)]


# --- failures ------------------------------------------------------------------------------


async def test_429_with_retry_after_raises_retry_after_and_the_other_feeds_still_count(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    limited = server.publish("/limited.xml", b"Zu viele Anfragen", status=429,
                             headers={"retry-after": "120"})
    healthy = server.publish("/presse/atom.xml", ATOM, content_type=ATOM_TYPE)
    ctx = context(http)

    with pytest.raises(RetryAfter) as raised:
        await source(limited, healthy).poll(ctx)

    assert raised.value.seconds == 120
    assert "127.0.0.1:" in str(raised.value) and "/limited.xml" in str(raised.value)
    assert str(raised.value).count("retrying in") == 1
    assert "tag:presse.example.org,2026:pm-0042" in ctx.posts
    assert ctx.healthy == []


async def test_429_of_the_only_feed_is_retry_after(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    limited = server.publish("/limited.xml", b"", status=429, headers={"retry-after": "30"})

    with pytest.raises(RetryAfter) as raised:
        await source(limited).poll(context(http))

    assert raised.value.seconds == 30


BROKEN = {
    "server error": (dict(body=b"Interner Fehler", status=500), "server error (HTTP 500)"),
    "missing": (None, "does not exist (HTTP 404)"),
    "timeout": (dict(body=RSS, hang=True), "did not answer in time"),
    "refused": ("refused", "could not connect"),
    "html page": (dict(body=b"<!doctype html><html><head><title>Werkblog</title></head><body>"
                            b"<h1>Willkommen</h1><p>Hier gibt es keinen Feed.</p></body></html>",
                       content_type="text/html; charset=utf-8"),
                  "is not an RSS or Atom feed (text/html; charset=utf-8)"),
    "malformed": (dict(body=b'<?xml version="1.0"?><rss version="2.0"><channel>'
                            b"<title>Werk & S\xc3\xb6hne</title><link>https://werk"),
                  "is malformed"),
    "empty": (dict(body=b"  \n"), "sent an empty document"),
    "oversized": (dict(body=b'<rss version="2.0"><channel><title>' + b"x" * feeds.MAX_FEED_BYTES
                            + b"</title></channel></rss>"), "sent more than 5,242,880 bytes"),
}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_a_broken_feed_is_named_and_the_healthy_feed_is_still_ingested(
        server: FeedServer, refused_url: str, case: str) -> None:
    doc, message = BROKEN[case]
    if doc == "refused":
        broken = refused_url
    else:
        broken = server.url("/broken.xml")
        if isinstance(doc, dict):
            server.publish("/broken.xml", **doc)
    healthy = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    async with build_client(allow_private_networks=True, timeout=0.5) as client:
        ctx = context(client)

        with pytest.raises(SourceError) as raised:
            await source(broken, healthy).poll(ctx)

    assert not isinstance(raised.value, RetryAfter)
    name = broken.removeprefix("http://")
    assert str(raised.value).startswith("1 of 2 feeds failed: ")
    assert name in str(raised.value)
    assert message in str(raised.value)
    assert rss_id(healthy, "werkblog-2026-0412") in ctx.posts
    # The healthy feed's progress is kept; the broken one has none, and no health is claimed.
    assert set(ctx.cursor["feeds"]) == {healthy}
    assert ctx.healthy == []


async def test_a_feed_that_trips_an_unforeseen_error_is_named_and_does_not_stop_the_others(
        server: FeedServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    odd = server.publish("/odd.xml", ATOM, content_type=ATOM_TYPE)
    healthy = server.publish("/blog/feed.xml", RSS)
    real_select = feeds._select

    def select(parsed: Any, captions: Any, feed_url: str, *args: Any) -> Any:
        if feed_url == odd:
            raise KeyError("href")
        return real_select(parsed, captions, feed_url, *args)

    monkeypatch.setattr(feeds, "_select", select)
    ctx = context(http)

    unforeseen = r"127\.0\.0\.1:\d+/odd\.xml could not be read \(KeyError\)"
    with pytest.raises(SourceError, match=unforeseen):
        await source(odd, healthy).poll(ctx)

    assert rss_id(healthy, "werkblog-2026-0412") in ctx.posts
    assert "reading the feed" in caplog.text and "KeyError" in caplog.text


async def test_a_post_dated_in_the_future_is_dated_now(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", b'<rss version="2.0"><channel><title>Werk</title><item>'
                         b"<title>Zeitreise #Werkstolz</title><guid>https://werk.example.org/z</guid>"
                         b"<pubDate>Fri, 01 Jan 2100 09:00:00 +0100</pubDate></item>"
                         b"</channel></rss>")
    ctx = context(http)
    before = datetime.now(UTC)

    await source(url).poll(ctx)

    assert before <= ctx.posts["https://werk.example.org/z"].created_at <= datetime.now(UTC)


async def test_feedparser_never_fetches_or_opens_what_a_body_names(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    canary = server.publish("/canary.xml", RSS)
    url = server.publish("/trick.txt", canary.encode(), content_type="text/plain")

    with pytest.raises(SourceError, match=r"/trick\.txt is not an RSS or Atom feed"):
        await source(url).poll(context(http))
    server.publish("/trick.txt", str(DATA / "werkblog.rss.xml").encode(),
                   content_type="text/plain")
    with pytest.raises(SourceError, match=r"/trick\.txt is not an RSS or Atom feed"):
        await source(url).poll(context(http))

    assert server.hits_of("/canary.xml") == []


async def test_the_default_client_refuses_a_feed_on_a_private_address(
        server: FeedServer) -> None:
    url = server.publish("/blog/feed.xml", RSS)
    async with build_client() as client:
        with pytest.raises(SourceError, match="private or local address"):
            await source(url).poll(context(client))
    assert server.hits == []


# --- run -----------------------------------------------------------------------------------


async def test_run_polls_round_after_round_and_reports_health(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    url = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    ctx = context(http)
    task = asyncio.create_task(source(url, interval=0).run(ctx))
    try:
        await ctx.wait_until(lambda: len(ctx.healthy) >= 2)
        server.publish("/blog/feed.xml", with_item(RSS, NEW_ITEM), etag='"w2"')
        await ctx.wait_until(lambda: rss_id(url, "werkblog-2026-0413") in ctx.posts)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert server.hits_of("/blog/feed.xml")[1].status == 304
    assert ctx.healthy[0] == "checked 1 feed, 1 changed; 3 new or edited entries passed on"


async def test_after_a_failed_round_only_the_failed_and_due_feeds_are_polled_again(
        server: FeedServer, http: httpx.AsyncClient) -> None:
    broken = server.publish("/broken.xml", b"Wartungsarbeiten", status=503)
    healthy = server.publish("/blog/feed.xml", RSS, etag='"w1"')
    ctx = context(http)

    # The runner calls run() again after backing off: each time, the broken feed is retried,
    # the healthy one waits for its poll interval.
    for _ in range(2):
        with pytest.raises(SourceError, match=r"127\.0\.0\.1:\d+/broken\.xml has a server error"):
            await source(broken, healthy, interval=3600).run(ctx)

    assert len(server.hits_of("/broken.xml")) == 2
    assert len(server.hits_of("/blog/feed.xml")) == 1
    assert rss_id(healthy, "werkblog-2026-0412") in ctx.posts


# --- settings ------------------------------------------------------------------------------


def test_settings_have_useful_defaults() -> None:
    settings = FeedSourceSettings.model_validate(
        {"type": "rss", "feeds": [{"url": " https://werk.example.org/blog/feed.xml "}]})

    assert settings.name == "rss"
    assert settings.poll_interval_seconds == 300
    assert settings.feeds[0].url == "https://werk.example.org/blog/feed.xml"
    assert settings.feeds[0].all_entries is False
    assert settings.feeds[0].keywords == []


@pytest.mark.parametrize(("config", "message"), [
    ({"feeds": [{"url": "ftp://werk.example.org/feed.xml"}]}, "starts with http:// or https://"),
    ({"feeds": [{"url": "file:///etc/passwd"}]}, "starts with http:// or https://"),
    ({"feeds": [{"url": "werk.example.org/feed.xml"}]}, "starts with http:// or https://"),
    ({"feeds": [{"url": "https://"}]}, "starts with http:// or https://"),
    ({"feeds": []}, "needs at least one feed"),
    ({}, "feeds\n  Field required"),
    ({"feeds": [{"url": "https://a.example/f"}, {"url": "https://a.example/f"}]},
     "listed twice"),
    ({"feeds": [{"url": "https://a.example/f", "keywords": [" "]}]}, "may not be blank"),
    ({"feeds": [{"url": "https://a.example/f"}], "poll_interval_seconds": -1},
     "greater than or equal to 0"),
    ({"feeds": [{"url": "https://a.example/f", "hashtag": "x"}]}, "Extra inputs"),
])
def test_settings_refuse_what_cannot_work(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        FeedSourceSettings.model_validate({"type": "rss", **config})

    assert message in str(raised.value)
