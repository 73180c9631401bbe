"""Fixtures: every database test runs on SQLite, and on PostgreSQL too when
SOCIALWALL_TEST_DATABASE_URL names one (CI sets it; then an unreachable server fails the run)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import normalise_database_url

POSTGRES_ENV = "SOCIALWALL_TEST_DATABASE_URL"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a new SQLite file, or a PostgreSQL database with a fresh schema."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url = normalise_database_url(os.environ[POSTGRES_ENV])
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield url
