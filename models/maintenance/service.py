"""Taking a machine out of service and bringing it back, and the members' upcoming bookings that
reaches: marked affected, their members told (but the reporters, told with the ticket's outcome).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import waitlist
from models.bookings import MAX_BOOKING_SPAN, Booking, BookingStatus
from models.machines import Machine, MachineStatus, get_any_machine
from models.maintenance.log import _event
from models.maintenance.notices import BookingAffected, MachineBack, _booking_facts
from models.maintenance.tables import ACTIVE_STATUSES, EventKind, Ticket
from models.members import Member
from models.outbox import notify_member


async def _upcoming_bookings(
    session: AsyncSession, machine_id: int, now: datetime, until: datetime | None = None
) -> list[Booking]:
    """Confirmed bookings of the machine not yet over (and starting before `until`), with members."""
    query = (
        select(Booking)
        .options(selectinload(Booking.member))
        .where(
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= now - MAX_BOOKING_SPAN,
            Booking.end_at > now,
        )
    )
    if until is not None:
        query = query.where(Booking.start_at < until)
    return list(await session.scalars(query.order_by(Booking.start_at)))


async def _take_out_of_service(
    session: AsyncSession, ticket: Ticket, machine: Machine, reporter: Member, now: datetime
) -> tuple[int, list[Booking]]:
    """Put the machine out of service for the ticket; mark every upcoming booking affected and tell
    their members, but the reporter (she knows). Return how many were told, and her own bookings."""
    machine.status = MachineStatus.OUT_OF_SERVICE
    ticket.took_machine_down = True
    _event(session, ticket, EventKind.MACHINE_OUT_OF_SERVICE, reporter, now)
    told, own = 0, []
    for booking in await _upcoming_bookings(session, machine.id, now):
        booking.affected_ticket_id = ticket.id
        if booking.member_id == reporter.id:
            own.append(booking)
            continue
        notify_member(session, booking.member, BookingAffected(**_booking_facts(booking, machine)), now)
        told += 1
    return told, own


async def _bring_back_if_clear(
    session: AsyncSession,
    ticket: Ticket,
    actor: Member,
    now: datetime,
    tz: ZoneInfo | None,
    reporter_ids: set[int],
) -> list[Booking] | None:
    """Return the machine to service when no other active ticket keeps it down (None when it stays
    down); tell the members with affected bookings - but the ticket's reporters, whose affected
    bookings are returned: the ticket's outcome, sent to them anyway, says it (one message)."""
    machine = await get_any_machine(session, ticket.machine_id)
    still_down = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.machine_id == machine.id,
            Ticket.id != ticket.id,
            Ticket.took_machine_down.is_(True),
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )
    if still_down or machine.status is not MachineStatus.OUT_OF_SERVICE:
        return None
    machine.status = MachineStatus.AVAILABLE
    _event(session, ticket, EventKind.MACHINE_BACK, actor, now)
    await waitlist.machine_back(session, machine, now, tz)
    reporters_bookings = []
    for booking in await _upcoming_bookings(session, machine.id, now):
        if booking.affected_ticket_id is None:
            continue
        if booking.member_id in reporter_ids:
            reporters_bookings.append(booking)
        else:
            notify_member(session, booking.member, MachineBack(**_booking_facts(booking, machine)), now)
    return reporters_bookings
