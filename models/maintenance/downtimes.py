"""Planned downtime: a window when a machine is out of service, the bookings it affects (warned,
kept), and calling it off. The table itself is models/downtime.py (bookings read it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import waitlist
from models.base import stamp_once
from models.bookings import Booking, BookingRules, BookingStatus, availability
from models.downtime import Downtime, first_downtime_over, reservation_over
from models.errors import AlreadyReserved, NotFound
from models.free_text import one_line
from models.machines import MachineStatus, get_any_machine
from models.maintenance.errors import BadWindow, DowntimeOver
from models.maintenance.notices import (
    DowntimeCalledOff,
    DowntimeWarning,
    SessionReservationFreed,
    SessionReserves,
    _booking_facts,
)
from models.maintenance.service import _upcoming_bookings
from models.maintenance.tables import MAX_DOWNTIME, MAX_DOWNTIME_AHEAD
from models.members import Member, require_manager
from models.notices import Notice
from models.outbox import notify_member


async def plan_downtime(
    session: AsyncSession,
    manager: Member,
    machine_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> tuple[Downtime, int]:
    """Plan a window when the machine is out of service; warn members whose bookings fall in it.

    Their bookings are kept (marked affected): each member is told so, and cancels or moves it."""
    require_manager(manager)
    machine = await get_any_machine(session, machine_id, lock=True)
    _check_window(start, end, now)
    same = await session.scalar(
        select(Downtime).where(
            Downtime.machine_id == machine.id,
            Downtime.start_at == start,
            Downtime.end_at == end,
            Downtime.cancelled_at.is_(None),
            Downtime.session_id.is_(None),
        )
    )
    if same is not None:  # the confirm button pressed twice: planned once, warned once
        return same, 0
    downtime = Downtime(
        machine_id=machine.id,
        start_at=start,
        end_at=end,
        reason=one_line(reason, 200),
        created_by_id=manager.id,
        created_at=now,
    )
    session.add(downtime)
    await session.flush()
    affected = await _bookings_in(session, machine.id, start, end, now)
    for booking in affected:
        booking.affected_downtime_id = downtime.id
        warning = DowntimeWarning(
            **_booking_facts(booking, machine), window_start=start, window_end=end, reason=downtime.reason
        )
        notify_member(session, booking.member, warning, now)
    return downtime, len(affected)


def _check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start or end <= now or end - start > MAX_DOWNTIME or start > now + MAX_DOWNTIME_AHEAD:
        raise BadWindow(f"{start} – {end}")


async def _bookings_in(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime, now: datetime
) -> list[Booking]:
    """Confirmed bookings of the machine, not over yet, overlapping [start, end)."""
    return [b for b in await _upcoming_bookings(session, machine_id, now, until=end) if b.end_at > start]


async def downtime_impact(
    session: AsyncSession, manager: Member, machine_id: int, start: datetime, end: datetime, now: datetime
) -> int:
    """How many bookings a downtime planned now over [start, end) would affect (nothing is written)."""
    require_manager(manager)
    machine = await get_any_machine(session, machine_id)
    _check_window(start, end, now)
    return len(await _bookings_in(session, machine.id, start, end, now))


async def get_downtime(session: AsyncSession, downtime_id: int) -> Downtime:
    if (downtime := await session.get(Downtime, downtime_id)) is None:
        raise NotFound(f"downtime {downtime_id}")
    return downtime


@dataclass(frozen=True)
class CalledOff:
    downtime: Downtime
    told: int  # members with a booking in the window, told it stands
    already: bool  # it was called off before (a second press): nothing was done


async def call_off_downtime(
    session: AsyncSession, manager: Member, downtime_id: int, now: datetime, rules: BookingRules
) -> CalledOff:
    """Call off a planned downtime: its window can be booked again. Members it warned are told their
    booking stands, and members waiting for one of its days are told to have a look - unless another
    downtime still covers them, or the machine is out of service anyway."""
    require_manager(manager)
    downtime = await get_downtime(session, downtime_id)
    if downtime.cancelled_at is not None:
        return CalledOff(downtime, 0, already=True)
    if downtime.end_at <= now:
        raise DowntimeOver(str(downtime_id))
    return await _free(session, downtime, now, rules)


async def _free(
    session: AsyncSession, downtime: Downtime, now: datetime, rules: BookingRules | None
) -> CalledOff:
    """The window can be booked again: members warned are told, the waitlist of its days too
    (with the booking rules, which say the days)."""
    if not await stamp_once(session, downtime, "cancelled_at", now):  # two presses at once: one acts
        return CalledOff(downtime, 0, already=True)
    machine = await get_any_machine(session, downtime.machine_id)
    in_service = machine.status is MachineStatus.AVAILABLE
    warned = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.member))
        .where(
            Booking.affected_downtime_id == downtime.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end_at > now,
        )
    )
    told = 0
    for booking in warned:
        # Another downtime overlapping the booking still stands: the booking is affected by that one.
        still = await first_downtime_over(session, machine.id, booking.start_at, booking.end_at)
        booking.affected_downtime_id = still
        if still is not None or not in_service:
            continue
        facts = _booking_facts(booking, machine)
        called_off: Notice = (
            DowntimeCalledOff(**facts, window_start=downtime.start_at, window_end=downtime.end_at)
            if downtime.session_id is None
            else SessionReservationFreed(**facts, title=downtime.reason)
        )
        notify_member(session, booking.member, called_off, now)
        told += 1
    if rules is None or not in_service:
        return CalledOff(downtime, told, already=False)
    first = max(downtime.start_at, now).astimezone(rules.tz).date()
    last = (downtime.end_at - timedelta(microseconds=1)).astimezone(rules.tz).date()
    days = [d for d in rules.bookable_days(now) if first <= d <= last]
    if days:
        opened = [a.day for a in await availability(session, machine, rules, now, days) if a.free_starts]
        await waitlist.times_freed(session, machine, opened, now)
    return CalledOff(downtime, told, already=False)


async def upcoming_downtimes(session: AsyncSession, machine_id: int, now: datetime) -> list[Downtime]:
    return (await upcoming_downtimes_of(session, [machine_id], now))[machine_id]


async def upcoming_downtimes_of(
    session: AsyncSession, machine_ids: list[int], now: datetime
) -> dict[int, list[Downtime]]:
    """The machines' downtimes not over yet, soonest first, by machine: one query for them all."""
    found: dict[int, list[Downtime]] = {machine_id: [] for machine_id in machine_ids}
    if machine_ids:
        rows = await session.scalars(
            select(Downtime)
            .where(
                Downtime.machine_id.in_(machine_ids),
                Downtime.cancelled_at.is_(None),
                Downtime.end_at > now,
                Downtime.session_id.is_(None),  # a session's reservation goes with the session
            )
            .order_by(Downtime.start_at, Downtime.id)
        )
        for downtime in rows:
            found[downtime.machine_id].append(downtime)
    return found


# --- a session reserving machines (models/sessions.py) -----------------------------------------


async def reserve_for_session(
    session: AsyncSession,
    session_id: int,
    title: str,
    machine_ids: list[int],
    start: datetime,
    end: datetime,
    by_id: int | None,
    now: datetime,
) -> int:
    """Reserve the machines for a session's time, as a planned downtime naming the session: nobody
    books them then. Members with a booking in it are warned (it is kept, they decide) and told which
    session; return how many bookings were warned. An unknown or retired machine is NotFound."""
    await check_reservable(session, machine_ids, start, end)
    warned = 0
    for machine_id in dict.fromkeys(machine_ids):
        machine = await get_any_machine(session, machine_id, lock=True)
        downtime = Downtime(
            machine_id=machine.id,
            start_at=start,
            end_at=end,
            reason=title,
            created_by_id=by_id,
            created_at=now,
            session_id=session_id,
        )
        session.add(downtime)
        await session.flush()
        for booking in await _bookings_in(session, machine.id, start, end, now):
            booking.affected_downtime_id = downtime.id
            warning = SessionReserves(
                **_booking_facts(booking, machine), window_start=start, window_end=end, title=title
            )
            notify_member(session, booking.member, warning, now)
            warned += 1
    return warned


async def check_reservable(
    session: AsyncSession, machine_ids: list[int], start: datetime, end: datetime
) -> None:
    """Refuse unless a session may reserve these machines for [start, end): each known, not retired,
    and not reserved by another session for part of that time (AlreadyReserved, naming it)."""
    for machine_id in dict.fromkeys(machine_ids):
        machine = await get_any_machine(session, machine_id, lock=True)
        if machine.status is MachineStatus.RETIRED:
            raise NotFound(f"machine {machine_id}")
        if (other := await reservation_over(session, machine.id, start, end)) is not None:
            raise AlreadyReserved(machine.name, other.reason)


async def reserved_by(session: AsyncSession, session_id: int) -> list[Downtime]:
    """The machines a session reserves (its windows not freed), by machine id."""
    rows = await session.scalars(
        select(Downtime)
        .where(Downtime.session_id == session_id, Downtime.cancelled_at.is_(None))
        .order_by(Downtime.machine_id)
    )
    return list(rows)


async def free_session_machines(
    session: AsyncSession, session_id: int, now: datetime, rules: BookingRules | None
) -> int:
    """The session is cancelled: the machines it reserved can be booked again (members it warned are
    told their booking stands, the waitlist of those days is offered the time). Return how many told."""
    told = 0
    for downtime in await reserved_by(session, session_id):
        if downtime.end_at > now:
            told += (await _free(session, downtime, now, rules)).told
    return told
