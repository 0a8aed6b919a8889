"""A day or time typed in the middle of a booking (« demain 15h »): where the member is in the
booking, and where the typed text takes them — or why it cannot.

The buttons carry the whole booking in their data; a typed text carries nothing, so the screen at
which a member is choosing a machine's day or start is remembered (a BookingStep, one per member,
"the member's next message may answer this", like the other pending questions: models/base.py).
What the text leads to is decided by the booking rules themselves (models/bookings.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, ForeignKey
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import bookings
from models.base import Base, clear_pending, delete_by_key, get_pending, put_pending
from models.bookings import BookingRules
from models.errors import InMaintenance, MachineReserved, Misaligned, OutsideOpeningHours
from models.machines import Machine
from models.members import Member
from models.opening import LabCalendar, local_datetime
from models.typed_time import TypedTime

# How many free starts near a refused one are offered instead.
NEAREST = 4


class BookingStep(Base):
    """The booking screen a member has in front of them: a machine's days (day None) or the
    starts of one day of it. A typed day or time is read against it."""

    __tablename__ = "booking_steps"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]


async def remember_step(
    session: AsyncSession, member: Member, machine_id: int, day: date | None, now: datetime
) -> None:
    """The member is choosing a day (day None) or a start on `day` of this machine."""
    step = await get_pending(session, BookingStep, member.id)
    if step is not None:
        # Moving on within a booking: any question asked since would have dropped the step, so
        # there is none to drop (this spares every booking screen a DELETE per kind of question),
        # and the same day's screens write nothing.
        if (step.machine_id, step.day) != (machine_id, day):
            step.machine_id, step.day, step.created_at = machine_id, day, now
            await session.flush()
        return
    await clear_pending(session, member.id, keep=BookingStep)
    await put_pending(session, BookingStep, member.id, machine_id=machine_id, day=day, created_at=now)


async def current_step(session: AsyncSession, member: Member) -> BookingStep | None:
    return await get_pending(session, BookingStep, member.id)


async def forget_step(session: AsyncSession, member: Member) -> None:
    """The booking is made (or given up): a typed text no longer answers it. Most members have
    no step: a read, and no write, for them."""
    if await get_pending(session, BookingStep, member.id) is not None:
        await delete_by_key(session, BookingStep, member.id)


class Refusal(enum.StrEnum):
    """Why what was typed cannot be booked."""

    NEED_DAY = "need_day"  # a time typed while choosing the day
    PASSED_DAY = "passed_day"
    BEYOND_HORIZON = "beyond_horizon"
    CLOSED = "closed"  # the lab is closed that day (`reason`: the closure's, if any)
    PASSED_TIME = "passed_time"
    NOT_OPEN = "not_open"  # the lab is closed at that time of the day (`hours`: when it is open)
    OFF_GRID = "off_grid"  # not a start on the machine's slot grid
    IN_MAINTENANCE = "in_maintenance"
    RESERVED = "reserved"  # a session reserves the machine then (`reserved`: its title, its end)
    TAKEN = "taken"
    TOO_LONG = "too_long"  # over the machine's maximum
    BAD_LENGTH = "bad_length"  # not a whole number of the machine's slots
    OVERNIGHT = "overnight"  # an end the next day (« 18h-8h ») on a machine that is not unattended


@dataclass(frozen=True)
class ShowStarts:
    """A day alone, bookable: its free starts (the day's own screen tells a full day)."""

    day: date


@dataclass(frozen=True)
class ShowLengths:
    """A free start: how long?"""

    start: datetime


@dataclass(frozen=True)
class ShowConfirm:
    """A whole free slot: confirm it."""

    start: datetime
    minutes: int


@dataclass(frozen=True)
class Refused:
    """What was read (`minutes`: the length typed, if any), and why it cannot be booked;
    `nearest` are free starts near the one asked, for `nearest_minutes` (None: for one slot, the
    length still to choose); `hours` the day's opening intervals (NOT_OPEN), `reason` a closure's.
    A length the machine does not allow (TOO_LONG, BAD_LENGTH) is refused from a free start."""

    refusal: Refusal
    day: date | None
    start: datetime | None = None
    minutes: int | None = None
    nearest: list[datetime] = field(default_factory=list)
    nearest_minutes: int | None = None
    hours: list[tuple[datetime, datetime]] = field(default_factory=list)
    reason: str = ""
    reserved: tuple[str, datetime] | None = None


Outcome = ShowStarts | ShowLengths | ShowConfirm | Refused


def _at(day: date, clock: time, rules: BookingRules) -> datetime:
    return local_datetime(day, clock.hour * 60 + clock.minute, rules.tz).astimezone(UTC)


async def _nearest(
    session: AsyncSession,
    machine: Machine,
    day: date,
    wanted: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> list[datetime]:
    """Free starts for `minutes` on that day, the nearest to `wanted` first, in time order."""
    midnight = local_datetime(day, 0, rules.tz).astimezone(UTC)
    starts = await bookings.next_free_starts(
        session, machine, minutes, max(midnight, now), rules, now, limit=200
    )
    same_day = [s for s in starts if s.astimezone(rules.tz).date() == day]
    return sorted(sorted(same_day, key=lambda s: abs(s - wanted))[:NEAREST])


async def _why_not(
    session: AsyncSession, machine: Machine, start: datetime, minutes: int, rules: BookingRules, now: datetime
) -> tuple[Refusal, tuple[str, datetime] | None]:
    """Why a slot that is not free cannot be booked: the rules' reason, else someone holds it (with
    the session reserving the machine, if one does)."""
    try:
        await bookings.validate_slot(session, machine, start, minutes, rules, now)
    except OutsideOpeningHours:
        return Refusal.NOT_OPEN, None
    except Misaligned:
        return Refusal.OFF_GRID, None
    except MachineReserved as reserved:
        return Refusal.RESERVED, (reserved.title, reserved.until)
    except InMaintenance:
        return Refusal.IN_MAINTENANCE, None
    return Refusal.TAKEN, None


async def where_typed_leads(
    session: AsyncSession,
    machine: Machine,
    step_day: date | None,
    typed: TypedTime,
    rules: BookingRules,
    now: datetime,
) -> Outcome:
    """The screen a typed day/time leads to on this machine, as the buttons would: a day's starts,
    a start's lengths, a slot's confirmation; or what was read and why it cannot be booked.
    A time alone is on the day being looked at (`step_day`)."""
    day = typed.day or (step_day if typed.start is not None else None)
    if day is None:
        return Refused(Refusal.NEED_DAY, None)
    start = _at(day, typed.start, rules) if typed.start is not None else None
    minutes = machine.slot_minutes
    overnight = typed.start is not None and typed.end is not None and typed.end < typed.start
    if start is not None and typed.end is not None:
        # An end before the start is the next morning's: an unattended run overnight.
        end_day = day + timedelta(days=1) if overnight else day
        minutes = int((_at(end_day, typed.end, rules) - start) // timedelta(minutes=1))
    asked = minutes if typed.end is not None else None  # a length typed, not the default one
    if day < rules.today(now):
        return Refused(Refusal.PASSED_DAY, day, start, asked)
    if day not in rules.bookable_days(now):
        return Refused(Refusal.BEYOND_HORIZON, day, start, asked)
    calendar = await LabCalendar.load(session, day, day, rules.tz)
    hours = calendar.intervals(day)
    if not hours:
        return Refused(Refusal.CLOSED, day, start, asked, reason=calendar.closures.get(day) or "")
    if start is None:
        return ShowStarts(day)
    if overnight and not machine.unattended:
        return Refused(Refusal.OVERNIGHT, day, start)
    bad_length = asked is not None and (asked > machine.longest_booking or asked % machine.slot_minutes)
    # The nearest starts are offered for the length typed, when the machine allows it.
    offered = None if bad_length else asked
    free = await bookings.day_availability(session, machine, day, rules, now)
    # A start off the grid (15:10) is no free start, whatever free_lengths (which ignores the grid) says.
    if start < now or start not in free.free_starts:
        refusal, reserved = Refusal.PASSED_TIME, None
        if start >= now:
            refusal, reserved = await _why_not(session, machine, start, machine.slot_minutes, rules, now)
        nearest = await _nearest(session, machine, day, start, offered or machine.slot_minutes, rules, now)
        shown = hours if refusal is Refusal.NOT_OPEN else []
        return Refused(refusal, day, start, asked, nearest, offered, shown, reserved=reserved)
    if asked is not None and bad_length:
        too_long = asked > machine.longest_booking
        return Refused(Refusal.TOO_LONG if too_long else Refusal.BAD_LENGTH, day, start, asked)
    if minutes in await bookings.free_lengths(session, machine, start, rules, now):
        return ShowLengths(start) if typed.end is None else ShowConfirm(start, minutes)
    refusal, reserved = await _why_not(session, machine, start, minutes, rules, now)
    nearest = await _nearest(session, machine, day, start, minutes, rules, now)
    shown = hours if refusal is Refusal.NOT_OPEN else []
    return Refused(refusal, day, start, asked, nearest, asked, shown, reserved=reserved)
