"""SQLite run inline on the event loop (models/sqlite_inline.py): another process's lock never blocks it.

A second OS process takes the database's write lock (BEGIN IMMEDIATE) and keeps it until the test says
so; meanwhile the bot's engine starts a write transaction. The event loop must go on running other
work (a ticker) while the write waits, and the write must go through once the lock is released, or
give up with SQLite's usual "database is locked" after its bound. No assertion depends on how long
anything takes: only on what happened while the write was waiting.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.app import DESK_KEY, build_application
from models.db import create_engine
from tests.fakebot import FakeBotApi
from tests.harness import test_settings

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("FABDESK_TEST_DATABASE_URL")), reason="SQLite's locks between processes"
)

# The other process: takes the write lock, says so, holds it until told on stdin, then commits.
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO hop VALUES ('other process')")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
db.close()
"""
ENOUGH_TICKS = 20


class LockHolder:
    """A second process holding the write lock of a SQLite file."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def release(self) -> None:
        assert self.process.stdin is not None
        if self.process.returncode is None:
            self.process.stdin.write(b"go\n")
            await self.process.stdin.drain()
            assert await asyncio.wait_for(self.process.wait(), 30) == 0


@pytest.fixture
async def database_file(engine: AsyncEngine, database_url: str) -> Path:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE hop (who TEXT)"))
    return Path(str(make_url(database_url).database))


@pytest.fixture
async def holder(database_file: Path) -> AsyncIterator[LockHolder]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        str(database_file),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"locked\n"
    held = LockHolder(process)
    yield held
    await held.release()


async def write(engine: AsyncEngine, who: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO hop VALUES (:who)"), {"who": who})


async def ticks_while(waiting: asyncio.Task[Any]) -> int:
    """How many times a 10 ms ticker ran while `waiting` was not done, up to ENOUGH_TICKS."""
    ticks = 0
    while ticks < ENOUGH_TICKS and not waiting.done():
        await asyncio.sleep(0.01)
        if not waiting.done():
            ticks += 1
    return ticks


@pytest.fixture
async def inline(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The bot's engine, on the inline driver whatever FABDESK_SQLITE_DRIVER the tests run with."""
    engine = create_engine(database_url, sqlite_driver="inline")
    yield engine
    await engine.dispose()


async def test_the_loop_keeps_running_while_another_process_holds_the_write_lock(
    inline: AsyncEngine, holder: LockHolder
) -> None:
    engine = inline
    assert engine.dialect.driver == "fabdesk_inline"
    writing = asyncio.create_task(write(engine, "bot"))
    ticks = await asyncio.wait_for(ticks_while(writing), 60)
    # The write is still waiting for the other process, and the loop ran the ticker all along (with
    # SQLite's own busy handler the loop would have slept in it, and the ticker not run at all).
    assert not writing.done(), writing
    assert ticks == ENOUGH_TICKS

    await holder.release()
    await asyncio.wait_for(writing, 30)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT who FROM hop ORDER BY rowid"))).scalars().all()
    assert rows == ["other process", "bot"]


async def test_readers_do_not_wait_for_the_write_lock(database_url: str, holder: LockHolder) -> None:
    reader = create_engine(database_url, immediate=False, sqlite_driver="inline")
    try:
        async with reader.begin() as connection:
            # The other process's row is not committed yet: a reader sees the table as it was.
            assert (await connection.execute(text("SELECT count(*) FROM hop"))).scalar() == 0
    finally:
        await reader.dispose()


async def test_a_write_gives_up_with_database_is_locked_after_its_bound(
    engine: AsyncEngine, database_url: str, holder: LockHolder
) -> None:
    impatient = create_engine(database_url, sqlite_driver="inline", connect_args={"busy_wait_s": 0.3})
    try:
        writing = asyncio.create_task(write(impatient, "bot"))
        ticks = await asyncio.wait_for(ticks_while(writing), 60)
        with pytest.raises(OperationalError, match="database is locked"):
            await asyncio.wait_for(writing, 30)
        assert ticks > 0  # it waited asleep before giving up
    finally:
        await impatient.dispose()
    await holder.release()
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT who FROM hop"))).scalars().all()
    assert rows == ["other process"]


async def test_the_setting_picks_the_driver(fake: FakeBotApi, database_url: str) -> None:
    for driver, dialect in (("inline", "fabdesk_inline"), ("aiosqlite", "aiosqlite")):
        application = build_application(test_settings(fake, database_url, sqlite_driver=driver))
        engine = application.bot_data[DESK_KEY].engine
        try:
            assert engine.dialect.driver == dialect
            async with engine.connect() as connection:
                busy_timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
            # Inline, SQLite itself never waits (it would block the loop); aiosqlite's thread may.
            assert (busy_timeout == 0) is (driver == "inline")
        finally:
            await engine.dispose()


async def test_a_stale_reader_that_writes_fails_at_once(database_url: str, holder: LockHolder) -> None:
    """A deferred transaction that read before another process committed cannot write: SQLite says
    SQLITE_BUSY_SNAPSHOT, and no wait can help, so it is raised at once (the bound here is a minute)."""
    reader = create_engine(
        database_url, immediate=False, sqlite_driver="inline", connect_args={"busy_wait_s": 60}
    )
    try:
        async with reader.connect() as connection:
            await connection.begin()
            assert (await connection.execute(text("SELECT count(*) FROM hop"))).scalar() == 0
            await holder.release()  # the other process commits its row: this snapshot is stale
            with pytest.raises(OperationalError) as raised:
                await asyncio.wait_for(connection.execute(text("INSERT INTO hop VALUES ('stale')")), 30)
            assert getattr(raised.value.orig, "sqlite_errorcode", None) == 517  # SQLITE_BUSY_SNAPSHOT
            await connection.rollback()
    finally:
        await reader.dispose()
