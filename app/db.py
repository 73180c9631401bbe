"""The database engine and sessions: SQLite (default, embedded) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Executable, Row, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from app.sqlite_driver import SQLiteConnection, sqlite_dbapi

SQLITE_BUSY_TIMEOUT_MS = 10_000

Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")


def create_engine(url: str) -> AsyncEngine:
    """Build the engine; for SQLite create the file's folder and set WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)

    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, module=sqlite_dbapi(),
                                 connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: AsyncEngine) -> None:
    # Python's sqlite3 module only begins a transaction before a write, so two reads in one
    # "transaction" could see different states. Let SQLAlchemy emit BEGIN itself, as its
    # documentation recommends; writers ask for BEGIN IMMEDIATE so that they queue on the
    # busy timeout instead of failing when they upgrade from reading to writing.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("single_read", False):
            return  # one statement is consistent on its own (see read())
        begin = "BEGIN IMMEDIATE" if options.get("write", False) else "BEGIN"
        driver = conn.connection.dbapi_connection
        if isinstance(driver, SQLiteConnection):
            driver.defer_begin(begin)  # sent with the first statement: one trip less
        else:
            conn.exec_driver_sql(begin)


def create_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def writing(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that is going to write; commits on success."""
    async with sessions() as session, session.begin():
        await session.connection(execution_options={"write": True})
        yield session


async def write(sessions: Sessions, work: Callable[[Session], T]) -> T:
    """Run `work` in a transaction that is going to write, and commit; roll back if it raises.

    `work` is synchronous SQLAlchemy code. On SQLite it runs in SQLite's thread, where its
    statements and the commit make one trip between threads together instead of one each
    (an approval: one trip instead of eight, bench/README.md); on other databases it runs
    through SQLAlchemy's `run_sync`, statement by statement on the async driver.
    """
    async with sessions() as session:
        connection = await session.connection(execution_options={"write": True})
        driver = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]

        def transaction(sync_session: Session) -> T:
            try:
                result = work(sync_session)
                sync_session.commit()
            except BaseException:
                sync_session.rollback()
                raise
            return result

        if isinstance(driver, SQLiteConnection):
            return await driver.run_sync(transaction, session.sync_session)
        return await session.run_sync(transaction)


async def read(sessions: Sessions, statement: Executable,
               parameters: dict[str, Any]) -> Sequence[Row[Any]]:
    """The rows of a single read statement, on a bare connection: no ORM session, and on
    SQLite no transaction around it, a statement being consistent on its own. For what every
    request reads (its caller's credential and access), where a session's own work would be a
    good part of the time."""
    engine: AsyncEngine = sessions.kw["bind"]
    async with engine.connect() as connection:
        connection = await connection.execution_options(single_read=True)
        return (await connection.execute(statement, parameters)).all()


@asynccontextmanager
async def reading(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session whose reads all see one consistent state of the database."""
    async with sessions() as session:
        options: dict[str, Any] = {}
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        async with session.begin():
            await session.connection(execution_options=options)
            yield session
