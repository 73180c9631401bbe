"""app/config.py: the shipped settings load, and every mistake is named where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import ConfigError, Settings, load_settings, normalise_database_url

SHIPPED_CONFIG = Path(__file__).parents[1] / "config.yaml"


def _event(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "slug": "summit", "name": "Summit", "hashtags": ["Werkstolz"],
        "walls": [{"slug": "main"}], "sources": [{"type": "demo", "name": "demo"}],
    }
    return {**event, **fields}


def _write(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def _load(path: Path, environ: dict[str, str] | None = None) -> Settings:
    return load_settings(path, environ={} if environ is None else environ)


def _error(tmp_path: Path, settings: Any) -> str:
    """The message of the ConfigError that loading these settings raises."""
    with pytest.raises(ConfigError) as caught:
        _load(_write(tmp_path, settings))
    return str(caught.value)


def test_the_shipped_config_loads_with_two_walls_and_a_demo_source() -> None:
    settings = _load(SHIPPED_CONFIG)

    assert [e.slug for e in settings.events] == ["summit"]
    event = settings.events[0]
    assert [(w.slug, w.layout) for w in event.walls] == [("main", "grid"), ("foyer", "spotlight")]
    assert [(s.type, s.name) for s in event.sources] == [("demo", "demo")]
    assert {"Werkstolz", "KundenZuFans"} <= set(event.hashtags)
    assert settings.database.url.startswith("sqlite+aiosqlite://")


def test_a_minimal_file_gets_the_defaults(tmp_path: Path) -> None:
    settings = _load(_write(tmp_path, {"events": [_event()]}))

    assert settings.server.port == 8000
    assert settings.events[0].moderation == "pre"
    assert settings.events[0].walls[0].max_posts == 30


def test_an_empty_file_is_a_valid_file_without_events(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")

    assert _load(path).events == []


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    event = _event()
    event["hashtgs"] = event.pop("hashtags")

    message = _error(tmp_path, {"events": [event]})

    assert "events[0].hashtgs" in message
    assert "unknown setting 'hashtgs'" in message
    assert "did you mean 'hashtags'?" in message


def test_an_unknown_key_inside_a_source_is_checked_against_that_source_type(
        tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(
        sources=[{"type": "demo", "intervall_seconds": 3}])]})

    assert "events[0].sources[0].intervall_seconds" in message
    assert "did you mean 'interval_seconds'?" in message


def test_a_hashtag_written_with_a_hash_sign(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(hashtags=["#Werkstolz"])]})

    assert "events[0].hashtags" in message
    assert "'#Werkstolz'" in message
    assert "without '#'" in message
    assert "should be 'Werkstolz'" in message


def test_a_hashtag_with_a_space(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(hashtags=["Werk stolz"])]})

    assert "events[0].hashtags" in message
    assert "'Werk stolz' is not a hashtag" in message
    assert "letters, digits and _" in message


def test_an_unknown_source_type_is_named_with_a_suggestion(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(sources=[{"type": "demoo"}])]})

    assert "events[0].sources[0].type = 'demoo'" in message
    assert "unknown source type" in message
    assert "did you mean 'demo'?" in message


def test_a_wall_slug_used_by_two_events_names_both_places(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(), _event(slug="other", sources=[])]})

    assert "wall slug 'main' is used twice" in message
    assert "events[0].walls[0].slug" in message
    assert "events[1].walls[0].slug" in message


def test_a_source_name_used_twice_in_one_event(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(
        sources=[{"type": "demo"}, {"type": "demo", "loop": False}])]})

    assert "events[0]" in message
    assert "source name 'demo' is used twice" in message
    assert "sources[0].name and sources[1].name" in message


def test_a_wall_slug_that_is_not_a_slug(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(walls=[{"slug": "Main Stage"}])]})

    assert "events[0].walls[0].slug = 'Main Stage'" in message
    assert "lower-case letters, digits and '-'" in message


def test_a_theme_colour_cannot_inject_css(tmp_path: Path) -> None:
    attack = "red; } body { display:none"

    message = _error(tmp_path, {"events": [_event(
        walls=[{"slug": "main", "theme": {"accent": attack}}])]})

    assert f"events[0].walls[0].theme.accent = {attack!r}" in message
    assert "not a CSS colour" in message


@pytest.mark.parametrize("colour", ["#0b1020", "#FFF", "rgb(10, 16, 32)",
                                    "hsl(210 40% 50% / 0.5)", "rebeccapurple"])
def test_ordinary_theme_colours_are_accepted(tmp_path: Path, colour: str) -> None:
    settings = _load(_write(tmp_path, {"events": [_event(
        walls=[{"slug": "main", "theme": {"accent": colour}}])]}))

    assert settings.events[0].walls[0].theme.accent == colour


def test_max_posts_of_zero(tmp_path: Path) -> None:
    message = _error(tmp_path, {"events": [_event(walls=[{"slug": "main", "max_posts": 0}])]})

    assert "events[0].walls[0].max_posts = 0" in message
    assert "greater than or equal to 1" in message


def test_a_value_of_the_wrong_type(tmp_path: Path) -> None:
    message = _error(tmp_path, {"server": {"port": "eighty"}})

    assert "server.port = 'eighty'" in message
    assert "valid integer" in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  port: 8000\n events: [\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        _load(path)

    message = str(caught.value)
    assert str(path) in message
    assert "not valid YAML" in message
    assert "line 3" in message


def test_a_list_at_the_top_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, [_event()])

    assert "expected a mapping of settings at the top, got list" in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"

    with pytest.raises(ConfigError, match="no such file") as caught:
        _load(path)

    assert str(path) in str(caught.value)


def test_an_unknown_database_scheme(tmp_path: Path) -> None:
    message = _error(tmp_path, {"database": {"url": "mysql://db/socialwall"}})

    assert "database.url = 'mysql://db/socialwall'" in message
    assert "sqlite:///" in message and "postgresql://" in message


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    message = _error(tmp_path, {
        "server": {"port": "eighty"},
        "events": [_event(hashtags=["#Werkstolz"], walls=[{"slug": "Main Stage"}],
                          sources=[{"type": "demoo"}])],
    })

    problems = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(problems) == 4, message
    assert "server.port = 'eighty'" in message
    assert "events[0].hashtags" in message
    assert "events[0].walls[0].slug = 'Main Stage'" in message
    assert "events[0].sources[0].type = 'demoo'" in message
    assert message.startswith(f"{tmp_path / 'config.yaml'} is not valid:")


def test_the_environment_overrides_the_database_url(tmp_path: Path) -> None:
    path = _write(tmp_path, {"database": {"url": "sqlite:///./from-file.db"},
                             "events": [_event()]})

    settings = _load(path, {"SOCIALWALL_DATABASE_URL": "postgresql://sw:secret@db/socialwall"})

    assert settings.database.url == "postgresql+asyncpg://sw:secret@db/socialwall"
    assert _load(path).database.url == "sqlite+aiosqlite:///./from-file.db"


def test_the_environment_sets_the_database_url_when_the_file_has_none(tmp_path: Path) -> None:
    path = _write(tmp_path, {"events": [_event()]})

    settings = _load(path, {"SOCIALWALL_DATABASE_URL": "sqlite:////var/lib/sw.db"})

    assert settings.database.url == "sqlite+aiosqlite:////var/lib/sw.db"


def test_a_bad_database_url_from_the_environment_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {"events": [_event()]})

    with pytest.raises(ConfigError) as caught:
        _load(path, {"SOCIALWALL_DATABASE_URL": "redis://cache"})

    assert "database.url = 'redis://cache'" in str(caught.value)


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:p@db:5432/sw", "postgresql+asyncpg://u:p@db:5432/sw"),
    ("postgres://u@db/sw", "postgresql+asyncpg://u@db/sw"),
    ("postgresql+asyncpg://u@db/sw", "postgresql+asyncpg://u@db/sw"),
    ("sqlite:///./data/sw.db", "sqlite+aiosqlite:///./data/sw.db"),
    ("sqlite+aiosqlite:////abs/sw.db", "sqlite+aiosqlite:////abs/sw.db"),
])
def test_database_urls_get_the_async_driver(tmp_path: Path, url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected
    assert _load(_write(tmp_path, {"database": {"url": url}})).database.url == expected


@pytest.mark.parametrize(("source", "expected"), [
    ({"type": "mastodon", "instances": [{"url": "mastodon.social"}]},
     "events[0].sources[0].instances[0].url = 'mastodon.social': 'mastodon.social' is not a "
     "Mastodon server address"),
    ({"type": "mastodon", "instances": [{"url": "https://m.example/@anna"}]},
     "events[0].sources[0].instances[0].url = 'https://m.example/@anna': "),
    ({"type": "mastodon", "instances": [{"url": "https://m.example"}], "streaming": True},
     "streaming needs a user access token"),
    ({"type": "mastodon", "instances": []}, "events[0].sources[0].instances"),
    ({"type": "bluesky", "jetstream_url": "https://jetstream.example/subscribe"},
     "events[0].sources[0].jetstream_url = 'https://jetstream.example/subscribe': "),
    ({"type": "rss", "feeds": [{"url": "ftp://files.example/feed.xml"}]},
     "events[0].sources[0].feeds[0].url = 'ftp://files.example/feed.xml': "),
    ({"type": "rss", "feeds": []}, "events[0].sources[0].feeds: "),
    ({"type": "rss", "feeds": [{"url": "https://x.example/f", "keywrods": ["a"]}]},
     "unknown setting 'keywrods' (did you mean 'keywords'?)"),
    ({"type": "mastodn", "instances": []},
     "type = 'mastodn': unknown source type (known: demo, mastodon, bluesky, rss) "
     "(did you mean 'mastodon'?)"),
])
def test_real_sources_are_checked_with_clear_messages(tmp_path: Path, source: dict[str, Any],
                                                      expected: str) -> None:
    assert expected in _error(tmp_path, {"events": [_event(sources=[source])]})


def test_real_sources_are_accepted(tmp_path: Path) -> None:
    settings = _load(_write(tmp_path, {"events": [_event(sources=[
        {"type": "mastodon", "instances": [{"url": "https://mastodon.social/",
                                            "access_token": "secret"},
                                           {"url": "https://social.example",
                                            "access_token": "other"}], "streaming": True},
        {"type": "bluesky"},
        {"type": "rss", "feeds": [{"url": "https://werk.example/news.xml",
                                   "all_entries": True}]},
    ])]}))
    mastodon, bluesky, rss = settings.events[0].sources
    assert [i.url for i in mastodon.instances] == [  # type: ignore[union-attr]
        "https://mastodon.social", "https://social.example"]
    assert bluesky.name == "bluesky" and rss.name == "rss"
    assert "secret" not in repr(mastodon)


def test_a_wall_takes_a_layout_pace_rotation_qr_and_files_next_to_the_config(
        tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "assets" / "wall.css").write_text(".card { border-radius: 0 }")
    wall = {"slug": "main", "layout": "spotlight", "pace_seconds": 1.5, "rotate_seconds": 8,
            "logo": "assets/logo.svg", "custom_css": "assets/wall.css",
            "qr": {"url": "https://example.com/mitmachen", "text": "Mitmachen!"}}
    settings = _load(_write(tmp_path, {"events": [_event(walls=[wall])]}))
    loaded = settings.events[0].walls[0]
    assert loaded.layout == "spotlight"
    assert loaded.logo == (tmp_path / "assets" / "logo.svg").resolve()
    assert loaded.options() == {
        "pace_seconds": 1.5, "rotate_seconds": 8.0,
        "qr": {"url": "https://example.com/mitmachen", "text": "Mitmachen!"},
        "logo": str((tmp_path / "assets" / "logo.svg").resolve()), "background_image": None,
        "custom_css": str((tmp_path / "assets" / "wall.css").resolve())}


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("layout", "masonry", "events[0].walls[0].layout = 'masonry': Input should be 'grid', "
                          "'spotlight' or 'ticker'"),
    ("logo", "missing.png", "events[0].walls[0].logo = 'missing.png': no such file"),
    ("logo", "config.yaml", "events[0].walls[0].logo = 'config.yaml': must be one of .gif, "
                            ".jpeg, .jpg, .png, .svg, .webp"),
    ("custom_css", "style.txt", "must be one of .css"),
    ("pace_seconds", -1, "events[0].walls[0].pace_seconds = -1: Input should be greater than "
                         "or equal to 0"),
    ("qr", {"url": "javascript:alert(1)"}, "events[0].walls[0].qr.url = 'javascript:alert(1)'"),
])
def test_wall_display_mistakes_are_named(tmp_path: Path, field: str, value: Any,
                                         expected: str) -> None:
    message = _error(tmp_path, {"events": [_event(walls=[{"slug": "main", field: value}])]})
    assert expected in message
