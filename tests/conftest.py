"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when asked).

Set FABDESK_TEST_DATABASE_URL=postgresql://user:pass@host/db to run the suite on PostgreSQL; the
role needs CREATEDB. The schema is migrated once into a template; each test gets its own copy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core import lanes, migrations
from models.db import create_engine, session_factory
from models.machines import MachineKind
from tests.factories import make_machine, open_every_day
from tests.fakebot import FakeBotApi

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]

PG_URL = os.environ.get("FABDESK_TEST_DATABASE_URL")
# The SQLite driver of the tests' engines (the app's reads FABDESK_SQLITE_DRIVER itself).
SQLITE_DRIVER: Any = os.environ.get("FABDESK_SQLITE_DRIVER", "inline")


@pytest.fixture(autouse=True)
def _short_chat_gaps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Telegram twenty times quicker to allow a chat's next message (1 s in a private chat, 3 s
    in a group: bot/core/lanes.py), so an end-to-end test does not sleep through those gaps; the
    pacing code still runs. Tests marked telegram_pacing (tests/test_lanes.py) keep the real gaps,
    as do `fabdesk run` processes started by a test."""
    if request.node.get_closest_marker("telegram_pacing") is None:
        monkeypatch.setattr(lanes, "PRIVATE_CHAT_GAP_S", lanes.PRIVATE_CHAT_GAP_S / 20)
        monkeypatch.setattr(lanes, "GROUP_GAP_S", lanes.GROUP_GAP_S / 20)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _async_url(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql+asyncpg", database=database)
        .render_as_string(hide_password=False)
    )


async def _pg_admin(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _copy_template(url: str, name: str, template: str) -> None:
    """CREATE DATABASE ... TEMPLATE, retried while the server's autovacuum briefly holds the template."""
    import asyncpg

    for attempt in range(50):
        try:
            await _pg_admin(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except asyncpg.exceptions.ObjectInUseError:
            if attempt == 49:
                raise
            await asyncio.sleep(0.1)


async def _drop_database(url: str, name: str) -> None:
    """DROP DATABASE ... WITH (FORCE), retried while an autovacuum worker is in it: FORCE cannot end
    that process for a role that is not a superuser (InsufficientPrivilegeError), it ends soon."""
    import asyncpg

    for attempt in range(50):
        try:
            await _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (asyncpg.exceptions.InsufficientPrivilegeError, asyncpg.exceptions.ObjectInUseError):
            if attempt == 49:
                raise
            await asyncio.sleep(0.1)


@pytest.fixture(scope="session")
def database_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run: a SQLite file, or a PostgreSQL template database."""
    if PG_URL:
        name = f"fabdesk_tpl_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(PG_URL, f'CREATE DATABASE "{name}"'))
        migrations.upgrade(_async_url(PG_URL, name))
        # Nothing but the copies connects to it from now on (autovacuum skips it too, mostly).
        asyncio.run(_pg_admin(PG_URL, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        yield name
        asyncio.run(_drop_database(PG_URL, name))
    else:
        path = tmp_path_factory.mktemp("template") / "fabdesk.db"
        migrations.upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if PG_URL:
        name = f"fabdesk_t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_copy_template(PG_URL, name, template_database))
        yield _async_url(PG_URL, name)
        asyncio.run(_drop_database(PG_URL, name))
    else:
        path = tmp_path / "fabdesk.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) for migration tests."""
    if PG_URL:
        name = f"fabdesk_e_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(PG_URL, f'CREATE DATABASE "{name}"'))
        yield _async_url(PG_URL, name)
        asyncio.run(_drop_database(PG_URL, name))
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, sqlite_driver=SQLITE_DRIVER)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One open transaction, committed at the end of the test (like a handler's)."""
    async with sessions.begin() as session:
        yield session


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API server for one test."""
    async with FakeBotApi() as api:
        yield api
    assert api.errors == []


@pytest_asyncio.fixture
async def lab(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A lab open 09:00–19:00 every day, with a printer and a laser that needs a training."""
    async with sessions.begin() as session:
        await open_every_day(session)
        await make_machine(session, "Prusa MK4", slot_minutes=30, max_booking_minutes=120)
        await make_machine(session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER, requires_training=True)
