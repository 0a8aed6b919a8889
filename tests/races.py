"""Two updates handled at the same time (concurrent_updates), as the domain tests stage them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

T = TypeVar("T")


async def wait_until_blocked(engine: AsyncEngine, task: asyncio.Task[Any]) -> None:
    """On PostgreSQL, return once `task` is done or another connection waits on a lock; on SQLite
    (where the second transaction waits for the first at BEGIN), just yield."""
    if engine.dialect.name != "postgresql":
        for _ in range(20):
            await asyncio.sleep(0)
        return
    for _ in range(500):
        if task.done():
            return
        async with engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second transaction never waited on the first one")


async def race(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    first: Callable[[AsyncSession], Awaitable[Any]],
    second: Callable[[AsyncSession], Awaitable[T]],
) -> T | BaseException:
    """Run `first` in a transaction left open, start `second` in another one, then commit `first`.

    This is two updates handled at the same time: the second one reads before the first one
    commits. Returns what `second` returned, or the exception it raised.
    """
    async with sessions.begin() as one:
        await first(one)
        await one.flush()

        async def run_second() -> T:
            async with sessions.begin() as two:
                return await second(two)

        task = asyncio.create_task(run_second())
        await wait_until_blocked(engine, task)
    try:
        return await task
    except Exception as exc:
        return exc
