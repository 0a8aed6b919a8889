"""What a scheduled job needs of the running lab: its database, its clock, its settings and rules.

The jobs in this package are plain functions over a `Lab`; they know nothing of Telegram. The bot's
application (bot/core/context.py: FabDesk) is one; bot/core/jobs.py runs them on PTB's JobQueue and wakes the
outbox sender when they queued something.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import BookingRules
from models.sessions import SessionRules


class LabSettings(Protocol):
    @property
    def manager_ids(self) -> Sequence[int]: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def digest_time(self) -> time: ...
    @property
    def retention_months(self) -> int: ...
    @property
    def meeting_reminder_minutes(self) -> int: ...
    @property
    def session_rules(self) -> SessionRules: ...


class Lab(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def rules(self) -> BookingRules: ...
    @property
    def settings(self) -> LabSettings: ...


class Page(Protocol):
    """One transaction's worth of a paged job: what it read (in order of start, then id) and did."""

    @property
    def read(self) -> Sequence[BookingLike]: ...
    @property
    def done(self) -> int: ...


class BookingLike(Protocol):
    @property
    def start_at(self) -> datetime: ...
    @property
    def id(self) -> int: ...


async def in_batches(
    desk: Lab, step: Callable[[AsyncSession, tuple[datetime, int] | None], Awaitable[Page]], batch: int
) -> int:
    """Run `step` in one short transaction after another, each after the last booking the previous
    one read, until one reads less than a batch; return how much they did in all."""
    done = 0
    after: tuple[datetime, int] | None = None
    while True:
        async with desk.sessions.begin() as session:
            page = await step(session, after)
        done += page.done
        if len(page.read) < batch:
            return done
        after = (page.read[-1].start_at, page.read[-1].id)
