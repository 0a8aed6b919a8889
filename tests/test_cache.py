"""The catalog cache (models/cache.py): never stale after a committed change, in this process or another.

"Process A" and "process B" are two engines, each with its own session factory (and so its own
Catalog), on one database: what two fabdesk processes are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import downtime, machines, opening, quotas, schedule
from models.cache import CacheVersion, Catalog, catalog_of
from models.db import create_engine, session_factory
from models.errors import NotFound
from models.inventory import Inventory, apply_inventory
from models.machines import Machine, MachineKind, MachineStatus
from models.maintenance.downtimes import call_off_downtime, plan_downtime
from models.opening import LabCalendar, OpeningHours
from tests.factories import NOW, PARIS, RULES, make_machine, make_member, open_every_day

MONDAY = 0
A_MONDAY = date(2030, 3, 4)


@pytest.fixture
async def sessions_b(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another process's sessions on the same database: its own engine, its own catalog."""
    other = create_engine(database_url)
    yield session_factory(other)
    await other.dispose()


@pytest.fixture
async def lab(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await open_every_day(session, "09:00", "19:00")
        await make_machine(session, "Prusa MK4")
        await make_member(session, "Manon", telegram_id=1, manager=True)


def catalog(sessions: async_sessionmaker[AsyncSession]) -> Catalog:
    found = catalog_of(sessions())
    assert found is not None
    return found


class Statements:
    """The statements an engine runs, while counting."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sql: list[str] = []
        self.engine = engine

    def __enter__(self) -> Statements:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            self.sql.append(statement)


async def monday_hours(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with sessions.begin() as session:
        return (await opening.weekly_hours(session))[MONDAY]


async def manager(session: AsyncSession) -> Any:
    from models.members import Member

    found = await session.scalar(select(Member).where(Member.telegram_id == 1))
    assert found is not None
    return found


@pytest.mark.usefixtures("lab")
async def test_a_second_transaction_reads_the_cached_calendar_with_one_statement(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async def read_them() -> LabCalendar:
        async with sessions.begin() as session:
            calendar = await LabCalendar.load(session, A_MONDAY, A_MONDAY, PARIS)
            machine = await machines.get_machine(session, machine_id)
            await quotas.limits_for(session, machine)
            await downtime.downtimes_between(session, machine_id, NOW, NOW + timedelta(days=1))
        return calendar

    async with sessions.begin() as session:
        machine_id = (await machines.list_machines(session))[0].id
    await read_them()
    loads = catalog(sessions).loads
    with Statements(engine) as seen:
        calendar = await read_them()
    assert calendar.intervals(A_MONDAY)  # open that day
    assert catalog(sessions).loads == loads  # all kept
    assert len(seen.sql) == 1 and "cache_versions" in seen.sql[0]  # one check for the transaction


@pytest.mark.usefixtures("lab")
async def test_the_members_row_carries_the_check_so_a_cached_screen_reads_one_row(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await monday_hours(sessions)
    with Statements(engine) as seen:
        async with sessions.begin() as session:
            await make_member(session, "Manon", telegram_id=1, manager=True)  # as every update does
            await opening.weekly_hours(session)
    assert len(seen.sql) == 1 and "FROM members" in seen.sql[0] and "cache_versions" in seen.sql[0]


@pytest.mark.usefixtures("lab")
async def test_opening_hours_changed_by_another_process_are_seen_by_the_next_transaction(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    assert await monday_hours(sessions) == [(540, 1140)]  # process A caches them
    assert await monday_hours(sessions) == [(540, 1140)]
    async with sessions_b.begin() as session:  # process B, through the domain, commits
        assert await schedule.set_day_hours(session, await manager(session), MONDAY, [(600, 720)])

    assert await monday_hours(sessions) == [(600, 720)]  # A's next transaction sees it
    async with sessions_b.begin() as session:
        await schedule.set_day_hours(session, await manager(session), MONDAY, [(660, 720)])
    async with sessions.begin() as session:  # an update's transaction: the member's row checks
        await make_member(session, "Manon", telegram_id=1, manager=True)
        assert (await opening.weekly_hours(session))[MONDAY] == [(660, 720)]


@pytest.mark.usefixtures("lab")
async def test_a_closure_added_elsewhere_closes_the_day_at_the_next_transaction(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    day = NOW.astimezone(PARIS).date()
    async with sessions.begin() as session:
        assert (await LabCalendar.load(session, day, day, PARIS)).intervals(day)
    async with sessions_b.begin() as session:
        await schedule.add_closure(session, await manager(session), day, "Inventaire", NOW, PARIS)

    async with sessions.begin() as session:
        assert (await LabCalendar.load(session, day, day, PARIS)).intervals(day) == []
        assert await opening.closed_days(session, day, day) == {day: "Inventaire"}
    async with sessions_b.begin() as session:
        await schedule.remove_closure(session, await manager(session), day)
    async with sessions.begin() as session:
        assert (await LabCalendar.load(session, day, day, PARIS)).intervals(day)


@pytest.mark.usefixtures("lab")
async def test_limits_set_elsewhere_are_in_force_at_the_next_transaction(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    async def limits() -> quotas.Limits:
        async with sessions.begin() as session:
            machine = await session.scalar(select(Machine))
            assert machine is not None
            return await quotas.limits_for(session, machine)

    assert not (await limits()).any
    async with sessions_b.begin() as session:
        await quotas.edit_kind_values(
            session, await manager(session), MachineKind.PRINTER_3D, {"max_upcoming": 2}
        )
    assert (await limits()).max_upcoming == quotas.Limit(2, of_kind=True)
    async with sessions_b.begin() as session:
        machine = await session.scalar(select(Machine))
        assert machine is not None
        await quotas.set_values(session, quotas.QuotaValues(max_upcoming=5), machine_id=machine.id)
    assert (await limits()).max_upcoming == quotas.Limit(5, of_kind=False)


@pytest.mark.usefixtures("lab")
async def test_a_downtime_planned_or_called_off_elsewhere_is_seen_at_the_next_transaction(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    start, end = NOW + timedelta(hours=4), NOW + timedelta(hours=6)

    async def windows() -> list[tuple[datetime, datetime]]:
        async with sessions.begin() as session:
            machine = await session.scalar(select(Machine))
            assert machine is not None
            return await downtime.downtimes_between(session, machine.id, NOW, NOW + timedelta(days=1))

    assert await windows() == []
    async with sessions_b.begin() as session:
        machine = await session.scalar(select(Machine))
        assert machine is not None
        planned, _warned = await plan_downtime(
            session, await manager(session), machine.id, start, end, "", NOW
        )
    assert await windows() == [(start, end)]
    async with sessions_b.begin() as session:
        await call_off_downtime(session, await manager(session), planned.id, NOW, RULES)
    assert await windows() == []


@pytest.mark.usefixtures("lab")
async def test_the_import_in_another_process_is_seen_at_the_next_transaction(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    assert await monday_hours(sessions) == [(540, 1140)]
    async with sessions_b.begin() as session:
        await apply_inventory(session, Inventory(opening_hours={MONDAY: [(480, 600)]}), now=NOW)
    assert await monday_hours(sessions) == [(480, 600)]


@pytest.mark.usefixtures("lab")
async def test_the_writing_transaction_reads_its_own_change_and_a_rollback_keeps_the_cache(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await monday_hours(sessions) == [(540, 1140)]
    async with sessions.begin() as session:
        session.add(OpeningHours(weekday=MONDAY, opens_minute=1200, closes_minute=1260))  # not flushed
        assert (await opening.weekly_hours(session))[MONDAY] == [(540, 1140), (1200, 1260)]
        await session.rollback()
    assert await monday_hours(sessions) == [(540, 1140)]
    async with sessions.begin() as session:
        await schedule.set_day_hours(session, await manager(session), MONDAY, [(600, 700)])
        assert (await opening.weekly_hours(session))[MONDAY] == [(600, 700)]
    assert await monday_hours(sessions) == [(600, 700)]  # this process, next transaction


@pytest.mark.usefixtures("lab")
async def test_every_write_to_a_cached_table_bumps_its_version_in_the_same_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def versions() -> dict[str, int]:
        async with sessions.begin() as session:
            rows = await session.execute(select(CacheVersion.name, CacheVersion.version))
            return dict(rows.tuples().all())

    before = await versions()
    async with sessions.begin() as session:  # a bulk ORM statement, no object: do_orm_execute
        await session.execute(update(OpeningHours).values(closes_minute=1200))
    after = await versions()
    assert after["opening_hours"] > before.get("opening_hours", 0)
    async with sessions.begin() as session:  # an object changed: before_flush
        machine = await session.scalar(select(Machine))
        assert machine is not None
        machine.slot_minutes = 60
    assert (await versions())["limits"] > after.get("limits", 0)


@pytest.mark.usefixtures("lab")
async def test_a_machine_changed_elsewhere_is_seen_and_the_cached_copy_writes_like_a_loaded_one(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        machine_id = (await machines.list_machines(session))[0].id
        assert (await machines.get_machine(session, machine_id)).bookable  # A caches it
    async with sessions_b.begin() as session:  # B takes it out of service, as a report does
        (await machines.get_any_machine(session, machine_id)).status = MachineStatus.OUT_OF_SERVICE

    async with sessions.begin() as session:
        machine = await machines.get_machine(session, machine_id)
        assert not machine.bookable
        assert machine in session  # the session's own copy: a change to it is written
        machine.slot_minutes = 45
    async with sessions_b.begin() as session:
        assert (await machines.get_machine(session, machine_id)).slot_minutes == 45
        await session.delete(await machines.get_any_machine(session, machine_id))
    async with sessions.begin() as session:
        with pytest.raises(NotFound):
            await machines.get_machine(session, machine_id)


@pytest.mark.usefixtures("lab")
async def test_a_rolled_back_write_stores_nothing_another_bump_could_be_mistaken_for(
    sessions: async_sessionmaker[AsyncSession], sessions_b: async_sessionmaker[AsyncSession]
) -> None:
    day = NOW.astimezone(PARIS).date()
    async with sessions.begin() as session:  # A writes the hours (one bump), then reads the closures...
        await session.execute(update(OpeningHours).values(closes_minute=1200))
        assert await opening.closed_days(session, day, day) == {}
        await session.rollback()  # ...and changes its mind
    async with sessions_b.begin() as session:  # B's bump takes the versions where A's had
        await schedule.add_closure(session, await manager(session), day, "Inventaire", NOW, PARIS)

    async with sessions.begin() as session:
        assert await opening.closed_days(session, day, day) == {day: "Inventaire"}
