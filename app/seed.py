"""Apply config.yaml to the database, where events, walls and sources live as data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import EventConfig, Settings
from app.db import Sessions, writing
from app.models import Event, Source, Wall


async def apply_settings(sessions: Sessions, settings: Settings) -> None:
    """Create or update every event, wall and source that config.yaml lists.

    Events the file does not list are left alone (they may come from the organizer's console).
    Within a listed event, walls the file no longer lists are removed and sources it no longer
    lists are disabled; their posts stay.
    """
    async with writing(sessions) as session:
        for config in settings.events:
            await _apply_event(session, config)


async def _apply_event(session: AsyncSession, config: EventConfig) -> None:
    event = await session.scalar(select(Event).where(Event.slug == config.slug))
    if event is None:
        event = Event(slug=config.slug, last_seq=0, rules={})
        session.add(event)
    event.name = config.name
    event.hashtags = list(config.hashtags)
    event.moderation = config.moderation
    event.rules = config.rules.model_dump(mode="json")
    await session.flush()

    walls = {
        w.slug: w for w in await session.scalars(select(Wall).where(Wall.event_id == event.id))
    }
    for wall_config in config.walls:
        wall = walls.pop(wall_config.slug, None)
        if wall is None:
            # A slug may move between events in the file: take it over.
            wall = await session.scalar(select(Wall).where(Wall.slug == wall_config.slug))
            if wall is None:
                wall = Wall(slug=wall_config.slug)
                session.add(wall)
        wall.event_id = event.id
        wall.title = wall_config.title
        wall.layout = wall_config.layout
        wall.max_posts = wall_config.max_posts
        wall.theme = wall_config.theme.model_dump()
        wall.options = wall_config.options()
        wall.access = wall_config.access
    for old_wall in walls.values():
        await session.delete(old_wall)
    await session.flush()  # deletes first, so a slug can be reused in the same run

    sources = {
        s.name: s for s in await session.scalars(select(Source).where(Source.event_id == event.id))
    }
    for source_config in config.sources:
        source = sources.pop(source_config.name, None)
        if source is None:
            source = Source(event_id=event.id, name=source_config.name, cursor={})
            session.add(source)
        if source.type != source_config.type:
            source.cursor = {}  # a cursor of another kind of source means nothing here
        source.type = source_config.type
        source.config = source_config.model_dump(mode="json")
        source.enabled = source_config.enabled
    for old_source in sources.values():
        old_source.enabled = False
