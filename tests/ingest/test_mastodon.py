"""ingest/mastodon/ against a fake Mastodon on loopback that speaks the documented wire format:
ingest, cursors, paging, rate limits, failures in words, streaming and deletions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from app.sanitize import html_to_text
from ingest.base import Author, MediaItem, RetryAfter, ShownPost, SourceError
from ingest.http import build_client
from ingest.mastodon import MAX_PAGE_BYTES, MastodonSource, MastodonSourceSettings
from ingest.mastodon import limits as mastodon
from tests.ingest.fake_mastodon import (
    DOCS_AUDIO,
    DOCS_GIFV,
    DOCS_IMAGE,
    DOCS_REMOTE_STATUS,
    DOCS_STATUS,
    DOCS_VIDEO,
    FakeMastodon,
    serve,
    tag,
)
from tests.ingest.fakes import FakeContext

TOKEN = "s3cret-user-token"


class Context(FakeContext):
    """FakeContext that also wakes `wait_until` on every finished round, and like the real
    store no longer lists a deleted post as shown."""

    def mark_healthy(self, detail: str = "") -> None:
        super().mark_healthy(detail)
        self.changed.set()

    async def delete(self, external_id: str) -> None:
        self.shown = [post for post in self.shown if post.external_id != external_id]
        await super().delete(external_id)


@pytest.fixture
async def server() -> AsyncIterator[FakeMastodon]:
    async with serve(FakeMastodon()) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(allow_private_networks=True) as client:
        yield client


def source(*servers: FakeMastodon, token: str | None = None, allow_private: bool = True,
           **options: Any) -> MastodonSource:
    settings = MastodonSourceSettings.model_validate({
        "type": "mastodon",
        "instances": [{"url": fake.base_url, "access_token": token} for fake in servers],
        "poll_interval_seconds": 0.02, "recheck_interval_seconds": 3600, **options})
    return MastodonSource(settings, allow_private_networks=allow_private)


@contextlib.asynccontextmanager
async def running(src: MastodonSource, ctx: Context) -> AsyncIterator[asyncio.Task[None]]:
    """Run the source for the duration of the block; a failure of the source fails the test."""
    task = asyncio.create_task(src.run(ctx))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def failure(src: MastodonSource, ctx: Context,
                  kind: type[SourceError] = SourceError) -> str:
    """The words of the error that ends one run of the source."""
    with pytest.raises(kind) as info:
        await asyncio.wait_for(src.run(ctx), 10)
    return str(info.value)


async def recovers(server: FakeMastodon, ctx: Context, **options: Any) -> None:
    """After a failure, the next run (as the runner would start it) ingests again."""
    status = server.add()
    async with running(source(server, **options), ctx):
        await ctx.wait_until(lambda: status["uri"] in ctx.posts)


def key(server: FakeMastodon, hashtag: str = "werkstolz") -> str:
    return f"{server.base_url} #{hashtag}"


# Ingest ---------------------------------------------------------------------------------------

async def test_documented_statuses_become_posts_with_every_field(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    media = [DOCS_IMAGE, DOCS_VIDEO, DOCS_GIFV, DOCS_AUDIO, {**DOCS_IMAGE, "type": "unknown"}]
    local = server.add(DOCS_STATUS, tags=("Werkstolz", "Messe"), spoiler_text="Lautstärke!",
                       sensitive=True, language="de", edited_at="2019-12-08T04:00:00.000Z",
                       media_attachments=media)
    remote = server.add(DOCS_REMOTE_STATUS, uri=DOCS_REMOTE_STATUS["uri"],
                        url=DOCS_REMOTE_STATUS["url"])
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.posts) == 2)

    assert [post.external_id for post in ctx.emitted[:2]] == [local["uri"], remote["uri"]]
    post = ctx.posts[local["uri"]]
    assert post.author == Author(
        name="Eugen", handle="@Gargron@127.0.0.1",
        avatar_url=DOCS_STATUS["account"]["avatar_static"],
        profile_url="https://mastodon.social/@Gargron")
    assert post.text == html_to_text(local["content"])
    assert post.text.startswith('"I lost my inheritance with one wrong digit on my sort code"')
    assert post.html == local["content"]
    assert post.url == local["url"]
    assert post.lang == "de"
    assert post.hashtags == ("Werkstolz", "Messe")
    assert post.media == (
        MediaItem("image", DOCS_IMAGE["url"], DOCS_IMAGE["preview_url"],
                  "test media description", 640, 480),
        MediaItem("video", DOCS_VIDEO["url"], DOCS_VIDEO["preview_url"], "", 1280, 720),
        MediaItem("gifv", DOCS_GIFV["url"], DOCS_GIFV["preview_url"], "", 600, 332),
        MediaItem("audio", DOCS_AUDIO["url"], DOCS_AUDIO["preview_url"], "", None, None),
    )
    assert post.content_warning == "Lautstärke!"
    assert post.sensitive is True
    assert post.created_at == datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)
    assert post.edited_at == datetime(2019, 12, 8, 4, 0, tzinfo=UTC)
    assert post.source_data == {"instance": server.base_url, "id": local["id"]}

    other = ctx.posts[remote["uri"]]
    assert other.author.handle == "@freon@letsalllovela.in"
    assert other.url == DOCS_REMOTE_STATUS["url"]
    assert (other.lang, other.content_warning, other.edited_at, other.sensitive) == (
        None, None, None, False)
    assert other.text == "@disarray glad i was able to help"
    assert ctx.healthy[0] == "polled 1 tag on 1 instance, 2 new"


async def test_a_boost_is_ingested_as_the_boosted_post(server: FakeMastodon,
                                                       http: httpx.AsyncClient) -> None:
    server.loose = True  # the wrapper has no tags of its own
    original = {**DOCS_STATUS, "tags": [tag("Werkstolz")]}
    server.add(DOCS_REMOTE_STATUS, tags=(), reblog=original, content="")
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: bool(ctx.posts))
    assert list(ctx.posts) == [DOCS_STATUS["uri"]]
    assert ctx.posts[DOCS_STATUS["uri"]].author.name == "Eugen"
    assert ctx.posts[DOCS_STATUS["uri"]].source_data["id"] == DOCS_STATUS["id"]


async def test_the_same_status_on_two_instances_is_stored_once(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    async with serve(FakeMastodon()) as other:
        here = server.add()
        other.add(uri=here["uri"], url=here["url"],
                  account={**DOCS_STATUS["account"], "acct": "Gargron@mastodon.social"})
        ctx = Context(http)
        async with running(source(server, other), ctx):
            await ctx.wait_until(lambda: len(ctx.emitted) >= 2)
    assert {post.external_id for post in ctx.emitted} == {here["uri"]}
    assert len(ctx.posts) == 1
    assert {post.source_data["instance"] for post in ctx.emitted} == {server.base_url,
                                                                      other.base_url}
    assert ctx.healthy[0] == "polled 1 tag on 2 instances, 1 new"


async def test_statuses_with_missing_fields_are_skipped_and_the_others_ingested(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    good = server.add()
    del server.add()["uri"]
    del server.add()["account"]
    server.add(created_at="gestern")
    server.add(content=None)
    server.add(account={"acct": 7})
    server.add(id="9" * 5000)
    half_media = server.add(media_attachments=[{"type": "image"}, "junk", DOCS_IMAGE])
    last = server.add()
    server.garbage = ["not a status", 42, None, {"id": "1"}]
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 2)
    assert set(ctx.posts) == {good["uri"], half_media["uri"], last["uri"]}
    assert [item.url for item in ctx.posts[half_media["uri"]].media] == [DOCS_IMAGE["url"]]
    assert ctx.healthy[0] == "polled 1 tag on 1 instance, 3 new"


async def test_hashtags_match_exactly_and_regardless_of_case(server: FakeMastodon,
                                                             http: httpx.AsyncClient) -> None:
    server.loose = True  # a timeline may carry more than the tag asked for (any[], folding)
    wanted = [server.add(tags=("werkstolz",)), server.add(tags=("WERKSTOLZ", "Messe")),
              server.add(tags=("kundenzufans",))]
    server.add(tags=("Werkstolz2026",))
    server.add(tags=("Werk",))
    server.add(tags=(), content="<p>#Werkstolz nur im Text</p>")
    server.add(visibility="private")
    server.add(visibility="direct")
    ctx = Context(http, hashtags=("Werkstolz", "KundenZuFans"))
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 2)
    assert set(ctx.posts) == {status["uri"] for status in wanted}


async def test_only_media_asks_the_server_for_media_posts(server: FakeMastodon,
                                                          http: httpx.AsyncClient) -> None:
    server.add()
    with_media = server.add(media_attachments=[DOCS_IMAGE])
    ctx = Context(http)
    async with running(source(server, only_media=True), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 1)
    assert list(ctx.posts) == [with_media["uri"]]
    assert server.seen("/timelines/")[0].params == {"limit": "40", "only_media": "true"}


# Cursors and paging ---------------------------------------------------------------------------

async def test_a_first_start_takes_only_the_newest_page(server: FakeMastodon,
                                                        http: httpx.AsyncClient) -> None:
    statuses = [server.add() for _ in range(50)]
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 2)
    assert [post.external_id for post in ctx.emitted] == [s["uri"] for s in statuses[10:]]
    assert server.seen("/timelines/")[0].params == {"limit": "40"}
    assert ctx.cursor == {"min_id": {key(server): statuses[-1]["id"]}}


async def test_a_restart_neither_repeats_nor_skips_posts(server: FakeMastodon,
                                                         http: httpx.AsyncClient) -> None:
    before = [server.add() for _ in range(3)]
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 2)
    assert ctx.cursor == {"min_id": {key(server): before[-1]["id"]}}

    while_stopped = [server.add() for _ in range(2)]
    mark, rounds = len(server.requests), len(ctx.healthy)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= rounds + 2)
    assert [post.external_id for post in ctx.emitted] == [
        status["uri"] for status in before + while_stopped]
    assert server.requests[mark].params == {"limit": "40", "min_id": before[-1]["id"]}
    assert ctx.cursor == {"min_id": {key(server): while_stopped[-1]["id"]}}


async def test_more_than_a_page_of_new_posts_is_paged_through_in_order(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    first = server.add()
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 1)
    burst = [server.add() for _ in range(95)]
    mark = len(server.requests)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.posts) == 96)
    assert [seen.params["min_id"] for seen in server.requests[mark:mark + 3]] == [
        first["id"], burst[39]["id"], burst[79]["id"]]
    assert [post.external_id for post in ctx.emitted] == [s["uri"] for s in [first, *burst]]
    assert ctx.cursor == {"min_id": {key(server): burst[-1]["id"]}}
    assert "polled 1 tag on 1 instance, 95 new" in ctx.healthy  # all in one round


async def test_paging_is_bounded_per_round_and_resumes_next_round(
        server: FakeMastodon, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_PAGES", 2)
    server.add()
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 1)
    [server.add() for _ in range(95)]
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.posts) == 96)
    assert ctx.healthy[-2:] == ["polled 1 tag on 1 instance, 80 new",
                                "polled 1 tag on 1 instance, 15 new"]


# Rate limits ----------------------------------------------------------------------------------

async def test_http_429_raises_retry_after_with_the_servers_delay(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.replies.append(Response(status_code=429, headers={"retry-after": "7"}))
    ctx = Context(http)
    with pytest.raises(RetryAfter) as info:
        await asyncio.wait_for(source(server).run(ctx), 10)
    assert info.value.seconds == 7
    assert "rate limiting us (HTTP 429)" in str(info.value)
    await recovers(server, ctx)


async def test_a_used_up_rate_limit_pauses_until_it_resets(server: FakeMastodon,
                                                           http: httpx.AsyncClient) -> None:
    server.add()
    reset = datetime.now(UTC) + timedelta(seconds=0.4)
    server.exhaust_rate_limit_until = reset
    ctx = Context(http)
    async with running(source(server), ctx):
        await server.wait_for(lambda: len(server.seen("/timelines/")) >= 2)
    first, second = server.seen("/timelines/")[:2]
    assert first.at < reset - timedelta(seconds=0.2)
    assert second.at >= reset - timedelta(milliseconds=5)
    assert any("used up the rate limit" in detail for detail in ctx.healthy)


# Failures in words, and recovery ---------------------------------------------------------------

async def test_http_401_asks_for_an_access_token(server: FakeMastodon,
                                                 http: httpx.AsyncClient) -> None:
    server.token = TOKEN
    ctx = Context(http)
    message = await failure(source(server), ctx)
    assert "requires an access token" in message and "HTTP 401" in message
    message = await failure(source(server, token="wrong"), ctx)
    assert "rejected the access token" in message
    await recovers(server, ctx, token=TOKEN)
    assert server.requests[-1].authorization == f"Bearer {TOKEN}"


async def test_a_server_error_is_a_source_error(server: FakeMastodon,
                                                http: httpx.AsyncClient) -> None:
    server.replies.append(Response(status_code=502))
    ctx = Context(http)
    assert "has a server error (HTTP 502)" in await failure(source(server), ctx)
    await recovers(server, ctx)


async def test_a_server_that_never_answers_times_out(server: FakeMastodon) -> None:
    server.hang = True
    async with build_client(allow_private_networks=True, timeout=0.3) as impatient:
        ctx = Context(impatient)
        assert "did not answer in time" in await failure(source(server), ctx)
        server.hang = False
        await recovers(server, ctx)


async def test_a_refused_connection_is_a_source_error(http: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = FakeMastodon()
    closed.base_url = f"http://127.0.0.1:{port}"
    message = await failure(source(closed), Context(http))
    assert f"could not connect to 127.0.0.1:{port}/api/v1/timelines/tag/Werkstolz" in message


async def test_malformed_json_and_a_non_list_are_source_errors(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.replies += [Response(b'[{"id": "1", ', media_type="application/json"),
                       Response(b"[" * 100_000, media_type="application/json"),
                       JSONResponse({"error": "Something went wrong"})]
    ctx = Context(http)
    assert "sent malformed JSON for #Werkstolz" in await failure(source(server), ctx)
    assert "sent malformed JSON for #Werkstolz" in await failure(source(server), ctx)
    assert "sent a JSON dict instead of a list of statuses" in await failure(source(server), ctx)
    await recovers(server, ctx)


async def test_an_oversized_body_is_a_source_error(server: FakeMastodon,
                                                   http: httpx.AsyncClient) -> None:
    server.replies.append(Response(b"[" + b" " * MAX_PAGE_BYTES + b"]",
                                   media_type="application/json"))
    ctx = Context(http)
    assert f"sent more than {MAX_PAGE_BYTES:,} bytes" in await failure(source(server), ctx)
    await recovers(server, ctx)


async def test_an_unused_hashtag_is_no_error_but_a_non_mastodon_404_is(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.replies.append(JSONResponse({"error": "Record not found"}, status_code=404))
    ctx = Context(http)
    async with running(source(server), ctx):
        await ctx.wait_until(lambda: len(ctx.healthy) >= 1)
    assert ctx.healthy[0] == "polled 1 tag on 1 instance, 0 new"
    server.replies.append(Response("<h1>Not Found</h1>", status_code=404, media_type="text/html"))
    assert "is it a Mastodon server?" in await failure(source(server), ctx)
    await recovers(server, ctx)


async def test_the_default_client_refuses_a_loopback_instance(server: FakeMastodon) -> None:
    async with build_client() as strict:
        message = await failure(source(server), Context(strict))
    assert "127.0.0.1 is a private or local address" in message
    assert server.requests == []


# Streaming ------------------------------------------------------------------------------------

def streaming_source(server: FakeMastodon, **options: Any) -> MastodonSource:
    return source(server, token=TOKEN, streaming=True, **options)


def streaming(ctx: Context) -> bool:
    return any(detail.startswith("streaming #Werkstolz") for detail in ctx.healthy)


async def test_streamed_updates_edits_and_deletes_reach_the_wall(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.token = TOKEN
    earlier = server.add()
    ctx = Context(http)
    async with running(streaming_source(server), ctx):
        await ctx.wait_until(lambda: streaming(ctx))
        assert list(ctx.posts) == [earlier["uri"]]  # the backfill on connect

        new = await server.publish(tags=("werkstolz",))
        await ctx.wait_until(lambda: new["uri"] in ctx.posts)
        await server.edit(new, content="<p>Korrigiert #Werkstolz</p>")
        await ctx.wait_until(lambda: ctx.posts[new["uri"]].edited_at is not None)
        await server.send_raw("kein JSON")
        await server.send_raw(json.dumps({"event": "update", "payload": "{kaputt"}))
        await server.send_raw(json.dumps({"event": "delete", "payload": "4711"}))
        await server.delete(new)
        await ctx.wait_until(lambda: bool(ctx.deleted))
    assert ctx.deleted == [new["uri"]]
    assert ctx.posts[new["uri"]].text == "Korrigiert #Werkstolz"
    assert ctx.posts[new["uri"]].edited_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert ctx.cursor == {"min_id": {key(server): new["id"]}}


async def test_a_dropped_stream_fails_and_the_reconnect_backfills(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.token = TOKEN
    ctx = Context(http)
    task = asyncio.create_task(streaming_source(server).run(ctx))
    await ctx.wait_until(lambda: streaming(ctx))
    await server.drop_streams()
    with pytest.raises(SourceError) as info:
        await asyncio.wait_for(task, 10)
    host = server.base_url.removeprefix("http://")
    assert str(info.value) == f"{host} closed the #Werkstolz stream; reconnecting"

    missed = server.add()  # published while nobody listened
    rounds = len(ctx.healthy)
    async with running(streaming_source(server), ctx):
        await ctx.wait_until(lambda: missed["uri"] in ctx.posts and len(ctx.healthy) > rounds)
        later = await server.publish()
        await ctx.wait_until(lambda: later["uri"] in ctx.posts)
    assert ctx.healthy[-1] == f"streaming #Werkstolz from {host}; 1 new on connect"


async def test_a_stream_does_not_move_the_cursor_past_an_unfinished_backfill(
        server: FakeMastodon, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_PAGES", 1)
    server.token = TOKEN
    ctx = Context(http, cursor={"min_id": {key(server): server.add()["id"]}})
    backlog = [server.add() for _ in range(50)]
    task = asyncio.create_task(streaming_source(server).run(ctx))
    await ctx.wait_until(lambda: streaming(ctx))
    assert ctx.healthy[-1].endswith("; 40 new on connect")
    live = await server.publish()
    await ctx.wait_until(lambda: live["uri"] in ctx.posts)
    assert ctx.cursor == {"min_id": {key(server): backlog[39]["id"]}}  # not live["id"]
    await server.drop_streams()
    with pytest.raises(SourceError):
        await asyncio.wait_for(task, 10)

    async with running(streaming_source(server), ctx):
        await ctx.wait_until(lambda: all(s["uri"] in ctx.posts for s in backlog))
    assert ctx.cursor == {"min_id": {key(server): live["id"]}}


async def test_a_stream_refused_for_a_wrong_token_says_so(server: FakeMastodon,
                                                          http: httpx.AsyncClient) -> None:
    server.token = "another-token"
    message = await failure(streaming_source(server), Context(http))
    assert "refused the #Werkstolz stream" in message and "HTTP 403" in message


async def test_streaming_to_a_private_address_needs_permission(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    server.token = TOKEN
    message = await failure(streaming_source(server, allow_private=False), Context(http))
    assert "refusing to stream from 127.0.0.1: 127.0.0.1 is a private or local address" \
        in message
    assert server.streams == []


# Re-checking shown posts ----------------------------------------------------------------------

def shown(server: FakeMastodon, status: dict[str, Any]) -> ShownPost:
    return ShownPost(status["uri"], status["url"],
                     {"instance": server.base_url, "id": status["id"]})


async def test_the_recheck_removes_deleted_posts_and_keeps_the_others(
        server: FakeMastodon, http: httpx.AsyncClient) -> None:
    alive, broken = server.add(), server.add()
    server.broken_ids.add(broken["id"])
    gone = {"uri": "https://mastodon.social/users/Gargron/statuses/1", "url": None,
            "id": "108000000000000001"}
    elsewhere = ShownPost("https://elsewhere.example/1", None,
                          {"instance": "https://elsewhere.example", "id": "1"})
    ctx = Context(http)
    ctx.shown = [shown(server, alive), shown(server, gone), shown(server, broken), elsewhere]
    async with running(source(server, recheck_interval_seconds=0.01), ctx):
        await server.wait_for(lambda: len(server.seen("/statuses/")) >= 5)
    assert ctx.deleted == [gone["uri"]]
    assert [post.external_id for post in ctx.shown] == [alive["uri"], broken["uri"],
                                                        elsewhere.external_id]
    assert {seen.path.rsplit("/", 1)[1] for seen in server.seen("/statuses/")} == {
        alive["id"], gone["id"], broken["id"]}


async def test_the_recheck_is_bounded_and_takes_turns(
        server: FakeMastodon, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_RECHECKS", 2)
    statuses = [server.add() for _ in range(3)]
    ctx = Context(http)
    ctx.shown = [shown(server, status) for status in statuses]
    async with running(source(server, recheck_interval_seconds=0.01), ctx):
        await server.wait_for(lambda: len(server.seen("/statuses/")) >= 6)
    checked = [seen.path.rsplit("/", 1)[1] for seen in server.seen("/statuses/")[:6]]
    ids = [status["id"] for status in statuses]
    assert checked == [ids[0], ids[1], ids[2], ids[0], ids[1], ids[2]]
    assert ctx.deleted == []


# Settings -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("config", "message"), [
    ({"instances": [{"url": "mastodon.social"}]},
     "'mastodon.social' is not a Mastodon server address: write it as https://"),
    ({"instances": [{"url": "ftp://mastodon.social"}]}, "is not a Mastodon server address"),
    ({"instances": [{"url": "https://mastodon.social/@Gargron"}]},
     "give only https://mastodon.social, without a path"),
    ({"instances": [{"url": "https://mastodon.social"}], "streaming": True},
     "streaming needs a user access token, but instance https://mastodon.social has none"),
    ({"instances": []}, "list at least one Mastodon instance"),
    ({"instances": [{"url": "https://a.example"}, {"url": "HTTPS://A.example/"}]},
     "instance https://a.example is listed more than once"),
    ({"instances": [{"url": "https://a.example", "token": "x"}]}, "Extra inputs"),
    ({"instances": [{"url": "https://a.example"}], "poll_interval_seconds": -1},
     "greater than or equal to 0"),
])
def test_unusable_settings_are_refused_in_words(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        MastodonSourceSettings.model_validate({"type": "mastodon", **config})


def test_settings_normalise_urls_and_keep_tokens_out_of_reprs() -> None:
    settings = MastodonSourceSettings.model_validate({
        "type": "mastodon", "streaming": True,
        "instances": [{"url": "HTTPS://Mastodon.Social/", "access_token": " abc "},
                      {"url": "http://[::1]:3000", "access_token": "def"}]})
    assert [instance.url for instance in settings.instances] == [
        "https://mastodon.social", "http://[::1]:3000"]
    assert settings.instances[0].access_token == "abc"
    assert "abc" not in repr(settings)
    assert (settings.name, settings.poll_interval_seconds, settings.recheck_interval_seconds,
            settings.only_media) == ("mastodon", 30.0, 120.0, False)
    blank = MastodonSourceSettings.model_validate({
        "type": "mastodon", "instances": [{"url": "https://a.example", "access_token": " "}]})
    assert blank.instances[0].access_token is None
