"""Managers changing the lab's week: a weekday's opening hours, closure days.

A closure added over bookings keeps them and warns their members, as a planned downtime does: each
decides to cancel or to book another day (their reminder warns again). The tables are
models/opening.py (bookings read them too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.bookings import Booking, BookingStatus
from models.errors import DomainError, NotFound
from models.free_text import one_line
from models.maintenance.notices import _AboutBooking, _booking_facts
from models.members import Member, require_manager
from models.notices import Notice
from models.opening import MINUTES_PER_DAY, Closure, OpeningHours, local_datetime
from models.outbox import notify_member

MAX_INTERVALS_PER_DAY = 12  # as the inventory file allows
REASON_MAX = 200  # closures.reason is VARCHAR(200)
CLOSURE_AHEAD = timedelta(days=2 * 366)  # as far as a lab plans its holidays


class BadHours(DomainError):
    """Opening intervals must each open before they close, within the day, in order, not overlapping."""


class BadClosureDay(DomainError):
    """A closure day is today or later, within two years."""


class AlreadyClosed(DomainError):
    """The lab is already closed that day."""


class ClosureWarning(_AboutBooking, Notice, kind="closure_warning"):
    """The lab will be closed on the day of a member's booking: the booking is kept, the member decides."""

    day: date
    reason: str | None = None


async def set_day_hours(
    session: AsyncSession, manager: Member, weekday: int, intervals: list[tuple[int, int]]
) -> bool:
    """Make a weekday's opening intervals exactly these (minutes after local midnight; none: closed
    that weekday); return whether they changed. Bookings already made stay (reminders warn)."""
    require_manager(manager)
    if not 0 <= weekday <= 6 or len(intervals) > MAX_INTERVALS_PER_DAY:
        raise BadHours(str(weekday))
    wanted = sorted(intervals)
    previous_close = 0
    for index, (opens, closes) in enumerate(wanted):
        if not 0 <= opens < closes <= MINUTES_PER_DAY or (index and opens < previous_close):
            raise BadHours(f"{opens}-{closes}")
        previous_close = closes
    rows = list(await session.scalars(select(OpeningHours).where(OpeningHours.weekday == weekday)))
    if sorted((row.opens_minute, row.closes_minute) for row in rows) == wanted:
        return False
    await session.execute(delete(OpeningHours).where(OpeningHours.weekday == weekday))
    for opens, closes in wanted:
        session.add(OpeningHours(weekday=weekday, opens_minute=opens, closes_minute=closes))
    await session.flush()
    return True


async def closures_from(session: AsyncSession, first: date) -> list[Closure]:
    """Closure days from `first` on, in order."""
    rows = await session.scalars(select(Closure).where(Closure.day >= first).order_by(Closure.day))
    return list(rows)


async def add_closure(
    session: AsyncSession, manager: Member, day: date, reason: str, now: datetime, tz: ZoneInfo
) -> tuple[Closure, int]:
    """Close the lab on `day`; warn the members with a booking that day not over yet. Return the
    closure and how many bookings were warned (they are kept: each member cancels or moves it)."""
    require_manager(manager)
    today = now.astimezone(tz).date()
    if not today <= day <= today + CLOSURE_AHEAD:
        raise BadClosureDay(day.isoformat())
    if await session.scalar(select(Closure.id).where(Closure.day == day)) is not None:
        raise AlreadyClosed(day.isoformat())
    closure = Closure(day=day, reason=one_line(reason, REASON_MAX))
    session.add(closure)
    await session.flush()
    start = local_datetime(day, 0, tz).astimezone(UTC)
    end = local_datetime(day, MINUTES_PER_DAY, tz).astimezone(UTC)
    bookings = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.member), selectinload(Booking.machine))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at < end,
            Booking.end_at > max(start, now),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    warned = 0
    for booking in bookings:
        if booking.machine.unattended and booking.start_at < start:
            continue  # an unattended run started the day before: it goes on, the lab closed or not
        warning = ClosureWarning(
            **_booking_facts(booking, booking.machine), day=day, reason=closure.reason or None
        )
        notify_member(session, booking.member, warning, now)
        warned += 1
    return closure, warned


async def remove_closure(session: AsyncSession, manager: Member, day: date) -> None:
    """Open the lab again on a closure day (NotFound if it was not closed)."""
    require_manager(manager)
    closure = await session.scalar(select(Closure).where(Closure.day == day))
    if closure is None:
        raise NotFound(f"closure {day.isoformat()}")
    await session.delete(closure)
    await session.flush()
