"""The planning's "time first" search (models/planning.py): the machines free for a span."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from models import planning
from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.opening import Closure
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris


async def test_a_span_reaching_a_closure_day_finds_no_machine(session: AsyncSession) -> None:
    await open_every_day(session, "00:00", "24:00")
    alice = await make_member(session, "Alice")
    printer = await make_machine(session)
    session.add(Closure(day=date(2030, 3, 6), reason="Inventaire"))
    await session.flush()
    assert await planning.free_machines(session, alice, paris(5, 21), 120, RULES, NOW) == [printer]
    assert await planning.free_machines(session, alice, paris(5, 23), 120, RULES, NOW) == []  # overnight
    assert await planning.free_machines(session, alice, paris(6, 10), 60, RULES, NOW) == []
    assert await planning.free_machines(session, alice, paris(7, 0), 60, RULES, NOW) == [printer]


async def test_the_week_reads_each_table_once_however_many_machines(session: AsyncSession) -> None:
    await open_every_day(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    session.add(Closure(day=date(2030, 3, 7), reason="Inventaire"))

    async def statements_of_a_week() -> list[str]:
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        await session.flush()
        session.expunge_all()  # nothing already loaded: the week reads what it needs
        engine = session.bind.sync_engine  # type: ignore[union-attr]
        event.listen(engine, "before_cursor_execute", count)
        try:
            plan = await planning.week(session, alice, date(2030, 3, 4), RULES)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(plan.machines) == machines_made
        return seen

    machines_made = 0
    counts = []
    for batch in (2, 12):
        for number in range(batch):
            machine = await make_machine(
                session, f"Machine {machines_made:02d}", requires_training=number % 2 == 1
            )
            machines_made += 1
            for day in (4, 5, 6, 8, 9):
                start = paris(day, 9 + number % 8)
                session.add(
                    Booking(
                        member_id=(alice if number % 3 else bob).id,
                        machine_id=machine.id,
                        start_at=start,
                        end_at=start + timedelta(hours=1),
                        status=BookingStatus.CONFIRMED,
                        created_at=NOW,
                    )
                )
            session.add(
                Downtime(machine_id=machine.id, start_at=paris(10, 9), end_at=paris(10, 12), created_at=NOW)
            )
        counts.append(await statements_of_a_week())
    few, many = counts
    assert len(few) == len(many)  # not one more per machine or per day
    # machines, authorizations, bookings, downtimes, opening hours, closures: one statement each
    tables = ["machines", "authorizations", "bookings", "downtimes", "opening_hours", "closures"]
    for table in tables:
        assert len([s for s in many if f"FROM {table}" in s]) == 1, (table, many)
    assert len(many) == len(tables)
