"""PostgreSQL's pool holds every concurrent update and the jobs, so a busy minute opens no new connections."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from bot.core.app import JOB_CONNECTIONS, build_application, pool_for
from bot.core.context import DESK_KEY
from models.db import create_engine
from tests.fakebot import FakeBotApi
from tests.harness import test_settings

PG_URL = "postgresql+asyncpg://fabdesk:fabdesk@127.0.0.1:5432/fabdesk"


def test_the_bot_keeps_a_connection_open_for_each_concurrent_update_and_the_jobs(fake: FakeBotApi) -> None:
    settings = test_settings(fake, PG_URL, concurrent_updates=12)
    application = build_application(settings)  # builds the engine; connects to nothing yet
    engine = application.bot_data[DESK_KEY].engine
    assert engine.pool.size() == 12 + JOB_CONNECTIONS
    assert pool_for(test_settings(fake, "sqlite+aiosqlite:///x.db")) == {}


async def test_rounds_of_concurrent_transactions_reuse_the_pool_s_connections(
    fake: FakeBotApi, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps a single connection")
    settings = test_settings(fake, database_url)  # PTB's 8 concurrent updates
    engine = create_engine(database_url, **pool_for(settings))
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _record: opened.append(connection))

    async def update() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))
            await asyncio.sleep(0.02)  # every update in flight at once

    try:
        for _round in range(4):
            await asyncio.gather(*(update() for _ in range(settings.concurrent_updates + JOB_CONNECTIONS)))
    finally:
        await engine.dispose()
    # SQLAlchemy's default pool (5, overflow 10) opened 33 here: 12 at first, then each round the 7 it had
    # closed on their return.
    assert len(opened) == settings.concurrent_updates + JOB_CONNECTIONS
