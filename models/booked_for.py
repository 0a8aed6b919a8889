"""Fab managers booking on behalf of someone: a member (found by name), or a guest or a workshop (a
free-text label), once or every week for a number of weeks.

A booking on behalf is a normal booking: the machine's rules apply as to anyone (status, training,
length, grid, opening hours, downtime, no overlap); the manager chooses the slot and who it is for.
A member's booking is theirs (their reminder, their My bookings) and records who made it
(`booked_by_id`); the member is told through the outbox. A guest's or a workshop's booking is held
under the manager's name (the manager answers for it: their training counts, their reminder comes)
and shown with its label. A recurring series books each week's occurrence on its own: the ones that
cannot be booked (taken, the lab closed, a planned downtime…) are listed with the reason, never
silently dropped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import bookings, outbox
from models.base import Base, clear_pending, get_pending, put_pending
from models.bookings import GUEST_LABEL_LENGTH, Booking, BookingConfirmed, BookingRules, BookingStatus
from models.errors import DomainError, OverlapsOwnBooking
from models.members import Member, get_member, require_manager
from models.opening import local_datetime

# The longest series a manager creates in one go (a school year of Wednesdays).
MAX_SERIES_WEEKS = 52
# A question asked and not answered within this time is forgotten (as a member search).
ASK_LIFETIME = timedelta(hours=1)


class BadGuestLabel(DomainError):
    """A guest's or a workshop's label must have 1 to GUEST_LABEL_LENGTH characters."""


class BadSeries(DomainError):
    """A series lasts 1 to MAX_SERIES_WEEKS weeks."""


class AlreadyHeld(DomainError):
    """The one booked for already holds that slot (or part of it) on this machine."""


@dataclass(frozen=True)
class BookedFor:
    """Who a manager books for: a member (by id), or a guest or a workshop (a label)."""

    member_id: int | None = None
    label: str | None = None


def clean_label(text: str) -> str:
    """The label as shown: spaces tidied; refused when empty or too long."""
    label = " ".join(text.split())
    if not label or len(label) > GUEST_LABEL_LENGTH:
        raise BadGuestLabel(label[:GUEST_LABEL_LENGTH])
    return label


class BookedForYou(BookingConfirmed, kind="booked_for_you"):
    """A fab manager booked a machine for the member (once, or the first of a weekly series)."""

    by: str  # the manager's first name
    weeks: int = 1  # how many of the weekly series were booked (1: a single booking)


async def _holder(session: AsyncSession, manager: Member, target: BookedFor) -> tuple[Member, str | None]:
    if target.member_id is not None:
        return await get_member(session, target.member_id), None
    return manager, clean_label(target.label or "")


async def _book(
    session: AsyncSession,
    manager: Member,
    holder: Member,
    label: str | None,
    machine_id: int,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> tuple[Booking, bool]:
    """Book it for the holder; return it and whether it is new (not this very booking pressed twice)."""
    end = start + timedelta(minutes=minutes)
    held = await session.scalar(
        select(Booking).where(
            Booking.member_id == holder.id,
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at == start,
            Booking.end_at == end,
        )
    )
    if held is not None and (held.booked_by_id, held.guest_label) != (manager.id, label):
        raise AlreadyHeld(str(held.id))  # the holder's own booking of that slot (or another guest's)
    try:
        booking = await bookings.book(session, holder, machine_id, start, minutes, rules, now)
    except OverlapsOwnBooking as clash:
        raise AlreadyHeld(str(clash)) from None
    if held is not None or booking.booked_by_id is not None:
        return booking, False  # this very booking on behalf, pressed twice
    booking.booked_by_id, booking.guest_label = manager.id, label
    await session.flush()
    return booking, True


def _tell(
    session: AsyncSession, manager: Member, booking: Booking, rules: BookingRules, now: datetime, weeks: int
) -> None:
    if booking.member_id == manager.id:
        return
    made = bookings.confirmation(booking, rules)
    fields = {f.name: getattr(made, f.name) for f in dataclasses.fields(made)}
    notice = BookedForYou(**fields, by=manager.first_name, weeks=weeks)
    outbox.notify_member(session, booking.member, notice, now)


async def book_on_behalf(
    session: AsyncSession,
    manager: Member,
    target: BookedFor,
    machine_id: int,
    start: datetime,
    minutes: int,
    rules: BookingRules,
    now: datetime,
) -> Booking:
    """Book the slot for a member (who is told) or a guest, or refuse with the reason."""
    require_manager(manager)
    holder, label = await _holder(session, manager, target)
    booking, new = await _book(session, manager, holder, label, machine_id, start, minutes, rules, now)
    if new:
        _tell(session, manager, booking, rules, now, 1)
    return booking


@dataclass(frozen=True)
class Skipped:
    start: datetime
    end: datetime
    reason: DomainError


@dataclass(frozen=True)
class Series:
    booked: list[Booking]
    skipped: list[Skipped]


def weekly_starts(first: datetime, weeks: int, rules: BookingRules) -> list[datetime]:
    """The same local time on the same weekday, week after week (a clock change keeps 18:00 at 18:00)."""
    local = first.astimezone(rules.tz)
    minute = local.hour * 60 + local.minute
    return [
        local_datetime(local.date() + timedelta(weeks=n), minute, rules.tz).astimezone(first.tzinfo)
        for n in range(weeks)
    ]


async def book_series(
    session: AsyncSession,
    manager: Member,
    target: BookedFor,
    machine_id: int,
    first_start: datetime,
    minutes: int,
    weeks: int,
    rules: BookingRules,
    now: datetime,
) -> Series:
    """Book the slot every week for `weeks` weeks (the booking horizon does not stop a manager's
    series); each occurrence that cannot be booked is skipped with its reason. The member, if any,
    is told once, of the first booking and how many were made."""
    require_manager(manager)
    if not 1 <= weeks <= MAX_SERIES_WEEKS:
        raise BadSeries(str(weeks))
    holder, label = await _holder(session, manager, target)
    starts = weekly_starts(first_start, weeks, rules)
    reach = (starts[-1].astimezone(rules.tz).date() - rules.today(now)).days + 1
    wide = replace(rules, horizon_days=max(rules.horizon_days, reach))
    booked, skipped = [], []
    for start in starts:
        try:
            async with session.begin_nested():
                booking, _new = await _book(
                    session, manager, holder, label, machine_id, start, minutes, wide, now
                )
                booked.append(booking)
        except DomainError as refusal:
            skipped.append(Skipped(start, start + timedelta(minutes=minutes), refusal))
    if booked:
        _tell(session, manager, booked[0], rules, now, len(booked))
    return Series(booked, skipped)


async def booked_by_names(session: AsyncSession, held: list[Booking]) -> dict[int, str]:
    """For the bookings a fab manager made for their member: booking id → the manager's first name."""
    by_ids = {b.booked_by_id for b in held if b.booked_by_id is not None and b.booked_by_id != b.member_id}
    if not by_ids:
        return {}
    names = dict(
        (await session.execute(select(Member.id, Member.first_name).where(Member.id.in_(by_ids))))
        .tuples()
        .all()
    )
    return {
        b.id: names[b.booked_by_id] for b in held if b.booked_by_id in names and b.booked_by_id != b.member_id
    }


class OnBehalfAsk(Base):
    """A manager's next message names who a slot is for: a member to find, or a guest's label."""

    __tablename__ = "on_behalf_asks"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    minutes: Mapped[int]
    weeks: Mapped[int]
    label: Mapped[str | None] = mapped_column(String(GUEST_LABEL_LENGTH))  # the words typed, once typed
    created_at: Mapped[datetime]


async def ask_for_whom(
    session: AsyncSession,
    manager: Member,
    machine_id: int,
    start: datetime,
    minutes: int,
    weeks: int,
    now: datetime,
) -> OnBehalfAsk:
    """Remember the slot; the manager's next message says who it is for."""
    require_manager(manager)
    if not 1 <= weeks <= MAX_SERIES_WEEKS:
        raise BadSeries(str(weeks))
    await clear_pending(session, manager.id, keep=OnBehalfAsk)
    return await put_pending(
        session,
        OnBehalfAsk,
        manager.id,
        machine_id=machine_id,
        start_at=start,
        minutes=minutes,
        weeks=weeks,
        label=None,
        created_at=now,
    )


async def pending_ask(
    session: AsyncSession, manager: Member, now: datetime, *, lock: bool = False
) -> OnBehalfAsk | None:
    """The manager's question waiting for its answer, if any and recent."""
    ask = await get_pending(session, OnBehalfAsk, manager.id, lock=lock)
    if ask is None or ask.created_at < now - ASK_LIFETIME:
        return None
    return ask


async def answer(
    session: AsyncSession, manager: Member, target: BookedFor, rules: BookingRules, now: datetime
) -> tuple[OnBehalfAsk, Booking | Series]:
    """Book the asked slot (or series) for the member picked, or for the label typed; the question is
    closed. None asked (any more): NoQuestion."""
    require_manager(manager)
    ask = await pending_ask(session, manager, now, lock=True)
    if ask is None:
        raise NoQuestion(str(manager.id))
    if target.member_id is None:
        target = BookedFor(label=ask.label)
    made: Booking | Series
    if ask.weeks == 1:
        made = await book_on_behalf(
            session, manager, target, ask.machine_id, ask.start_at, ask.minutes, rules, now
        )
    else:
        made = await book_series(
            session, manager, target, ask.machine_id, ask.start_at, ask.minutes, ask.weeks, rules, now
        )
    await clear_pending(session, manager.id)
    return ask, made


class NoQuestion(DomainError):
    """The slot asked about was already booked, or the question is too old: start again."""


__all__ = [
    "AlreadyHeld",
    "BadGuestLabel",
    "BadSeries",
    "BookedFor",
    "BookedForYou",
    "NoQuestion",
    "OnBehalfAsk",
    "Series",
    "Skipped",
    "answer",
    "ask_for_whom",
    "book_on_behalf",
    "book_series",
    "booked_by_names",
    "clean_label",
    "pending_ask",
    "weekly_starts",
]
