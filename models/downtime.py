"""Planned downtime: windows when a machine is out of service (servicing, calibration...)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Select, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

T = TypeVar("T")


class Downtime(Base):
    """A planned window when a machine is out of service (servicing, calibration...)."""

    __tablename__ = "downtimes"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_downtimes_machine_start", "machine_id", "start_at"),
        Index("ix_downtimes_session", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # The session that reserves the machine for its time (its title is the reason); None: maintenance.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))


async def downtimes_between(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Planned downtime windows of the machine overlapping [start, end)."""
    rows = await session.execute(
        select(Downtime.start_at, Downtime.end_at).where(
            Downtime.machine_id == machine_id,
            Downtime.cancelled_at.is_(None),
            Downtime.start_at < end,
            Downtime.end_at > start,
        )
    )
    return [(row.start_at, row.end_at) for row in rows]


async def first_downtime_over(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime
) -> int | None:
    """The id of the earliest planned downtime of the machine overlapping [start, end), if any."""
    found: int | None = await session.scalar(_over(select(Downtime.id), machine_id, start, end))
    return found


def _over(query: Select[tuple[T]], machine_id: int, start: datetime, end: datetime) -> Select[tuple[T]]:
    """The query narrowed to the machine's windows standing over [start, end), the earliest first."""
    return (
        query.where(
            Downtime.machine_id == machine_id,
            Downtime.cancelled_at.is_(None),
            Downtime.start_at < end,
            Downtime.end_at > start,
        )
        .order_by(Downtime.start_at, Downtime.id)
        .limit(1)
    )


async def reservation_over(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime
) -> Downtime | None:
    """The earliest window a session reserves the machine for overlapping [start, end), if any."""
    query = select(Downtime).where(Downtime.session_id.is_not(None))
    found: Downtime | None = await session.scalar(_over(query, machine_id, start, end))
    return found
