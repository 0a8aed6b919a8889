"""Bookings: free slots, booking, cancelling, reminders. No double booking, ever."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from models import outbox, quotas
from models.base import Base, enum_type, update_ids
from models.downtime import downtimes_between, reservation_over
from models.errors import (
    AlreadyCancelled,
    AlreadyStarted,
    BadLength,
    BeyondHorizon,
    InMaintenance,
    InThePast,
    MachineReserved,
    Misaligned,
    NotFound,
    OutsideOpeningHours,
    OverlapsOwnBooking,
    SlotTaken,
)
from models.machines import Machine, MachineKind, check_bookable, get_machine
from models.members import Member
from models.notices import Notice
from models.opening import LabCalendar, local_datetime

# A booking lies inside one opening interval, or (an unattended run) lasts at most 1,440 minutes
# (the machines' checks), so within one day: a range query on start_at bounded by this span finds
# every booking overlapping a window without scanning history.
MAX_BOOKING_SPAN = timedelta(days=1)
# The longest label of a guest's or a workshop's booking (« Club robotique du collège »).
GUEST_LABEL_LENGTH = 100


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Booking(Base):
    """A member's reservation of a machine for [start_at, end_at)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_bookings_machine_start", "machine_id", "start_at"),
        Index("ix_bookings_member_start", "member_id", "start_at"),
        Index("ix_bookings_status_start", "status", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[BookingStatus] = mapped_column(
        enum_type(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # When the reminder was handled (sent, or found undeliverable). When it falls due is derived
    # from the current reminder lead, so changing the setting applies to existing bookings too.
    reminded_at: Mapped[datetime | None]
    # Set when a fault ticket took the machine out of service, or a planned downtime covers the
    # booking: the booking is kept (the member decides), and its member was told.
    affected_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    affected_downtime_id: Mapped[int | None] = mapped_column(ForeignKey("downtimes.id", ondelete="SET NULL"))
    # When the member was asked, after the booking, which consumables they used (None: not yet).
    usage_asked_at: Mapped[datetime | None]
    # When the member said they were at the machine (models/checkin.py), and when a booking not
    # checked in within its machine's check-in minutes was released as a no-show (then cancelled).
    checked_in_at: Mapped[datetime | None]
    no_show_at: Mapped[datetime | None]
    # A fab manager's booking on behalf of someone (models/booked_for.py): who made it and, for a
    # guest or a workshop (then held under the manager's name), the label it is shown with.
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    guest_label: Mapped[str | None] = mapped_column(String(GUEST_LABEL_LENGTH))
    # When the member was told, at the start, to check in (claimed once by scheduler/checkin.py).
    checkin_asked_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(lazy="raise", foreign_keys=[member_id])
    machine: Mapped[Machine] = relationship(lazy="raise")

    @property
    def holder(self) -> str:
        """Who the booking is for, as managers see it: the guest's label, or the member's first name
        (needs `member` loaded when it has no label)."""
        return self.guest_label or self.member.first_name

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    def cancellable(self, now: datetime) -> bool:
        """A confirmed booking can be cancelled until it starts."""
        return self.status is BookingStatus.CONFIRMED and self.start_at > now


# PostgreSQL refuses two overlapping confirmed bookings of one machine by itself. SQLite has no
# exclusion constraints: the migration adds triggers there, and every SQLite transaction begins
# IMMEDIATE (see models.db), so the check-and-insert below is serialized.
Booking.__table__.append_constraint(  # type: ignore[attr-defined]
    ExcludeConstraint(
        (Booking.__table__.c.machine_id, "="),
        (
            func.tstzrange(Booking.__table__.c.start_at, Booking.__table__.c.end_at, literal_column("'[)'")),
            "&&",
        ),
        where=text("status = 'confirmed'"),
        using="gist",
        name="bookings_no_overlap",
    ).ddl_if(dialect="postgresql")
)


@dataclass(frozen=True)
class BookingRules:
    """The lab-wide settings the booking rules depend on."""

    tz: ZoneInfo
    horizon_days: int = 14
    reminder_lead: timedelta = timedelta(minutes=30)

    def gets_reminder(self, booking: Booking) -> bool:
        """Whether the booking is reminded: reminders are on and it was made before its reminder fell due."""
        return bool(self.reminder_lead) and booking.created_at < booking.start_at - self.reminder_lead

    def reminder_minutes(self, booking: Booking) -> int | None:
        """How long before its start the booking is reminded (None: it is not)."""
        return int(self.reminder_lead.total_seconds() // 60) if self.gets_reminder(booking) else None

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def bookable_days(self, now: datetime) -> list[date]:
        """Today and the following days members may book."""
        first = self.today(now)
        return [first + timedelta(days=n) for n in range(self.horizon_days)]

    def horizon_end(self, now: datetime) -> datetime:
        """The first instant members may not book any more (midnight after the last bookable day)."""
        return local_datetime(self.bookable_days(now)[-1], 24 * 60, self.tz).astimezone(UTC)


@dataclass(frozen=True)
class DayAvailability:
    day: date
    open: bool
    free_starts: list[datetime]
    # Starts still ahead that day, free or not: a full day with some is worth waiting for.
    starts_ahead: int = 0

    @property
    def worth_waiting(self) -> bool:
        """No free start left, but starts still ahead that a cancellation could free."""
        return not self.free_starts and self.starts_ahead > 0


Interval = tuple[datetime, datetime]


async def _busy(session: AsyncSession, machine_id: int, start: datetime, end: datetime) -> list[Interval]:
    """Confirmed bookings of the machine overlapping [start, end), by an indexed range on start_at."""
    rows = await session.execute(
        select(Booking.start_at, Booking.end_at)
        .where(
            Booking.machine_id == machine_id,
            Booking.start_at >= start - MAX_BOOKING_SPAN,
            Booking.start_at < end,
            Booking.end_at > start,
            Booking.status == BookingStatus.CONFIRMED,
        )
        .order_by(Booking.start_at)
    )
    return [(row.start_at, row.end_at) for row in rows]


async def _unavailable(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime
) -> list[Interval]:
    """What keeps the machine from being booked in [start, end): bookings and planned downtime."""
    return await _busy(session, machine_id, start, end) + await downtimes_between(
        session, machine_id, start, end
    )


def overlaps(busy: list[Interval], start: datetime, end: datetime) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)


def _grid(opens: datetime, closes: datetime, step: timedelta, length: timedelta) -> list[datetime]:
    """Starts on the slot grid of an opening interval such that [start, start+length) fits in it."""
    starts, t = [], opens
    while t + length <= closes:
        starts.append(t)
        t += step
    return starts


def _free_starts(
    intervals: list[Interval], machine: Machine, busy: list[Interval], now: datetime, minutes: int
) -> list[datetime]:
    step, length = timedelta(minutes=machine.slot_minutes), timedelta(minutes=minutes)
    # An unattended run starts in the opening hours (its first slot fits in them) and may go on after.
    fits = open_until(machine, now, now + length) - now
    return [
        start
        for opens, closes in intervals
        for start in _grid(opens, closes, step, fits)
        if start >= now and not overlaps(busy, start, start + length)
    ]


async def availability(
    session: AsyncSession,
    machine: Machine,
    rules: BookingRules,
    now: datetime,
    days: list[date] | None = None,
    *,
    not_before: datetime | None = None,
) -> list[DayAvailability]:
    """Free slot starts of the machine, day by day, over the booking horizon (one query for all days);
    none before `not_before` (the member's minimum notice: quotas.earliest_start)."""
    days = days or rules.bookable_days(now)
    calendar = await LabCalendar.load(session, days[0], days[-1], rules.tz)
    window_start = local_datetime(days[0], 0, rules.tz).astimezone(UTC)
    window_end = local_datetime(days[-1], 24 * 60, rules.tz).astimezone(UTC)
    busy = await _unavailable(session, machine.id, window_start, window_end)
    first = max(now, not_before or now)  # a start within the notice is not offered, nor waited for
    result = []
    for day in days:
        intervals = calendar.intervals(day)
        free = _free_starts(intervals, machine, busy, first, machine.slot_minutes)
        ahead = _free_starts(intervals, machine, [], first, machine.slot_minutes)
        result.append(
            DayAvailability(day=day, open=bool(intervals), free_starts=free, starts_ahead=len(ahead))
        )
    return result


async def day_availability(
    session: AsyncSession,
    machine: Machine,
    day: date,
    rules: BookingRules,
    now: datetime,
    *,
    not_before: datetime | None = None,
) -> DayAvailability:
    """Free starts of one day (none before `not_before`); a day outside the bookable days is refused."""
    if day < rules.today(now):
        raise InThePast(day.isoformat())
    if day not in rules.bookable_days(now):
        raise BeyondHorizon(day.isoformat())
    (availability_of_day,) = await availability(session, machine, rules, now, [day], not_before=not_before)
    return availability_of_day


async def free_lengths(
    session: AsyncSession, machine: Machine, start: datetime, rules: BookingRules, now: datetime
) -> list[int]:
    """Booking lengths (minutes) possible from `start`: contiguous free slots, up to the machine's maximum."""
    day = start.astimezone(rules.tz).date()
    calendar = await LabCalendar.load(session, day, day, rules.tz)
    interval = calendar.interval_containing(start, start + timedelta(minutes=machine.slot_minutes))
    if interval is None or start < now:
        return []
    # An unattended run may continue past closing time, within the booking horizon.
    until = rules.horizon_end(now) if machine.unattended else interval[1]
    busy = await _unavailable(session, machine.id, start, until)
    lengths = []
    for minutes in range(machine.slot_minutes, machine.longest_booking + 1, machine.slot_minutes):
        end = start + timedelta(minutes=minutes)
        if end > until or overlaps(busy, start, end):
            break
        lengths.append(minutes)
    return lengths


async def lengths_within_limits(
    session: AsyncSession,
    member: Member,
    machine: Machine,
    start: datetime,
    lengths: list[int],
    rules: BookingRules,
    now: datetime,
) -> list[int]:
    """Of the free `lengths` (ascending) from `start`, those the member may still book: within their
    daily and weekly hours and upcoming bookings, counted as check_limits counts (managers: all).
    None fits: the shortest's refusal is raised (which limit, when it frees up). Confirm still checks."""
    if member.is_manager or not lengths or not (await quotas.limits_for(session, machine)).any:
        return lengths

    async def check(minutes: int) -> None:
        await check_limits(session, member, machine, start, start + timedelta(minutes=minutes), rules, now)

    async def fits(minutes: int) -> bool:
        try:
            await check(minutes)
        except quotas.QuotaRefusal:
            return False
        return True

    await check(lengths[0])
    # A longer booking only counts more minutes: the lengths that fit are a prefix, found by halves.
    low, high = 1, len(lengths)  # lengths[:low] fit; lengths[high:] do not
    while low < high:
        middle = (low + high) // 2
        if await fits(lengths[middle]):
            low = middle + 1
        else:
            high = middle
    return lengths[:low]


async def next_free_starts(
    session: AsyncSession,
    machine: Machine,
    minutes: int,
    after: datetime,
    rules: BookingRules,
    now: datetime,
    limit: int = 4,
) -> list[datetime]:
    """The next starts, from `after` on, where the machine is free for `minutes`."""
    days = [d for d in rules.bookable_days(now) if d >= after.astimezone(rules.tz).date()]
    if not days:
        return []
    calendar = await LabCalendar.load(session, days[0], days[-1], rules.tz)
    busy = await _unavailable(session, machine.id, after, rules.horizon_end(now))
    found: list[datetime] = []
    for day in days:
        starts = _free_starts(calendar.intervals(day), machine, busy, now, minutes)
        found += [
            s for s in starts if s >= after and s + timedelta(minutes=minutes) <= rules.horizon_end(now)
        ]
        if len(found) >= limit:
            break
    return found[:limit]


def check_timing(machine: Machine, start: datetime, minutes: int, rules: BookingRules, now: datetime) -> None:
    """Refuse a slot whose length or time breaks a rule: length, past, horizon."""
    if minutes <= 0 or minutes % machine.slot_minutes or minutes > machine.longest_booking:
        raise BadLength(f"{minutes} min on {machine.name}")
    if start < now:
        raise InThePast(start.isoformat())
    if start + timedelta(minutes=minutes) > rules.horizon_end(now):
        raise BeyondHorizon(start.isoformat())


def open_until(machine: Machine, start: datetime, end: datetime) -> datetime:
    """Until when the lab must be open for a booking [start, end): its end, or for an unattended
    run only its first slot (it starts in the opening hours and may go on after closing)."""
    return start + timedelta(minutes=machine.slot_minutes) if machine.unattended else end


def check_opening(
    machine: Machine, start: datetime, minutes: int, calendar: LabCalendar, downtimes: list[Interval]
) -> None:
    """Refuse a slot outside the opening hours, off the machine's grid, or in a planned downtime
    (`downtimes`: the machine's windows loaded around the slot; more is harmless). An unattended
    machine's booking must start in the opening hours (its first slot within them), and may end after."""
    end = start + timedelta(minutes=minutes)
    interval = calendar.interval_containing(start, open_until(machine, start, end))
    if interval is None:
        raise OutsideOpeningHours(start.isoformat())
    if (start - interval[0]) % timedelta(minutes=machine.slot_minutes):
        raise Misaligned(start.isoformat())
    if overlaps(downtimes, start, end):
        raise InMaintenance(start.isoformat())


async def validate_slot(
    session: AsyncSession, machine: Machine, start: datetime, minutes: int, rules: BookingRules, now: datetime
) -> None:
    """Refuse a slot that breaks a rule: length, past, horizon, opening hours, slot grid, downtime."""
    check_timing(machine, start, minutes, rules, now)
    end = start + timedelta(minutes=minutes)
    day = start.astimezone(rules.tz).date()
    calendar = await LabCalendar.load(session, day, day, rules.tz)
    try:
        check_opening(
            machine, start, minutes, calendar, await downtimes_between(session, machine.id, start, end)
        )
    except InMaintenance:
        # A session reserving the machine is said as such: which one, until when.
        if (reserved := await reservation_over(session, machine.id, start, end)) is not None:
            raise MachineReserved(reserved.reason, reserved.end_at) from None
        raise


async def book(
    session: AsyncSession,
    member: Member,
    machine_id: int,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> Booking:
    """Book the machine for the member, or refuse with the reason.

    When the slot is taken (even by someone who got there a millisecond earlier), SlotTaken
    carries the next free starts of the same length.
    """
    await take_members_turn(session, member)
    machine = await get_machine(session, machine_id, booking_lock=True)
    await check_bookable(session, member, machine, now=now)
    await validate_slot(session, machine, start, minutes, rules, now)
    end = start + timedelta(minutes=minutes)
    if overlaps(await _busy(session, machine.id, start, end), start, end):
        return await _same_booking_or_refuse(session, member, machine, start, minutes, rules, now)
    # After the clash check: Confirm pressed twice finds its own booking, not a quota over.
    await check_limits(session, member, machine, start, end, rules, now)
    booking = Booking(
        member_id=member.id,
        machine_id=machine.id,
        start_at=start,
        end_at=end,
        status=BookingStatus.CONFIRMED,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(booking)
    except IntegrityError as exc:
        if "overlap" not in str(exc.orig).lower() and "exclusion" not in str(exc.orig).lower():
            raise
        # The database's own guard fired: another transaction won the race (maybe the same
        # member pressing Confirm twice at once).
        return await _same_booking_or_refuse(session, member, machine, start, minutes, rules, now)
    booking.member, booking.machine = member, machine
    return booking


async def take_members_turn(session: AsyncSession, member: Member) -> None:
    """Lock the member's row: their bookings (and changes of them) take turns, so two at once cannot
    both pass a quota (check_limits). Taken before the machine's lock: a turn that updated the
    member's row first (a new username) then books waits here, rather than each holding what the
    other needs. Managers are exempt from quotas: no lock."""
    if not member.is_manager:
        await session.execute(select(Member.id).where(Member.id == member.id).with_for_update(key_share=True))


async def earliest_start(session: AsyncSession, member: Member, machine: Machine, now: datetime) -> datetime:
    """The first instant the member may book the machine to start at: now, or past the machine's
    notice (managers are exempt), as check_limits holds it."""
    if member.is_manager:
        return now
    notice = (await quotas.limits_for(session, machine)).notice_minutes
    return now if notice is None else now + timedelta(minutes=notice.value)


async def check_limits(
    session: AsyncSession,
    member: Member,
    machine: Machine,
    start: datetime,
    end: datetime,
    rules: BookingRules,
    now: datetime,
    *,
    editing: Booking | None = None,
) -> None:
    """Refuse a booking over the member's quotas or too short notice (models/quotas.py); managers
    are exempt. The caller holds the member's row locked (book does): their bookings made at the same
    instant take turns, so two of them cannot both pass a quota (SQLite serializes every transaction
    anyway). `editing`: the booking getting this new span (models/booking_edits.py): its old span is
    not counted, it is no new upcoming booking, and the notice applies only to a new start."""
    if member.is_manager:
        return
    limits = await quotas.limits_for(session, machine)
    if not limits.any:
        return
    moved = editing is None or editing.start_at != start
    notice = limits.notice_minutes
    if notice is not None and moved and start < now + timedelta(minutes=notice.value):
        minutes = int((end - start).total_seconds() // 60)
        earliest = now + timedelta(minutes=notice.value)
        first = await next_free_starts(session, machine, minutes, earliest, rules, now, limit=1)
        first_start = first[0] if first else earliest
        raise quotas.TooShortNotice(
            notice.value, first_start, today=rules.today(first_start) == rules.today(now)
        )

    def scope(limit: quotas.Limit) -> tuple[quotas.Scope, object]:
        if limit.of_kind:
            kind_machines = select(Machine.id).where(Machine.kind == machine.kind)
            return quotas.Scope(None, machine.kind), Booking.machine_id.in_(kind_machines)
        return quotas.Scope(machine.name, machine.kind), Booking.machine_id == machine.id

    async def spans(where: object, window_start: datetime, window_end: datetime) -> list[Interval]:
        rows = await session.execute(
            select(Booking.start_at, Booking.end_at).where(
                Booking.member_id == member.id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.id != (editing.id if editing is not None else -1),
                where,  # type: ignore[arg-type]
                Booking.start_at >= window_start - MAX_BOOKING_SPAN,
                Booking.start_at < window_end,
                Booking.end_at > window_start,
            )
        )
        return [(row.start_at, row.end_at) for row in rows]

    first_day = start.astimezone(rules.tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(rules.tz).date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    if (daily := limits.max_minutes_per_day) is not None:
        counted, where = scope(daily)
        for day in days:
            window = quotas.day_window(day, rules.tz)
            used = quotas.minutes_within(await spans(where, *window), *window)
            if used + quotas.minutes_within([(start, end)], *window) > daily.value:
                raise quotas.DailyQuotaReached(counted, daily.value, used, day, today=day == rules.today(now))
    if (weekly := limits.max_minutes_per_week) is not None:
        counted, where = scope(weekly)
        for monday in sorted({quotas.week_of(day) for day in days}):
            window = (
                quotas.day_window(monday, rules.tz)[0],
                quotas.day_window(monday + timedelta(days=6), rules.tz)[1],
            )
            used = quotas.minutes_within(await spans(where, *window), *window)
            if used + quotas.minutes_within([(start, end)], *window) > weekly.value:
                raise quotas.WeeklyQuotaReached(
                    counted, weekly.value, used, monday, this_week=monday == quotas.week_of(rules.today(now))
                )
    if (upcoming := limits.max_upcoming) is not None and editing is None:
        counted, where = scope(upcoming)
        ends = list(
            await session.scalars(
                select(Booking.end_at).where(
                    Booking.member_id == member.id,
                    Booking.status == BookingStatus.CONFIRMED,
                    where,  # type: ignore[arg-type]
                    Booking.start_at >= now - MAX_BOOKING_SPAN,
                    Booking.end_at > now,
                )
            )
        )
        if len(ends) >= upcoming.value:
            raise quotas.UpcomingLimitReached(counted, upcoming.value, len(ends), min(ends))


async def _same_booking_or_refuse(
    session: AsyncSession,
    member: Member,
    machine: Machine,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> Booking:
    """Resolve a clash: the member's own identical booking is returned (Confirm pressed twice);
    their own overlapping booking, or someone else's, is a refusal."""
    end = start + timedelta(minutes=minutes)
    own = await session.scalar(
        select(Booking).where(
            Booking.member_id == member.id,
            Booking.machine_id == machine.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= start - MAX_BOOKING_SPAN,
            Booking.start_at < end,
            Booking.end_at > start,
        )
    )
    if own is not None and (own.start_at, own.end_at) == (start, end):
        own.member, own.machine = member, machine
        return own
    if own is not None:
        raise OverlapsOwnBooking(str(own.id))
    raise SlotTaken(await next_free_starts(session, machine, minutes, start, rules, now))


async def get_own_booking(session: AsyncSession, member: Member, booking_id: int) -> Booking:
    """The member's own booking; another member's booking is NotFound, exactly like a missing one."""
    booking = await session.scalar(
        select(Booking)
        .options(joinedload(Booking.machine))
        .where(Booking.id == booking_id, Booking.member_id == member.id)
    )
    if booking is None:
        raise NotFound(f"booking {booking_id}")
    return booking


async def late_cancellation(
    session: AsyncSession, member: Member, booking: Booking, now: datetime
) -> int | None:
    """The machine's cancellation deadline (minutes) when cancelling the booking now counts as a
    no-show, else None (managers are exempt). Needs `machine` loaded."""
    if member.is_manager:
        return None
    deadline = (await quotas.limits_for(session, booking.machine)).cancel_deadline_minutes
    if deadline is None or booking.start_at - now >= timedelta(minutes=deadline.value):
        return None
    return deadline.value


async def cancel(
    session: AsyncSession, member: Member, booking_id: int, now: datetime, *, no_show_accepted: bool = False
) -> Booking:
    """Cancel one of the member's upcoming bookings (its reminder, if queued, is withdrawn). The
    freed slot is offered to the waitlist by models/waitlist.py: cancel_booking, which calls this.

    Past the machine's cancellation deadline the cancellation counts as a no-show: refused with
    LateCancellation unless the member accepted that (`no_show_accepted`), then recorded."""
    booking = await get_own_booking(session, member, booking_id)
    if booking.status is BookingStatus.CANCELLED:
        raise AlreadyCancelled(str(booking_id))
    if not booking.cancellable(now):
        raise AlreadyStarted(str(booking_id))
    late = await late_cancellation(session, member, booking, now)
    if late is not None and not no_show_accepted:
        raise quotas.LateCancellation(late)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    if late is not None:
        booking.no_show_at = now
    await outbox.withdraw(session, reminder_subject(booking.id), REMINDER)
    await session.flush()
    return booking


async def upcoming_for_member(
    session: AsyncSession, member: Member, now: datetime, *, offset: int = 0, limit: int = 10
) -> tuple[list[Booking], int]:
    """One page of the member's confirmed bookings not yet over, soonest first, and how many in all."""
    query = select(Booking).where(
        Booking.member_id == member.id,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.start_at >= now - MAX_BOOKING_SPAN,
        Booking.end_at > now,
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.options(joinedload(Booking.machine))
        .order_by(Booking.start_at, Booking.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def bookings_between(session: AsyncSession, start: datetime, end: datetime) -> list[Booking]:
    """Confirmed bookings of every machine overlapping [start, end), with member and machine."""
    rows = await session.scalars(
        select(Booking)
        .options(joinedload(Booking.machine), joinedload(Booking.member))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= start - MAX_BOOKING_SPAN,
            Booking.start_at < end,
            Booking.end_at > start,
        )
        .order_by(Booking.start_at)
    )
    return list(rows)


class ReminderNote(enum.StrEnum):
    """Why a due reminder must warn instead of just remind."""

    MACHINE_UNAVAILABLE = "machine_unavailable"
    LAB_CLOSED = "lab_closed"
    IN_MAINTENANCE = "in_maintenance"  # a planned downtime covers it


@dataclass(frozen=True)
class DueReminder:
    booking: Booking
    note: ReminderNote | None


async def due_reminders(
    session: AsyncSession,
    rules: BookingRules,
    now: datetime,
    limit: int = 500,
    after: tuple[datetime, int] | None = None,
) -> list[DueReminder]:
    """Bookings whose reminder is due, not yet handled, not started; each says if the lab can still honour it.

    At most `limit`, in order of start (then id), after the booking `after` (its start and id): a
    job goes through them page by page. A booking on a machine now out of service, at a time the
    lab is now closed, or in a planned downtime, is reminded with a warning rather than as if
    nothing had changed.
    """
    if not rules.reminder_lead:
        return []
    query = (
        select(Booking)
        .options(joinedload(Booking.machine), joinedload(Booking.member))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at > now,
            Booking.start_at <= now + rules.reminder_lead,
            Booking.reminded_at.is_(None),
        )
        .order_by(Booking.start_at, Booking.id)
        .limit(limit)
    )
    due: list[Booking] = []
    while len(due) < limit:
        page = query
        if after is not None:
            start, booking_id = after
            page = page.where(
                or_(Booking.start_at > start, and_(Booking.start_at == start, Booking.id > booking_id))
            )
        rows = list(await session.scalars(page))
        # Bookings made after their reminder fell due get none: skipped here, never stamped, so
        # they must not fill the page and hold back the others.
        due += [b for b in rows if rules.gets_reminder(b)]
        if len(rows) < limit:
            break
        after = (rows[-1].start_at, rows[-1].id)
    due = due[:limit]
    notes = await booking_notes(session, due, rules)
    return [DueReminder(booking, notes.get(booking.id)) for booking in due]


async def booking_notes(
    session: AsyncSession, bookings: list[Booking], rules: BookingRules
) -> dict[int, ReminderNote]:
    """What now stands in the way of each booking (machine out of service, lab closed, planned
    maintenance); bookings with nothing in the way are left out. Needs `machine` loaded."""
    if not bookings:
        return {}
    days = sorted({b.start_at.astimezone(rules.tz).date() for b in bookings})
    calendar = await LabCalendar.load(session, days[0], days[-1], rules.tz)
    notes = {}
    for booking in bookings:
        if not booking.machine.bookable:
            notes[booking.id] = ReminderNote.MACHINE_UNAVAILABLE
        elif (
            calendar.interval_containing(
                booking.start_at, open_until(booking.machine, booking.start_at, booking.end_at)
            )
            is None
        ):
            notes[booking.id] = ReminderNote.LAB_CLOSED
        elif await downtimes_between(session, booking.machine_id, booking.start_at, booking.end_at):
            notes[booking.id] = ReminderNote.IN_MAINTENANCE
    return notes


class Reminder(Notice, kind="reminder"):
    """A member's booking starts soon (with a warning when the lab can no longer honour it as planned)."""

    booking_id: int
    machine: str
    start: datetime
    end: datetime
    note: ReminderNote | None = None
    # Minutes from when it was queued to the start ("in 30 min"); None on rows queued by older versions.
    minutes_left: int | None = None
    # Whether the booking's machine asks for a check-in (and releases a booking not checked in).
    checkin_minutes: int = 0
    # The label of a fab manager's booking for a guest or a workshop (models/booked_for.py).
    guest: str | None = None


REMINDER = Reminder.kind  # the outbox kind of a booking reminder


class BookingConfirmed(Notice, kind="booking_confirmed"):
    """A booking made outside the chat (in the Mini App): the chat confirms it as its Confirm does."""

    booking_id: int
    machine: str
    machine_kind: MachineKind = field(metadata={"key": "kind"})
    start: datetime
    end: datetime
    reminder_minutes: int | None = None  # None: no reminder will come


def confirmation(booking: Booking, rules: BookingRules) -> BookingConfirmed:
    """The chat's confirmation of a booking just made (needs `machine` loaded)."""
    return BookingConfirmed(
        booking_id=booking.id,
        machine=booking.machine.name,
        machine_kind=booking.machine.kind,
        start=booking.start_at,
        end=booking.end_at,
        reminder_minutes=rules.reminder_minutes(booking),
    )


def confirm_in_chat(session: AsyncSession, booking: Booking, rules: BookingRules, now: datetime) -> None:
    """Queue the chat's confirmation of a booking just made (needs `member` and `machine` loaded)."""
    outbox.notify_member(session, booking.member, confirmation(booking, rules), now)


def reminder_subject(booking_id: int) -> str:
    return f"booking:{booking_id}"


@dataclass(frozen=True)
class QueuedReminders:
    read: list[Booking]  # due bookings read, in order (the caller pages on after the last one)
    queued: int  # reminders this call claimed and queued (the others were claimed by someone else)

    @property
    def done(self) -> int:
        return self.queued


async def queue_due_reminders(
    session: AsyncSession,
    rules: BookingRules,
    now: datetime,
    limit: int = 500,
    after: tuple[datetime, int] | None = None,
) -> QueuedReminders:
    """Claim the next `limit` due reminders (see due_reminders) and queue them in the outbox.

    The claim is one conditional UPDATE of `reminded_at`: of two processes queueing at the same
    time, the second (on PostgreSQL: once the first has committed; on SQLite: after it) finds the
    bookings already stamped and queues nothing for them. The outbox then sends each reminder once;
    a reminder not sent by the start of its booking expires, and cancelling the booking withdraws it.
    """
    due = await due_reminders(session, rules, now, limit=limit, after=after)
    if not due:
        return QueuedReminders([], 0)
    # Still confirmed and not started: PostgreSQL re-checks this on the row's latest version, so a
    # cancel committed since the read above is not reminded (its withdraw found nothing to withdraw).
    claimed = set(
        await update_ids(
            session,
            Booking,
            [
                Booking.id.in_([d.booking.id for d in due]),
                Booking.reminded_at.is_(None),
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at > now,
            ],
            {"reminded_at": now},
        )
    )
    for item in due:
        booking = item.booking
        if booking.id not in claimed:
            continue
        outbox.notify_member(
            session,
            booking.member,
            Reminder(
                booking_id=booking.id,
                machine=booking.machine.name,
                start=booking.start_at,
                end=booking.end_at,
                note=item.note,
                minutes_left=max(0, int((booking.start_at - now).total_seconds() // 60)),
                checkin_minutes=booking.machine.checkin_minutes,
                guest=booking.guest_label,
            ),
            now,
            expires_at=booking.start_at,
            subject=reminder_subject(booking.id),
        )
    return QueuedReminders([item.booking for item in due], len(claimed))


__all__ = [
    "Booking",
    "BookingConfirmed",
    "BookingRules",
    "BookingStatus",
    "DayAvailability",
    "DueReminder",
    "ReminderNote",
    "availability",
    "book",
    "booking_notes",
    "bookings_between",
    "cancel",
    "check_limits",
    "check_opening",
    "check_timing",
    "confirm_in_chat",
    "day_availability",
    "due_reminders",
    "earliest_start",
    "free_lengths",
    "get_own_booking",
    "late_cancellation",
    "lengths_within_limits",
    "next_free_starts",
    "overlaps",
    "upcoming_for_member",
    "validate_slot",
]
