"""The waitlist: when a machine is full on a day, members can wait for a slot to free up.

When a booking on that machine and day is cancelled, the first members waiting get a message
with a one-tap "Book it" for the freed slot: the first to press gets it, the others are told it
is gone (the booking rules refuse a taken slot). When a machine comes back into service, those
waiting for it are told too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, ForeignKey, Index, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from models.base import Base
from models.bookings import Booking, BookingRules, BookingStatus, cancel, day_availability, earliest_start
from models.errors import DomainError
from models.machines import Machine, check_bookable, get_machine, is_authorized
from models.members import Member
from models.notices import Notice
from models.opening import local_datetime
from models.outbox import notify_member

# How many waiting members hear of one freed slot (first come, first served).
TOLD_PER_SLOT = 3


class WaitlistFreed(Notice, kind="waitlist_freed"):
    """A slot freed up on the machine a member waits for: the first to tap gets it."""

    machine: str
    machine_id: int
    start: datetime
    end: datetime
    minutes: int


@dataclass(frozen=True, kw_only=True)
class _HaveALook:
    machine: str
    machine_id: int
    day: date


class WaitlistBack(_HaveALook, Notice, kind="waitlist_back"):
    """The machine a member waits for is back in service: have a look at the day."""


class WaitlistOpened(_HaveALook, Notice, kind="waitlist_opened"):
    """A maintenance over the day a member waits for is called off: have a look."""


class SlotsAvailable(DomainError):
    """The day still has free slots: no need to wait."""


class NothingToWaitFor(DomainError):
    """No slot of the day is still ahead (the lab is closed, or the day is nearly over)."""


class WaitlistEntry(Base):
    """A member waiting for a slot on a machine, on one day."""

    __tablename__ = "waitlist"
    __table_args__ = (
        Index(
            "uq_waitlist_waiting",
            "member_id",
            "machine_id",
            "day",
            unique=True,
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("ix_waitlist_machine_day", "machine_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]  # last time a freed slot was offered
    done_at: Mapped[datetime | None]  # the day is over, or the member booked it

    member: Mapped[Member] = relationship(lazy="raise")
    machine: Mapped[Machine] = relationship(lazy="raise")


async def join(
    session: AsyncSession, member: Member, machine_id: int, day: date, rules: BookingRules, now: datetime
) -> tuple[WaitlistEntry, bool]:
    """Put the member on the machine's waitlist for a full day; return (entry, newly added).

    Only a day with no free start, but starts still ahead, can be waited for.
    """
    machine = await get_machine(session, machine_id)
    await check_bookable(session, member, machine, now=now)
    # As the day's screen counted them: the starts within the member's notice are not theirs to book.
    first = await earliest_start(session, member, machine, now)
    availability = await day_availability(session, machine, day, rules, now, not_before=first)
    if availability.free_starts:
        raise SlotsAvailable(machine.name)
    if not availability.worth_waiting:
        raise NothingToWaitFor(machine.name)
    waiting_now = select(WaitlistEntry).where(
        WaitlistEntry.member_id == member.id,
        WaitlistEntry.machine_id == machine.id,
        WaitlistEntry.day == day,
        WaitlistEntry.done_at.is_(None),
    )
    waiting = await session.scalar(waiting_now)
    if waiting is not None:
        return waiting, False
    entry = WaitlistEntry(member_id=member.id, machine_id=machine.id, day=day, created_at=now)
    try:
        async with session.begin_nested():
            session.add(entry)
    except IntegrityError:  # pressed twice at once
        found = await session.scalar(waiting_now)
        assert found is not None
        return found, False
    return entry, True


async def slot_freed(
    session: AsyncSession, machine: Machine, start: datetime, end: datetime, now: datetime, tz: ZoneInfo
) -> int:
    """A slot of the machine freed up: offer it to the members waiting for that day (local), those
    not offered anything yet first, then those offered longest ago, so every one gets a turn. Only
    to those who may book it: trained, and past the machine's notice (managers are exempt)."""
    day = start.astimezone(tz).date()
    day_start, day_end = local_datetime(day, 0, tz), local_datetime(day, 24 * 60, tz)
    entries = list(
        await session.scalars(
            select(WaitlistEntry)
            .options(selectinload(WaitlistEntry.member))
            .where(
                WaitlistEntry.machine_id == machine.id,
                WaitlistEntry.day == day,
                WaitlistEntry.done_at.is_(None),
            )
            .order_by(
                WaitlistEntry.notified_at.is_not(None),
                WaitlistEntry.notified_at,
                WaitlistEntry.created_at,
                WaitlistEntry.id,
            )
        )
    )
    told = 0
    for entry in entries:
        if told >= TOLD_PER_SLOT:
            break
        booked = await session.scalar(
            select(Booking.id).where(
                Booking.member_id == entry.member_id,
                Booking.machine_id == machine.id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at < day_end,
                Booking.end_at > day_start,
            )
        )
        if booked is not None:  # they found a slot that day meanwhile: done waiting
            entry.done_at = now
            continue
        if not await is_authorized(session, entry.member, machine, now=now):
            continue  # their training lapsed or was withdrawn meanwhile: the slot goes to one who can book
        offered = _past_notice(machine, start, end, await earliest_start(session, entry.member, machine, now))
        if offered is None:
            continue  # all within the machine's notice: Book it would refuse them (managers are exempt)
        entry.notified_at = now
        freed = WaitlistFreed(
            machine=machine.name,
            machine_id=machine.id,
            start=offered,
            end=end,
            minutes=int((end - offered).total_seconds() // 60),
        )
        notify_member(session, entry.member, freed, now)
        told += 1
    return told


def _past_notice(machine: Machine, start: datetime, end: datetime, earliest: datetime) -> datetime | None:
    """The first start of the freed [start, end) on the machine's grid at or past `earliest` (the
    member's notice), with at least one slot before `end`; None: all of it is within the notice.
    An unattended run must start in the opening hours: its freed span is offered whole or not at all."""
    if start >= earliest:
        return start
    if machine.unattended:
        return None
    step = timedelta(minutes=machine.slot_minutes)
    offered = start + step * -((start - earliest) // step)  # rounded up to the grid
    return offered if offered + step <= end else None


async def machine_back(session: AsyncSession, machine: Machine, now: datetime, tz: ZoneInfo | None) -> int:
    """The machine is back in service: everyone waiting for it (today on, in the lab's time) is told."""
    today = now.astimezone(tz).date() if tz is not None else now.date()
    return await _tell_waiting(session, machine, WaitlistEntry.day >= today, WaitlistBack, now)


async def times_freed(session: AsyncSession, machine: Machine, days: list[date], now: datetime) -> int:
    """Times of the machine came free on these days (a downtime called off): those waiting for one of
    them are told to have a look."""
    if not days:
        return 0
    return await _tell_waiting(session, machine, WaitlistEntry.day.in_(days), WaitlistOpened, now)


async def _tell_waiting(
    session: AsyncSession,
    machine: Machine,
    on_days: ColumnElement[bool],
    notice: type[WaitlistBack | WaitlistOpened],
    now: datetime,
) -> int:
    """Tell everyone waiting for the machine on those days to have a look."""
    entries = list(
        await session.scalars(
            select(WaitlistEntry)
            .options(selectinload(WaitlistEntry.member))
            .where(WaitlistEntry.machine_id == machine.id, on_days, WaitlistEntry.done_at.is_(None))
            .order_by(WaitlistEntry.day, WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )
    told = 0
    for entry in entries:
        if not await is_authorized(session, entry.member, machine, now=now):
            continue  # their training lapsed or was withdrawn meanwhile: nothing they can book
        entry.notified_at = now
        told += 1
        look = notice(machine=machine.name, machine_id=machine.id, day=entry.day)
        notify_member(session, entry.member, look, now)
    return told


async def close_past(session: AsyncSession, today: date, now: datetime) -> None:
    """Days gone by: their waiting is over."""
    for entry in await session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.day < today, WaitlistEntry.done_at.is_(None))
    ):
        entry.done_at = now


async def cancel_booking(
    session: AsyncSession,
    member: Member,
    booking_id: int,
    now: datetime,
    rules: BookingRules,
    *,
    no_show_accepted: bool = False,
) -> Booking:
    """Cancel one of the member's upcoming bookings and offer the freed slot to the members waiting
    for that day (the bookings module knows nothing of the waitlist: areas meet through this call)."""
    booking = await cancel(session, member, booking_id, now, no_show_accepted=no_show_accepted)
    if booking.machine.bookable:
        await slot_freed(session, booking.machine, booking.start_at, booking.end_at, now, rules.tz)
    return booking
