"""Planned downtime: windows when a machine is out of service (servicing, calibration...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.cache import Area
from models.machines import Machine


class Downtime(Base):
    """A planned window when a machine is out of service (servicing, calibration...)."""

    __tablename__ = "downtimes"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_downtimes_machine_start", "machine_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


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
    found: int | None = await session.scalar(
        select(Downtime.id)
        .where(
            Downtime.machine_id == machine_id,
            Downtime.cancelled_at.is_(None),
            Downtime.start_at < end,
            Downtime.end_at > start,
        )
        .order_by(Downtime.start_at, Downtime.id)
        .limit(1)
    )
    return found
