"""Quotas and notice: how much one member may book, how soon before the start, how late they may cancel.

Each limit is set on a machine, or on a machine kind for the machines of that kind without their
own value (field by field). A limit set on the kind counts the member's bookings of every machine
of the kind (« 4 h sur les imprimantes 3D cette semaine »); one set on the machine counts that
machine's. Every field is optional: None is no limit. Managers are exempt from all of them.

The limits are checked in the booking's transaction (models/bookings.py: book), with the member's
row locked first, so two bookings of one member at the same instant take turns and cannot both
pass a quota (on SQLite every transaction holds the write lock from its start anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, ForeignKey, Integer, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_type
from models.cache import Area
from models.errors import DomainError
from models.machines import Machine, MachineKind
from models.members import Member, require_manager

# The largest value a limit may take (minutes: four weeks; bookings: a hundred).
MAX_LIMIT_MINUTES = 28 * 24 * 60
MAX_UPCOMING = 100

# The limits, by the name the inventory file, the Mini App and the table use.
LIMIT_FIELDS = (
    "max_minutes_per_day",
    "max_minutes_per_week",
    "max_upcoming",
    "notice_minutes",
    "cancel_deadline_minutes",
)


class Quota(Base):
    """The limits of one machine, or of every machine of a kind without its own."""

    __tablename__ = "quotas"
    __table_args__ = (
        CheckConstraint("(machine_id IS NULL) <> (machine_kind IS NULL)", name="machine_or_kind"),
        *(
            CheckConstraint(f"{name} IS NULL OR ({name} > 0 AND {name} <= {high})", name=f"{name}_range")
            for name, high in (
                ("max_minutes_per_day", MAX_LIMIT_MINUTES),
                ("max_minutes_per_week", MAX_LIMIT_MINUTES),
                ("max_upcoming", MAX_UPCOMING),
                ("notice_minutes", MAX_LIMIT_MINUTES),
                ("cancel_deadline_minutes", MAX_LIMIT_MINUTES),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"), unique=True)
    machine_kind: Mapped[MachineKind | None] = mapped_column(
        enum_type(MachineKind, "quota_kind"), unique=True
    )
    max_minutes_per_day: Mapped[int | None] = mapped_column(Integer)
    max_minutes_per_week: Mapped[int | None] = mapped_column(Integer)
    max_upcoming: Mapped[int | None] = mapped_column(Integer)  # bookings not yet over
    notice_minutes: Mapped[int | None] = mapped_column(Integer)  # the least time between booking and start
    # Cancelling less than this before the start counts as a no-show.
    cancel_deadline_minutes: Mapped[int | None] = mapped_column(Integer)


@dataclass(frozen=True)
class Limit:
    """One limit in force: its value, and whether it comes from the kind (then it counts the kind)."""

    value: int
    of_kind: bool


@dataclass(frozen=True)
class Limits:
    """The limits in force on one machine (None: no limit)."""

    kind: MachineKind
    max_minutes_per_day: Limit | None = None
    max_minutes_per_week: Limit | None = None
    max_upcoming: Limit | None = None
    notice_minutes: Limit | None = None
    cancel_deadline_minutes: Limit | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "kind")


@dataclass(frozen=True)
class QuotaValues:
    """What a manager or the inventory file sets on a machine or a kind (None: no limit)."""

    max_minutes_per_day: int | None = None
    max_minutes_per_week: int | None = None
    max_upcoming: int | None = None
    notice_minutes: int | None = None
    cancel_deadline_minutes: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_FIELDS}


class BadQuota(DomainError):
    """A limit must be a whole number above 0 (minutes up to four weeks, at most 100 bookings), or empty."""


def check_values(values: QuotaValues) -> None:
    """Refuse a limit out of range (the table's checks, said before the database says them)."""
    for name, value in values.as_dict().items():
        high = MAX_UPCOMING if name == "max_upcoming" else MAX_LIMIT_MINUTES
        if value is not None and not (isinstance(value, int) and 0 < value <= high):
            raise BadQuota(f"{name}={value!r}")


# --- The refusals: each says which limit, and when it frees up. ---


@dataclass(frozen=True)
class Scope:
    """What a limit counts: one machine (its name), or a kind."""

    machine: str | None
    kind: MachineKind


class QuotaRefusal(DomainError):
    """A booking over one of the member's limits."""

    def __init__(self, scope: Scope, limit: int, used: int) -> None:
        super().__init__(f"{type(self).__name__}: {used}/{limit} on {scope}")
        self.scope, self.limit, self.used = scope, limit, used


class DailyQuotaReached(QuotaRefusal):
    """Over the hours a member may book in a day (`used`, `limit` in minutes). Today's frees up the
    next day; another day's (`today` False) does not free up, other days are bookable."""

    def __init__(self, scope: Scope, limit: int, used: int, day: date, *, today: bool = True) -> None:
        super().__init__(scope, limit, used)
        self.day, self.today = day, today
        self.frees_on = day + timedelta(days=1)


class WeeklyQuotaReached(QuotaRefusal):
    """Over the hours a member may book in a week (Monday to Sunday). This week's frees up the next
    Monday; another week's (`this_week` False) does not free up, other weeks are bookable."""

    def __init__(self, scope: Scope, limit: int, used: int, monday: date, *, this_week: bool) -> None:
        super().__init__(scope, limit, used)
        self.monday, self.this_week = monday, this_week
        self.frees_on = monday + timedelta(days=7)


class UpcomingLimitReached(QuotaRefusal):
    """The member holds as many bookings not yet over as allowed; one frees up when the first ends."""

    def __init__(self, scope: Scope, limit: int, used: int, frees_at: datetime) -> None:
        super().__init__(scope, limit, used)
        self.frees_at = frees_at


class TooShortNotice(DomainError):
    """The machine is booked at least `minutes` ahead; `first_start` is the first start possible."""

    def __init__(self, minutes: int, first_start: datetime, *, today: bool) -> None:
        super().__init__(f"{minutes} min notice, first {first_start.isoformat()}")
        self.minutes, self.first_start = minutes, first_start
        self.today = today  # the first start is today (said as a time alone)


class LateCancellation(DomainError):
    """Cancelling less than `minutes` before the start counts as a no-show: the member must accept it."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"{minutes} min cancellation deadline")
        self.minutes = minutes


# --- Reading and setting the limits. ---


async def _load_limits(session: AsyncSession) -> dict[tuple[str, object], dict[str, int | None]]:
    """Every quota row's values, by ("machine", id) or ("kind", kind)."""
    return {
        ("machine", row.machine_id) if row.machine_id is not None else ("kind", row.machine_kind): {
            name: getattr(row, name) for name in LIMIT_FIELDS
        }
        for row in await session.scalars(select(Quota))
    }


# Read on most booking screens, written by the import and managers only (models/cache.py). A
# machine's deletion takes its quota with it (ON DELETE CASCADE): machines' writes bump it too.
LIMITS = Area("limits", _load_limits, (Quota, Machine))


async def limits_for(session: AsyncSession, machine: Machine) -> Limits:
    """The machine's limits: its own values, else its kind's, field by field."""
    rows = await LIMITS.get(session)
    own = rows.get(("machine", machine.id))
    of_kind = rows.get(("kind", machine.kind))
    found: dict[str, Limit] = {}
    for name in LIMIT_FIELDS:
        if own is not None and (value := own[name]) is not None:
            found[name] = Limit(value, of_kind=False)
        elif of_kind is not None and (value := of_kind[name]) is not None:
            found[name] = Limit(value, of_kind=True)
    return Limits(kind=machine.kind, **found)  # type: ignore[arg-type]


async def values_of(
    session: AsyncSession, *, machine_id: int | None = None, kind: MachineKind | None = None
) -> QuotaValues:
    """The values set on one machine, or on one kind (all None when nothing is set)."""
    row = await _row(session, machine_id, kind)
    if row is None:
        return QuotaValues()
    return QuotaValues(**{name: getattr(row, name) for name in LIMIT_FIELDS})


async def machine_values(session: AsyncSession, machine_ids: list[int]) -> dict[int, QuotaValues]:
    """The values set on each of these machines (one query; a machine with none is left out)."""
    rows = await session.scalars(select(Quota).where(Quota.machine_id.in_(machine_ids)))
    return {
        row.machine_id: QuotaValues(**{name: getattr(row, name) for name in LIMIT_FIELDS})
        for row in rows
        if row.machine_id is not None
    }


async def kind_values(session: AsyncSession) -> dict[MachineKind, QuotaValues]:
    """The values set on each kind that has some."""
    rows = await session.scalars(select(Quota).where(Quota.machine_kind.is_not(None)))
    return {
        row.machine_kind: QuotaValues(**{name: getattr(row, name) for name in LIMIT_FIELDS})
        for row in rows
        if row.machine_kind is not None
    }


async def _row(session: AsyncSession, machine_id: int | None, kind: MachineKind | None) -> Quota | None:
    if (machine_id is None) == (kind is None):
        raise ValueError("a machine or a kind, not both")
    where = Quota.machine_id == machine_id if machine_id is not None else Quota.machine_kind == kind
    return await session.scalar(select(Quota).where(where))


async def set_values(
    session: AsyncSession,
    values: QuotaValues,
    *,
    machine_id: int | None = None,
    kind: MachineKind | None = None,
) -> dict[str, int | None]:
    """Set the limits of a machine or a kind (every field: None clears it); return those that changed.

    The caller checks who may (a manager in the app, the inventory file)."""
    check_values(values)
    row = await _row(session, machine_id, kind)
    wanted = values.as_dict()
    if row is None:
        if not any(value is not None for value in wanted.values()):
            return {}
        row = Quota(machine_id=machine_id, machine_kind=kind)
        session.add(row)
    changed = {name: value for name, value in wanted.items() if getattr(row, name) != value}
    if not any(value is not None for value in wanted.values()):
        await session.delete(row)  # no limit left: no row, as if none was ever set
    else:
        for name, value in changed.items():
            setattr(row, name, value)
    await session.flush()
    return changed


async def edit_kind_values(
    session: AsyncSession, manager: Member, kind: MachineKind, sent: dict[str, int | None]
) -> dict[str, int | None]:
    """A manager sets some of a kind's limits (`sent`; null clears one, the others stay); return those
    that changed. The inventory file's `quotas:` section, when it has one, sets them again at its
    next import: the file wins, as it does for the machine fields it names."""
    require_manager(manager)
    if not set(sent) <= set(LIMIT_FIELDS):
        raise BadQuota(", ".join(sorted(set(sent) - set(LIMIT_FIELDS))))
    kept = (await values_of(session, kind=kind)).as_dict()
    return await set_values(session, QuotaValues(**(kept | sent)), kind=kind)  # type: ignore[arg-type]


async def earliest_starts(
    session: AsyncSession, member: Member, machines: list[Machine], now: datetime
) -> dict[int, datetime]:
    """The first start the member may book on each machine: now, or now plus its minimum notice
    (its own, else its kind's; managers are exempt). What the chat and the Mini App offer, so that a
    start they show is not then refused as too short notice (one query for all the machines)."""
    earliest = {machine.id: now for machine in machines}
    if member.is_manager or not machines:
        return earliest
    rows = await session.scalars(
        select(Quota).where(
            Quota.notice_minutes.is_not(None),
            Quota.machine_id.in_([m.id for m in machines])
            | Quota.machine_kind.in_({m.kind for m in machines}),
        )
    )
    own: dict[int, int] = {}
    of_kind: dict[MachineKind, int] = {}
    for row in rows:
        assert row.notice_minutes is not None
        if row.machine_id is not None:
            own[row.machine_id] = row.notice_minutes
        elif row.machine_kind is not None:
            of_kind[row.machine_kind] = row.notice_minutes
    for machine in machines:
        if (notice := own.get(machine.id, of_kind.get(machine.kind))) is not None:
            earliest[machine.id] = now + timedelta(minutes=notice)
    return earliest


def kind_target(kind: MachineKind) -> int:
    """The kind's number in the record of changes (its place in MachineKind)."""
    return list(MachineKind).index(kind)


# --- The lab's days and weeks. ---


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A day of the lab, as the instants it starts and ends (in UTC: a day the clocks change lasts
    23 or 25 hours, which arithmetic on local times would not see)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    following = day + timedelta(days=1)
    return start.astimezone(UTC), datetime(
        following.year, following.month, following.day, tzinfo=tz
    ).astimezone(UTC)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def minutes_within(spans: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> int:
    """The minutes of the spans that fall within [start, end)."""
    total = timedelta()
    for span_start, span_end in spans:
        overlap = min(span_end, end) - max(span_start, start)
        if overlap > timedelta():
            total += overlap
    return int(total.total_seconds() // 60)


__all__ = [
    "LIMIT_FIELDS",
    "BadQuota",
    "DailyQuotaReached",
    "LateCancellation",
    "Limit",
    "Limits",
    "Quota",
    "QuotaRefusal",
    "QuotaValues",
    "Scope",
    "TooShortNotice",
    "UpcomingLimitReached",
    "WeeklyQuotaReached",
    "check_values",
    "day_window",
    "earliest_starts",
    "edit_kind_values",
    "kind_target",
    "kind_values",
    "limits_for",
    "set_values",
    "values_of",
    "week_of",
]
