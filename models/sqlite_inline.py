"""SQLite on the event loop itself: an SQLAlchemy async dialect over the stdlib sqlite3, no thread hop.

aiosqlite runs every statement on its own thread and hands the result back to the loop: two context
switches and a future per statement, which cost more CPU than most of fabdesk's statements themselves.
Here a statement runs inline, between two awaits, like any other short piece of CPU work.

The one thing that may not run inline is a wait: the event loop must never sleep in SQLite's busy
handler while another process (a replica, `fabdesk backup`, an import) holds the database's write lock.
So the connection runs with `busy_timeout = 0` (models/db.py) and a statement that meets SQLITE_BUSY is
retried after an `asyncio.sleep`, with SQLite's own busy handler's backoff, until `busy_wait_s` have
passed; then the usual "database is locked" error is raised, as aiosqlite's busy timeout would.

Where BUSY can happen, and why retrying is right there:
- `BEGIN IMMEDIATE`, the start of every write transaction (models/db.py): the lock is taken here, and a
  failed BEGIN has started nothing. This is the case the retry is for.
- Statements outside a transaction (the PRAGMAs on connect): they made no change when they failed.
- Inside a transaction that began IMMEDIATE, no statement can meet BUSY: it holds the write lock, and in
  WAL mode readers take no lock a writer waits for. Inside a deferred transaction (`immediate=False`, the
  backup's reader) a read does not meet it either, except during another connection's WAL recovery
  (SQLITE_BUSY_RECOVERY), which retrying waits out, exactly as SQLite's busy handler would; a write there
  upgrading to the write lock waits the same way, and when another writer has committed since the
  transaction's snapshot SQLite answers SQLITE_BUSY_SNAPSHOT, raised at once (no wait can help: the
  transaction must start again).
- COMMIT in WAL mode needs no lock the transaction does not hold; it is retried like the rest if it
  ever meets BUSY (SQLite documents a COMMIT that failed with BUSY as safe to retry).
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_only

SQLITE_BUSY = 5
SQLITE_BUSY_SNAPSHOT = 517
# SQLite's busy handler sleeps these (sqliteDefaultBusyCallback, in ms), then 100 ms a try.
BACKOFF_S = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)
DEFAULT_BUSY_WAIT_S = 15.0


class _NoWait:
    """An awaitable that is done at once: awaited through the greenlet, it tells SQLAlchemy's
    AsyncConnection that its driver is async (it refuses to run otherwise), without a trip to the loop."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


NO_WAIT = _NoWait()


def _waitable(error: sqlite3.OperationalError) -> bool:
    """Whether waiting can clear this error: SQLITE_BUSY and its extended codes but BUSY_SNAPSHOT."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


class InlineConnection(sqlite3.Connection):
    """A sqlite3 connection whose lock waits are asyncio sleeps (the methods run in SQLAlchemy's
    greenlet, so they may await)."""

    busy_wait_s: float = DEFAULT_BUSY_WAIT_S

    def retry_busy(self, run: Any, *args: Any) -> Any:
        """`run(*args)`, again after a sleep each time it meets SQLITE_BUSY, for at most busy_wait_s."""
        try:
            return run(*args)
        except sqlite3.OperationalError as error:
            if not _waitable(error):
                raise
            first = error
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_wait_s
        tries = 0
        while True:
            delay = min(BACKOFF_S[min(tries, len(BACKOFF_S) - 1)], deadline - loop.time())
            if delay <= 0:
                raise first
            await_only(asyncio.sleep(delay))
            tries += 1
            try:
                return run(*args)
            except sqlite3.OperationalError as error:
                if not _waitable(error):
                    raise

    def cursor(self, factory: Any = None, server_side: bool = False) -> InlineCursor:  # type: ignore[override]
        # Rows are fetched from SQLite as they are read, server side or not: nothing to hand over.
        return super().cursor(InlineCursor)  # type: ignore[no-any-return]

    def commit(self) -> None:
        self.retry_busy(super().commit)


class InlineCursor(sqlite3.Cursor):
    """A sqlite3 cursor whose execute waits for a lock without blocking the loop."""

    connection: InlineConnection

    async def _async_soft_close(self) -> None:
        """Nothing to do: SQLAlchemy's async results call this; rows are read from SQLite directly."""

    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        await_only(NO_WAIT)  # type: ignore[arg-type]
        return self.connection.retry_busy(super().execute, sql, parameters)  # type: ignore[no-any-return]

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> InlineCursor:
        # Only ever inside a transaction (BEGIN is always sent first): BUSY, if any, comes at its first
        # row, before anything was written.
        await_only(NO_WAIT)  # type: ignore[arg-type]
        return self.connection.retry_busy(super().executemany, sql, seq_of_parameters)  # type: ignore[no-any-return]


class InlineDBAPI:
    """The DB-API module SQLAlchemy sees: sqlite3's names, connections that never block the loop."""

    paramstyle = "qmark"
    has_stop = False

    def __init__(self) -> None:
        for name in (
            "DatabaseError",
            "Error",
            "IntegrityError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "InterfaceError",
            "InternalError",
            "DataError",
            "Warning",
            "sqlite_version",
            "sqlite_version_info",
            "PARSE_COLNAMES",
            "PARSE_DECLTYPES",
            "Binary",
        ):
            setattr(self, name, getattr(sqlite3, name))
        self.sqlite = sqlite3

    def connect(self, *args: Any, **kwargs: Any) -> InlineConnection:
        kwargs.pop("async_fallback", None)
        kwargs.pop("async_creator_fn", None)
        busy_wait_s = kwargs.pop("busy_wait_s", DEFAULT_BUSY_WAIT_S)
        # The pool may close a connection from the garbage collector, on any thread; every statement
        # still runs on the loop's.
        kwargs["check_same_thread"] = False
        connection = sqlite3.connect(*args, factory=InlineConnection, **kwargs)
        assert isinstance(connection, InlineConnection)
        connection.busy_wait_s = float(busy_wait_s)
        return connection


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    """aiosqlite's dialect (async engine, SQLite's SQL) over InlineDBAPI."""

    driver = "fabdesk_inline"
    supports_statement_cache = True
    has_terminate = False

    @classmethod
    def import_dbapi(cls) -> InlineDBAPI:  # type: ignore[override]
        return InlineDBAPI()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.close()


dialect = SQLiteDialect_inline
