"""SQLAlchemy's aiosqlite driver, with one trip to SQLite's thread per statement, or per
transaction.

aiosqlite runs SQLite in a thread of its own, and SQLAlchemy's adapter makes four trips to it
for every statement: open a cursor, execute, fetch the rows, close the cursor. Each trip is a
hand-over between threads (a queue, a wake-up, a call back into the event loop), and together
they were most of an approval's time (bench/README.md). This adapter does the four steps in one
trip, begins a transaction in the trip of its first statement, and makes no trip to commit or
roll back when no transaction is open.

`run_sync(fn)` goes further: it runs synchronous SQLAlchemy code (a whole transaction, say) in
SQLite's thread, where the connection's statements, commit and rollback execute directly, so the
whole of it is one trip. Everything else (connections, errors) is SQLAlchemy's and aiosqlite's.

    create_async_engine("sqlite+aiosqlite:///...", module=sqlite_dbapi())
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")


def _run(connection: sqlite3.Connection, begin: str | None, operation: Any, parameters: Any,
         many: bool) -> tuple[sqlite3.Cursor, list[Any] | None]:
    """In SQLite's thread: begin the transaction if one is waiting to, execute, and fetch the
    rows if the statement returns any."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    if many:
        cursor.executemany(operation, parameters)
    else:
        cursor.execute(operation, () if parameters is None else parameters)
    rows = cursor.fetchall() if cursor.description else None
    # Done with it here: the thread that made it closes it. Its description, rowcount and
    # lastrowid stay readable.
    cursor.close()
    return cursor, rows


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds a finished sqlite3 cursor and its rows."""

    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No trip to open an aiosqlite cursor: the statement's own trip makes one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # a sqlite3.Cursor after execute
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int:
        return self._cursor.lastrowid

    # Inside run_sync (in SQLite's thread already) a statement runs directly: no trip at all.
    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not self._adapt_connection.in_own_thread():  # type: ignore[attr-defined]
            return super().execute(operation, parameters)
        return self._direct(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if not self._adapt_connection.in_own_thread():  # type: ignore[attr-defined]
            return super().executemany(operation, seq_of_parameters)
        return self._direct(operation, seq_of_parameters, many=True)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._trip(operation, seq_of_parameters, many=True)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: _Connection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            begin, adapted.pending_begin = adapted.pending_begin, None
            self._cursor, rows = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, begin, operation, parameters, many)
        if rows is not None:
            self._rows = collections.deque(rows)
        return self._cursor

    def _direct(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        adapted: _Connection = self._adapt_connection  # type: ignore[assignment]
        begin, adapted.pending_begin = adapted.pending_begin, None
        try:
            cursor, rows = _run(adapted.aio._conn, begin, operation, parameters, many)
        except Exception as error:
            adapted._handle_exception(error)
        self._cursor = cursor  # type: ignore[assignment]
        if rows is not None:
            self._rows = collections.deque(rows)
        return self._cursor

    async def _async_soft_close(self) -> None:
        return None  # closed in its thread already

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("aio", "pending_begin")
    _cursor_cls = _Cursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)  # type: ignore[arg-type]
        self.aio = connection
        self.pending_begin: str | None = None

    def defer_begin(self, statement: str) -> None:
        """Begin the transaction (BEGIN or BEGIN IMMEDIATE) in the trip of its first statement
        rather than in a trip of its own."""
        self.pending_begin = statement

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in SQLite's thread, where this connection's statements, commit and
        rollback execute directly: one trip however many statements `fn` makes. Nothing else
        may use the connection meanwhile (the same lock as a statement's trip)."""
        async with self._execute_mutex:
            done = asyncio.ensure_future(self.aio._execute(fn, *args))  # type: ignore[no-untyped-call]
            try:
                result: T = await asyncio.shield(done)
            except asyncio.CancelledError:
                # The thread goes on with fn regardless: what fn uses (a session) must not be
                # touched, closed or rolled back, until it is done.
                await asyncio.wait({done})
                raise
        return result

    def in_own_thread(self) -> bool:
        """Whether the caller runs in SQLite's thread (inside run_sync)."""
        return threading.get_ident() == self.aio._thread.ident

    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        # SQLAlchemy rolls back when a session ends and again when the pool takes the
        # connection back: with no transaction open there is nothing to do, and no trip.
        self._end("rollback")

    def _end(self, how: str) -> None:
        """Commit or roll back: nothing if no transaction is open, directly inside run_sync,
        else in a trip of its own."""
        if self._idle():
            return
        if not self.in_own_thread():
            getattr(super(), how)()
            return
        try:
            getattr(self.aio._conn, how)()
        except Exception as error:
            self._handle_exception(error)

    def _idle(self) -> bool:
        """No transaction open (reading that needs no trip); one waiting to begin is dropped."""
        self.pending_begin = None
        raw = self._connection._connection
        return raw is not None and not raw.in_transaction


SQLiteConnection = _Connection  # what app/db.py hands its BEGIN to, and runs transactions with


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # As SQLAlchemy's connect (aiosqlite 0.22+), with our connection class.
        creator = kw.pop("async_creator_fn", None)
        connection = (creator or self.aiosqlite.connect)(*arg, **kw)
        connection._thread.daemon = True
        return _Connection(self, await_(connection))


def sqlite_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DB-API module to hand `create_async_engine(..., module=...)` for sqlite+aiosqlite."""
    return _DBAPI(aiosqlite, sqlite3)
