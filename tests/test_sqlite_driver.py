"""app/sqlite_driver.py and app/db.py's SQLite set-up: one trip per statement, and results as
SQLAlchemy's own aiosqlite driver gives them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine, create_sessions, lookup, reading, writing


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made in aiosqlite's thread, by name."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn.__name__ == "_run":  # (connection, begin, operation, ...)
            made.append(" + ".join(filter(None, (args[1], args[2].split()[0]))))
        else:
            made.append(fn.__name__)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_statements_give_rows_counts_and_ids(engine: AsyncEngine) -> None:
    sessions = create_sessions(engine)
    async with writing(sessions) as session:
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('Jürgen 🎉')"))
        assert inserted.lastrowid == 1  # type: ignore[attr-defined]
        await session.execute(text("INSERT INTO t (name) VALUES (:name)"),
                              [{"name": "Ana"}, {"name": "Zoë"}])  # executemany
        updated = await session.execute(text("UPDATE t SET name = upper(name) WHERE id > 1"))
        assert updated.rowcount == 2  # type: ignore[attr-defined]
    async with reading(sessions) as session:
        rows = (await session.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        nothing = (await session.execute(text("SELECT id FROM t WHERE id > 9"))).all()
    # SQLite's upper() changes ASCII letters only.
    assert [tuple(row) for row in rows] == [(1, "Jürgen 🎉"), (2, "ANA"), (3, "ZOë")]
    assert nothing == []


async def test_an_error_is_sqlites_and_the_transaction_is_undone(engine: AsyncEngine) -> None:
    sessions = create_sessions(engine)
    with pytest.raises(Exception, match="no such table"):
        async with writing(sessions) as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('kept?')"))
            await session.execute(text("SELECT * FROM missing"))
    async with reading(sessions) as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_one_trip_per_statement_and_none_for_a_rollback_of_nothing(
        engine: AsyncEngine, trips: list[str]) -> None:
    sessions = create_sessions(engine)
    async with writing(sessions) as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('a')"))
    # The transaction begins with its first statement; no cursor trips, no rollback on return.
    assert trips == ["BEGIN IMMEDIATE + INSERT", "commit"]
    trips.clear()
    async with lookup(sessions) as session:
        assert (await session.execute(text("SELECT name FROM t"))).scalar_one() == "a"
    assert trips == ["SELECT"]  # no transaction around a single read
    trips.clear()
    async with reading(sessions) as session:
        await session.execute(text("SELECT name FROM t"))
    assert trips == ["BEGIN + SELECT", "commit"]  # reading() commits its read
    trips.clear()
    async with writing(sessions):
        pass  # nothing written: nothing begun, nothing to commit
    assert trips == []
    async with lookup(sessions) as session:  # and the next session starts clean
        await session.execute(text("SELECT name FROM t"))
    assert trips == ["SELECT"]
