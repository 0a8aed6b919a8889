"""Check-in and no-shows: a member says they are at the machine; a booking nobody checked in is released.

A booking can be checked in by its member from CHECKIN_EARLY before its start until its end. On a
machine that asks for it (`Machine.checkin_minutes` > 0), a booking not checked in within that many
minutes after its start is released as a no-show: cancelled, recorded (`no_show_at`), its member
told, and what is left of the slot offered to the waitlist (models/waitlist.py: slot_freed, the
path a cancellation takes). What is due is derived from the database and claimed there by one
conditional UPDATE, so a release happens once, whatever restarts or processes, and a check-in
committed first always wins (the claim requires `checked_in_at IS NULL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from models import outbox
from models.base import update_ids
from models.bookings import (
    MAX_BOOKING_SPAN,
    REMINDER,
    Booking,
    BookingStatus,
    get_own_booking,
    reminder_subject,
)
from models.errors import AlreadyCancelled, DomainError
from models.machines import Machine
from models.members import Member
from models.notices import Notice
from models.waitlist import slot_freed

# How long before its start a booking can be checked in (the member is at the lab a bit early).
CHECKIN_EARLY = timedelta(minutes=15)
# How far back the release looks: a booking lasts a day at most, and so does a check-in delay, so a
# bot down for a while still records the no-shows it missed.
LOOKBACK = 2 * MAX_BOOKING_SPAN


class CheckInNotYet(DomainError):
    """Too early to check in: it opens CHECKIN_EARLY before the start (carries that moment)."""

    def __init__(self, opens_at: datetime) -> None:
        super().__init__(opens_at.isoformat())
        self.opens_at = opens_at


class CheckInOver(DomainError):
    """The booking is over: nothing to check in to any more."""


class NoShowReleased(Notice, kind="no_show_released"):
    """A member's booking was released: not checked in within the machine's check-in minutes."""

    booking_id: int
    machine: str
    machine_id: int
    start: datetime
    end: datetime
    minutes: int  # the machine's check-in minutes


class CheckInAsked(Notice, kind="checkin_asked"):
    """A booking that asks for a check-in starts and its member has not checked in: I'm here, now."""

    booking_id: int
    machine: str
    start: datetime
    end: datetime
    minutes: int  # the machine's check-in minutes: released if not checked in by start + minutes


CHECKIN_ASKED = CheckInAsked.kind


def check_in_opens(booking: Booking) -> datetime:
    return booking.start_at - CHECKIN_EARLY


def can_check_in(booking: Booking, now: datetime) -> bool:
    """Whether the booking can be checked in now (confirmed, not yet checked in, within its window)."""
    return (
        booking.status is BookingStatus.CONFIRMED
        and booking.checked_in_at is None
        and check_in_opens(booking) <= now < booking.end_at
    )


async def booking_to_check_in(
    session: AsyncSession, member: Member, machine_id: int, now: datetime
) -> Booking | None:
    """The member's booking of this machine that can be checked in now (the QR code's page), if any."""
    mine = await session.scalars(
        select(Booking)
        .where(
            Booking.member_id == member.id,
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at <= now + CHECKIN_EARLY,
            Booking.end_at > now,
        )
        .order_by(Booking.start_at)
    )
    return next((booking for booking in mine if can_check_in(booking, now)), None)


@dataclass(frozen=True)
class CheckedIn:
    booking: Booking
    newly: bool  # False: it was checked in before (a second press)


async def check_in(session: AsyncSession, member: Member, booking_id: int, now: datetime) -> CheckedIn:
    """Check the member in to one of their bookings, or refuse: another member's booking is NotFound,
    a released or cancelled one AlreadyCancelled, too early CheckInNotYet, over CheckInOver."""
    booking = await get_own_booking(session, member, booking_id)
    if booking.checked_in_at is not None:
        return CheckedIn(booking, False)
    if booking.status is BookingStatus.CANCELLED:
        raise AlreadyCancelled(str(booking_id))
    if now < check_in_opens(booking):
        raise CheckInNotYet(check_in_opens(booking))
    if now >= booking.end_at:
        raise CheckInOver(str(booking_id))
    claimed = await update_ids(
        session,
        Booking,
        [
            Booking.id == booking.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_at.is_(None),
        ],
        {"checked_in_at": now},
    )
    if not claimed:  # the release (or a second press) committed first: read what won
        await session.refresh(booking, ["status", "checked_in_at"])
        if booking.checked_in_at is not None:
            return CheckedIn(booking, False)
        raise AlreadyCancelled(str(booking_id))
    set_committed_value(booking, "checked_in_at", now)
    return CheckedIn(booking, True)


def _released_from(booking: Booking, now: datetime) -> datetime:
    """The first start on the machine's grid, from now on, of what is left of a released booking."""
    step = timedelta(minutes=booking.machine.slot_minutes)
    elapsed = max(timedelta(), now - booking.start_at)
    return booking.start_at + -(-elapsed // step) * step


async def due_no_shows(
    session: AsyncSession, now: datetime, limit: int = 200, after: tuple[datetime, int] | None = None
) -> list[Booking]:
    """Confirmed bookings not checked in whose machine's check-in minutes are past, soonest first,
    after the booking `after` (its start and id): a job goes through them page by page."""
    query = _after(_waiting_for_check_in(now), after).limit(limit)
    return list(await session.scalars(query))


def _waiting_for_check_in(now: datetime) -> Select[tuple[Booking]]:
    """Confirmed bookings started (within LOOKBACK) and not checked in, of machines asking for it."""
    return (
        select(Booking)
        .join(Machine, Machine.id == Booking.machine_id)
        .options(joinedload(Booking.machine), joinedload(Booking.member))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_at.is_(None),
            Booking.start_at > now - LOOKBACK,
            Booking.start_at <= now,
            Machine.checkin_minutes > 0,
        )
        .order_by(Booking.start_at, Booking.id)
    )


def _after(query: Select[tuple[Booking]], after: tuple[datetime, int] | None) -> Select[tuple[Booking]]:
    if after is None:
        return query
    start, booking_id = after
    return query.where(
        or_(Booking.start_at > start, and_(Booking.start_at == start, Booking.id > booking_id))
    )


async def _claim_waiting(
    session: AsyncSession, due: list[Booking], values: dict[str, object], *also: ColumnElement[bool]
) -> set[int]:
    """Set `values` on those of `due` still confirmed and not checked in (and `also`), in one
    conditional UPDATE; return the ids this transaction claimed (another process's are not)."""
    conditions = [
        Booking.id.in_([b.id for b in due]),
        Booking.status == BookingStatus.CONFIRMED,
        Booking.checked_in_at.is_(None),
        *also,
    ]
    return set(await update_ids(session, Booking, conditions, values))


@dataclass(frozen=True)
class Asked:
    read: list[Booking]  # bookings read, in order (the caller pages on after the last one)
    asked: list[Booking]  # those this call claimed and whose member it told

    @property
    def done(self) -> int:
        return len(self.asked)


async def ask_to_check_in(
    session: AsyncSession, now: datetime, limit: int = 200, after: tuple[datetime, int] | None = None
) -> Asked:
    """Tell the member of each booking that has started, asks for a check-in and is not checked in,
    to press I'm here: once, claimed by one conditional UPDATE of `checkin_asked_at` (of two processes
    the second finds it taken; a restart asks nobody twice). A booking whose check-in minutes are
    already over (the bot was down) is not asked: the release tells its member."""
    query = _after(_waiting_for_check_in(now).where(Booking.checkin_asked_at.is_(None)), after)
    read = list(await session.scalars(query.limit(limit)))
    due = [b for b in read if now < b.start_at + timedelta(minutes=b.machine.checkin_minutes)]
    if not due:
        return Asked(read, [])
    claimed = await _claim_waiting(
        session, due, {"checkin_asked_at": now}, Booking.checkin_asked_at.is_(None)
    )
    asked = [b for b in due if b.id in claimed]
    for booking in asked:
        set_committed_value(booking, "checkin_asked_at", now)
        minutes = booking.machine.checkin_minutes
        notice = CheckInAsked(
            booking_id=booking.id,
            machine=booking.machine.name,
            start=booking.start_at,
            end=booking.end_at,
            minutes=minutes,
        )
        deadline = booking.start_at + timedelta(minutes=minutes)
        outbox.notify_member(
            session, booking.member, notice, now, expires_at=deadline, subject=reminder_subject(booking.id)
        )
    return Asked(read, asked)


@dataclass(frozen=True)
class Released:
    read: list[Booking]  # bookings read, in order (the caller pages on after the last one)
    released: list[Booking]  # those this call claimed and released

    @property
    def done(self) -> int:
        return len(self.released)


async def release_no_shows(
    session: AsyncSession,
    now: datetime,
    tz: ZoneInfo,
    limit: int = 200,
    after: tuple[datetime, int] | None = None,
) -> Released:
    """Release the next `limit` bookings not checked in in time (see due_no_shows): each is claimed by
    one conditional UPDATE (still confirmed, still not checked in), so of two processes the second
    finds it taken, and a check-in committed first keeps it. Each released member is told, and the
    rest of the slot is offered to those waiting for the day."""
    read = await due_no_shows(session, now, limit, after)
    due = [b for b in read if b.start_at + timedelta(minutes=b.machine.checkin_minutes) <= now]
    if not due:
        return Released(read, [])
    values = {"status": BookingStatus.CANCELLED, "cancelled_at": now, "no_show_at": now}
    claimed = await _claim_waiting(session, due, values)
    released = [b for b in due if b.id in claimed]
    for booking in released:
        for attribute, value in (
            ("status", BookingStatus.CANCELLED),
            ("cancelled_at", now),
            ("no_show_at", now),
        ):
            set_committed_value(booking, attribute, value)
        await outbox.withdraw(session, reminder_subject(booking.id), REMINDER)
        await outbox.withdraw(session, reminder_subject(booking.id), CHECKIN_ASKED)
        notice = NoShowReleased(
            booking_id=booking.id,
            machine=booking.machine.name,
            machine_id=booking.machine_id,
            start=booking.start_at,
            end=booking.end_at,
            minutes=booking.machine.checkin_minutes,
        )
        outbox.notify_member(session, booking.member, notice, now)
        freed_from = _released_from(booking, now)
        if booking.machine.bookable and freed_from < booking.end_at:
            await slot_freed(session, booking.machine, freed_from, booking.end_at, now, tz)
    return Released(read, released)


__all__ = [
    "CHECKIN_ASKED",
    "CHECKIN_EARLY",
    "Asked",
    "CheckInAsked",
    "CheckInNotYet",
    "CheckInOver",
    "CheckedIn",
    "NoShowReleased",
    "Released",
    "ask_to_check_in",
    "can_check_in",
    "check_in",
    "due_no_shows",
    "release_no_shows",
]
