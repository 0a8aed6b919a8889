"""Migrations: the stairway (upgrade, downgrade, upgrade) works and matches the models exactly."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from alembic import command
from bot.core import migrations
from models import Base
from models.audit import ChangeKind
from models.db import create_engine


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:

            def compare(sync_connection):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"compare_type": True, "include_object": _include_object},
                )
                return compare_metadata(context, Base.metadata)

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return not (type_ == "index" and name in {"bookings_no_overlap", "uq_projects_name_lower"})


def test_every_revision_upgrades_downgrades_and_upgrades_again(empty_database_url: str) -> None:
    config = migrations.alembic_config(empty_database_url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    assert revisions, "there is at least one migration"
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, revision.down_revision or "base")
        command.upgrade(config, revision.revision)
    assert {"members", "machines", "bookings"} <= asyncio.run(_table_names(empty_database_url))
    command.downgrade(config, "base")
    assert asyncio.run(_table_names(empty_database_url)) <= {"alembic_version"}


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    assert asyncio.run(_differences(empty_database_url)) == []


async def _stored_kinds(url: str, kinds: list[str]) -> list[str]:
    """The kinds of manager change the migrated table accepts (its CHECK refuses the others)."""
    engine = create_engine(url)
    accepted = []
    try:
        for kind in kinds:
            try:
                async with engine.begin() as connection:
                    await connection.execute(
                        text(
                            "INSERT INTO manager_changes (at, what, target_id, details) "
                            "VALUES (CURRENT_TIMESTAMP, :what, 1, '{}')"
                        ),
                        {"what": kind},
                    )
                accepted.append(kind)
            except IntegrityError:
                pass
    finally:
        await engine.dispose()
    return accepted


def test_the_migrated_record_of_changes_takes_every_kind_and_no_other(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    kinds = [kind.value for kind in ChangeKind]
    assert asyncio.run(_stored_kinds(empty_database_url, [*kinds, "spaceship"])) == kinds


def test_the_kind_limits_change_comes_with_0024_and_goes_with_its_downgrade(empty_database_url: str) -> None:
    config = migrations.alembic_config(empty_database_url)
    command.upgrade(config, "0023")
    assert asyncio.run(_stored_kinds(empty_database_url, ["kind_limits"])) == []
    command.upgrade(config, "0024")
    both = ["kind_limits", "machine"]
    assert asyncio.run(_stored_kinds(empty_database_url, both)) == both
    command.downgrade(config, "0023")  # the record of kind limits goes, the others stay
    assert asyncio.run(_count_changes(empty_database_url)) == {"machine": 1}
    assert asyncio.run(_stored_kinds(empty_database_url, ["kind_limits"])) == []
    command.upgrade(config, "0024")
    assert asyncio.run(_stored_kinds(empty_database_url, ["kind_limits"])) == ["kind_limits"]


async def _count_changes(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT what, COUNT(*) FROM manager_changes GROUP BY what"))
            return {what: count for what, count in rows}
    finally:
        await engine.dispose()
