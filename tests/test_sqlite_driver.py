"""app/sqlite_driver.py and app/db.py's SQLite set-up: one trip per statement, and results as
SQLAlchemy's own aiosqlite driver gives them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from app.db import create_engine, create_sessions, read, reading, write, writing
from tests.factories import count_trips


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_trips(monkeypatch)


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
    rows = await read(sessions, text("SELECT id, name FROM t WHERE name = :n"), {"n": "a"})
    assert [(row.id, row.name) for row in rows] == [(1, "a")]
    assert trips == ["SELECT"]  # a bare connection, no transaction around a single read
    trips.clear()
    async with reading(sessions) as session:
        await session.execute(text("SELECT name FROM t"))
    assert trips == ["BEGIN + SELECT", "commit"]  # reading() commits its read
    trips.clear()
    async with writing(sessions):
        pass  # nothing written: nothing begun, nothing to commit
    assert trips == []
    assert await read(sessions, text("SELECT id FROM t WHERE id > 9"), {}) == []
    assert trips == ["SELECT"]  # and the next connection starts clean


async def test_write_runs_a_whole_transaction_in_one_trip(
        engine: AsyncEngine, trips: list[str]) -> None:
    sessions = create_sessions(engine)

    def work(session: Session) -> list[str]:
        session.execute(text("INSERT INTO t (name) VALUES ('Grüße')"))
        session.execute(text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}])
        session.execute(text("UPDATE t SET name = name || '!' WHERE name != 'b'"))
        return list(session.scalars(text("SELECT name FROM t ORDER BY id")))

    assert await write(sessions, work) == ["Grüße!", "b", "c!"]
    assert trips == ["transaction"]  # statements, BEGIN IMMEDIATE and COMMIT: one trip
    # Committed, and the connection is usable again.
    assert (await read(sessions, text("SELECT count(*) FROM t"), {}))[0][0] == 3


async def test_write_rolls_back_in_the_same_trip_when_the_work_raises(
        engine: AsyncEngine, trips: list[str]) -> None:
    sessions = create_sessions(engine)

    def work(session: Session) -> None:
        session.execute(text("INSERT INTO t (name) VALUES ('kept?')"))
        session.execute(text("SELECT * FROM missing"))

    with pytest.raises(Exception, match="no such table"):
        await write(sessions, work)
    assert trips == ["transaction"]
    assert (await read(sessions, text("SELECT count(*) FROM t"), {}))[0][0] == 0


async def test_a_cancelled_write_lets_its_transaction_finish_before_giving_up_the_session(
        engine: AsyncEngine, trips: list[str]) -> None:
    """The thread cannot be stopped half-way: the caller waits for it rather than closing (and
    rolling back) a session the thread is still using."""
    sessions = create_sessions(engine)
    started, release = threading.Event(), threading.Event()

    def work(session: Session) -> None:
        session.execute(text("INSERT INTO t (name) VALUES ('finished')"))
        started.set()
        assert release.wait(10)

    task = asyncio.create_task(write(sessions, work))
    assert await asyncio.to_thread(started.wait, 10)
    task.cancel()
    for _ in range(5):  # let the cancellation reach the task
        await asyncio.sleep(0)
    assert not task.done()  # still waiting for the thread
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert trips == ["transaction"]  # the session was closed after the commit: no rollback
    assert (await read(sessions, text("SELECT name FROM t"), {}))[0][0] == "finished"
