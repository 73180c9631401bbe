"""app/migrate.py: the migrations build exactly the schema the models describe, and re-run
harmlessly."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app import migrate
from app.db import create_engine
from app.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # every start runs it: the second run changes nothing
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert differences == []
    assert {"events", "walls", "sources", "posts", "media", "moderation_actions", "users",
            "api_tokens", "login_sessions", "wall_changes", "remote_files"} <= tables
