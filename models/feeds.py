"""Private calendar feeds: a secret link a calendar app subscribes to, that its owner can revoke.

A member has at most one feed token. Their feed lists their bookings; a fab manager's token also
opens any machine's schedule (slots marked booked, no names). Making a new link revokes the old one;
erasing the member's data deletes it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from models.base import Base
from models.bookings import MAX_BOOKING_SPAN, Booking, BookingStatus
from models.machines import Machine
from models.members import Member

TOKEN_BYTES = 24  # 32 URL-safe characters: not guessable, short enough to copy
# A feed shows the past weeks too, so a calendar app does not drop a booking the moment it ends.
FEED_PAST = timedelta(days=30)
MAX_TOKEN_LENGTH = 64


class CalendarFeed(Base):
    """A member's secret calendar link."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(MAX_TOKEN_LENGTH), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(lazy="raise")


async def feed_of(session: AsyncSession, member: Member) -> CalendarFeed | None:
    return await session.scalar(select(CalendarFeed).where(CalendarFeed.member_id == member.id))


async def new_feed(session: AsyncSession, member: Member, now: datetime) -> CalendarFeed:
    """A fresh secret link for the member; the previous one (if any) stops working."""
    await revoke_feed(session, member)
    feed = CalendarFeed(member_id=member.id, token=secrets.token_urlsafe(TOKEN_BYTES), created_at=now)
    session.add(feed)
    await session.flush()
    return feed


async def revoke_feed(session: AsyncSession, member: Member) -> bool:
    """Turn the member's link off; tell whether there was one."""
    feed = await feed_of(session, member)
    if feed is None:
        return False
    await session.delete(feed)
    await session.flush()
    return True


async def owner_of(session: AsyncSession, token: str, now: datetime) -> Member | None:
    """The member a link belongs to, or None for an unknown, revoked or malformed token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    feed = await session.scalar(
        select(CalendarFeed).options(joinedload(CalendarFeed.member)).where(CalendarFeed.token == token)
    )
    if feed is None or feed.member.erased_at is not None:
        return None
    # Calendar apps poll every few minutes: note the use at most once an hour.
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
        feed.last_used_at = now
    return feed.member


async def member_bookings(session: AsyncSession, member: Member, now: datetime) -> list[Booking]:
    """The member's confirmed bookings from a month ago on."""
    rows = await session.scalars(
        select(Booking)
        .options(joinedload(Booking.machine))
        .where(
            Booking.member_id == member.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end_at > now - FEED_PAST,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return list(rows)


async def machine_schedule(
    session: AsyncSession, member: Member, machine_id: int, now: datetime, until: datetime
) -> tuple[Machine, list[Booking]] | None:
    """A machine's confirmed bookings from a month ago to `until`, for a manager's link only."""
    if not member.is_manager:
        return None
    machine = await session.get(Machine, machine_id)
    if machine is None:
        return None
    start = now - FEED_PAST
    rows = await session.scalars(
        select(Booking)
        .options(joinedload(Booking.machine))
        .where(
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= start - MAX_BOOKING_SPAN,
            Booking.start_at < until,
            Booking.end_at > start,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return machine, list(rows)
