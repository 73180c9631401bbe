"""ingest/bluesky/ against a fake Jetstream and AppView on loopback, and a real capture."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.db import writing
from app.models import DELETED, Event, Post, Source
from app.posts import PostStore
from app.pubsub import Hub, MemoryBackend
from app.seed import apply_settings
from ingest import registry
from ingest.base import Author, MediaItem, ShownPost, SourceError
from ingest.bluesky import (
    BLOCKING_LABELS,
    LOOKUPS,
    BlueskySource,
    BlueskySourceSettings,
    hashtags,
    media,
    to_html,
)
from ingest.http import build_client
from ingest.runner import IngestRunner
from tests.factories import database, make_settings, wait_for
from tests.ingest.fake_bluesky import (
    POST,
    T0,
    FakeAppView,
    FakeJetstream,
    byte_range,
    delete_event,
    did,
    label,
    link_facet,
    post_event,
    post_view,
    rkey,
    tag_facet,
    uri,
)
from tests.ingest.fakes import FakeContext

CAPTURE = Path(__file__).parent / "data" / "jetstream_expected_v1.jsonl"
SECOND = 1_000_000


@dataclass
class Bluesky:
    """A fake Jetstream and AppView, and the sources started against them."""

    jet: FakeJetstream
    appview: FakeAppView
    http: httpx.AsyncClient
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def source(self, *, batch_delay: float = 0.01, save_interval: float = 0.02,
               recheck_interval: float = 300.0, idle_timeout: float = 60.0,
               **settings: Any) -> BlueskySource:
        return BlueskySource(
            BlueskySourceSettings(**{"type": "bluesky", "jetstream_url": self.jet.url,
                                     "appview_url": self.appview.url, **settings}),
            batch_delay=batch_delay, save_interval=save_interval,
            recheck_interval=recheck_interval, idle_timeout=idle_timeout)

    def context(self, **options: Any) -> FakeContext:
        return FakeContext(self.http, **options)

    async def start(self, source: BlueskySource, ctx: FakeContext) -> asyncio.Task[None]:
        """Run the source until it is connected (and subscribed) to the fake Jetstream."""
        before = len(self.jet.connections)
        task = asyncio.create_task(source.run(ctx))
        self.tasks.append(task)
        await wait_for(lambda: len(self.jet.connections) > before or task.done(),
                       what="the source to connect")
        if task.done():
            task.result()
        return task


@pytest.fixture
async def bsky() -> AsyncIterator[Bluesky]:
    async with (FakeJetstream().serving() as jet, FakeAppView().serving() as appview,
                build_client(allow_private_networks=True, timeout=5) as http):
        harness = Bluesky(jet, appview, http)
        try:
            yield harness
        finally:
            for task in harness.tasks:
                task.cancel()
            await asyncio.gather(*harness.tasks, return_exceptions=True)


def processed(ctx: FakeContext, event: dict[str, Any]) -> bool:
    """The source has dealt with everything up to this event (its cursor passed it)."""
    return int(ctx.cursor.get("time_us", 0)) >= int(event["time_us"])


# The real capture -------------------------------------------------------------------------

async def test_every_line_of_the_real_capture_is_read_and_none_is_emitted(bsky: Bluesky) -> None:
    ctx, source = bsky.context(), bsky.source()
    lines = CAPTURE.read_text(encoding="utf-8").splitlines()
    for line in lines:
        await source.handle_message(ctx, line)
    await source.hydrate_due(ctx)

    assert len(lines) == 152
    assert source.counts["received"] == 152
    assert source.counts["malformed"] == 0
    assert source.counts["untagged"] == 17           # the 17 post creates, none with #Werkstolz
    assert source.counts["skipped"] == 152 - 18      # all but those and the post delete
    assert ctx.emitted == [] and ctx.deleted == [] and bsky.appview.requests == []


async def test_tags_of_the_real_capture_are_read_from_its_facets(bsky: Bluesky) -> None:
    lines = CAPTURE.read_text(encoding="utf-8").splitlines()
    records = [event["commit"]["record"] for event in map(json.loads, lines)
               if event.get("commit", {}).get("collection") == POST and "record" in event["commit"]]
    assert {tag for record in records for tag in hashtags(record)} == {
        "HowToTellAiToShutUp", "IndieRebellion", "talesatwonderworld", "balanwonderworldoc"}

    ctx, source = bsky.context(hashtags=("indierebellion",)), bsky.source(batch_delay=60)
    for line in lines:
        await source.handle_message(ctx, line)
    assert source.counts["matched"] == 1


async def test_the_capture_through_jetstream_asks_only_for_posts(bsky: Bluesky) -> None:
    ctx, source = bsky.context(), bsky.source()
    await bsky.start(source, ctx)
    lines = CAPTURE.read_text(encoding="utf-8").splitlines()
    bsky.jet.publish(*lines)
    sent = [event for event in map(json.loads, lines)
            if event["kind"] != "commit" or event["commit"]["collection"] == POST]
    last = max(sent, key=lambda event: event["time_us"])

    await ctx.wait_until(lambda: processed(ctx, last))
    assert bsky.jet.connections[0]["wantedCollections"] == [POST]
    assert "cursor" not in bsky.jet.connections[0]
    assert source.counts["received"] == len(sent) == 20
    assert ctx.emitted == [] and bsky.appview.requests == []
    assert ctx.healthy and "connected" in ctx.healthy[0]


# Matching and hydration -------------------------------------------------------------------

async def test_a_tagged_post_is_emitted_with_author_images_and_links(bsky: Bluesky) -> None:
    text = "Grüße aus Halle 3 🎉🔧 – das neue Getriebe <b> #Werkstolz\n\nMehr: example.com/tag"
    event = post_event(1, text, facets=[
        tag_facet(text, "Werkstolz"),
        link_facet(text, "example.com/tag", "https://example.com/tag?a=1&b=2")],
        embed={"$type": "app.bsky.embed.images", "images": [
            {"alt": "Bild 1", "image": {"$type": "blob", "ref": {"$link": "bafkrei1"},
                                        "mimeType": "image/jpeg", "size": 1000}}]})
    # Facet offsets count UTF-8 bytes: here they differ from the character offsets.
    assert byte_range(text, "#Werkstolz")["byteStart"] != text.index("#Werkstolz")
    bsky.appview.add(post_view(1, event, handle="joerg.example.org", images=2))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(event)

    await ctx.wait_until(lambda: uri(1) in ctx.posts)
    post = ctx.posts[uri(1)]
    cdn = "https://cdn.bsky.app/img"
    assert post.external_id == f"at://{did(1)}/app.bsky.feed.post/{rkey(1)}"
    assert post.url == f"https://bsky.app/profile/joerg.example.org/post/{rkey(1)}"
    assert post.author == Author(
        name="Jörg Ümlaut", handle="@joerg.example.org",
        avatar_url=f"{cdn}/avatar/plain/{did(1)}/bafkreiavatar@jpeg",
        profile_url="https://bsky.app/profile/joerg.example.org")
    assert post.text == text
    assert post.html == (
        "<p>Grüße aus Halle 3 🎉🔧 – das neue Getriebe &lt;b&gt; #Werkstolz</p>"
        '<p>Mehr: <a href="https://example.com/tag?a=1&amp;b=2">example.com/tag</a></p>')
    assert post.lang == "de"
    assert post.hashtags == ("Werkstolz",)
    assert post.created_at == datetime(2026, 7, 4, 14, 38, 6, 240000, tzinfo=UTC)
    assert post.media == tuple(
        MediaItem(kind="image", url=f"{cdn}/feed_fullsize/plain/{did(1)}/bafkrei{i}@jpeg",
                  preview_url=f"{cdn}/feed_thumbnail/plain/{did(1)}/bafkrei{i}@jpeg",
                  alt=f"Bild {i}: Getriebe in der Halle", width=2000, height=1500)
        for i in (1, 2))
    assert (post.content_warning, post.sensitive, post.edited_at) == (None, False, None)
    assert post.source_data == {"did": did(1), "rkey": rkey(1)}
    assert bsky.appview.requests == [[uri(1)]]


async def test_tags_match_case_insensitively_from_facets_and_record_tags(bsky: Bluesky) -> None:
    by_facet = post_event(1, "Tolle Halle #werkSTOLZ", facets=[
        tag_facet("Tolle Halle #werkSTOLZ", "werkSTOLZ")])
    by_tags = post_event(2, "Ohne Tag im Text", tags=["WERKSTOLZ", "messe"])
    second_tag = post_event(3, "Für #KundenZuFans", facets=[
        tag_facet("Für #KundenZuFans", "KundenZuFans")])
    bsky.appview.add(*(post_view(n, e) for n, e in ((1, by_facet), (2, by_tags), (3, second_tag))))
    ctx = bsky.context(hashtags=("Werkstolz", "kundenzufans"))
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(by_facet, by_tags, second_tag)

    await ctx.wait_until(lambda: len(ctx.posts) == 3)
    assert ctx.posts[uri(1)].hashtags == ("werkSTOLZ",)
    assert ctx.posts[uri(2)].hashtags == ("WERKSTOLZ", "messe")


async def test_words_in_the_text_are_not_tags(bsky: Bluesky) -> None:
    longer = "Stolz! #Werkstolzer"
    events = [
        post_event(1, longer, facets=[tag_facet(longer, "Werkstolzer")]),
        post_event(2, "Werkstolz ist unser Motto", facets=[]),
        post_event(3, "Ohne Facette: #Werkstolz", facets=[]),   # a client that made no facet
        post_event(4, "Link: werkstolz.example", facets=[link_facet(
            "Link: werkstolz.example", "werkstolz.example", "https://werkstolz.example/#Werkstolz")]),
    ]
    control = post_event(5, "Das zählt #Werkstolz")
    bsky.appview.add(*(post_view(n) for n in range(1, 5)), post_view(5, control))
    ctx = bsky.context()
    source = bsky.source()
    await bsky.start(source, ctx)
    bsky.jet.publish(*events, control)

    await ctx.wait_until(lambda: processed(ctx, control))
    assert list(ctx.posts) == [uri(5)]
    assert bsky.appview.requested == [uri(5)]
    assert source.counts["untagged"] == 4


async def test_posts_are_looked_up_in_batches(bsky: Bluesky) -> None:
    events = [post_event(n) for n in range(1, 8)]
    bsky.appview.add(*(post_view(n, e) for n, e in enumerate(events, 1)))
    ctx = bsky.context()
    await bsky.start(bsky.source(hydrate_batch=3, batch_delay=0.5), ctx)
    bsky.jet.publish(*events)

    await ctx.wait_until(lambda: len(ctx.posts) == 7)
    assert [len(request) for request in bsky.appview.requests] == [3, 3, 1]


async def test_unreadable_or_future_dates_fall_back_to_the_time_received(bsky: Bluesky) -> None:
    events = [post_event(1, createdAt="gestern abend"),
              post_event(2, createdAt="2999-01-01T00:00:00Z"),
              post_event(3, createdAt="2026-07-04T14:38:06")]
    bsky.appview.add(*(post_view(n, e) for n, e in enumerate(events, 1)))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(*events)

    await ctx.wait_until(lambda: len(ctx.posts) == 3)
    for n in (1, 2):
        assert ctx.posts[uri(n)].created_at == datetime.fromtimestamp(
            events[n - 1]["time_us"] / SECOND, UTC)
    assert ctx.posts[uri(3)].created_at == datetime(2026, 7, 4, 14, 38, 6, tzinfo=UTC)


# Deletes and edits --------------------------------------------------------------------------

async def test_deleting_an_ingested_post_deletes_it_here(bsky: Bluesky) -> None:
    event = post_event(1)
    bsky.appview.add(post_view(1, event))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(event)
    await ctx.wait_until(lambda: uri(1) in ctx.posts)

    stranger = delete_event(7, time_us=T0 + 2 * SECOND)   # a post of someone never ingested
    bsky.jet.publish(delete_event(1, time_us=T0 + SECOND), stranger)
    await ctx.wait_until(lambda: processed(ctx, stranger))
    assert ctx.deleted == [uri(1)]


async def test_a_post_deleted_before_its_lookup_is_never_emitted(bsky: Bluesky) -> None:
    event = post_event(1)
    bsky.appview.add(post_view(1, event))
    ctx = bsky.context()
    await bsky.start(bsky.source(batch_delay=30), ctx)
    deletion = delete_event(1, time_us=T0 + SECOND)
    bsky.jet.publish(event, deletion)

    # The cursor only passes a waiting post once it is dealt with: here, by its deletion.
    await ctx.wait_until(lambda: processed(ctx, deletion))
    assert ctx.emitted == [] and bsky.appview.requests == []


async def test_an_update_is_emitted_again_with_edited_at(bsky: Bluesky) -> None:
    first = post_event(1, "Erste Fassung #Werkstolz")
    bsky.appview.add(post_view(1, first, images=1))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(first)
    await ctx.wait_until(lambda: uri(1) in ctx.posts)
    assert ctx.posts[uri(1)].edited_at is None

    edit = post_event(1, "Zweite Fassung #Werkstolz", operation="update",
                      time_us=T0 + 5 * SECOND)
    bsky.appview.add(post_view(1, edit, images=1))
    bsky.jet.publish(edit)
    await ctx.wait_until(lambda: ctx.posts[uri(1)].text.startswith("Zweite"))
    assert ctx.posts[uri(1)].edited_at == datetime.fromtimestamp(edit["time_us"] / SECOND, UTC)
    assert len(ctx.emitted) == 2


# Labels -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", sorted(BLOCKING_LABELS))
async def test_a_blocking_label_on_post_author_or_record_keeps_it_off(bsky: Bluesky,
                                                                       value: str) -> None:
    self_labelled = post_event(3, labels={"$type": "com.atproto.label.defs#selfLabels",
                                          "values": [{"val": value}]})
    control = post_event(4)
    bsky.appview.add(post_view(1, labels=(value,)), post_view(2, author_labels=(value,)),
                     post_view(3), post_view(4, control))   # view 3: the label is in the record
    ctx = bsky.context()
    source = bsky.source()
    await bsky.start(source, ctx)
    bsky.jet.publish(post_event(1), post_event(2), self_labelled, control)

    await ctx.wait_until(lambda: processed(ctx, control))
    assert list(ctx.posts) == [uri(4)]
    assert source.counts["blocked"] == 3
    assert ctx.deleted == []


async def test_the_warn_label_becomes_a_content_warning(bsky: Bluesky) -> None:
    event = post_event(1)
    bsky.appview.add(post_view(1, event, labels=("!warn",)))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(event)

    await ctx.wait_until(lambda: uri(1) in ctx.posts)
    assert ctx.posts[uri(1)].content_warning == "Content warning"
    assert ctx.posts[uri(1)].sensitive is True


async def test_a_negated_label_no_longer_counts(bsky: Bluesky) -> None:
    event = post_event(1)
    view = post_view(1, event, labels=("porn",))
    view["labels"].append(label(uri(1), "porn", neg=True))
    bsky.appview.add(view)
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(event)

    await ctx.wait_until(lambda: uri(1) in ctx.posts)


async def test_an_ingested_post_labelled_by_the_time_of_an_edit_is_deleted(bsky: Bluesky) -> None:
    first = post_event(1)
    bsky.appview.add(post_view(1, first))
    ctx = bsky.context()
    await bsky.start(bsky.source(), ctx)
    bsky.jet.publish(first)
    await ctx.wait_until(lambda: uri(1) in ctx.posts)

    edit = post_event(1, "Jetzt anders #Werkstolz", operation="update", time_us=T0 + SECOND)
    bsky.appview.add(post_view(1, edit, labels=("sexual",)))
    bsky.jet.publish(edit)
    await ctx.wait_until(lambda: ctx.deleted == [uri(1)])
    assert len(ctx.emitted) == 1


async def test_shown_posts_labelled_later_are_taken_down(bsky: Bluesky) -> None:
    bsky.appview.add(post_view(1, labels=("!hide",)), post_view(2))
    ctx = bsky.context()
    ctx.shown = [ShownPost(uri(1), None, {}), ShownPost(uri(2), None, {}),
                 ShownPost("109876543210", None, {})]   # not one of ours
    await bsky.start(bsky.source(recheck_interval=0.05), ctx)

    await ctx.wait_until(lambda: bool(ctx.deleted))
    assert ctx.deleted == [uri(1)]
    assert bsky.appview.requests[0] == [uri(1), uri(2)]


# Cursor, reconnects and failures ------------------------------------------------------------

async def test_a_restart_resumes_from_the_rewound_cursor_without_duplicates(
        bsky: Bluesky) -> None:
    events = [post_event(n, time_us=T0 + (n - 1) * 4 * SECOND) for n in range(1, 5)]
    bsky.appview.add(*(post_view(n, e) for n, e in enumerate(events, 1)))
    ctx = bsky.context()
    first = await bsky.start(bsky.source(rewind_seconds=3), ctx)
    bsky.jet.publish(events[0], events[1])
    await ctx.wait_until(lambda: len(ctx.posts) == 2 and processed(ctx, events[1]))

    bsky.jet.drop()
    with pytest.raises(SourceError, match="closed the connection"):
        await first
    bsky.jet.publish(events[2], events[3])   # while nobody listens

    second = bsky.source(rewind_seconds=3)   # what the runner does after its backoff
    await bsky.start(second, ctx)
    assert bsky.jet.connections[1]["cursor"] == [str(events[1]["time_us"] - 3 * SECOND)]
    await ctx.wait_until(lambda: len(ctx.posts) == 4 and processed(ctx, events[3]))
    assert [post.external_id for post in ctx.emitted] == [uri(n) for n in range(1, 5)]
    # The rewind replayed post 2; it was recognised, not looked up again.
    assert second.counts["repeated"] == 1
    assert bsky.appview.requested == [uri(n) for n in range(1, 5)]


async def test_a_clean_stop_saves_the_cursor(bsky: Bluesky) -> None:
    ctx = bsky.context()
    source = bsky.source(save_interval=60)
    task = await bsky.start(source, ctx)
    event = post_event(1, "Nicht für uns")
    bsky.jet.publish(event)
    await wait_for(lambda: source.counts["received"] == 1, what="the event to be read")
    assert ctx.cursor == {}

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ctx.cursor["time_us"] == event["time_us"]


@pytest.mark.parametrize(("failure", "message"), [
    ("500", "server error"), ("timeout", "did not answer in time"),
    ("malformed", "malformed JSON"), ("no-post-list", "without a post list")])
async def test_an_appview_failure_loses_no_post(bsky: Bluesky, failure: str,
                                                message: str) -> None:
    async with build_client(allow_private_networks=True, timeout=0.5) as http:
        ctx = FakeContext(http)
        before, event = post_event(9, "Kein Tag", time_us=T0), post_event(1, time_us=T0 + SECOND)
        bsky.appview.add(post_view(1, event))
        bsky.appview.failure = failure
        task = await bsky.start(bsky.source(), ctx)
        bsky.jet.publish(before, event)
        with pytest.raises(SourceError, match=message):
            await task
        assert ctx.posts == {}
        assert not processed(ctx, event)

        bsky.appview.failure = None
        await bsky.start(bsky.source(), ctx)
        await ctx.wait_until(lambda: uri(1) in ctx.posts)
        assert len(ctx.emitted) == 1


async def test_a_post_the_appview_does_not_know_yet_is_asked_for_again(bsky: Bluesky) -> None:
    event = post_event(1)
    ctx = bsky.context()
    await bsky.start(bsky.source(batch_delay=0.02), ctx)
    bsky.jet.publish(event)
    await wait_for(lambda: len(bsky.appview.requests) >= 2, what="a second lookup")
    assert not processed(ctx, event)

    bsky.appview.add(post_view(1, event))
    await ctx.wait_until(lambda: uri(1) in ctx.posts)


async def test_a_post_the_appview_never_knows_is_given_up(bsky: Bluesky) -> None:
    event = post_event(1)
    ctx = bsky.context()
    await bsky.start(bsky.source(batch_delay=0.01), ctx)
    bsky.jet.publish(event)

    await ctx.wait_until(lambda: processed(ctx, event))
    assert bsky.appview.requests == [[uri(1)]] * LOOKUPS
    assert ctx.emitted == []


async def test_malformed_jetstream_lines_are_skipped(bsky: Bluesky) -> None:
    good = post_event(1, time_us=T0 + SECOND)
    no_record = post_event(2)
    del no_record["commit"]["record"]
    no_text = post_event(3)
    del no_text["commit"]["record"]["text"]
    bad_did, bad_rkey, bad_operation = post_event(4), post_event(5), post_event(6)
    bad_did["did"] = "not-a-did"
    bad_rkey["commit"]["rkey"] = "../../x"
    bad_operation["commit"]["operation"] = "upsert"
    malformed = ["not json", "[]", "42", '{"kind": "commit"}',
                 '{"time_us": "soon", "kind": "commit"}',
                 json.dumps({"did": did(7), "time_us": T0, "kind": "commit"}),
                 json.dumps(no_record), json.dumps(no_text), json.dumps(bad_did),
                 json.dumps(bad_rkey), json.dumps(bad_operation)]
    odd = post_event(8, facets=[{"features": "tag", "index": []}, "facet"], tags="Werkstolz")
    bsky.appview.add(post_view(1, good))
    ctx = bsky.context()
    source = bsky.source()
    await bsky.start(source, ctx)
    bsky.jet.publish(*malformed, odd, good)

    await ctx.wait_until(lambda: uri(1) in ctx.posts)
    assert source.counts["malformed"] == len(malformed)
    assert source.counts["untagged"] == 1
    await source.handle_message(ctx, b"\xff\xfe")
    assert source.counts["malformed"] == len(malformed) + 1


async def test_a_dropped_or_silent_or_wrong_jetstream_is_a_source_error(bsky: Bluesky) -> None:
    ctx = bsky.context()
    with pytest.raises(SourceError, match="sent nothing"):
        await bsky.start(bsky.source(idle_timeout=0.2), ctx)
        await bsky.tasks[-1]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = bsky.source(jetstream_url=f"ws://127.0.0.1:{port}/subscribe")
    with pytest.raises(SourceError, match="could not connect to Jetstream"):
        await source.run(ctx)

    not_websocket = bsky.source(jetstream_url=bsky.appview.url.replace("http", "ws"))
    with pytest.raises(SourceError, match="could not connect to Jetstream"):
        await not_websocket.run(ctx)


# Through the runner into the store ----------------------------------------------------------

async def test_the_runner_stores_and_deletes_bluesky_posts(
        bsky: Bluesky, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The runner builds the source itself; shorten its batch wait for the test.
    monkeypatch.setitem(registry._BUILDERS, "bluesky",
                        lambda settings, _: BlueskySource(settings, batch_delay=0.01))
    event = post_event(1)
    bsky.appview.add(post_view(1, event, images=1, labels=("!warn",)))
    async with database(database_url) as sessions:
        await apply_settings(sessions, make_settings(database_url))
        async with writing(sessions) as session:
            event_id = await session.scalar(select(Event.id).where(Event.slug == "ev"))
            config = {"type": "bluesky", "name": "bsky", "jetstream_url": bsky.jet.url,
                      "appview_url": bsky.appview.url}
            session.add(Source(event_id=event_id, name="bsky", type="bluesky", enabled=True,
                               config=config, cursor={}))
        runner = IngestRunner(sessions, PostStore(sessions, Hub(MemoryBackend())), bsky.http)

        async def stored() -> list[Post]:
            async with sessions() as session:
                return list(await session.scalars(select(Post)))

        try:
            await runner.sync()
            await bsky.jet.wait_connections(1)
            bsky.jet.publish(event)
            posts = await wait_for(stored, what="the post to be stored")
            assert [(p.external_id, p.content_warning, p.sensitive) for p in posts] == [
                (uri(1), "Content warning", True)]
            bsky.jet.publish(delete_event(1, time_us=T0 + SECOND))
            await wait_for(lambda: _deleted(stored), what="the post to be deleted")
        finally:
            await runner.aclose()
        async with sessions() as session:
            cursor = await session.scalar(select(Source.cursor).where(Source.name == "bsky"))
        assert cursor is not None
        assert (cursor["time_us"], cursor["authors"]) == (T0 + SECOND, [did(1)])


async def _deleted(stored: Any) -> bool:
    return all(post.status == DELETED for post in await stored())


# Settings and pure helpers ------------------------------------------------------------------

def test_settings_defaults() -> None:
    settings = BlueskySourceSettings(type="bluesky")
    assert settings.name == "bluesky"
    assert settings.jetstream_url == "wss://jetstream2.us-east.bsky.network/subscribe"
    assert settings.appview_url == "https://public.api.bsky.app"
    assert (settings.rewind_seconds, settings.hydrate_batch) == (5.0, 25)
    assert BlueskySourceSettings(type="bluesky",
                                 appview_url="https://api.example/").appview_url == "https://api.example"


@pytest.mark.parametrize(("options", "message"), [
    ({"jetstream_url": "https://jetstream2.us-east.bsky.network/subscribe"},
     "jetstream_url must be a ws:// or wss:// URL"),
    ({"jetstream_url": "wss://"}, "jetstream_url must be a ws:// or wss:// URL"),
    ({"appview_url": "ftp://public.api.bsky.app"}, "appview_url must be an http:// or https://"),
    ({"appview_url": "public.api.bsky.app"}, "appview_url must be an http:// or https://"),
    ({"hydrate_batch": 26}, "less than or equal to 25"),
    ({"hydrate_batch": 0}, "greater than or equal to 1"),
    ({"rewind_seconds": -1}, "greater than or equal to 0"),
    ({"cursor": 5}, "Extra inputs are not permitted"),
])
def test_settings_say_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BlueskySourceSettings(type="bluesky", **options)


def test_html_links_facets_by_utf8_bytes_and_skips_bad_ones() -> None:
    text = "Ä 🎉 <script> https://a.example und @jo.example\nzweite Zeile"
    facets = [
        link_facet(text, "https://a.example", "https://a.example/?x=<1>"),
        {"features": [{"$type": "app.bsky.richtext.facet#mention", "did": did(1)}],
         "index": byte_range(text, "@jo.example")},
        # Character offsets instead of byte offsets, as a buggy client might send them:
        # they cut the emoji in two and are ignored.
        {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://b.example"}],
         "index": {"byteStart": 3, "byteEnd": 5}},
        {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:alert(1)"}],
         "index": byte_range(text, "zweite")},
        {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://c.example"}],
         "index": {"byteStart": 0, "byteEnd": 9999}},
    ]
    assert to_html(text, facets) == (
        "<p>Ä 🎉 &lt;script&gt; "
        '<a href="https://a.example/?x=&lt;1&gt;">https://a.example</a> und '
        f'<a href="https://bsky.app/profile/{did(1)}">@jo.example</a><br>zweite Zeile</p>')
    assert to_html("a\n\nb", None) == "<p>a</p><p>b</p>"


def test_media_of_video_and_quote_with_images() -> None:
    video = {"$type": "app.bsky.embed.video#view", "cid": "bafkreivideo",
             "playlist": "https://video.bsky.app/watch/x/playlist.m3u8",
             "thumbnail": "https://video.bsky.app/watch/x/thumbnail.jpg", "alt": "Rundgang",
             "aspectRatio": {"width": 1080, "height": 1920}}
    assert media(video) == (MediaItem(
        kind="video", url="https://video.bsky.app/watch/x/playlist.m3u8",
        preview_url="https://video.bsky.app/watch/x/thumbnail.jpg", alt="Rundgang",
        width=1080, height=1920),)
    images = post_view(1, images=1)["embed"]
    quote = {"$type": "app.bsky.embed.recordWithMedia#view", "record": {}, "media": images}
    assert media(quote) == media(images) and len(media(images)) == 1
    external = {"$type": "app.bsky.embed.external#view",
                "external": {"uri": "https://x.example", "title": "x", "description": ""}}
    assert media(external) == ()
    assert media({"$type": "app.bsky.embed.images#view", "images": [
        {"fullsize": "javascript:x", "thumb": "", "alt": ""}]}) == ()
