"""Fixtures: every database test runs on SQLite, and on PostgreSQL too when
SOCIALWALL_TEST_DATABASE_URL names one (CI sets it; then an unreachable server fails the run)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import normalise_database_url

POSTGRES_ENV = "SOCIALWALL_TEST_DATABASE_URL"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


async def _execute_autocommit(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of this test run's own on the server SOCIALWALL_TEST_DATABASE_URL names,
    so that two runs at once (or a developer's run beside CI's) cannot disturb each other."""
    if not os.environ.get(POSTGRES_ENV):
        yield None
        return
    server = normalise_database_url(os.environ[POSTGRES_ENV])
    name = f"socialwall_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute_autocommit(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute_autocommit(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                       postgres_url: str | None) -> AsyncIterator[str]:
    """An empty database: a new SQLite file, or the run's PostgreSQL database, emptied."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    assert postgres_url is not None
    url = postgres_url
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield url
