"""app/post_rules.py through app/posts.py: rules decide at ingest, and say why on the card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.db import writing
from app.models import Event, Post
from app.posts import PostStore
from app.pubsub import Hub, MemoryBackend
from ingest.base import Author
from tests.factories import Seeded, normalized, seeded

RULES: dict[str, Any] = {
    "blocked_words": ["Konkurrenz*"],
    "trusted_authors": ["@ceo@brandt.example"],
    "blocked_authors": ["@troll@spam.example"],
    "blocked_domains": ["spam.example"],
}


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[tuple[Seeded, PostStore]]:
    async with seeded(database_url, rules=RULES) as db:
        yield db, PostStore(db.sessions, Hub(MemoryBackend()))


async def _ingest(world: tuple[Seeded, PostStore], external_id: str, text: str,
                  handle: str = "@anna@social.example", **fields: Any) -> Post:
    db, store = world
    result = await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                post=normalized(external_id, text,
                                                author=Author("Someone", handle), **fields))
    async with db.sessions() as session:
        return await session.get_one(Post, result.post_id)


async def test_a_blocked_word_keeps_a_post_for_a_human_with_the_reason(world: Any) -> None:
    post = await _ingest(world, "w1", "Die KONKURRENZFIRMA ist besser #Werkstolz")
    assert post.status == "pending"
    assert post.flags == [{"rule": "blocked_word", "detail": post.flags[0]["detail"],
                           "code": "blocked_word", "values": {"word": "Konkurrenz*"}}]
    assert "konkurrenz*" in post.flags[0]["detail"].casefold()


async def test_a_trusted_author_goes_up_unless_another_rule_flags_it(world: Any) -> None:
    trusted = await _ingest(world, "t1", "Willkommen zum Summit! #Werkstolz",
                            handle="@CEO@brandt.example")
    assert (trusted.status, trusted.decided_by) == ("approved", "rules")
    flagged = await _ingest(world, "t2", "Die Konkurrenz schläft nicht #Werkstolz",
                            handle="@ceo@brandt.example")
    assert flagged.status == "pending"
    assert {f["rule"] for f in flagged.flags} == {"blocked_word", "trusted_author"}
    warned = await _ingest(world, "t3", "Zahlen! #Werkstolz", handle="@ceo@brandt.example",
                           content_warning="Spoiler")
    assert warned.status == "pending"


async def test_blocked_authors_and_domains_are_rejected_with_the_reason(world: Any) -> None:
    troll = await _ingest(world, "b1", "Hallo #Werkstolz", handle="@troll@spam.example")
    assert (troll.status, troll.decided_by) == ("rejected", "rules")
    assert troll.flags[0]["rule"] == "blocked_author"
    link = await _ingest(world, "b2", "Schaut mal https://shop.spam.example/deal #Werkstolz")
    assert link.status == "rejected" and link.flags[0]["rule"] == "blocked_domain"


async def test_post_moderation_never_shows_a_flagged_post(database_url: str) -> None:
    async with seeded(database_url, rules=RULES, moderation="post") as db:
        store = PostStore(db.sessions, Hub(MemoryBackend()))
        plain = await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                   post=normalized("p1", "Super Stimmung #Werkstolz"))
        word = await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                  post=normalized("p2", "Konkurrenz! #Werkstolz"))
    assert (plain.status, word.status) == ("approved", "pending")


async def test_an_edit_gets_the_rules_applied_again(world: Any) -> None:
    post = await _ingest(world, "e1", "Alles gut #Werkstolz")
    assert post.flags == []
    edited = await _ingest(world, "e1", "Die Konkurrenz ist besser #Werkstolz",
                           edited_at=datetime(2026, 11, 22, 11, 0, tzinfo=UTC))
    assert [f["rule"] for f in edited.flags] == ["blocked_word"]


async def test_blocking_an_author_later_takes_their_posts_down(database_url: str) -> None:
    async with seeded(database_url) as db:
        store = PostStore(db.sessions, Hub(MemoryBackend()))
        shown = await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                   post=normalized("x1", "Hallo #Werkstolz",
                                                   author=Author("T", "@troll@spam.example")),
                                   auto_approve=True)
        waiting = await store.ingest(event_id=db.event_id, source_id=db.source_id,
                                     post=normalized("x2", "Nochmal #Werkstolz",
                                                     author=Author("T", "@troll@spam.example")))
        await store.ingest(event_id=db.event_id, source_id=db.source_id,
                           post=normalized("x3", "Ich bin nett #Werkstolz"),
                           auto_approve=True)
        assert shown.status == "approved" and waiting.status == "pending"
        async with writing(db.sessions) as session:
            event = await session.get_one(Event, db.event_id)
            event.rules = {"blocked_authors": ["troll@spam.example"]}
        assert await store.enforce_rules(db.event_id) == 2
        async with db.sessions() as session:
            statuses = dict((await session.execute(select(Post.external_id, Post.status))).all())
    assert statuses == {"x1": "retracted", "x2": "rejected", "x3": "approved"}
