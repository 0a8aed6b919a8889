"""Preventive plans: a task due every N days or N hours of use, opening a ticket when it falls due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.bookings import MAX_BOOKING_SPAN, Booking, BookingStatus
from models.errors import NotFound
from models.machines import MachineStatus
from models.maintenance.log import _event
from models.maintenance.notices import PlanDue
from models.maintenance.tables import (
    ACTIVE_STATUSES,
    EventKind,
    MaintenancePlan,
    Severity,
    Ticket,
    TicketOrigin,
    TicketStatus,
)
from models.members import Member, require_manager
from models.outbox import notify_managers


@dataclass(frozen=True)
class PlanState:
    plan: MaintenancePlan
    due: bool
    used_hours: float | None  # for plans counted in hours of use
    due_at: datetime | None  # for plans counted in days


async def hours_of_use(session: AsyncSession, machine_id: int, since: datetime, now: datetime) -> float:
    """Hours of confirmed bookings of the machine between `since` and `now` (parts outside count not)."""
    rows = await session.execute(
        select(Booking.start_at, Booking.end_at).where(
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= since - MAX_BOOKING_SPAN,
            Booking.start_at < now,
        )
    )
    seconds = sum(max(0.0, (min(row.end_at, now) - max(row.start_at, since)).total_seconds()) for row in rows)
    return seconds / 3600


async def plan_state(session: AsyncSession, plan: MaintenancePlan, now: datetime) -> PlanState:
    if plan.every_days is not None:
        due_at = plan.clock_started_at + timedelta(days=plan.every_days)
        return PlanState(plan, plan.active and now >= due_at, None, due_at)
    used = await hours_of_use(session, plan.machine_id, plan.clock_started_at, now)
    return PlanState(plan, plan.active and used >= (plan.every_hours or 0), used, None)


async def machine_plans(session: AsyncSession, machine_id: int, now: datetime) -> list[PlanState]:
    plans = await session.scalars(
        select(MaintenancePlan).where(MaintenancePlan.machine_id == machine_id).order_by(MaintenancePlan.task)
    )
    return [await plan_state(session, plan, now) for plan in plans]


async def open_due_plan_tickets(
    session: AsyncSession, manager_ids: Iterable[int], now: datetime
) -> list[Ticket]:
    """Open one *planned* ticket for every active plan that fell due and has none open yet."""
    has_open = select(Ticket.id).where(
        Ticket.plan_id == MaintenancePlan.id, Ticket.status.in_(ACTIVE_STATUSES)
    )
    plans = await session.scalars(
        select(MaintenancePlan)
        .options(selectinload(MaintenancePlan.machine))
        .where(MaintenancePlan.active.is_(True), ~has_open.exists())
        .order_by(MaintenancePlan.id)
    )
    opened = []
    for plan in plans:
        if plan.machine.status is MachineStatus.RETIRED or not (await plan_state(session, plan, now)).due:
            continue
        ticket = Ticket(
            machine_id=plan.machine_id,
            origin=TicketOrigin.PLAN,
            plan_id=plan.id,
            severity=Severity.MINOR,
            status=TicketStatus.OPEN,
            title=plan.task,
            created_at=now,
            updated_at=now,
            took_machine_down=False,
        )
        try:
            async with session.begin_nested():
                session.add(ticket)
        except IntegrityError:  # another run opened it an instant ago
            continue
        _event(session, ticket, EventKind.OPENED, None, now)
        await session.flush()
        due = PlanDue(ticket_id=ticket.id, machine=plan.machine.name, task=plan.task)
        await notify_managers(session, manager_ids, due, now)
        ticket.machine = plan.machine
        opened.append(ticket)
    return opened


async def get_plan(session: AsyncSession, plan_id: int) -> MaintenancePlan:
    plan = await session.scalar(
        select(MaintenancePlan)
        .options(selectinload(MaintenancePlan.machine))
        .where(MaintenancePlan.id == plan_id)
    )
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    return plan


async def edit_plan(
    session: AsyncSession,
    manager: Member,
    plan_id: int,
    *,
    every_days: int | None = None,
    every_hours: int | None = None,
    active: bool | None = None,
) -> MaintenancePlan:
    """Change a plan's interval (days or hours of use) or pause/resume it."""
    require_manager(manager)
    plan = await get_plan(session, plan_id)
    if every_days is not None and every_days > 0:
        plan.every_days, plan.every_hours = every_days, None
    elif every_hours is not None and every_hours > 0:
        plan.every_days, plan.every_hours = None, every_hours
    if active is not None:
        plan.active = active
    await session.flush()
    return plan
