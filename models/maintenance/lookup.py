"""A machine's maintenance side, read: finding it by name, its latest tickets, its active ones."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.machines import Machine, MachineStatus
from models.maintenance.tables import ACTIVE_STATUSES, Ticket, TicketEvent


async def machine_log(session: AsyncSession, machine_id: int, limit: int = 10) -> list[Ticket]:
    """The machine's latest tickets, newest first, with their events (its maintenance log)."""
    rows = await session.scalars(
        select(Ticket)
        .options(selectinload(Ticket.events).selectinload(TicketEvent.actor))
        .where(Ticket.machine_id == machine_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(rows)


async def find_machine(session: AsyncSession, name: str) -> list[Machine]:
    """Machines whose name contains the words typed (any case); an exact name wins alone."""
    wanted = " ".join(name.split()).lower()
    if not wanted:
        return []
    machines = list(
        await session.scalars(
            select(Machine).where(Machine.status != MachineStatus.RETIRED).order_by(Machine.name)
        )
    )
    exact = [m for m in machines if m.name.lower() == wanted]
    return exact or [m for m in machines if wanted in m.name.lower()]


async def active_ticket_count(session: AsyncSession, machine_ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Ticket.machine_id, func.count())
        .where(Ticket.machine_id.in_(machine_ids), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.machine_id)
    )
    return {row[0]: row[1] for row in rows}


async def held_down(session: AsyncSession, machine_id: int) -> bool:
    """Whether an active ticket took the machine out of service (it comes back when they are closed)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.machine_id == machine_id,
            Ticket.took_machine_down.is_(True),
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )
    return bool(count)
