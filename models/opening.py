"""When the lab is open: weekly opening hours and closure days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.cache import Area

MINUTES_PER_DAY = 24 * 60


class OpeningHours(Base):
    """One opening interval on a weekday, in the lab's local time (minutes after midnight)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint(
            "opens_minute >= 0 AND opens_minute < closes_minute AND closes_minute <= 1440",
            name="interval_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as date.weekday()
    opens_minute: Mapped[int] = mapped_column(Integer)
    closes_minute: Mapped[int] = mapped_column(Integer)


class Closure(Base):
    """A day the lab is closed (holiday, event...)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


def local_datetime(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The aware datetime `minute` minutes after local midnight of `day` (1440 = next midnight)."""
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)


async def _load_hours(session: AsyncSession) -> dict[int, tuple[tuple[int, int], ...]]:
    """Every opening interval, by weekday, sorted."""
    hours: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
    rows = await session.execute(
        select(OpeningHours.weekday, OpeningHours.opens_minute, OpeningHours.closes_minute)
    )
    for weekday, opens, closes in rows.tuples():
        hours[weekday].append((opens, closes))
    return {d: tuple(sorted(intervals)) for d, intervals in hours.items()}


async def _load_closures(session: AsyncSession) -> dict[date, str]:
    """Every closure day, with its reason."""
    return dict((await session.execute(select(Closure.day, Closure.reason))).tuples().all())


# Read on nearly every screen, written by the import and managers only (models/cache.py).
HOURS = Area("opening_hours", _load_hours, (OpeningHours,))
CLOSURES = Area("closures", _load_closures, (Closure,))


async def weekly_hours(session: AsyncSession) -> dict[int, list[tuple[int, int]]]:
    """Opening intervals by weekday, each sorted."""
    return {d: list(intervals) for d, intervals in (await HOURS.get(session)).items()}


async def closed_days(session: AsyncSession, first: date, last: date) -> dict[date, str]:
    """Closure days between first and last (inclusive), with their reason."""
    return {day: reason for day, reason in (await CLOSURES.get(session)).items() if first <= day <= last}


class LabCalendar:
    """The opening intervals of a span of days, loaded once, in aware local datetimes."""

    def __init__(self, hours: dict[int, list[tuple[int, int]]], closures: dict[date, str], tz: ZoneInfo):
        self.hours = hours
        self.closures = closures
        self.tz = tz

    @classmethod
    async def load(cls, session: AsyncSession, first: date, last: date, tz: ZoneInfo) -> LabCalendar:
        return cls(await weekly_hours(session), await closed_days(session, first, last), tz)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Opening intervals of the day in UTC (so arithmetic is safe across DST); none when closed."""
        if day in self.closures:
            return []
        return [
            (
                local_datetime(day, opens, self.tz).astimezone(UTC),
                local_datetime(day, closes, self.tz).astimezone(UTC),
            )
            for opens, closes in self.hours[day.weekday()]
        ]

    def interval_containing(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        """The opening interval holding [start, end), if any."""
        day = start.astimezone(self.tz).date()
        for opens, closes in self.intervals(day):
            if opens <= start and end <= closes:
                return opens, closes
        return None
