"""The managers' daily digest: what needs attention today, sent once a day at a set local time.

Whether today's digest went out is a row in the database (one per day, unique), written in the
same transaction as the outbox messages: a restart after the digest time sends it if it was
missed, and never twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Date, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import maintenance, privacy, stats, stock, updates
from models.base import Base
from models.bookings import bookings_between
from models.machines import list_machines
from models.maintenance import Severity
from models.members import Member
from models.notices import Notice, Part
from models.opening import local_datetime
from models.outbox import notify_managers

# At most this many lines per section: a long list would push the other sections out of the message.
DIGEST_LIST = 10


class DigestTicket(Part):
    id: int
    machine: str
    severity: Severity
    title: str


class DigestStock(Part):
    name: str
    quantity: Decimal
    minimum: Decimal
    unit: str


class DigestUpdate(Part):
    name: str
    overdue_days: int = 0


class Digest(Notice, kind="digest"):
    """To the managers, each morning: open tickets, stock below minimum, update checks due, the day's
    bookings (each booked machine with its times; a count in rows queued by an older version)."""

    day: date
    anonymised: int = 0  # members erased for inactivity since the previous digest
    open_tickets: int
    tickets: list[DigestTicket] = field(default_factory=list)
    low_stock: list[DigestStock] = field(default_factory=list)
    low_stock_count: int = 0
    updates_due: list[DigestUpdate] = field(default_factory=list)
    updates_due_count: int
    bookings: list[tuple[str, list[tuple[datetime, datetime]] | int]] = field(default_factory=list)
    free: list[str] = field(default_factory=list)  # in service and booked by nobody today


class Weekly(Notice, kind="weekly"):
    """To the managers, on Mondays: last week's figures."""

    first: date = field(metadata={"key": "from"})
    last: date = field(metadata={"key": "to"})
    hours: float
    top: list[tuple[str, float]] = field(default_factory=list)  # the most booked machines, hours each
    bookings: int
    cancelled: int
    tickets_opened: int
    tickets_resolved: int
    repair_minutes: int | None = None


class DigestRun(Base):
    """The digest of one day was queued."""

    __tablename__ = "digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime]


async def digest_facts(session: AsyncSession, now: datetime, tz: ZoneInfo) -> Digest:
    """What the managers should know this morning, as plain facts (rendered in each one's language)."""
    tickets, open_count = await maintenance.queue(session, limit=5)
    low = await stock.low_stock(session)
    due_updates = [i for i in await updates.list_items(session) if i.is_due(now)]
    today = now.astimezone(tz).date()
    day_start = local_datetime(today, 0, tz)
    todays = await bookings_between(session, day_start, day_start + timedelta(days=1))
    # Each booked machine with its times; the machines in service nobody booked, as one list.
    per_machine: dict[str, list[tuple[datetime, datetime]]] = {}
    for booking in sorted(todays, key=lambda b: (b.start_at, b.id)):
        times = per_machine.setdefault(booking.machine.name, [])
        times.append((booking.start_at, booking.end_at))
    free = [m.name for m in await list_machines(session) if m.bookable and m.name not in per_machine]
    # Since the previous digest: a day missed, or a late digest, loses nothing.
    previous = await session.scalar(select(func.max(DigestRun.created_at)).where(DigestRun.day < today))
    since = previous if previous is not None else now - timedelta(days=1)
    anonymised = await privacy.erased_since(session, since, privacy.ErasureReason.RETENTION)
    return Digest(
        day=today,
        anonymised=anonymised,
        open_tickets=open_count,
        tickets=[
            DigestTicket(id=t.id, machine=t.machine.name, severity=t.severity, title=t.title) for t in tickets
        ],
        low_stock=[
            DigestStock(name=c.name, quantity=c.quantity, minimum=c.minimum, unit=c.unit)
            for c in low[:DIGEST_LIST]
        ],
        low_stock_count=len(low),
        updates_due=[
            DigestUpdate(name=i.name, overdue_days=max(0, (now - i.due_at).days))
            for i in due_updates[:DIGEST_LIST]
        ],
        updates_due_count=len(due_updates),
        bookings=[(name, list(times)) for name, times in sorted(per_machine.items())],
        free=free if per_machine else [],
    )


async def send_daily_digest(
    session: AsyncSession, manager_ids: Iterable[int], now: datetime, tz: ZoneInfo, at: time
) -> bool:
    """Queue today's digest for every manager if its time has come and it was not queued yet."""
    local_now = now.astimezone(tz)
    if local_now.time() < at:
        return False
    today = local_now.date()
    if await session.get(DigestRun, today) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(DigestRun(day=today, created_at=now))
    except IntegrityError:  # another run claimed today an instant ago
        return False
    await notify_managers(session, manager_ids, await digest_facts(session, now, tz), now)
    return True


class WeeklyRun(Base):
    """The weekly summary of the week starting that Monday was queued."""

    __tablename__ = "weekly_summaries"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime]


async def lab_started_at(session: AsyncSession) -> datetime | None:
    """When the lab's data starts: the earliest member, ticket, consumable or update item (bookings
    and projects come with a member). None for a database holding none yet.

    fabdesk keeps no "installed at": these creation times are what every lab has (an import creates
    consumables and update items, the first message a member), and a backup restores them as they were.
    """
    columns = (
        Member.created_at,
        maintenance.Ticket.created_at,
        stock.Consumable.created_at,
        updates.UpdateItem.created_at,
    )
    firsts = [await session.scalar(select(func.min(column))) for column in columns]
    known = [first for first in firsts if first is not None]
    return min(known) if known else None


async def send_weekly_summary(
    session: AsyncSession, manager_ids: Iterable[int], now: datetime, tz: ZoneInfo, at: time
) -> bool:
    """On Mondays from the digest time on, queue last week's summary for every manager, once; none
    for a week that ended before the lab's data started (a new database's first start)."""
    local_now = now.astimezone(tz)
    monday = local_now.date() - timedelta(days=local_now.weekday())
    if local_now.weekday() == 0 and local_now.time() < at:
        return False  # Monday, before the digest time: wait for it
    if await session.get(WeeklyRun, monday) is not None:
        return False
    started = await lab_started_at(session)
    if started is None or started >= local_datetime(monday, 0, tz):
        return False  # nothing happened in that week: the lab was not there yet
    try:
        async with session.begin_nested():
            session.add(WeeklyRun(week=monday, created_at=now))
    except IntegrityError:
        return False
    end = local_datetime(monday, 0, tz)
    figures = await stats.usage(session, end - timedelta(days=7), end, tz)
    weekly = Weekly(
        first=monday - timedelta(days=7),
        last=monday - timedelta(days=1),
        hours=round(figures.hours, 1),
        top=[(name, round(hours, 1)) for name, hours in list(figures.hours_by_machine.items())[:5] if hours],
        bookings=figures.bookings,
        cancelled=figures.cancelled,
        tickets_opened=figures.tickets_opened,
        tickets_resolved=figures.tickets_resolved,
        repair_minutes=int(figures.mean_time_to_repair.total_seconds() // 60)
        if figures.mean_time_to_repair is not None
        else None,
    )
    await notify_managers(session, manager_ids, weekly, now)
    return True
