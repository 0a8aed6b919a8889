"""The lab's planning: a week of every machine at a glance, and the machines free at a given time.

What the Mini App's week grid and its "time first" search read. Each reads every table it needs
once for the whole span (machines, authorizations, bookings, downtimes, opening hours, closures),
never once per machine or per day, and the free-machine search applies the booking rules of
models/bookings.py to what it read: a machine it offers is one `bookings.book` accepts then.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import quotas
from models.bookings import (
    MAX_BOOKING_SPAN,
    Booking,
    BookingRules,
    BookingStatus,
    Interval,
    check_opening,
    check_timing,
    overlaps,
)
from models.downtime import Downtime
from models.errors import DomainError
from models.machines import Machine, MachineKind, authorized_machines, list_machines
from models.members import Member
from models.opening import LabCalendar, closed_days, local_datetime, weekly_hours

WEEK = 7


class BusyState(enum.StrEnum):
    BOOKED = "booked"  # someone else's booking: never said whose
    MINE = "mine"
    DOWNTIME = "downtime"


@dataclass(frozen=True)
class Busy:
    """A time a machine cannot be booked; `booking` only for the member's own bookings."""

    machine_id: int
    start: datetime
    end: datetime
    state: BusyState
    booking: int | None = None


@dataclass(frozen=True)
class WeekPlan:
    days: list[date]
    machines: list[Machine]
    authorized: set[int]  # ids of the machines the member may book as far as training goes
    calendar: LabCalendar  # opening hours and the closures of the week
    busy: list[Busy]


def week_monday(rules: BookingRules, now: datetime) -> date:
    """Monday of the current week, in the lab's time."""
    today = rules.today(now)
    return today - timedelta(days=today.weekday())


def week_starts_allowed(rules: BookingRules, now: datetime) -> tuple[date, date]:
    """The first and last day a week shown may start on: this Monday, and the last bookable day."""
    return week_monday(rules, now), rules.bookable_days(now)[-1]


def _window(days: list[date], rules: BookingRules) -> tuple[datetime, datetime]:
    return (
        local_datetime(days[0], 0, rules.tz).astimezone(UTC),
        local_datetime(days[-1], 24 * 60, rules.tz).astimezone(UTC),
    )


async def _machines(session: AsyncSession, kind: MachineKind | None) -> list[Machine]:
    listed = await list_machines(session)
    return [m for m in listed if kind is None or m.kind is kind]


async def _bookings(
    session: AsyncSession, machine_ids: list[int], start: datetime, end: datetime
) -> list[tuple[int, int, int, datetime, datetime]]:
    """(id, member id, machine id, start, end) of confirmed bookings overlapping [start, end), one query."""
    if not machine_ids:
        return []
    rows = await session.execute(
        select(Booking.id, Booking.member_id, Booking.machine_id, Booking.start_at, Booking.end_at)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= start - MAX_BOOKING_SPAN,
            Booking.start_at < end,
            Booking.end_at > start,
            Booking.machine_id.in_(machine_ids),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return [(r.id, r.member_id, r.machine_id, r.start_at, r.end_at) for r in rows]


async def _downtimes(
    session: AsyncSession, machine_ids: list[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(machine id, start, end) of planned downtimes overlapping [start, end), one query."""
    if not machine_ids:
        return []
    rows = await session.execute(
        select(Downtime.machine_id, Downtime.start_at, Downtime.end_at)
        .where(
            Downtime.cancelled_at.is_(None),
            Downtime.start_at < end,
            Downtime.end_at > start,
            Downtime.machine_id.in_(machine_ids),
        )
        .order_by(Downtime.start_at)
    )
    return [(r.machine_id, r.start_at, r.end_at) for r in rows]


async def _calendar(session: AsyncSession, days: list[date], rules: BookingRules) -> LabCalendar:
    return LabCalendar(await weekly_hours(session), await closed_days(session, days[0], days[-1]), rules.tz)


async def week(
    session: AsyncSession,
    member: Member,
    first_day: date,
    rules: BookingRules,
    kind: MachineKind | None = None,
) -> WeekPlan:
    """Seven days of every machine (of one kind, if given) from `first_day`: what is booked (the
    member's own bookings told apart, nobody else's named), planned downtime, opening hours, closures."""
    days = [first_day + timedelta(days=n) for n in range(WEEK)]
    start, end = _window(days, rules)
    machines = await _machines(session, kind)
    ids = [m.id for m in machines]
    busy = [
        Busy(machine_id, b_start, b_end, BusyState.MINE, booking_id)
        if member_id == member.id
        else Busy(machine_id, b_start, b_end, BusyState.BOOKED)
        for booking_id, member_id, machine_id, b_start, b_end in await _bookings(session, ids, start, end)
    ]
    busy += [
        Busy(machine_id, d_start, d_end, BusyState.DOWNTIME)
        for machine_id, d_start, d_end in await _downtimes(session, ids, start, end)
    ]
    busy.sort(key=lambda b: (b.start, b.machine_id))
    return WeekPlan(
        days=days,
        machines=machines,
        authorized=await authorized_machines(session, member, machines),
        calendar=await _calendar(session, days, rules),
        busy=busy,
    )


async def free_machines(
    session: AsyncSession,
    member: Member,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
    kind: MachineKind | None = None,
) -> list[Machine]:
    """The machines (of one kind, if given) the member could book for [start, start + minutes):
    in service, trained on, and every booking rule met (length, time, opening hours, grid, downtime,
    nobody there, the minimum notice). Booking one still goes through `bookings.book`, which checks
    it all again."""
    end = start + timedelta(minutes=minutes)
    machines = await _machines(session, kind)
    usable = [m for m in machines if m.bookable]
    authorized = await authorized_machines(session, member, usable, now=now)
    usable = [m for m in usable if m.id in authorized]
    ids = [m.id for m in usable]
    taken: dict[int, list[Interval]] = defaultdict(list)
    for _id, _member, machine_id, b_start, b_end in await _bookings(session, ids, start, end):
        taken[machine_id].append((b_start, b_end))
    downtimes: dict[int, list[Interval]] = defaultdict(list)
    for machine_id, d_start, d_end in await _downtimes(session, ids, start, end):
        downtimes[machine_id].append((d_start, d_end))
    # Every day the span touches (a booking is held within one opening interval of its first day
    # today, but a closure of a later day it reaches must be seen all the same).
    first_day, last_day = (
        start.astimezone(rules.tz).date(),
        (end - timedelta(microseconds=1)).astimezone(rules.tz).date(),
    )
    calendar = await _calendar(session, [first_day, last_day], rules)
    earliest = await quotas.earliest_starts(session, member, usable, now)  # their minimum notice
    free = []
    for machine in usable:
        if start < earliest[machine.id]:
            continue
        try:
            check_timing(machine, start, minutes, rules, now)
            check_opening(machine, start, minutes, calendar, downtimes[machine.id])
        except DomainError:
            continue
        if not overlaps(taken[machine.id], start, end):
            free.append(machine)
    return free


async def upcoming_closures(session: AsyncSession, rules: BookingRules, now: datetime) -> dict[date, str]:
    """Closure days from today on (a year ahead), with their reasons."""
    today = rules.today(now)
    return await closed_days(session, today, today + timedelta(days=366))


__all__ = [
    "Busy",
    "BusyState",
    "WeekPlan",
    "free_machines",
    "upcoming_closures",
    "week",
    "week_monday",
    "week_starts_allowed",
]
