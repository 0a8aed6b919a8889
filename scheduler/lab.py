"""What a scheduled job needs of the running lab: its database, its clock, its settings and rules.

The jobs in this package are plain functions over a `Lab`; they know nothing of Telegram. The bot's
application (bot/core/context.py: FabDesk) is one; bot/core/jobs.py runs them on PTB's JobQueue and wakes the
outbox sender when they queued something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import BookingRules


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


class Lab(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def rules(self) -> BookingRules: ...
    @property
    def settings(self) -> LabSettings: ...
