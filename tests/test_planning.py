"""The planning's "time first" search (models/planning.py): the machines free for a span."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models import planning
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
