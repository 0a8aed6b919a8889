"""Editing a booking in place: extend or shorten it, or move it to another free start of its machine.

The booking's row is updated, never cancelled and rebooked: in one transaction the new span is
checked against the machine's other bookings while the old one is still held, and the update is
guarded by the same database rule as an insert (the exclusion constraint on PostgreSQL, the update
trigger on SQLite). There is no moment where both spans, or neither, are held; of a member extending
into a gap and another booking that gap at once, exactly one wins.

What follows the booking is derived from its row: the reminder (re-armed when the start moves, or
when the queued one still carries the old times), the check-in window and the no-show release (from
`start_at`). Time given back (a shortened or moved booking) is offered to the waitlist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import outbox
from models.bookings import (
    REMINDER,
    Booking,
    BookingRules,
    BookingStatus,
    Interval,
    _free_starts,
    _unavailable,
    check_limits,
    get_own_booking,
    next_free_starts,
    overlaps,
    reminder_subject,
    take_members_turn,
    validate_slot,
)
from models.errors import AlreadyCancelled, AlreadyStarted, SlotTaken
from models.machines import Machine, check_bookable, get_machine
from models.members import Member
from models.opening import LabCalendar, local_datetime
from models.waitlist import slot_freed


def editable(booking: Booking, now: datetime) -> bool:
    """A confirmed booking can be edited until it starts (like cancelling it)."""
    return booking.cancellable(now)


def reaching(rules: BookingRules, booking: Booking, now: datetime) -> BookingRules:
    """The rules for changing this booking: a fab manager may have booked it beyond the members'
    horizon (a weekly series), and it may still be changed on its own day."""
    reach = (booking.start_at.astimezone(rules.tz).date() - rules.today(now)).days + 1
    return replace(rules, horizon_days=max(rules.horizon_days, reach))


def _without(busy: list[Interval], booking: Booking) -> list[Interval]:
    """The machine's unavailable times but the booking's own span (held by it, so not in its way)."""
    others = list(busy)
    if (booking.start_at, booking.end_at) in others:
        others.remove((booking.start_at, booking.end_at))
    return others


async def _busy_around(
    session: AsyncSession, booking: Booking, start: datetime, end: datetime
) -> list[Interval]:
    return _without(await _unavailable(session, booking.machine_id, start, end), booking)


async def lengths_from_start(
    session: AsyncSession, booking: Booking, machine: Machine, rules: BookingRules, now: datetime
) -> list[int]:
    """Lengths (minutes) the booking may take from its own start: contiguous free time, up to the
    machine's maximum, within the opening interval; its current length is among them."""
    start = booking.start_at
    day = start.astimezone(rules.tz).date()
    calendar = await LabCalendar.load(session, day, day, rules.tz)
    interval = calendar.interval_containing(start, start + timedelta(minutes=machine.slot_minutes))
    if interval is None or start < now:
        return []
    busy = await _busy_around(session, booking, start, interval[1])
    lengths = []
    for minutes in range(machine.slot_minutes, machine.max_booking_minutes + 1, machine.slot_minutes):
        end = start + timedelta(minutes=minutes)
        if (
            end > interval[1]
            or end > reaching(rules, booking, now).horizon_end(now)
            or overlaps(busy, start, end)
        ):
            break
        lengths.append(minutes)
    return lengths


async def starts_to_move_to(
    session: AsyncSession,
    booking: Booking,
    machine: Machine,
    days: list[date],
    rules: BookingRules,
    now: datetime,
) -> dict[date, list[datetime]]:
    """Free starts, day by day, where the booking could move keeping its length (its own start left out)."""
    if not days:
        return {}
    calendar = await LabCalendar.load(session, days[0], days[-1], rules.tz)
    window_start = local_datetime(days[0], 0, rules.tz)
    window_end = local_datetime(days[-1], 24 * 60, rules.tz)
    busy = await _busy_around(session, booking, window_start, window_end)
    found = {}
    for day in days:
        starts = _free_starts(calendar.intervals(day), machine, busy, now, booking.minutes)
        found[day] = [s for s in starts if s != booking.start_at]
    return found


@dataclass(frozen=True)
class Edited:
    booking: Booking
    old_start: datetime
    old_end: datetime
    offered: int  # members waiting who were told of the time given back

    @property
    def moved(self) -> bool:
        return self.booking.start_at != self.old_start


async def edit_booking(
    session: AsyncSession,
    member: Member,
    booking_id: int,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> Edited:
    """Give the member's upcoming booking a new span [start, start + minutes) on the same machine,
    or refuse with the reason (the booking then stays as it was).

    The machine's rules apply as for a new booking (training, status, length, grid, opening hours,
    horizon, downtime, the member's quotas and the notice for a new start); a clash with someone
    else's booking is SlotTaken with the next free starts.
    """
    booking = await get_own_booking(session, member, booking_id)
    await take_members_turn(session, member)  # the member's quotas (check_limits)
    # Bookings of one machine take turns (see get_machine): a booking made at the same instant waits.
    machine = await get_machine(session, booking.machine_id, booking_lock=True)
    # Its latest version, read after the machine's lock and held: a cancel at the same instant waits.
    await session.refresh(
        booking, ["status", "start_at", "end_at", "reminded_at", "checked_in_at"], with_for_update=True
    )
    if booking.status is BookingStatus.CANCELLED:
        raise AlreadyCancelled(str(booking.id))
    if not editable(booking, now):
        raise AlreadyStarted(str(booking.id))
    await check_bookable(session, member, machine)
    rules = reaching(rules, booking, now)
    await validate_slot(session, machine, start, minutes, rules, now)
    end = start + timedelta(minutes=minutes)
    old_start, old_end = booking.start_at, booking.end_at
    if (start, end) == (old_start, old_end):
        booking.member, booking.machine = member, machine
        return Edited(booking, old_start, old_end, 0)
    if overlaps(await _busy_around(session, booking, start, end), start, end):
        raise SlotTaken(await next_free_starts(session, machine, minutes, start, rules, now))
    await check_limits(session, member, machine, start, end, rules, now, editing=booking)
    try:
        async with session.begin_nested():
            booking.start_at, booking.end_at = start, end
            await session.flush()
    except IntegrityError as exc:
        if "overlap" not in str(exc.orig).lower() and "exclusion" not in str(exc.orig).lower():
            raise
        # Another transaction's booking got there first (the database's own guard fired).
        await session.refresh(booking)
        raise SlotTaken(await next_free_starts(session, machine, minutes, start, rules, now)) from None
    # The reminder follows the booking: a queued one carries the old times, and a booking moved
    # after it was reminded is reminded again of its new start.
    withdrawn = await outbox.withdraw(session, reminder_subject(booking.id), REMINDER)
    if start != old_start or withdrawn:
        booking.reminded_at = None
    if start != old_start:
        booking.checked_in_at = None  # a check-in was for the old start
    booking.member, booking.machine = member, machine
    offered = 0
    if machine.bookable:
        for freed_start, freed_end in given_back((old_start, old_end), (start, end)):
            offered += await slot_freed(session, machine, freed_start, freed_end, now, rules.tz)
    await session.flush()
    return Edited(booking, old_start, old_end, offered)


def given_back(old: Interval, new: Interval) -> list[Interval]:
    """The parts of the old span the new one no longer covers."""
    parts = []
    if old[0] < new[0]:
        parts.append((old[0], min(old[1], new[0])))
    if new[1] < old[1]:
        parts.append((max(old[0], new[1]), old[1]))
    return [(s, e) for s, e in parts if s < e]


__all__ = [
    "Edited",
    "edit_booking",
    "editable",
    "given_back",
    "lengths_from_start",
    "reaching",
    "starts_to_move_to",
]
