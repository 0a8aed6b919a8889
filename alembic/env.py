"""Alembic environment: the URL comes from fabdesk's settings (or the caller), the engine from models.db."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from alembic import context
from models import Base
from models.db import create_engine, job_lock_key

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from bot.core.settings import load_settings  # only when run by the alembic command itself

    return load_settings().database_url


# Indexes autogenerate cannot compare: the exclusion constraint's backing index (PostgreSQL reflects
# it as a plain index) and expression indexes (written by hand in their migration).
NOT_COMPARED = {"bookings_no_overlap", "uq_projects_name_lower"}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in NOT_COMPARED)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two fabdesk processes starting at once on a fresh database: the second waits here until
            # the first has committed, then finds nothing to do (instead of failing half-way through
            # creating the same tables). On SQLite: a file lock, in bot/core/migrations.py.
            key = job_lock_key("migrations")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
