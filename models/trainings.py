"""Trainings that expire: a member's view of their authorizations, and the warnings before one lapses.

A machine says how long a training on it lasts (`Machine.training_valid_months`: months after it was
granted) and how long it survives without use (`training_lapse_months`: months after the latest booking
of it that took place); models/machines.py: training_expiry computes an authorization's expiry from
them, and an expired one no longer lets its member book. Bookings made before the expiry for a time
after it are kept: the warnings say so, and ask for a refresher before them.

The trainings job (scheduler/trainings.py) first records each authorization's latest use
(`last_used_at`, the start of a booking that was not cancelled and has begun), then warns the members
whose training lapses within WARN_DAYS: once per lead and per expiry, claimed by one conditional
UPDATE of `warned_30_for` / `warned_7_for` to the expiry it warns about. Two processes, or a restart,
never send one twice; a training renewed since (a later expiry) is warned about again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import Booking, BookingStatus
from models.machines import (
    REFRESH_DAYS,
    Authorization,
    Machine,
    MachineKind,
    authorizations_in_force,
    covers,
    machines_covered,
    training_expiry,
)
from models.members import Member
from models.notices import Notice, Part
from models.outbox import notify_member
from models.sessions import SignUpStatus, Upcoming, upcoming_trainings

# The warnings before a training lapses, in days, longest first: the first opens the refresher window.
WARN_DAYS = (REFRESH_DAYS, 7)
# A training session this soon after the lapse is still offered with the warning (one tap signs up).
SESSION_AFTER_LAPSE = timedelta(days=30)
_WARNED = {REFRESH_DAYS: "warned_30_for", 7: "warned_7_for"}


class LaterBooking(Part):
    machine: str
    start: datetime
    end: datetime


class TrainingLapsing(Notice, kind="training_lapsing"):
    """A member's training lapses soon (`days` is the warning's lead: 30 or 7; `days_left`, how many
    days are really left when it was queued: fewer after a restart, or a validity shortened)."""

    expires: datetime
    days: int
    machine: str | None = None  # None: the whole kind
    machine_kind: MachineKind | None = field(default=None, metadata={"key": "kind"})
    # The machine a refresher is asked for (a kind's first machine needing a training).
    machine_id: int | None = None
    later: list[LaterBooking] = field(default_factory=list)
    days_left: int | None = None  # None: `days` (a warning queued before this field)
    # The next training session on the machine or its kind, offered in one tap (None: none planned).
    session_id: int | None = None
    session_title: str | None = None
    session_start: datetime | None = None
    session_end: datetime | None = None
    # The member holds a seat in it already (signed up after the first warning): no offer, a reminder.
    session_signed_up: bool = False


@dataclass(frozen=True)
class Training:
    """One of a member's trainings as they see it."""

    authorization: Authorization
    machine: Machine | None  # None: a whole kind
    expires: datetime | None  # None: never
    lapsed: bool
    refresher: Machine | None  # the machine a refresher is asked for, when one may be now


def _refresher(authorization: Authorization, mine: list[Machine]) -> Machine | None:
    """The machine a refresher of the authorization is asked for: its own, or its kind's first
    machine in service needing a training."""
    trained = [m for m in mine if m.requires_training]
    own = next((m for m in trained if m.id == authorization.machine_id), None)
    return own or next((m for m in trained if m.bookable), None)


async def member_trainings(session: AsyncSession, member: Member, now: datetime) -> list[Training]:
    """The member's authorizations in force, with their expiry (lapsed ones included, marked)."""
    current = await authorizations_in_force(session, member)
    covered = await machines_covered(session, current)
    by_id = {m.id: m for m in covered}
    seen = []
    for authorization in current:
        mine = [m for m in covered if covers(authorization, m)]
        expires = training_expiry(authorization, mine)
        machine = by_id.get(authorization.machine_id) if authorization.machine_id is not None else None
        due = expires is not None and expires - timedelta(days=REFRESH_DAYS) <= now
        refresher = _refresher(authorization, mine) if due else None
        seen.append(
            Training(authorization, machine, expires, expires is not None and expires <= now, refresher)
        )
    return seen


async def record_uses(session: AsyncSession, now: datetime) -> int:
    """Set each authorization's `last_used_at` to the start of its member's latest booking (begun,
    not cancelled) of a machine it covers; return how many moved."""
    current = list(await session.scalars(select(Authorization).where(Authorization.revoked_at.is_(None))))
    if not current:
        return 0
    members = {a.member_id for a in current}
    rows = await session.execute(
        select(Booking.member_id, Booking.machine_id, Machine.kind, func.max(Booking.start_at))
        .join(Machine, Machine.id == Booking.machine_id)
        .where(
            Booking.member_id.in_(members),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at <= now,
        )
        .group_by(Booking.member_id, Booking.machine_id, Machine.kind)
    )
    uses: dict[int, list[tuple[int, MachineKind, datetime]]] = {}
    for member_id, machine_id, kind, start in rows:
        uses.setdefault(member_id, []).append((machine_id, kind, start))
    moved = 0
    for authorization in current:
        latest = max(
            (
                start
                for machine_id, kind, start in uses.get(authorization.member_id, [])
                if machine_id == authorization.machine_id or kind == authorization.machine_kind
            ),
            default=None,
        )
        if latest is not None and (authorization.last_used_at is None or latest > authorization.last_used_at):
            authorization.last_used_at = latest
            moved += 1
    await session.flush()
    return moved


async def _claim(session: AsyncSession, authorization: Authorization, days: int, expiry: datetime) -> bool:
    """Record that the `days` warning for this expiry is sent; False if it was (another process, a run
    before a restart). One conditional UPDATE: of two at once, one wins."""
    column = getattr(Authorization, _WARNED[days])
    result = await session.execute(
        update(Authorization)
        .where(
            Authorization.id == authorization.id,
            Authorization.revoked_at.is_(None),
            or_(column.is_(None), column != expiry),
        )
        .values({_WARNED[days]: expiry})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _next_session(
    session: AsyncSession, member: Member, refresher: Machine | None, expiry: datetime, now: datetime
) -> Upcoming | None:
    """The next training session on the refresher's machine or kind (with the member's place in it),
    if one starts before the training lapses or soon after it (SESSION_AFTER_LAPSE)."""
    if refresher is None:
        return None
    upcoming = await upcoming_trainings(session, member, refresher, now, limit=1)
    if upcoming and upcoming[0].session.start_at <= expiry + SESSION_AFTER_LAPSE:
        return upcoming[0]
    return None


def _lead(expiry: datetime, now: datetime) -> int | None:
    """Which warning is due for a training lapsing at `expiry` (the shortest lead reached), if any."""
    if expiry <= now:
        return None
    due = [days for days in WARN_DAYS if now >= expiry - timedelta(days=days)]
    return min(due) if due else None


async def warn_lapsing(session: AsyncSession, now: datetime) -> int:
    """Queue the due warnings (30 and 7 days before a training lapses), each once; return how many."""
    current = list(
        await session.scalars(
            select(Authorization)
            .join(Member, Member.id == Authorization.member_id)
            .where(Authorization.revoked_at.is_(None), Member.erased_at.is_(None))
            .order_by(Authorization.id)
        )
    )
    covered = await machines_covered(session, current)
    sent = 0
    for authorization in current:
        mine = [m for m in covered if covers(authorization, m)]
        expiry = training_expiry(authorization, mine)
        if expiry is None or (days := _lead(expiry, now)) is None:
            continue
        if days == 7 and getattr(authorization, _WARNED[7]) == expiry:
            continue  # cheap skip; the claim below is what makes it once
        if days == REFRESH_DAYS and getattr(authorization, _WARNED[REFRESH_DAYS]) == expiry:
            continue
        if not await _claim(session, authorization, days, expiry):
            continue
        if days == 7:  # the 30-day warning is past: never sent after this one
            await _claim(session, authorization, REFRESH_DAYS, expiry)
        member = await session.get(Member, authorization.member_id)
        if member is None:
            continue
        trained = [m for m in mine if m.requires_training]
        later = await session.scalars(
            select(Booking)
            .where(
                Booking.member_id == member.id,
                Booking.machine_id.in_([m.id for m in trained]),
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at >= expiry,
            )
            .order_by(Booking.start_at, Booking.id)
        )
        names = {m.id: m.name for m in trained}
        machine = next((m for m in trained if m.id == authorization.machine_id), None)
        refresher = _refresher(authorization, mine)
        next_one = await _next_session(session, member, refresher, expiry, now)
        offered = next_one.session if next_one else None
        notice = TrainingLapsing(
            expires=expiry,
            days=days,
            days_left=math.ceil((expiry - now) / timedelta(days=1)),
            machine=machine.name if machine is not None else None,
            machine_kind=authorization.machine_kind,
            machine_id=refresher.id if refresher is not None else None,
            later=[LaterBooking(machine=names[b.machine_id], start=b.start_at, end=b.end_at) for b in later],
            session_id=offered.id if offered else None,
            session_title=offered.title if offered else None,
            session_start=offered.start_at if offered else None,
            session_end=offered.end_at if offered else None,
            session_signed_up=next_one is not None and next_one.mine is SignUpStatus.SIGNED_UP,
        )
        notify_member(session, member, notice, now)
        sent += 1
    return sent
