"""Usage statistics for the fab managers: hours booked, busiest hours, cancellations, repairs, stock used.

Figures come from the same rows erasure keeps (anonymised bookings, tickets, movements), so
erasing a member's personal data leaves the statistics unchanged.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.bookings import MAX_BOOKING_SPAN, Booking, BookingStatus
from models.machines import Machine, MachineStatus
from models.maintenance import Ticket, TicketStatus
from models.members import Member
from models.stock import Consumable, MovementReason, StockMovement


@dataclass
class UsageStats:
    start: datetime
    end: datetime
    hours_by_machine: dict[str, float] = field(default_factory=dict)
    hours_by_kind: dict[str, float] = field(default_factory=dict)
    busiest: list[tuple[int, int, float]] = field(default_factory=list)  # (weekday, hour, hours booked)
    bookings: int = 0
    cancelled: int = 0  # by their members (no-shows are counted apart)
    checked_in_by_machine: dict[str, int] = field(default_factory=dict)
    no_shows_by_machine: dict[str, int] = field(default_factory=dict)
    tickets_opened: int = 0
    tickets_resolved: int = 0
    mean_time_to_repair: timedelta | None = None
    used: dict[str, tuple[Decimal, str]] = field(default_factory=dict)  # consumable -> (amount, unit)

    @property
    def idle(self) -> list[str]:
        """The machines nobody booked in the period."""
        return [name for name, hours in self.hours_by_machine.items() if not hours]

    @property
    def hours(self) -> float:
        return sum(self.hours_by_machine.values())

    @property
    def checked_in(self) -> int:
        return sum(self.checked_in_by_machine.values())

    @property
    def no_shows(self) -> int:
        return sum(self.no_shows_by_machine.values())

    @property
    def cancellation_rate(self) -> float | None:
        return self.cancelled / self.bookings if self.bookings else None


async def _bookings(session: AsyncSession, start: datetime, end: datetime) -> list[Booking]:
    rows = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.machine))
        .where(Booking.start_at >= start - MAX_BOOKING_SPAN, Booking.start_at < end, Booking.end_at > start)
        .order_by(Booking.start_at)
    )
    return list(rows)


async def usage(session: AsyncSession, start: datetime, end: datetime, tz: ZoneInfo) -> UsageStats:
    """The lab's use between `start` and `end` (bookings counted where they start in the period)."""
    stats = UsageStats(start, end)
    by_machine: dict[str, float] = defaultdict(float)
    by_kind: dict[str, float] = defaultdict(float)
    by_hour: dict[tuple[int, int], float] = defaultdict(float)
    checked_in: dict[str, int] = defaultdict(int)
    no_shows: dict[str, int] = defaultdict(int)
    for booking in await _bookings(session, start, end):
        if not start <= booking.start_at < end:
            continue
        stats.bookings += 1
        if booking.no_show_at is not None:
            no_shows[booking.machine.name] += 1
            continue
        if booking.checked_in_at is not None:
            checked_in[booking.machine.name] += 1
        if booking.status is BookingStatus.CANCELLED:
            stats.cancelled += 1
            continue
        hours = (booking.end_at - booking.start_at).total_seconds() / 3600
        by_machine[booking.machine.name] += hours
        by_kind[booking.machine.kind.value] += hours
        moment = booking.start_at
        while moment < booking.end_at:  # each started hour of the booking, in the lab's time
            local = moment.astimezone(tz)
            slice_end = min(booking.end_at, moment + timedelta(hours=1) - timedelta(minutes=local.minute))
            by_hour[(local.weekday(), local.hour)] += (slice_end - moment).total_seconds() / 3600
            moment = slice_end
    # Every machine in use counts, the idle ones at 0 h: exactly what a manager wants to see.
    for machine in await session.scalars(select(Machine).where(Machine.status != MachineStatus.RETIRED)):
        by_machine.setdefault(machine.name, 0.0)
    stats.hours_by_machine = dict(sorted(by_machine.items(), key=lambda kv: (-kv[1], kv[0])))
    stats.checked_in_by_machine = dict(sorted(checked_in.items()))
    stats.no_shows_by_machine = dict(sorted(no_shows.items()))
    stats.hours_by_kind = dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
    ranked = sorted(by_hour.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    stats.busiest = [(day, hour, hours) for (day, hour), hours in ranked]
    tickets = list(
        await session.scalars(
            select(Ticket).where(
                ((Ticket.created_at >= start) & (Ticket.created_at < end))
                | ((Ticket.closed_at >= start) & (Ticket.closed_at < end))
            )
        )
    )
    stats.tickets_opened = sum(1 for t in tickets if start <= t.created_at < end)
    repaired = [
        t
        for t in tickets
        if t.status is TicketStatus.RESOLVED and t.closed_at is not None and start <= t.closed_at < end
    ]
    stats.tickets_resolved = len(repaired)
    if repaired:
        total = sum(((t.closed_at or t.created_at) - t.created_at for t in repaired), timedelta())
        stats.mean_time_to_repair = total / len(repaired)
    consumables = {c.id: c for c in await session.scalars(select(Consumable))}
    used: dict[int, int] = defaultdict(int)
    for movement in await session.scalars(
        select(StockMovement).where(
            StockMovement.reason == MovementReason.USE, StockMovement.at >= start, StockMovement.at < end
        )
    ):
        used[movement.consumable_id] -= movement.delta_milli
    stats.used = {
        consumables[cid].name: (Decimal(milli) / 1000, consumables[cid].unit)
        for cid, milli in sorted(used.items(), key=lambda kv: -kv[1])
        if cid in consumables
    }
    return stats


@dataclass(frozen=True)
class MemberAttendance:
    """How often a member came to (checked in) and missed (released as a no-show) their bookings."""

    member_id: int
    name: str
    checked_in: int
    no_shows: int


async def attendance_by_member(
    session: AsyncSession, start: datetime, end: datetime, limit: int = 20
) -> list[MemberAttendance]:
    """For the managers only: check-ins and no-shows per member over the bookings starting in the
    period, the most no-shows first (then the most check-ins); members with neither are left out."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for booking in await _bookings(session, start, end):
        if not start <= booking.start_at < end:
            continue
        if booking.no_show_at is not None:
            counts[booking.member_id][1] += 1
        elif booking.checked_in_at is not None:
            counts[booking.member_id][0] += 1
    if not counts:
        return []
    names = {
        m.id: m.display_name for m in await session.scalars(select(Member).where(Member.id.in_(list(counts))))
    }
    rows = [
        MemberAttendance(mid, names.get(mid, f"#{mid}"), came, missed)
        for mid, (came, missed) in counts.items()
    ]
    rows.sort(key=lambda r: (-r.no_shows, -r.checked_in, r.name.lower(), r.member_id))
    return rows[:limit]


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a machine named "=HYPERLINK(…)")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def bookings_csv(session: AsyncSession, start: datetime, end: datetime, tz: ZoneInfo) -> bytes:
    """The period's bookings as CSV for the lab's records: machine, times, status; members as a
    number only (enough to count regulars, nothing more)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["booking", "machine", "kind", "start", "end", "hours", "status", "member"])
    for booking in await _bookings(session, start, end):
        if not start <= booking.start_at < end:
            continue
        hours = (booking.end_at - booking.start_at).total_seconds() / 3600
        writer.writerow(
            [
                booking.id,
                _cell(booking.machine.name),
                booking.machine.kind.value,
                booking.start_at.astimezone(tz).isoformat(),
                booking.end_at.astimezone(tz).isoformat(),
                f"{hours:.2f}",
                booking.status.value,
                booking.member_id,
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # the BOM tells spreadsheets it is UTF-8 (accents)
