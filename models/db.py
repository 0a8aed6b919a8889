"""Engine and session factory. Every transaction is owned by a handler or a job, never by the domain."""

from __future__ import annotations

import zlib
from typing import Any, Literal

from sqlalchemy import event, text
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models.cache import INFO_KEY, Catalog

SQLITE_BUSY_TIMEOUT_MS = 15_000
SqliteDriver = Literal["inline", "aiosqlite"]


def create_engine(
    url: str, *, immediate: bool = True, sqlite_driver: SqliteDriver = "inline", **kwargs: Any
) -> AsyncEngine:
    """Create the async engine for a database URL, with fabdesk's SQLite settings. (`immediate=False`:
    SQLite transactions take no write lock at BEGIN, for a reader such as the backup.)

    `sqlite_driver`: "inline" runs SQLite's statements on the event loop (models/sqlite_inline.py:
    no thread hop, lock waits are asyncio sleeps); "aiosqlite" runs each on aiosqlite's thread, where
    SQLite's own busy handler waits for a lock."""
    # A database error's message (logged with its traceback) names no parameter: no member's name,
    # no calendar token.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    if immediate and make_url(url).database not in (None, "", ":memory:"):
        # Every transaction takes the write lock at BEGIN (below), so they run one at a time anyway;
        # one connection makes them queue in order on the pool rather than on SQLite's busy handler,
        # which sleeps and polls (up to 100 ms a try), and a second connection would only hold memory.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    inline = sqlite_driver == "inline"
    if inline:
        registry.register("sqlite.fabdesk_inline", "models.sqlite_inline", "SQLiteDialect_inline")
        url = make_url(url).set(drivername="sqlite+fabdesk_inline").render_as_string(hide_password=False)
        connect_args = {"busy_wait_s": SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs.get("connect_args", {})}
        kwargs["connect_args"] = connect_args
    # Inline, SQLite never waits for a lock itself (it would block the loop): the driver does, asleep.
    busy_timeout_ms = 0 if inline else SQLITE_BUSY_TIMEOUT_MS
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN: two transactions can never both read "free"
        # and then both insert. Readers are not blocked (WAL); writers queue on busy_timeout
        # (aiosqlite) or on the inline driver's asyncio sleeps.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class DatabaseUnavailable(Exception):
    """The database cannot be opened (its cause says why): not the fault of what was being done."""


async def check_connection(engine: AsyncEngine) -> None:
    """Open one connection, so that a database that cannot be reached is told apart from what follows."""
    try:
        async with engine.connect():
            pass
    except Exception as exc:
        raise DatabaseUnavailable(str(exc)) from exc


def session_factory(engine: AsyncEngine, *, cached: bool = True) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit, so handlers can render after the transaction,
    sharing one Catalog (models/cache.py: what only the import or a manager changes, kept in memory,
    invalidated by version across processes); `cached=False`: every read goes to the database."""
    info = {INFO_KEY: Catalog()} if cached else {}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def job_lock_key(job: str) -> int:
    """The PostgreSQL advisory lock key of a periodic job: stable across processes and versions."""
    return zlib.crc32(f"fabdesk job {job}".encode())


async def hold_job_lock(session: AsyncSession, job: str) -> None:
    """Run the rest of this transaction as the only one of `job` on the database.

    Periodic jobs (the digest, update reminders…) read what is due and record what they queued in
    one transaction; two fabdesk processes running the same job at once must not both read "not
    done yet". On PostgreSQL a transaction-scoped advisory lock makes the second wait for the first
    to commit, then find the work done. On SQLite every transaction holds the write lock from its
    BEGIN (create_engine above): the first statement starts it, and the whole database is the lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": job_lock_key(job)})
    else:
        await session.execute(text("SELECT 1"))
