"""Leases: one process at a time does a thing (polls Telegram), others stand by and take over.

A lease is a row naming its holder and until when it holds. The holder renews it well before it
runs out; a process that dies stops renewing, and another takes the lease once it has run out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, case, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Lease(Base):
    """Who holds a lease, and until when."""

    __tablename__ = "leases"
    # Written by the processes themselves, never from anything a member sends (tests/test_fuzz.py).
    __table_args__ = ({"info": {"bookkeeping": True}},)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    until: Mapped[datetime]
    since: Mapped[datetime]


async def hold(session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta) -> str:
    """Take or renew the lease `name` for `holder` until now + ttl; return who holds it now.

    One conditional UPDATE (renew ours, or take one that ran out), else an INSERT for a lease nobody
    ever held: of two processes asking at once, one gets it and the other learns who did.
    """
    renewed = await session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.until <= now))
        .values(holder=holder, until=now + ttl, since=case((Lease.holder == holder, Lease.since), else_=now))
        .execution_options(synchronize_session=False)
    )
    if not getattr(renewed, "rowcount", 0):
        try:
            async with session.begin_nested():
                session.add(Lease(name=name, holder=holder, until=now + ttl, since=now))
        except IntegrityError:  # someone holds it (and it has not run out)
            pass
    current = await session.get(Lease, name, populate_existing=True)
    return current.holder if current is not None else ""


async def give_up(session: AsyncSession, name: str, holder: str) -> None:
    """Release the lease if we hold it (a clean stop: the standby takes over at once)."""
    await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
