"""Planned downtime: windows when a machine is out of service (servicing, calibration...)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Select, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.cache import Area
from models.machines import Machine

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


async def _load_downtimes(session: AsyncSession) -> dict[int, tuple[tuple[datetime, datetime], ...]]:
    """Every planned (not cancelled) downtime window, by machine, in order."""
    rows = await session.execute(
        select(Downtime.machine_id, Downtime.start_at, Downtime.end_at)
        .where(Downtime.cancelled_at.is_(None))
        .order_by(Downtime.machine_id, Downtime.start_at)
    )
    by_machine: dict[int, list[tuple[datetime, datetime]]] = {}
    for machine_id, start_at, end_at in rows.tuples():
        by_machine.setdefault(machine_id, []).append((start_at, end_at))
    return {machine_id: tuple(windows) for machine_id, windows in by_machine.items()}


# Read by every free-slot screen, planned by managers only (models/cache.py): a few a month. A
# machine's deletion takes its downtimes with it (ON DELETE CASCADE): machines' writes bump it too.
DOWNTIMES = Area("downtimes", _load_downtimes, (Downtime, Machine))


async def downtimes_between(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Planned downtime windows of the machine overlapping [start, end)."""
    windows = (await DOWNTIMES.get(session)).get(machine_id, ())
    return [(w_start, w_end) for w_start, w_end in windows if w_start < end and w_end > start]


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
