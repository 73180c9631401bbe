"""ingest/demo.py and its bundled posts: a realistic offline wall, replayed in order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.base import IngestResult, MediaItem, NormalizedPost
from ingest.demo import (
    DEMO_MEDIA_PATH,
    DemoSource,
    DemoSourceSettings,
    demo_data_dir,
    load_demo_posts,
    to_post,
)
from tests.factories import write_demo_posts

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


class Stop(Exception):
    """Raised by the fake context to end a source that would loop forever."""


class FakeContext:
    """A SourceContext that records what the source does."""

    def __init__(self, cursor: dict[str, Any] | None = None, stop_after: int | None = None
                 ) -> None:
        self.emitted: list[NormalizedPost] = []
        self.cursor: dict[str, Any] = dict(cursor or {})
        self.healthy: list[str] = []
        self.stop_after = stop_after

    @property
    def hashtags(self) -> tuple[str, ...]:
        return ("Werkstolz", "KundenZuFans")

    async def emit(self, post: NormalizedPost) -> IngestResult:
        self.emitted.append(post)
        return IngestResult(post_id=len(self.emitted), created=True, status="pending")

    async def load_cursor(self) -> dict[str, Any]:
        return dict(self.cursor)

    async def save_cursor(self, cursor: dict[str, Any]) -> None:
        self.cursor = dict(cursor)
        if self.stop_after is not None and len(self.emitted) >= self.stop_after:
            raise Stop

    def mark_healthy(self, detail: str = "") -> None:
        self.healthy.append(detail)

    @property
    def ids(self) -> list[str]:
        return [post.external_id for post in self.emitted]


def _source(posts_file: Path, **options: Any) -> DemoSource:
    settings = {"type": "demo", "interval_seconds": 0, "loop": False,
                "posts_file": str(posts_file), **options}
    return DemoSource(DemoSourceSettings.model_validate(settings))


@pytest.fixture(scope="module")
def bundled() -> list[dict[str, Any]]:
    return load_demo_posts()


def test_the_bundled_posts_are_complete_entries(bundled: list[dict[str, Any]]) -> None:
    ids = [entry["id"] for entry in bundled]
    assert len(bundled) >= 20
    assert len(set(ids)) == len(ids)
    for entry in bundled:
        assert entry["author"]["name"] and entry["author"]["handle"].startswith("@"), entry["id"]
        assert entry["text"].strip(), entry["id"]
        post = to_post(entry, 0, NOW)
        assert post.external_id == entry["id"]
        assert post.hashtags, f"{entry['id']} has no hashtag"
        assert all(item.alt for item in post.media), f"{entry['id']} has an image without alt"


def test_every_referenced_file_is_bundled(bundled: list[dict[str, Any]]) -> None:
    folder = demo_data_dir()
    referenced = {media["file"] for entry in bundled for media in entry.get("media", [])}
    referenced |= {entry["author"]["avatar"] for entry in bundled
                   if entry["author"].get("avatar")}

    missing = sorted(name for name in referenced if not (folder / name).is_file())
    assert missing == []
    assert any(name.startswith("avatar-") for name in referenced)


def test_the_bundled_posts_show_what_a_wall_must_handle(bundled: list[dict[str, Any]]) -> None:
    langs = {entry["lang"] for entry in bundled}
    tags = {tag for entry in bundled for tag in to_post(entry, 0, NOW).hashtags}
    warned = [entry for entry in bundled if entry.get("content_warning")]

    assert {"de", "en"} <= langs
    assert {"Werkstolz", "KundenZuFans"} <= tags
    assert len(warned) == 1
    assert warned[0]["sensitive"] is True
    assert [e["id"] for e in bundled if e.get("sensitive")] == [warned[0]["id"]]
    assert any(len(entry["text"]) > 400 for entry in bundled)
    assert any(ord(char) >= 0x1F300 for entry in bundled for char in entry["text"])
    assert any(entry.get("media") for entry in bundled)
    assert any(not entry.get("media") for entry in bundled)


def test_an_empty_posts_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "posts.json"
    path.write_text("[]", encoding="utf-8")

    with pytest.raises(ValueError, match="non-empty JSON list"):
        load_demo_posts(path)


def test_to_post_gives_each_round_its_own_id(bundled: list[dict[str, Any]]) -> None:
    entry = bundled[0]

    assert to_post(entry, 0, NOW).external_id == "demo-01"
    assert to_post(entry, 1, NOW).external_id == "demo-01~r1"
    assert to_post(entry, 2, NOW).external_id == "demo-01~r2"


def test_to_post_maps_author_media_and_warning() -> None:
    entry = {
        "id": "cw", "lang": "de", "text": "Zahlen! #Werkstolz",
        "author": {"name": "Jörg", "handle": "@joerg@x.example", "avatar": "avatar-joerg.png"},
        "media": [{"file": "chart.jpg", "alt": "Balken", "width": 800, "height": 600}],
        "content_warning": "Spoiler", "sensitive": True,
    }

    post = to_post(entry, 0, NOW)

    assert post.author.avatar_url == f"{DEMO_MEDIA_PATH}/avatar-joerg.png"
    assert post.media == (MediaItem(kind="image", url=f"{DEMO_MEDIA_PATH}/chart.jpg",
                                    preview_url=f"{DEMO_MEDIA_PATH}/chart.jpg", alt="Balken",
                                    width=800, height=600),)
    assert (post.content_warning, post.sensitive) == ("Spoiler", True)
    assert post.created_at == NOW
    assert post.lang == "de"

    plain = to_post({"id": "p", "text": "x", "author": {"name": "A", "handle": "@a"}}, 0, NOW)
    assert plain.author.avatar_url is None
    assert (plain.media, plain.content_warning, plain.sensitive) == ((), None, False)


def test_to_post_extracts_hashtags_once_in_order() -> None:
    entry = {"id": "t", "author": {"name": "A", "handle": "@a"},
             "text": "#Werkstolz heute, #KundenZuFans morgen, #Werkstolz immer #Summit26"}

    assert to_post(entry, 0, NOW).hashtags == ("Werkstolz", "KundenZuFans", "Summit26")


def test_to_post_escapes_html_in_the_text() -> None:
    text = 'Seht <script>alert("hi")</script> & <b>staunt</b>\n\nZweiter Absatz\nneue Zeile'
    entry = {"id": "h", "author": {"name": "A", "handle": "@a"}, "text": text}

    post = to_post(entry, 0, NOW)

    assert post.text == text
    assert post.html == ("<p>Seht &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; "
                         "&lt;b&gt;staunt&lt;/b&gt;</p><p>Zweiter Absatz<br>neue Zeile</p>")


async def test_run_emits_every_post_in_order_then_stops(tmp_path: Path) -> None:
    ctx = FakeContext()

    await _source(write_demo_posts(tmp_path / "posts.json", 3)).run(ctx)

    assert ctx.ids == ["p01", "p02", "p03"]
    assert ctx.emitted[0].text == "Beitrag Nummer 1 #Werkstolz"
    assert ctx.cursor == {"position": 3}
    assert ctx.healthy[-1] == "all 3 demo posts replayed"


async def test_run_resumes_from_the_saved_cursor(tmp_path: Path) -> None:
    ctx = FakeContext(cursor={"position": 2})

    await _source(write_demo_posts(tmp_path / "posts.json", 4)).run(ctx)

    assert ctx.ids == ["p03", "p04"]
    assert ctx.cursor == {"position": 4}


async def test_run_after_the_last_post_emits_nothing_more(tmp_path: Path) -> None:
    ctx = FakeContext(cursor={"position": 3})

    await _source(write_demo_posts(tmp_path / "posts.json", 3)).run(ctx)

    assert ctx.emitted == []
    assert ctx.healthy == ["all 3 demo posts replayed"]


async def test_run_with_loop_starts_new_rounds_with_new_ids(tmp_path: Path) -> None:
    ctx = FakeContext(cursor={"position": 1}, stop_after=4)

    with pytest.raises(Stop):
        await _source(write_demo_posts(tmp_path / "posts.json", 2), loop=True).run(ctx)

    assert ctx.ids == ["p02", "p01~r1", "p02~r1", "p01~r2"]
    assert ctx.cursor == {"position": 5}
    assert ctx.healthy == [f"replayed {n} posts" for n in (2, 3, 4)]


async def test_run_replays_the_bundled_posts_by_default() -> None:
    ctx = FakeContext()
    source = DemoSource(DemoSourceSettings(type="demo", interval_seconds=0, loop=False))

    await source.run(ctx)

    assert ctx.ids == [entry["id"] for entry in load_demo_posts()]
