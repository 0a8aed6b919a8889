"""Managing trainings: finding a member, their authorizations, withdrawing one.

Granting lives with the machines (models.machines.authorize); withdrawing needs the bookings too
(the member's upcoming bookings that now need a training are cancelled), so it lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from models import waitlist
from models.base import Base, clear_pending, delete_by_key, get_pending, put_pending, stamp_once
from models.bookings import Booking, BookingStatus
from models.errors import DomainError, NotFound
from models.free_text import has_hidden_characters
from models.machines import (
    REASON_MAX,
    RENEWED,
    Authorization,
    Machine,
    MachineKind,
    authorized_machines,
    expiry_among,
    list_machines,
    machines_covered,
    machines_needing_training,
)
from models.members import Member, Role, find_members, get_member, require_manager
from models.notices import Notice, Part
from models.outbox import notify_member

# A search asked for and not answered within this time is forgotten: text typed the next day is
# not taken for a member's name.
SEARCH_LIFETIME = timedelta(hours=1)
# The reasons a manager picks from buttons when withdrawing an authorization (stored as these
# words, told to the member in their language); anything else is the manager's own words.
REVOKE_REASONS = ("safety", "damage", "rules")
# Not a manager's choice: a « present » at a training tapped by mistake, then undone.
ATTENDANCE_UNDONE = "attendance_undone"


# At most this many helpers are named on a machine's page.
HELPERS_SHOWN = 5


def show_as_helper(member: Member, shown: bool, now: datetime) -> bool:
    """Record the member's choice to be named (or not any more) as someone who can help on the
    machines they are trained on; return whether it changed. Agreeing again keeps the first date."""
    if shown == member.shown_as_helper:
        return False
    member.shown_as_helper_since = now if shown else None
    return True


async def helpers_for(
    session: AsyncSession, machine: Machine, *, besides: Member | None = None
) -> list[Member]:
    """Who can help on the machine and agreed to be named: members authorized on it (or its kind)
    and the managers, never an erased member; by first name, at most HELPERS_SHOWN, `besides` left out."""
    authorized = select(Authorization.member_id).where(
        or_(Authorization.machine_id == machine.id, Authorization.machine_kind == machine.kind),
        Authorization.revoked_at.is_(None),
    )
    query = select(Member).where(
        Member.shown_as_helper_since.is_not(None),
        Member.erased_at.is_(None),
        or_(Member.id.in_(authorized), Member.role == Role.MANAGER),
    )
    if besides is not None:
        query = query.where(Member.id != besides.id)
    rows = await session.scalars(
        query.order_by(func.lower(Member.first_name), Member.id).limit(HELPERS_SHOWN)
    )
    return list(rows)


class AlreadyRevoked(DomainError):
    """The authorization was withdrawn before (a second press, another manager)."""


Asked = TypeVar("Asked", "MemberSearch", "RevokeReasonInput")


class BadReason(DomainError):
    """A reason must be 1 to 200 characters, without control or invisible characters."""


class RevokeReasonInput(Base):
    """A manager's next message is the reason for withdrawing this authorization."""

    __tablename__ = "revoke_reason_inputs"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


async def ask_reason(session: AsyncSession, manager: Member, authorization_id: int, now: datetime) -> None:
    """Remember that the manager's next message is why they withdraw the authorization."""
    await get_authorization(session, manager, authorization_id)
    await clear_pending(session, manager.id, keep=RevokeReasonInput)
    await put_pending(
        session, RevokeReasonInput, manager.id, authorization_id=authorization_id, created_at=now
    )


async def pending_reason(session: AsyncSession, member: Member, now: datetime) -> RevokeReasonInput | None:
    """The manager's withdrawal waiting for its reason, if any and recent."""
    return await _managers_pending(session, RevokeReasonInput, member, now, lock=True)


async def end_reason(session: AsyncSession, member: Member) -> None:
    await delete_by_key(session, RevokeReasonInput, member.id)


def clean_reason(reason: str) -> str:
    """The reason as stored: spaces collapsed; BadReason when empty, too long or holding hidden characters."""
    if has_hidden_characters(reason.strip()):
        raise BadReason(repr(reason[:40]))
    cleaned = " ".join(reason.split())
    if not cleaned or len(cleaned) > REASON_MAX:
        raise BadReason(cleaned[:40])
    return cleaned


class MemberSearch(Base):
    """A manager's next message is the name or @username of a member to find."""

    __tablename__ = "member_searches"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]


async def ask_search(session: AsyncSession, manager: Member, now: datetime) -> None:
    """Remember that the manager's next message is a member to look for."""
    require_manager(manager)
    await clear_pending(session, manager.id, keep=MemberSearch)
    await put_pending(session, MemberSearch, manager.id, created_at=now)


async def pending_search(session: AsyncSession, member: Member, now: datetime) -> MemberSearch | None:
    """The member's search waiting for its words, if any and recent (managers only)."""
    return await _managers_pending(session, MemberSearch, member, now)


async def _managers_pending(
    session: AsyncSession, model: type[Asked], member: Member, now: datetime, *, lock: bool = False
) -> Asked | None:
    """A manager's question of this kind, if any and asked within SEARCH_LIFETIME; dropped otherwise."""
    asked = await get_pending(session, model, member.id, lock=lock)
    if asked is None:
        return None
    if not member.is_manager or asked.created_at < now - SEARCH_LIFETIME:
        await delete_by_key(session, model, member.id)
        return None
    return asked


async def end_search(session: AsyncSession, member: Member) -> None:
    await delete_by_key(session, MemberSearch, member.id)


async def search(
    session: AsyncSession, manager: Member, words: str, *, limit: int = 8
) -> tuple[list[Member], int]:
    """Members whose first name, last name or username hold every typed word (case and accents
    ignored; a leading @ is allowed), and how many match in all."""
    require_manager(manager)
    return await find_members(session, search=words, limit=limit)


@dataclass(frozen=True)
class MemberTrainings:
    """What a manager sees of one member: their authorizations, and what they may be authorized on."""

    member: Member
    authorizations: list[Authorization]
    machine_names: dict[int, str]
    to_authorize: list[Machine]
    expiries: dict[int, datetime | None] = field(default_factory=dict)  # by authorization id; None: never


async def member_trainings(session: AsyncSession, manager: Member, member_id: int) -> MemberTrainings:
    require_manager(manager)  # before any lookup: a member learns nothing from ids
    member = await get_member(session, member_id)
    if member.erased_at is not None:
        raise NotFound(f"member {member_id}")
    current = list(
        await session.scalars(
            select(Authorization)
            .where(Authorization.member_id == member.id, Authorization.revoked_at.is_(None))
            .order_by(Authorization.granted_at, Authorization.id)
        )
    )
    names = {m.id: m.name for m in await list_machines(session, include_retired=True)}
    trained = await machines_needing_training(session)
    allowed = await authorized_machines(session, member, trained)
    shown = [a for a in current if a.machine_id is None or a.machine_id in names]
    covered = await machines_covered(session, shown)
    return MemberTrainings(
        member=member,
        authorizations=shown,
        machine_names=names,
        to_authorize=[m for m in trained if m.id not in allowed],
        expiries={a.id: expiry_among(a, covered) for a in shown},
    )


async def get_authorization(session: AsyncSession, manager: Member, authorization_id: int) -> Authorization:
    """An authorization still in force (a manager's view)."""
    require_manager(manager)
    authorization = await session.get(Authorization, authorization_id)
    if authorization is None:
        raise NotFound(f"authorization {authorization_id}")
    if authorization.revoked_at is not None:
        raise AlreadyRevoked(str(authorization_id))
    return authorization


async def _covered_machines(session: AsyncSession, authorization: Authorization) -> list[Machine]:
    query = select(Machine)
    if authorization.machine_id is not None:
        query = query.where(Machine.id == authorization.machine_id)
    else:
        query = query.where(Machine.kind == authorization.machine_kind)
    return list(await session.scalars(query))


async def bookings_needing_training(
    session: AsyncSession, member: Member, authorization: Authorization, now: datetime
) -> list[Booking]:
    """The member's not-yet-started bookings that the authorization alone allows: withdrawing it
    leaves them without the training their machine needs (another authorization may still cover one)."""
    covered = [m for m in await _covered_machines(session, authorization) if m.requires_training]
    if not covered:
        return []
    others = await authorized_machines_without(session, member, covered, authorization.id)
    orphaned = [m.id for m in covered if m.id not in others]
    if not orphaned:
        return []
    rows = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.machine))
        .where(
            Booking.member_id == member.id,
            Booking.machine_id.in_(orphaned),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at > now,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return list(rows)


async def authorized_machines_without(
    session: AsyncSession, member: Member, machines: list[Machine], authorization_id: int
) -> set[int]:
    """The machines among `machines` another authorization in force still covers."""
    rows = await session.execute(
        select(Authorization.machine_id, Authorization.machine_kind).where(
            Authorization.member_id == member.id,
            Authorization.revoked_at.is_(None),
            Authorization.id != authorization_id,
        )
    )
    ids: set[int | None] = set()
    kinds: set[MachineKind | None] = set()
    for machine_id, kind in rows:
        ids.add(machine_id)
        kinds.add(kind)
    return {m.id for m in machines if m.id in ids or m.kind in kinds}


class CancelledBooking(Part):
    machine: str
    start: datetime
    end: datetime


class AuthorizationRevoked(Notice, kind="authorization_revoked"):
    """A member's authorization was withdrawn; the bookings that needed it are cancelled."""

    machine: str | None = None  # None: the whole kind
    machine_kind: MachineKind | None = field(default=None, metadata={"key": "kind"})
    cancelled: list[CancelledBooking] = field(default_factory=list)
    reason: str | None = None  # one of REVOKE_REASONS, or the manager's words


@dataclass(frozen=True)
class Revoked:
    member: Member
    what: str | None  # the machine's name, or None for a kind
    kind: MachineKind | None
    cancelled: list[Booking]


async def revoke(
    session: AsyncSession,
    manager: Member,
    authorization_id: int,
    now: datetime,
    tz: ZoneInfo | None = None,
    *,
    reason: str | None = None,
) -> Revoked:
    """Withdraw an authorization: recorded with who, when and why (`reason`: one of REVOKE_REASONS or
    the manager's words); the member's upcoming bookings that now lack the training are cancelled
    (their slots offered to the waitlist with the lab's `tz`), and the member is told, with the reason."""
    reason = clean_reason(reason) if reason is not None else None
    authorization = await get_authorization(session, manager, authorization_id)
    return await _withdraw(session, manager, authorization, now, tz, reason)


async def withdraw_granted(
    session: AsyncSession, by: Member, authorization_id: int, now: datetime, tz: ZoneInfo | None = None
) -> Revoked | None:
    """Withdraw an authorization a training's attendance granted, that attendance being undone (`by`:
    whoever may mark it, checked by the caller). If it replaced a lapsing one (a refresher), that one
    is back in force as it was, and nothing else changes; otherwise as `revoke`, the member told why.
    None if it was withdrawn already."""
    authorization = await session.get(Authorization, authorization_id)
    if authorization is None or authorization.revoked_at is not None:
        return None
    renewed = await session.scalar(
        select(Authorization).where(
            Authorization.member_id == authorization.member_id,
            Authorization.machine_id == authorization.machine_id
            if authorization.machine_id is not None
            else Authorization.machine_kind == authorization.machine_kind,
            Authorization.revoke_reason == RENEWED,
            Authorization.revoked_at == authorization.granted_at,
        )
    )
    if renewed is None:
        return await _withdraw(session, by, authorization, now, tz, ATTENDANCE_UNDONE)
    # Withdrawn first, once (two presses at once): only the press that withdrew it restores the old one.
    if not await stamp_once(session, authorization, "revoked_at", now):
        return None
    authorization.revoked_by_id, authorization.revoke_reason = by.id, ATTENDANCE_UNDONE
    renewed.revoked_at = renewed.revoked_by_id = renewed.revoke_reason = None
    await session.flush()
    return None


async def _withdraw(
    session: AsyncSession,
    by: Member,
    authorization: Authorization,
    now: datetime,
    tz: ZoneInfo | None,
    reason: str | None,
) -> Revoked:
    # One conditional UPDATE: two managers pressing at once withdraw it once.
    if not await stamp_once(session, authorization, "revoked_at", now):
        raise AlreadyRevoked(str(authorization.id))
    authorization.revoked_by_id, authorization.revoke_reason = by.id, reason
    member = await get_member(session, authorization.member_id)
    cancelled = await bookings_needing_training(session, member, authorization, now)
    for booking in cancelled:
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
    await session.flush()
    if tz is not None:
        for booking in cancelled:
            if booking.machine.bookable:
                await waitlist.slot_freed(session, booking.machine, booking.start_at, booking.end_at, now, tz)
    machine = await session.get(Machine, authorization.machine_id) if authorization.machine_id else None
    what = machine.name if machine is not None else None
    notice = AuthorizationRevoked(
        machine=what,
        machine_kind=authorization.machine_kind,
        cancelled=[
            CancelledBooking(machine=b.machine.name, start=b.start_at, end=b.end_at) for b in cancelled
        ],
        reason=reason,
    )
    notify_member(session, member, notice, now)
    return Revoked(member, what, authorization.machine_kind, cancelled)
