"""Machines, training authorizations and training requests."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column
from sqlalchemy.orm.util import identity_key

from models.base import Base, enum_type
from models.cache import Area
from models.errors import (
    AlreadyAuthorized,
    DomainError,
    MachineUnavailable,
    NotFound,
    TrainingLapsed,
    TrainingRequired,
)
from models.free_text import has_hidden_characters
from models.members import Member, require_manager
from models.notices import Notice
from models.outbox import notify_managers, notify_member


class MachineKind(enum.StrEnum):
    PRINTER_3D = "3d_printer"
    LASER_CUTTER = "laser_cutter"
    CNC = "cnc"
    PC = "pc"
    ELECTRONICS_BENCH = "electronics_bench"
    OTHER = "other"


class MachineStatus(enum.StrEnum):
    AVAILABLE = "available"
    OUT_OF_SERVICE = "out_of_service"
    RETIRED = "retired"


# The order machines are listed in, kind by kind.
KIND_ORDER = list(MachineKind)

NAME_MAX = 100  # machines.name is VARCHAR(100)
LOCATION_MAX = 100  # machines.location is VARCHAR(100)
MINUTES_MAX = 24 * 60  # a slot, and a booking, fit in a day (the table's checks)
TRAINING_MONTHS_MAX = 120  # a training's validity or lapse, in months (the table's checks)
REASON_MAX = 200  # authorizations.revoke_reason is VARCHAR(200)
RENEWED = "renewed"  # the revoke_reason of a lapsed authorization a refresher replaced
# Within this many days of its expiry (or after it), a training can be refreshed: the member may ask
# for a refresher, and a manager's authorization replaces the old one.
REFRESH_DAYS = 30


class BadMachineName(DomainError):
    """A machine's name must be 1 to 100 characters."""


class HiddenCharacters(DomainError):
    """A machine's name or location holds a control or invisible character (a NUL, a zero-width space)."""


class MachineNameTaken(DomainError):
    """Another machine has this name (ignoring case)."""


class BadMachineMinutes(DomainError):
    """A slot of 1 to 1,440 minutes, a longest booking a whole number of slots within a day."""


class BadCheckinMinutes(DomainError):
    """Check-in minutes go from 0 (off) to 1,440."""


class BadTrainingMonths(DomainError):
    """A training's validity or lapse is 1 to 120 months (0: never)."""


class MachineHeldDown(DomainError):
    """An open maintenance ticket keeps the machine out of service: it comes back when it is closed."""


class Machine(Base):
    """A bookable piece of equipment."""

    __tablename__ = "machines"
    __table_args__ = (
        CheckConstraint("slot_minutes > 0 AND slot_minutes <= 1440", name="slot_minutes_range"),
        CheckConstraint(
            "max_booking_minutes >= slot_minutes AND max_booking_minutes <= 1440",
            name="max_booking_minutes_range",
        ),
        CheckConstraint("checkin_minutes >= 0 AND checkin_minutes <= 1440", name="checkin_minutes_range"),
        CheckConstraint(
            "unattended_max_minutes >= 0 AND unattended_max_minutes <= 1440",
            name="unattended_max_minutes_range",
        ),
        CheckConstraint(
            "training_valid_months IS NULL OR (training_valid_months >= 1 AND training_valid_months <= 120)",
            name="training_valid_months_range",
        ),
        CheckConstraint(
            "training_lapse_months IS NULL OR (training_lapse_months >= 1 AND training_lapse_months <= 120)",
            name="training_lapse_months_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[MachineKind] = mapped_column(enum_type(MachineKind, "machine_kind"))
    location: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MachineStatus] = mapped_column(
        enum_type(MachineStatus, "machine_status"), default=MachineStatus.AVAILABLE
    )
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    max_booking_minutes: Mapped[int] = mapped_column(Integer, default=120)
    requires_training: Mapped[bool] = mapped_column(Boolean, default=False)
    # Minutes after its start within which a booking must be checked in, else it is released as a
    # no-show (models/checkin.py); 0: no check-in asked.
    checkin_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A machine that runs unattended (a long print): its bookings start in the opening hours but may
    # continue past closing time, overnight, up to this many minutes; 0: they end by closing time.
    unattended_max_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A training on it is valid this many months after it was given, and lapses after this many
    # months without a booking of it (models/trainings.py); None: never.
    training_valid_months: Mapped[int | None] = mapped_column(Integer, default=None)
    training_lapse_months: Mapped[int | None] = mapped_column(Integer, default=None)

    @property
    def bookable(self) -> bool:
        return self.status is MachineStatus.AVAILABLE

    @property
    def unattended(self) -> bool:
        return self.unattended_max_minutes > 0

    @property
    def longest_booking(self) -> int:
        """The longest booking in minutes: the unattended maximum when the machine runs unattended."""
        return max(self.max_booking_minutes, self.unattended_max_minutes)


class Authorization(Base):
    """A manager's word that a member was trained on one machine, or on every machine of a kind."""

    __tablename__ = "authorizations"
    __table_args__ = (
        CheckConstraint("(machine_id IS NULL) <> (machine_kind IS NULL)", name="machine_or_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    machine_kind: Mapped[MachineKind | None] = mapped_column(enum_type(MachineKind, "authorization_kind"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime]
    # Set when a manager withdrew it: the row stays as the record of who trained whom, and when it
    # ended. Only rows without it count; authorizing again adds a new row.
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    # The start of the member's latest booking of a machine it covers that took place (kept up to
    # date by the trainings job, models/trainings.py): a training lapses N months after it.
    last_used_at: Mapped[datetime | None]
    # The expiry each warning was sent for: a training renewed (a later expiry) is warned again.
    warned_30_for: Mapped[datetime | None]
    warned_7_for: Mapped[datetime | None]


class TrainingRequest(Base):
    """A member asking to be trained on a machine; open until a manager authorizes them or declines
    it (with a reason). A manager may propose a training session meanwhile (models/session_requests.py)."""

    __tablename__ = "training_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime]
    granted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    # The training session a manager proposed (the member was told, with a one-tap sign-up).
    proposed_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("lab_sessions.id", ondelete="SET NULL")
    )
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class Authorized(Notice, kind="authorized"):
    """A member may now book a machine, or every machine of a kind (`machine` is None then)."""

    machine: str | None = None
    machine_kind: MachineKind | None = field(default=None, metadata={"key": "kind"})


class TrainingRequested(Notice, kind="training_request"):
    """A member asks the managers for a training on a machine."""

    member: str  # the name to show, with the @username
    member_first_name: str
    member_id: int
    machine: str
    machine_id: int
    request_id: int = 0  # 0: a request queued before requests could be answered otherwise


async def list_machines(session: AsyncSession, *, include_retired: bool = False) -> list[Machine]:
    """Every machine, kind by kind then by name; retired ones only when asked."""
    query = select(Machine)
    if not include_retired:
        query = query.where(Machine.status != MachineStatus.RETIRED)
    machines = list(await session.scalars(query))
    return sorted(machines, key=lambda m: (KIND_ORDER.index(m.kind), m.name.lower()))


async def _load_machines(session: AsyncSession) -> dict[int, Machine]:
    """Every machine, as detached copies: a session takes its own with `session.merge(load=False)`."""
    keys = [attribute.key for attribute in Machine.__mapper__.column_attrs]
    found = {}
    for row in await session.execute(select(*(getattr(Machine, key) for key in keys))):
        machine = Machine(**dict(zip(keys, row, strict=True)))
        make_transient_to_detached(machine)  # as if loaded: clean, with its identity
        found[machine.id] = machine
    return found


# A machine and its settings: read by every booking screen, changed by the import, managers and
# maintenance (its status), each through the ORM, which bumps the version (models/cache.py).
MACHINES = Area("machines", _load_machines, (Machine,))


async def _machine_by_id(session: AsyncSession, machine_id: int) -> Machine | None:
    """session.get(Machine, id), served from the cache: the session's own copy of the machine."""
    held = session.sync_session.identity_map.get(identity_key(Machine, machine_id))
    if held is not None:
        return held  # type: ignore[no-any-return]
    cached = (await MACHINES.get(session)).get(machine_id)
    return None if cached is None else await session.merge(cached, load=False)


async def get_machine(session: AsyncSession, machine_id: int, *, booking_lock: bool = False) -> Machine:
    """Return the machine, or NotFound (also for retired machines, which are gone for members).

    `booking_lock` makes a booking wait for a concurrent change of the machine's status (an unusable
    report, a planned downtime), then see it: no booking slips in unwarned. Bookings of one machine
    take turns too: on PostgreSQL, members confirming clashing slots at the same instant would
    otherwise each wait on the other's insert in the exclusion constraint, a deadlock.
    """
    if booking_lock:
        machine = await session.scalar(
            select(Machine)
            .where(Machine.id == machine_id)
            .with_for_update(key_share=True)  # FOR NO KEY UPDATE: bookings referencing it are not held
            .execution_options(populate_existing=True)
        )
    else:
        machine = await _machine_by_id(session, machine_id)
    if machine is None or machine.status is MachineStatus.RETIRED:
        raise NotFound(f"machine {machine_id}")
    return machine


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter: 31 Jan + 1 → 28 Feb)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def training_expiry(authorization: Authorization, covered: Iterable[Machine]) -> datetime | None:
    """When the authorization stops letting its member book: the earliest, over the machines it
    covers that need a training, of its validity (months after it was granted) and its lapse (months
    after the last booking of one of them, or the grant); None: never."""
    ends = []
    last_use = max(authorization.granted_at, authorization.last_used_at or authorization.granted_at)
    for machine in covered:
        if not machine.requires_training:
            continue
        if machine.training_valid_months:
            ends.append(add_months(authorization.granted_at, machine.training_valid_months))
        if machine.training_lapse_months:
            ends.append(add_months(last_use, machine.training_lapse_months))
    return min(ends) if ends else None


def covers(authorization: Authorization, machine: Machine) -> bool:
    if authorization.machine_id is not None:
        return authorization.machine_id == machine.id
    return authorization.machine_kind == machine.kind


def expiry_among(authorization: Authorization, machines: Iterable[Machine]) -> datetime | None:
    """The authorization's expiry, from those of `machines` it covers (machines_covered reads them)."""
    return training_expiry(authorization, (m for m in machines if covers(authorization, m)))


async def machines_covered(session: AsyncSession, authorizations: Iterable[Authorization]) -> list[Machine]:
    """Every machine (retired ones too) one of the authorizations covers, in one query."""
    rows = list(authorizations)
    ids = {a.machine_id for a in rows if a.machine_id is not None}
    kinds = {a.machine_kind for a in rows if a.machine_kind is not None}
    if not rows:
        return []
    return list(
        await session.scalars(select(Machine).where(or_(Machine.id.in_(ids), Machine.kind.in_(kinds))))
    )


async def authorizations_in_force(session: AsyncSession, member: Member) -> list[Authorization]:
    """The member's authorizations not withdrawn (expired ones included), oldest first."""
    rows = await session.scalars(
        select(Authorization)
        .where(Authorization.member_id == member.id, Authorization.revoked_at.is_(None))
        .order_by(Authorization.granted_at, Authorization.id)
    )
    return list(rows)


async def is_authorized(
    session: AsyncSession, member: Member, machine: Machine, *, now: datetime | None = None
) -> bool:
    """Whether the member may book the machine as far as training goes (at `now`, the clock if None)."""
    return machine.id in await authorized_machines(session, member, [machine], now=now)


async def authorized_machines(
    session: AsyncSession, member: Member, machines: list[Machine], *, now: datetime | None = None
) -> set[int]:
    """The ids of the machines the member may book as far as training goes: an authorization in
    force covers them and has not expired by `now` (the clock if None)."""
    trained = [m for m in machines if m.requires_training]
    allowed = {m.id for m in machines if not m.requires_training}
    if trained:
        moment = now if now is not None else datetime.now(UTC)
        current = await authorizations_in_force(session, member)
        covered = await machines_covered(session, current) if current else []
        for authorization in current:
            expiry = expiry_among(authorization, covered)
            if expiry is None or moment < expiry:
                allowed |= {m.id for m in trained if covers(authorization, m)}
    return allowed


async def _expiries(session: AsyncSession, member: Member, machine: Machine) -> list[datetime | None]:
    """The expiry of each of the member's authorizations in force covering the machine."""
    current = [a for a in await authorizations_in_force(session, member) if covers(a, machine)]
    covered = await machines_covered(session, current)
    return [expiry_among(a, covered) for a in current]


async def lapsed_on(session: AsyncSession, member: Member, machine: Machine) -> datetime | None:
    """When the member's latest expired authorization covering the machine expired, if any."""
    return max((end for end in await _expiries(session, member, machine) if end is not None), default=None)


async def refreshable(session: AsyncSession, member: Member, machine: Machine, now: datetime) -> bool:
    """Whether every authorization letting the member book the machine lapses within REFRESH_DAYS:
    a refresher training may be asked for."""
    ends = await _expiries(session, member, machine)
    return bool(ends) and all(end is not None and end - timedelta(days=REFRESH_DAYS) <= now for end in ends)


async def check_bookable(
    session: AsyncSession, member: Member, machine: Machine, *, now: datetime | None = None
) -> None:
    """Refuse if the machine cannot be booked by this member right now (status, training)."""
    if not machine.bookable:
        raise MachineUnavailable(machine.name)
    if not await is_authorized(session, member, machine, now=now):
        if (lapsed := await lapsed_on(session, member, machine)) is not None:
            raise TrainingLapsed(machine.name, lapsed)
        raise TrainingRequired(machine.name)


async def authorize(
    session: AsyncSession,
    manager: Member,
    member: Member,
    *,
    machine: Machine | None = None,
    kind: MachineKind | None = None,
    now: datetime,
) -> bool:
    """Authorize the member on a machine or a kind; return False if they already were.

    Open training requests the authorization covers are marked granted.
    """
    require_manager(manager)
    return await record_training(session, manager.id, member, machine=machine, kind=kind, now=now) is not None


async def record_training(
    session: AsyncSession,
    granted_by_id: int | None,
    member: Member,
    *,
    machine: Machine | None = None,
    kind: MachineKind | None = None,
    now: datetime,
) -> Authorization | None:
    """Authorize the member as `authorize` does, recorded as granted by `granted_by_id`: the caller
    checked who may (a manager, or the instructor of a training session the member attended). Return
    the new authorization, None if one in force already covered it."""
    if (machine is None) == (kind is None):
        raise ValueError("authorize a machine or a kind, not both")
    if member.erased_at is not None:  # an old training request's button: nobody is there any more
        raise NotFound(f"member {member.id}")
    existing = await session.scalar(
        select(Authorization).where(
            Authorization.member_id == member.id,
            Authorization.revoked_at.is_(None),
            Authorization.machine_id == machine.id
            if machine is not None
            else Authorization.machine_kind == kind,
        )
    )
    if existing is not None:
        expiry = training_expiry(existing, await machines_covered(session, [existing]))
        if expiry is not None and expiry - timedelta(days=REFRESH_DAYS) <= now:
            # A refresher: the lapsing authorization ends (kept as the record) and a new one starts.
            existing.revoked_at, existing.revoked_by_id, existing.revoke_reason = now, granted_by_id, RENEWED
            existing = None
    granted = None
    if existing is None:
        granted = Authorization(
            member_id=member.id,
            machine_id=machine.id if machine is not None else None,
            machine_kind=kind,
            granted_by_id=granted_by_id,
            granted_at=now,
        )
        session.add(granted)
    covered = select(Machine.id).where(
        Machine.id == machine.id if machine is not None else Machine.kind == kind
    )
    requests = await session.scalars(
        select(TrainingRequest).where(
            TrainingRequest.member_id == member.id,
            TrainingRequest.granted_at.is_(None),
            TrainingRequest.machine_id.in_(covered),
        )
    )
    for request in requests:
        request.granted_at = now
    if existing is None:
        notice = Authorized(machine=machine.name if machine else None, machine_kind=kind)
        notify_member(session, member, notice, now)
    await session.flush()
    return granted


async def request_training(
    session: AsyncSession, member: Member, machine: Machine, *, manager_ids: Iterable[int], now: datetime
) -> tuple[TrainingRequest, bool]:
    """Record that the member asks for a training and tell the managers; return (request, created).

    Asking again while a request is open returns the open one, so managers are not spammed.
    """
    if not machine.requires_training:
        raise NotFound(f"machine {machine.id} needs no training")
    if await is_authorized(session, member, machine, now=now) and not await refreshable(
        session, member, machine, now
    ):
        raise AlreadyAuthorized(machine.name)
    pending = await session.scalar(
        select(TrainingRequest).where(
            TrainingRequest.member_id == member.id,
            TrainingRequest.machine_id == machine.id,
            TrainingRequest.granted_at.is_(None),
            TrainingRequest.declined_at.is_(None),
        )
    )
    if pending is not None:
        return pending, False
    request = TrainingRequest(member_id=member.id, machine_id=machine.id, requested_at=now)
    session.add(request)
    await session.flush()
    notice = TrainingRequested(
        member=member.display_name + (f" (@{member.username})" if member.username else ""),
        member_first_name=member.first_name,
        member_id=member.id,
        machine=machine.name,
        machine_id=machine.id,
        request_id=request.id,
    )
    await notify_managers(session, manager_ids, notice, now)
    return request, True


async def machines_needing_training(session: AsyncSession) -> list[Machine]:
    """Machines a manager can authorize members on."""
    return [m for m in await list_machines(session) if m.requires_training]


async def get_any_machine(session: AsyncSession, machine_id: int, *, lock: bool = False) -> Machine:
    """Return the machine whatever its status; `lock` holds it against concurrent status changes."""
    if lock:
        # NO KEY UPDATE: rows that merely reference the machine (a draft, a booking) do not block it.
        machine = await session.scalar(
            select(Machine)
            .where(Machine.id == machine_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    else:
        machine = await _machine_by_id(session, machine_id)
    if machine is None:
        raise NotFound(f"machine {machine_id}")
    return machine


async def members_to_authorize(
    session: AsyncSession,
    machine: Machine,
    *,
    offset: int = 0,
    limit: int = 8,
    now: datetime | None = None,
) -> tuple[list[Member], int]:
    """Members not authorized on the machine (or whose training lapsed by `now`, the clock if None):
    those who asked for a training first, then by name."""
    current = list(
        await session.scalars(
            select(Authorization).where(
                or_(Authorization.machine_id == machine.id, Authorization.machine_kind == machine.kind),
                Authorization.revoked_at.is_(None),
            )
        )
    )
    covered = await machines_covered(session, current)
    moment = now if now is not None else datetime.now(UTC)
    authorized = set()
    for authorization in current:
        expiry = expiry_among(authorization, covered)
        if expiry is None or moment < expiry:
            authorized.add(authorization.member_id)
    asked = select(TrainingRequest.member_id).where(
        TrainingRequest.machine_id == machine.id,
        TrainingRequest.granted_at.is_(None),
        TrainingRequest.declined_at.is_(None),
    )
    query = select(Member).where(Member.id.not_in(authorized), Member.erased_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Member.id.not_in(asked), func.lower(Member.first_name), Member.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def edit_machine(
    session: AsyncSession,
    manager: Member,
    machine_id: int,
    *,
    name: str | None = None,
    kind: MachineKind | None = None,
    location: str | None = None,
    slot_minutes: int | None = None,
    max_booking_minutes: int | None = None,
    unattended_max_minutes: int | None = None,
    checkin_minutes: int | None = None,
    requires_training: bool | None = None,
    out_of_service: bool | None = None,
    held_down: bool = False,
    training_valid_months: int | None = None,
    training_lapse_months: int | None = None,
) -> dict[str, object]:
    """Change what is given of a machine (None leaves a field alone; 0 training months: never); return
    the fields that changed, with their new values. `held_down` says an open ticket keeps it out of
    service (the caller asks maintenance): it is not brought back then. Bookings are kept; their
    reminders warn if need be; a training's new months apply to every authorization at once."""
    require_manager(manager)
    machine = await get_machine(session, machine_id)
    wanted: dict[str, object] = {}
    for typed in (name, location):
        if typed is not None and has_hidden_characters(typed.strip()):
            raise HiddenCharacters(repr(typed[:40]))
    if name is not None:
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX:
            raise BadMachineName(name)
        taken = await session.scalar(
            select(Machine.id).where(func.lower(Machine.name) == name.lower(), Machine.id != machine.id)
        )
        if taken is not None:
            raise MachineNameTaken(name)
        wanted["name"] = name
    if kind is not None:
        wanted["kind"] = kind
    if location is not None:
        wanted["location"] = " ".join(location.split())[:LOCATION_MAX]
    slot = slot_minutes if slot_minutes is not None else machine.slot_minutes
    longest = max_booking_minutes if max_booking_minutes is not None else machine.max_booking_minutes
    unattended = (
        unattended_max_minutes if unattended_max_minutes is not None else machine.unattended_max_minutes
    )
    if slot_minutes is not None or max_booking_minutes is not None or unattended_max_minutes is not None:
        if not 1 <= slot <= MINUTES_MAX or not slot <= longest <= MINUTES_MAX or longest % slot:
            raise BadMachineMinutes(f"{slot}/{longest}")
        if not 0 <= unattended <= MINUTES_MAX or unattended % slot:  # 0: no unattended runs
            raise BadMachineMinutes(f"{slot}/{unattended} unattended")
        wanted["slot_minutes"], wanted["max_booking_minutes"] = slot, longest
        wanted["unattended_max_minutes"] = unattended
    if checkin_minutes is not None:
        if not 0 <= checkin_minutes <= MINUTES_MAX:
            raise BadCheckinMinutes(str(checkin_minutes))
        wanted["checkin_minutes"] = checkin_minutes
    if requires_training is not None:
        wanted["requires_training"] = requires_training
    for attribute, months in (
        ("training_valid_months", training_valid_months),
        ("training_lapse_months", training_lapse_months),
    ):
        if months is not None:
            if not 0 <= months <= TRAINING_MONTHS_MAX:
                raise BadTrainingMonths(str(months))
            wanted[attribute] = months or None
    if out_of_service is not None:
        status = MachineStatus.OUT_OF_SERVICE if out_of_service else MachineStatus.AVAILABLE
        if status is MachineStatus.AVAILABLE and machine.status is not status and held_down:
            raise MachineHeldDown(machine.name)
        wanted["status"] = status
    changed: dict[str, object] = {}
    for attribute, value in wanted.items():
        if getattr(machine, attribute) != value:
            setattr(machine, attribute, value)
            changed[attribute] = value
    await session.flush()
    return changed
