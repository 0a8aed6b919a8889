"""Sessions: machine trainings, workshops, mediation sessions and open-lab events, with sign-up.

A manager plans a session with a number of seats. Members sign up; once the seats are taken they
join the waitlist, in the order they came. A member cancels their sign-up until a deadline before
the start (a seat given to them from the waitlist can be declined until the start); the seat they
free goes to the first on the waitlist, who is told. Every sign-up, cancellation and promotion of a
session takes the session's row first (FOR UPDATE on PostgreSQL; on SQLite every transaction holds
the write lock from its BEGIN: models/db.py), so they take turns: the last seat goes to exactly one
of many members pressing at once, and a freed seat is given once.

The clock's jobs (scheduler/sessions.py) remind each signed-up member once, and cancel a session
still under its minimum number of participants at a deadline before its start; each claims its
work by a conditional UPDATE. After the start a manager marks who came; at a training, that
authorizes the member on its machine or kind (models/machines.record_training). Instructors
(models/instructors.py) plan trainings on their machines and run the sessions they instruct.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from models import instructors, outbox
from models.authorizations import withdraw_granted
from models.base import (
    Base,
    clear_pending,
    delete_by_key,
    enum_type,
    get_pending,
    put_pending,
    stamp_once,
    update_ids,
)
from models.bookings import BookingRules
from models.errors import DomainError, InThePast, NotAllowed, NotFound
from models.free_text import has_hidden_characters
from models.instructors import NotAnInstructor, NotYourMachine, NotYourSession
from models.machines import Machine, MachineKind, get_machine, record_training
from models.maintenance.downtimes import (
    check_reservable,
    free_session_machines,
    reserve_for_session,
    reserved_by,
)
from models.members import Member, get_member, require_manager
from models.notices import Notice
from models.opening import closed_days, local_datetime

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
REASON_MAX = 200
SEATS_MAX = 500
REPEAT_WEEKS_MAX = 12
GUEST_NAME_MAX = 80
GUEST_CONTACT_MAX = 120
LENGTH_MAX = timedelta(days=1)  # a session is held in a day (workshops over weeks: several sessions)


class SessionKind(enum.StrEnum):
    TRAINING = "training"
    WORKSHOP = "workshop"
    MEDIATION = "mediation"
    EVENT = "event"


class SignUpStatus(enum.StrEnum):
    SIGNED_UP = "signed_up"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class LabSession(Base):
    """A session members sign up to: [start_at, end_at), at a place or a remote link, with seats."""

    __tablename__ = "lab_sessions"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("minimum >= 0 AND minimum <= seats", name="minimum_within_seats"),
        CheckConstraint("machine_id IS NULL OR machine_kind IS NULL", name="machine_or_kind"),
        Index("ix_lab_sessions_start", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SessionKind] = mapped_column(enum_type(SessionKind, "session_kind"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    seats: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[int] = mapped_column(Integer, default=0)
    # A training's machine, or its kind of machine (attending authorizes on it).
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="SET NULL"))
    machine_kind: Mapped[MachineKind | None] = mapped_column(enum_type(MachineKind, "session_machine_kind"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Who runs it (participants, attendance, cancelling) besides the managers: its planner unless a
    # manager assigned another instructor (models/instructors.py). A training's authorizations are
    # recorded as granted by them.
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    cancelled_automatically: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the minimum number of participants was checked at its deadline (claimed once).
    minimum_checked_at: Mapped[datetime | None]
    # Participants whose data was erased, counted without their names: the attendance figures stay.
    erased_attended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    erased_absent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    erased_unmarked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The session this one repeats weekly (planned in one go with it).
    repeats_id: Mapped[int | None] = mapped_column(ForeignKey("lab_sessions.id", ondelete="SET NULL"))
    # Open to the public: managers add guests (not members) by name and contact (models/session_guests.py).
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    machine: Mapped[Machine | None] = relationship(lazy="raise")

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class SignUp(Base):
    """A member's place in a session: a seat, a place on the waitlist, or a cancelled sign-up."""

    __tablename__ = "session_signups"
    __table_args__ = (
        UniqueConstraint("session_id", "member_id", name="uq_session_signups_session_member"),
        Index("ix_session_signups_session_status", "session_id", "status", "queued_at"),
        Index("ix_session_signups_member", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[SignUpStatus] = mapped_column(enum_type(SignUpStatus, "signup_status"))
    # When they (last) signed up: the waitlist's order, with the id for a tie.
    queued_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # When a seat was given to them from the waitlist (they may decline it until the start).
    promoted_at: Mapped[datetime | None]
    # When their reminder was queued (claimed once).
    reminded_at: Mapped[datetime | None]
    # Whether they came: None while nobody said.
    attended: Mapped[bool | None]
    attendance_marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # The authorization marking them present at a training granted (None: none, or they already had
    # one): undoing the mark withdraws it.
    granted_authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorizations.id", ondelete="SET NULL")
    )

    member: Mapped[Member] = relationship(lazy="raise", foreign_keys=[member_id])
    session: Mapped[LabSession] = relationship(lazy="raise")


class SessionGuest(Base):
    """A guest of a public session (not a member): a seat like a member's, or a walk-in counted at
    attendance. Their name and contact are personal data, erased after the session (retention);
    the row stays, anonymous, for the counts (with the age bracket and situation, if asked)."""

    __tablename__ = "session_guests"
    __table_args__ = (Index("ix_session_guests_session", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(GUEST_NAME_MAX))
    contact: Mapped[str | None] = mapped_column(String(GUEST_CONTACT_MAX))
    age_bracket: Mapped[str | None] = mapped_column(String(12))
    situation: Mapped[str | None] = mapped_column(String(12))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    attended: Mapped[bool | None]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]


class SessionDraft(Base):
    """A session a manager is planning in the chat, one choice at a time (one row per manager).

    `stage` says what their next message is: the title, then the description (None: a button)."""

    __tablename__ = "session_drafts"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]
    kind: Mapped[SessionKind] = mapped_column(enum_type(SessionKind, "session_draft_kind"))
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    machine_kind: Mapped[MachineKind | None] = mapped_column(
        enum_type(MachineKind, "session_draft_machine_kind")
    )
    day: Mapped[date | None] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    seats: Mapped[int | None] = mapped_column(Integer)
    minimum: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(20))
    # The machines the session reserves, as their ids joined by commas ("" or None: none).
    reserved: Mapped[str | None] = mapped_column(String(200))

    @property
    def reserved_ids(self) -> list[int]:
        return [int(part) for part in (self.reserved or "").split(",") if part.isdigit()]

    public: Mapped[bool | None] = mapped_column(Boolean)


@dataclass(frozen=True)
class SessionRules:
    """The lab-wide settings the sessions' rules depend on."""

    cancel_before: timedelta = timedelta(hours=2)  # members cancel until this long before the start
    reminder_lead: timedelta = timedelta(minutes=120)  # 0: no reminder
    minimum_before: timedelta = timedelta(hours=24)  # below the minimum this long before: cancelled

    def cancel_deadline(self, lab_session: LabSession) -> datetime:
        return lab_session.start_at - self.cancel_before

    def minimum_deadline(self, lab_session: LabSession) -> datetime:
        return lab_session.start_at - self.minimum_before


# --- refusals ---------------------------------------------------------------------------------


class BadSessionTimes(DomainError):
    """A session ends after it starts, within a day."""


class BadSeats(DomainError):
    """A session has 1 to SEATS_MAX seats."""


class BadMinimum(DomainError):
    """The minimum number of participants is between 0 and the seats."""


class BadSessionTitle(DomainError):
    """A title of 1 to TITLE_MAX characters; a description, a place, of DESCRIPTION_MAX, PLACE_MAX at most."""


class SessionHiddenCharacters(DomainError):
    """A title or a place holds a control or invisible character."""


class TrainingNeedsMachine(DomainError):
    """A training is for one machine or one kind of machine; other sessions for none."""


class SessionCancelled(DomainError):
    """The session was cancelled: nothing can be done with it any more."""


class SessionStarted(DomainError):
    """The session has started (or is over): no sign-up, no cancellation any more."""


class SessionNotStarted(DomainError):
    """Attendance is marked once the session has started."""


class CancelTooLate(DomainError):
    """A seat is kept from the cancellation deadline on (carries the deadline)."""

    def __init__(self, deadline: datetime) -> None:
        super().__init__(deadline.isoformat())
        self.deadline = deadline


class AlreadyRepeated(DomainError):
    """The session was already repeated weekly (or is itself a repeat)."""


class BadRepeat(DomainError):
    """A session repeats weekly for 1 to REPEAT_WEEKS_MAX more weeks."""


class NotSignedUp(DomainError):
    """The member has no seat and no place on the waitlist of this session."""


# --- notices ----------------------------------------------------------------------------------


class SeatGiven(Notice, kind="session_seat_given"):
    """A seat freed up and was given to the first member on the waitlist (they may decline it)."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    place: str = ""


class SessionCalledOff(Notice, kind="session_cancelled"):
    """A session a member signed up to (or waited for) was cancelled by a manager, or for lack of
    participants at the minimum's deadline (`automatic`)."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    reason: str = ""
    automatic: bool = False
    minimum: int = 0


class SessionCancelledForLack(Notice, kind="session_cancelled_for_lack"):
    """To the fab managers: a session was cancelled automatically, short of its minimum."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    signed_up: int
    minimum: int


class SessionReminder(Notice, kind="session_reminder"):
    """A session the member signed up to starts soon."""

    session_id: int
    title: str
    start: datetime
    end: datetime
    place: str = ""
    minutes_left: int = 0


SESSION_REMINDER = SessionReminder.kind


class SessionAnnounced(Notice, kind="session_announced"):
    """A newly planned session posted to the lab's announcement channel or group (`chat`: its id
    or @username), with a link to sign up; edited when its seats run out or it is cancelled."""

    session_id: int
    chat: str
    title: str
    start: datetime
    end: datetime
    place: str = ""
    seats_left: int = 0
    cancelled: bool = False


class AnnouncementChanged(SessionAnnounced, kind="session_announcement_changed"):
    """Edit the announcement already posted (Telegram's `message_id` in `chat`) to how it stands."""

    message_id: int = 0


def announcement_subject(session_id: int) -> str:
    return f"announce:{session_id}"


def reminder_subject(signup_id: int) -> str:
    return f"signup:{signup_id}"


# --- planning ---------------------------------------------------------------------------------


def clean_title(text: str) -> str:
    """A session's title with its blanks folded, or a refusal (empty, too long, hidden characters)."""
    return _checked_line(text, TITLE_MAX, required=True)


def clean_description(text: str) -> str:
    """A session's description, trimmed, or BadSessionTitle when too long or holding a NUL."""
    text = text.strip()
    if len(text) > DESCRIPTION_MAX or "\x00" in text:
        raise BadSessionTitle("description")
    return text


def _checked_line(text: str, limit: int, *, required: bool) -> str:
    text = " ".join(text.split())
    if has_hidden_characters(text):
        raise SessionHiddenCharacters(repr(text[:40]))
    if (required and not text) or len(text) > limit:
        raise BadSessionTitle(text[:40])
    return text


async def plan(
    session: AsyncSession,
    manager: Member,
    *,
    kind: SessionKind,
    title: str,
    start: datetime,
    end: datetime,
    seats: int,
    now: datetime,
    minimum: int = 0,
    description: str = "",
    place: str = "",
    machine_id: int | None = None,
    machine_kind: MachineKind | None = None,
    reserve: Sequence[int] = (),
    public: bool = False,
) -> LabSession:
    """Plan a session (managers, or an instructor a training on a machine or kind they instruct), or
    refuse with the reason; nothing is written on a refusal. Its planner is its instructor.

    `reserve`: machines nobody may book during it (members with a booking then are warned)."""
    await require_planner(session, manager, kind, machine_id=machine_id, machine_kind=machine_kind)
    await require_reserver(session, manager, reserve)
    title = clean_title(title)
    place = _checked_line(place, PLACE_MAX, required=False)
    description = clean_description(description)
    if start.tzinfo is None or end.tzinfo is None or not start < end <= start + LENGTH_MAX:
        raise BadSessionTimes(f"{start} – {end}")
    if start <= now:
        raise InThePast(start.isoformat())
    if not 1 <= seats <= SEATS_MAX:
        raise BadSeats(str(seats))
    if not 0 <= minimum <= seats:
        raise BadMinimum(str(minimum))
    if kind is SessionKind.TRAINING:
        if (machine_id is None) == (machine_kind is None):
            raise TrainingNeedsMachine("a training is for a machine or a kind")
        if machine_id is not None:
            await get_machine(session, machine_id)
    elif machine_id is not None or machine_kind is not None:
        raise TrainingNeedsMachine(f"a {kind} is for no machine")
    await check_reservable(session, list(reserve), start, end)
    lab_session = LabSession(
        kind=kind,
        title=title,
        description=description,
        place=place,
        start_at=start,
        end_at=end,
        seats=seats,
        minimum=minimum,
        machine_id=machine_id,
        machine_kind=machine_kind,
        created_by_id=manager.id,
        instructor_id=manager.id,
        created_at=now,
        cancelled_automatically=False,
        public=public,
    )
    session.add(lab_session)
    await session.flush()
    if reserve:
        await reserve_for_session(session, lab_session.id, title, list(reserve), start, end, manager.id, now)
    return lab_session


@dataclass(frozen=True)
class SkippedDay:
    """A week a repeated session could not be planned: the lab is closed (`closure`: its reason),
    or the day is past."""

    day: date
    closed: bool
    closure: str = ""


@dataclass(frozen=True)
class Repeated:
    planned: list[LabSession]
    skipped: list[SkippedDay]


async def repeat_weekly(
    session: AsyncSession, manager: Member, session_id: int, weeks: int, tz: ZoneInfo, now: datetime
) -> Repeated:
    """Plan the session again at the same local time each week for `weeks` more weeks (managers and
    its instructor), each a session of its own; a week on a closure day, or already past, is skipped and said.
    Repeating twice (two presses, two managers) is AlreadyRepeated: the session's row is taken
    first, so the second finds the first's repeats."""
    if not 1 <= weeks <= REPEAT_WEEKS_MAX:
        raise BadRepeat(str(weeks))
    first = await get_session(session, session_id, lock=True)
    await require_runner(session, manager, first)
    if first.cancelled:
        raise SessionCancelled(str(session_id))
    repeated = await session.scalar(select(LabSession.id).where(LabSession.repeats_id == first.id).limit(1))
    if first.repeats_id is not None or repeated is not None:
        raise AlreadyRepeated(str(session_id))
    local = first.start_at.astimezone(tz)
    minute, length = local.hour * 60 + local.minute, first.end_at - first.start_at
    days = [local.date() + timedelta(weeks=n) for n in range(1, weeks + 1)]
    closures = await closed_days(session, days[0], days[-1])
    reserved = await reserved_by(session, first.id)
    planned, skipped = [], []
    for day in days:
        start = local_datetime(day, minute, tz).astimezone(UTC)
        if day in closures:
            skipped.append(SkippedDay(day, True, closures[day]))
            continue
        if start <= now:
            skipped.append(SkippedDay(day, False))
            continue
        copy = await plan(
            session,
            manager,
            kind=first.kind,
            title=first.title,
            start=start,
            end=start + length,
            seats=first.seats,
            minimum=first.minimum,
            description=first.description,
            place=first.place,
            machine_id=first.machine_id,
            machine_kind=first.machine_kind,
            public=first.public,
            now=now,
        )
        copy.repeats_id, copy.instructor_id = first.id, first.instructor_id
        if reserved:  # what the first reserves (a manager may have chosen more than its instructor could)
            machine_ids = [d.machine_id for d in reserved]
            await reserve_for_session(
                session, copy.id, copy.title, machine_ids, start, copy.end_at, manager.id, now
            )
        planned.append(copy)
    await session.flush()
    return Repeated(planned, skipped)


async def get_session(session: AsyncSession, session_id: int, *, lock: bool = False) -> LabSession:
    """The session, or NotFound. `lock` makes sign-ups, cancellations and promotions take turns."""
    query = select(LabSession).options(joinedload(LabSession.machine)).where(LabSession.id == session_id)
    if lock:
        query = query.with_for_update(of=LabSession).execution_options(populate_existing=True)
    lab_session = await session.scalar(query)
    if lab_session is None:
        raise NotFound(f"session {session_id}")
    return lab_session


async def reserved_machines(session: AsyncSession, session_id: int) -> list[Machine]:
    """The machines the session reserves for its time (none once it is cancelled)."""
    ids = [d.machine_id for d in await reserved_by(session, session_id)]
    if not ids:
        return []
    return list(await session.scalars(select(Machine).where(Machine.id.in_(ids)).order_by(Machine.name)))


async def seats_taken(session: AsyncSession, session_id: int) -> int:
    """Members with a seat, and guests (a public session's)."""
    members = await session.scalar(
        select(func.count())
        .select_from(SignUp)
        .where(SignUp.session_id == session_id, SignUp.status == SignUpStatus.SIGNED_UP)
    )
    return (members or 0) + (await guests_counted(session, [session_id])).get(session_id, 0)


async def guests_counted(session: AsyncSession, session_ids: list[int]) -> dict[int, int]:
    """How many guests each session has (walk-ins included)."""
    if not session_ids:
        return {}
    rows = await session.execute(
        select(SessionGuest.session_id, func.count())
        .where(SessionGuest.session_id.in_(session_ids))
        .group_by(SessionGuest.session_id)
    )
    return {session_id: count for session_id, count in rows}


@dataclass(frozen=True)
class Upcoming:
    """A session as the list shows it: how many seats are left, and the member's own place."""

    session: LabSession
    taken: int
    waiting: int
    mine: SignUpStatus | None = None

    @property
    def seats_left(self) -> int:
        return max(0, self.session.seats - self.taken)


async def _counts(session: AsyncSession, session_ids: list[int]) -> dict[tuple[int, SignUpStatus], int]:
    if not session_ids:
        return {}
    rows = await session.execute(
        select(SignUp.session_id, SignUp.status, func.count())
        .where(SignUp.session_id.in_(session_ids))
        .group_by(SignUp.session_id, SignUp.status)
    )
    return {(session_id, status): count for session_id, status, count in rows}


async def upcoming(
    session: AsyncSession,
    member: Member | None,
    now: datetime,
    *,
    limit: int = 20,
    since: datetime | None = None,
) -> list[Upcoming]:
    """Sessions not cancelled and not started (or started after `since`: a manager marking who came),
    soonest first, with their seats left and the member's place."""
    rows = list(
        await session.scalars(
            select(LabSession)
            .options(joinedload(LabSession.machine))
            .where(LabSession.cancelled_at.is_(None), LabSession.start_at > (since or now))
            .order_by(LabSession.start_at, LabSession.id)
            .limit(limit)
        )
    )
    return await _described(session, rows, member)


async def _described(session: AsyncSession, rows: list[LabSession], member: Member | None) -> list[Upcoming]:
    counts = await _counts(session, [s.id for s in rows])
    guests = await guests_counted(session, [s.id for s in rows])
    mine: dict[int, SignUpStatus] = {}
    if member is not None and rows:
        mine = {
            session_id: status
            for session_id, status in await session.execute(
                select(SignUp.session_id, SignUp.status).where(
                    SignUp.member_id == member.id, SignUp.session_id.in_([s.id for s in rows])
                )
            )
        }
    return [
        Upcoming(
            s,
            counts.get((s.id, SignUpStatus.SIGNED_UP), 0) + guests.get(s.id, 0),
            counts.get((s.id, SignUpStatus.WAITLISTED), 0),
            mine.get(s.id),
        )
        for s in rows
    ]


async def upcoming_trainings(
    session: AsyncSession, member: Member | None, machine: Machine, now: datetime, *, limit: int = 5
) -> list[Upcoming]:
    """The next training sessions, not cancelled and not started, on the machine or on its kind."""
    rows = list(
        await session.scalars(
            select(LabSession)
            .options(joinedload(LabSession.machine))
            .where(
                LabSession.kind == SessionKind.TRAINING,
                LabSession.cancelled_at.is_(None),
                LabSession.start_at > now,
                or_(LabSession.machine_id == machine.id, LabSession.machine_kind == machine.kind),
            )
            .order_by(LabSession.start_at, LabSession.id)
            .limit(limit)
        )
    )
    return await _described(session, rows, member)


async def describe(session: AsyncSession, session_id: int, member: Member | None) -> Upcoming:
    """One session's page: its seats left and the member's place (cancelled or past ones too)."""
    (seen,) = await _described(session, [await get_session(session, session_id)], member)
    return seen


# --- signing up and cancelling ----------------------------------------------------------------


@dataclass(frozen=True)
class SignedUp:
    signup: SignUp
    newly: bool  # False: they already had this place (a second press)


async def sign_up(session: AsyncSession, member: Member, session_id: int, now: datetime) -> SignedUp:
    """Give the member a seat, or a place on the waitlist when the seats are taken.

    The session's row is taken first: sign-ups of one session take turns, so no seat is given
    twice. Signing up again after cancelling goes to the end of the waitlist if the session is full.
    """
    lab_session = await get_session(session, session_id, lock=True)
    if lab_session.cancelled:
        raise SessionCancelled(str(session_id))
    if lab_session.start_at <= now:
        raise SessionStarted(str(session_id))
    existing = await session.scalar(
        select(SignUp).where(SignUp.session_id == session_id, SignUp.member_id == member.id)
    )
    if existing is not None and existing.status is not SignUpStatus.CANCELLED:
        return SignedUp(existing, False)
    status = (
        SignUpStatus.SIGNED_UP
        if await seats_taken(session, session_id) < lab_session.seats
        else SignUpStatus.WAITLISTED
    )
    if existing is not None:
        existing.status, existing.queued_at = status, now
        existing.cancelled_at = existing.promoted_at = existing.reminded_at = None
        await session.flush()
        signup = existing
    else:
        # No savepoint: the session's row lock above makes one member's two presses take turns, so
        # the second finds the first's row and the unique constraint is only a last guard.
        signup = SignUp(session_id=session_id, member_id=member.id, status=status, queued_at=now)
        session.add(signup)
        await session.flush()
    if status is SignUpStatus.SIGNED_UP and await seats_taken(session, session_id) >= lab_session.seats:
        await _refresh_announcement(session, lab_session, now)  # the last seat: « Complet »
    set_committed_value(signup, "session", lab_session)
    return SignedUp(signup, True)


async def _own_signup(session: AsyncSession, member: Member, session_id: int) -> SignUp | None:
    return await session.scalar(
        select(SignUp).where(SignUp.session_id == session_id, SignUp.member_id == member.id)
    )


async def cancel_signup(
    session: AsyncSession, member: Member, session_id: int, rules: SessionRules, now: datetime
) -> tuple[SignUp, SignUp | None]:
    """Cancel the member's sign-up (or leave the waitlist); return it and whoever got the seat freed.

    A seat is kept from the cancellation deadline on, except one given from the waitlist, which may
    be declined until the start. The freed seat goes to the first on the waitlist, once.
    """
    lab_session = await get_session(session, session_id, lock=True)
    signup = await _own_signup(session, member, session_id)
    if signup is None or signup.status is SignUpStatus.CANCELLED:
        raise NotSignedUp(str(session_id))
    if lab_session.cancelled:
        raise SessionCancelled(str(session_id))
    if lab_session.start_at <= now:
        raise SessionStarted(str(session_id))
    had_seat = signup.status is SignUpStatus.SIGNED_UP
    if had_seat and signup.promoted_at is None and now > rules.cancel_deadline(lab_session):
        raise CancelTooLate(rules.cancel_deadline(lab_session))
    signup.status, signup.cancelled_at = SignUpStatus.CANCELLED, now
    await session.flush()
    await outbox.withdraw(session, reminder_subject(signup.id), SESSION_REMINDER)
    promoted = await _give_freed_seats(session, lab_session, now) if had_seat else []
    if had_seat and not promoted and await seats_taken(session, session_id) == lab_session.seats - 1:
        await _refresh_announcement(session, lab_session, now)  # it was full: a seat again
    set_committed_value(signup, "session", lab_session)
    return signup, (promoted[0] if promoted else None)


async def _give_freed_seats(session: AsyncSession, lab_session: LabSession, now: datetime) -> list[SignUp]:
    """Give the free seats of the (locked) session to the first on its waitlist, each told once."""
    free = lab_session.seats - await seats_taken(session, lab_session.id)
    if free <= 0:
        return []
    first = list(
        await session.scalars(
            select(SignUp)
            .options(joinedload(SignUp.member))
            .where(SignUp.session_id == lab_session.id, SignUp.status == SignUpStatus.WAITLISTED)
            .order_by(SignUp.queued_at, SignUp.id)
            .limit(free)
        )
    )
    for signup in first:
        signup.status, signup.promoted_at = SignUpStatus.SIGNED_UP, now
        notice = SeatGiven(
            session_id=lab_session.id,
            title=lab_session.title,
            start=lab_session.start_at,
            end=lab_session.end_at,
            place=lab_session.place,
        )
        outbox.notify_member(session, signup.member, notice, now, expires_at=lab_session.start_at)
    await session.flush()
    return first


# --- cancelling a session ---------------------------------------------------------------------


async def _participants(session: AsyncSession, session_id: int) -> list[SignUp]:
    """Sign-ups with a seat or waiting, with their members."""
    return list(
        await session.scalars(
            select(SignUp)
            .options(joinedload(SignUp.member))
            .where(
                SignUp.session_id == session_id,
                SignUp.status.in_([SignUpStatus.SIGNED_UP, SignUpStatus.WAITLISTED]),
            )
            .order_by(SignUp.queued_at, SignUp.id)
        )
    )


async def _tell_called_off(
    session: AsyncSession, lab_session: LabSession, now: datetime, *, automatic: bool
) -> int:
    """Tell everyone with a seat or waiting that the session is cancelled; drop their reminders."""
    people = await _participants(session, lab_session.id)
    notice = SessionCalledOff(
        session_id=lab_session.id,
        title=lab_session.title,
        start=lab_session.start_at,
        end=lab_session.end_at,
        reason=lab_session.cancel_reason or "",
        automatic=automatic,
        minimum=lab_session.minimum,
    )
    for signup in people:
        await outbox.withdraw(session, reminder_subject(signup.id), SESSION_REMINDER)
        outbox.notify_member(session, signup.member, notice, now)
    await _refresh_announcement(session, lab_session, now)
    return len(people)


async def cancel_session(
    session: AsyncSession,
    manager: Member,
    session_id: int,
    now: datetime,
    reason: str = "",
    booking_rules: BookingRules | None = None,
) -> int:
    """Cancel a session not yet started (managers and its instructor); everyone signed up or waiting
    is told, and the machines it reserved are free again (with `booking_rules`, their waitlists are
    offered the time). Return how many were told; cancelling twice is SessionCancelled."""
    lab_session = await get_session(session, session_id, lock=True)
    await require_runner(session, manager, lab_session)
    if lab_session.start_at <= now:
        raise SessionStarted(str(session_id))
    reason = " ".join(reason.split())[:REASON_MAX]
    if not await stamp_once(session, lab_session, "cancelled_at", now):
        raise SessionCancelled(str(session_id))
    lab_session.cancel_reason = reason or None
    await session.flush()
    await free_session_machines(session, lab_session.id, now, booking_rules)
    return await _tell_called_off(session, lab_session, now, automatic=False)


# --- the announcement channel ----------------------------------------------------------------


def _chat_id(chat: str) -> int:
    """The outbox row's chat: the id itself, or 0 for an @username (the message says where it goes)."""
    return int(chat) if chat.lstrip("-").isdigit() else 0


async def _announced(session: AsyncSession, lab_session: LabSession, chat: str) -> SessionAnnounced:
    return SessionAnnounced(
        session_id=lab_session.id,
        chat=chat,
        title=lab_session.title,
        start=lab_session.start_at,
        end=lab_session.end_at,
        place=lab_session.place,
        seats_left=max(0, lab_session.seats - await seats_taken(session, lab_session.id)),
        cancelled=lab_session.cancelled,
    )


async def announce(session: AsyncSession, lab_session: LabSession, chat: str | None, now: datetime) -> bool:
    """Post a newly planned session to the announcement chat, if the lab has one (once: a session is
    planned once). Return whether a post was queued."""
    if not chat:
        return False
    outbox.enqueue(
        session,
        chat_id=_chat_id(chat),
        notice=await _announced(session, lab_session, chat),
        now=now,
        subject=announcement_subject(lab_session.id),
    )
    return True


async def seat_freed(session: AsyncSession, lab_session: LabSession, now: datetime) -> list[SignUp]:
    """A seat of the (locked) session freed from outside this module (a guest taken off): it goes to
    the first on the waitlist, or the announcement says there are seats again."""
    promoted = await _give_freed_seats(session, lab_session, now)
    if not promoted and await seats_taken(session, lab_session.id) == lab_session.seats - 1:
        await _refresh_announcement(session, lab_session, now)
    return promoted


async def refresh_announcement(session: AsyncSession, lab_session: LabSession, now: datetime) -> int:
    """The announcement brought up to date from outside this module (a guest took the last seat)."""
    return await _refresh_announcement(session, lab_session, now)


async def _refresh_announcement(session: AsyncSession, lab_session: LabSession, now: datetime) -> int:
    """Bring the session's announcement up to date (seats run out, seats again, cancelled): a post
    not sent yet is rewritten (or dropped, if the session is cancelled), a post sent is edited.
    Return how many edits were queued."""
    posts = list(
        await session.scalars(
            select(outbox.OutboxMessage).where(
                outbox.OutboxMessage.subject == announcement_subject(lab_session.id),
                outbox.OutboxMessage.kind == SessionAnnounced.kind,
                outbox.OutboxMessage.failed_at.is_(None),
            )
        )
    )
    edits = 0
    for post in posts:
        current = await _announced(session, lab_session, str(post.payload.get("chat", "")))
        if post.sent_at is None:
            if lab_session.cancelled:
                await session.delete(post)
            else:
                post.payload = current.payload()
        elif post.message_id is not None:
            fields = {f: getattr(current, f) for f in current.payload()}
            changed = AnnouncementChanged(**fields, message_id=post.message_id)
            outbox.enqueue(session, chat_id=post.chat_id, notice=changed, now=now)
            edits += 1
    await session.flush()
    return edits


# --- the clock's jobs -------------------------------------------------------------------------


Q = TypeVar("Q", bound=Select[Any])


def _after(query: Q, key: Any, after: tuple[datetime, int] | None) -> Q:
    """The rows after `after` (a session's start, and `key`'s value), in that order: a job's next page."""
    if after is None:
        return query
    start, last = after
    return query.where(or_(LabSession.start_at > start, and_(LabSession.start_at == start, key > last)))


@dataclass(frozen=True)
class Read:
    """A sign-up read by the reminders' job: its session's start and its id, to page on."""

    start_at: datetime
    id: int


@dataclass(frozen=True)
class QueuedSessionReminders:
    read: list[Read]
    queued: int

    @property
    def done(self) -> int:
        return self.queued


async def queue_due_reminders(
    session: AsyncSession,
    rules: SessionRules,
    now: datetime,
    limit: int = 200,
    after: tuple[datetime, int] | None = None,
) -> QueuedSessionReminders:
    """Claim and queue the reminders now due: sign-ups with a seat in a session not cancelled that
    starts within the reminder lead, made before the reminder fell due, not yet reminded. The claim
    is one conditional UPDATE of `reminded_at`: of two processes, the second finds them taken.
    Return what was read (start and sign-up id, to page on) and how many this call queued."""
    if not rules.reminder_lead:
        return QueuedSessionReminders([], 0)
    query = (
        select(SignUp, LabSession)
        .join(LabSession, LabSession.id == SignUp.session_id)
        .options(joinedload(SignUp.member))
        .where(
            SignUp.status == SignUpStatus.SIGNED_UP,
            SignUp.reminded_at.is_(None),
            LabSession.cancelled_at.is_(None),
            LabSession.start_at > now,
            LabSession.start_at <= now + rules.reminder_lead,
        )
        .order_by(LabSession.start_at, SignUp.id)
        .limit(limit)
    )
    query = _after(query, SignUp.id, after)
    rows = list((await session.execute(query)).tuples())
    read = [Read(lab_session.start_at, signup.id) for signup, lab_session in rows]
    due = [(s, ls) for s, ls in rows if s.queued_at < ls.start_at - rules.reminder_lead]
    if not due:
        return QueuedSessionReminders(read, 0)
    claimed = set(
        await update_ids(
            session,
            SignUp,
            [
                SignUp.id.in_([s.id for s, _ in due]),
                SignUp.reminded_at.is_(None),
                SignUp.status == SignUpStatus.SIGNED_UP,
            ],
            {"reminded_at": now},
        )
    )
    for signup, lab_session in due:
        if signup.id not in claimed:
            continue
        notice = SessionReminder(
            session_id=lab_session.id,
            title=lab_session.title,
            start=lab_session.start_at,
            end=lab_session.end_at,
            place=lab_session.place,
            minutes_left=max(0, int((lab_session.start_at - now).total_seconds() // 60)),
        )
        outbox.notify_member(
            session,
            signup.member,
            notice,
            now,
            expires_at=lab_session.start_at,
            subject=reminder_subject(signup.id),
        )
    return QueuedSessionReminders(read, len(claimed))


@dataclass(frozen=True)
class MinimumChecked:
    read: list[LabSession]
    cancelled: list[LabSession] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.cancelled)


async def cancel_below_minimum(
    session: AsyncSession,
    rules: SessionRules,
    now: datetime,
    limit: int = 200,
    after: tuple[datetime, int] | None = None,
    manager_ids: Iterable[int] = (),
    booking_rules: BookingRules | None = None,
) -> MinimumChecked:
    """At each session's minimum deadline, cancel it if fewer than its minimum have a seat; its
    participants and the fab managers are told. Each session is checked once (a conditional UPDATE
    claims it), and only a session planned before its deadline: one planned later was planned
    knowing the numbers."""
    query = (
        select(LabSession)
        .where(
            LabSession.cancelled_at.is_(None),
            LabSession.minimum_checked_at.is_(None),
            LabSession.minimum > 0,
            LabSession.start_at > now,
            LabSession.start_at <= now + rules.minimum_before,
        )
        .order_by(LabSession.start_at, LabSession.id)
        .limit(limit)
    )
    query = _after(query, LabSession.id, after)
    read = list(await session.scalars(query))
    cancelled = []
    for lab_session in read:
        if lab_session.created_at >= rules.minimum_deadline(lab_session):
            continue
        if not await stamp_once(session, lab_session, "minimum_checked_at", now):
            continue  # another process checked it
        locked = await get_session(session, lab_session.id, lock=True)
        taken = await seats_taken(session, locked.id)
        if locked.cancelled or taken >= locked.minimum:
            continue
        locked.cancelled_at, locked.cancelled_automatically = now, True
        await session.flush()
        await free_session_machines(session, locked.id, now, booking_rules)
        await _tell_called_off(session, locked, now, automatic=True)
        lack = SessionCancelledForLack(
            session_id=locked.id,
            title=locked.title,
            start=locked.start_at,
            end=locked.end_at,
            signed_up=taken,
            minimum=locked.minimum,
        )
        await outbox.notify_managers(session, manager_ids, lack, now)
        cancelled.append(locked)
    return MinimumChecked(read, cancelled)


# --- who plans and runs a session ------------------------------------------------------------


async def require_planner(
    session: AsyncSession,
    member: Member,
    kind: SessionKind,
    *,
    machine_id: int | None = None,
    machine_kind: MachineKind | None = None,
) -> None:
    """Refuse unless the member may plan this session: a manager any; an instructor only a training,
    and (once its machine or kind is known) only on a machine or kind they instruct."""
    if member.is_manager:
        return
    if not await instructors.is_instructor(session, member):
        raise NotAllowed("managers and instructors only")
    if kind is not SessionKind.TRAINING:
        raise NotYourMachine(f"an instructor plans trainings, not a {kind}")
    known = machine_id is not None or machine_kind is not None
    if known and not await instructors.instructs(
        session, member, machine_id=machine_id, machine_kind=machine_kind
    ):
        raise NotYourMachine(f"member {member.id} does not instruct {machine_id or machine_kind}")


async def require_reserver(session: AsyncSession, member: Member, machine_ids: Iterable[int]) -> None:
    """Refuse unless the member may reserve these machines: a manager any (as a downtime); an
    instructor only the machines they instruct, never the rest of the lab's."""
    if member.is_manager:
        return
    for machine_id in machine_ids:
        if not await instructors.instructs(session, member, machine_id=machine_id, machine_kind=None):
            raise NotYourMachine(f"member {member.id} does not instruct machine {machine_id}")


async def may_run(session: AsyncSession, member: Member, lab_session: LabSession) -> bool:
    """Whether the member runs the session (its participants, attendance, cancelling): a manager, or
    the instructor who planned it or was assigned to it, while they still instruct its machine."""
    if member.is_manager:
        return True
    if member.id not in (lab_session.instructor_id, lab_session.created_by_id):
        return False
    return lab_session.kind is SessionKind.TRAINING and await instructors.instructs(
        session, member, machine_id=lab_session.machine_id, machine_kind=lab_session.machine_kind
    )


async def require_runner(session: AsyncSession, member: Member, lab_session: LabSession) -> None:
    if not await may_run(session, member, lab_session):
        raise NotYourSession(f"session {lab_session.id}")


async def assign_instructor(
    session: AsyncSession, manager: Member, session_id: int, instructor_id: int
) -> LabSession:
    """Make this member the session's instructor (managers only): a manager, or for a training a
    member who instructs its machine or kind. They run it, and grant its authorizations."""
    require_manager(manager)
    lab_session = await get_session(session, session_id, lock=True)
    if lab_session.cancelled:
        raise SessionCancelled(str(session_id))
    chosen = await get_member(session, instructor_id)
    if chosen.erased_at is not None:
        raise NotFound(f"member {instructor_id}")
    if not chosen.is_manager and not (
        lab_session.kind is SessionKind.TRAINING
        and await instructors.instructs(
            session, chosen, machine_id=lab_session.machine_id, machine_kind=lab_session.machine_kind
        )
    ):
        raise NotAnInstructor(f"member {instructor_id} for session {session_id}")
    lab_session.instructor_id = chosen.id
    await session.flush()
    return lab_session


# --- attendance -------------------------------------------------------------------------------


async def participants(session: AsyncSession, manager: Member, session_id: int) -> list[SignUp]:
    """Who has a seat in the session, in the order they signed up (managers and its instructor)."""
    await require_runner(session, manager, await get_session(session, session_id))
    return [s for s in await _participants(session, session_id) if s.status is SignUpStatus.SIGNED_UP]


async def mark_attendance(
    session: AsyncSession,
    manager: Member,
    signup_id: int,
    attended: bool,
    now: datetime,
    tz: ZoneInfo | None = None,
) -> SignUp:
    """Record whether a participant came (managers and the session's instructor, once it has
    started). At a training, coming authorizes the member on its machine or kind, recorded as granted
    by the session's instructor (the one who trained them), or by whoever marked it if it has none;
    marking them absent afterwards withdraws what that granted (the member is told, and bookings that
    needed it are cancelled, their slots offered to the waitlist with the lab's `tz`)."""
    if not manager.is_manager and not await instructors.is_instructor(session, manager):
        raise NotYourSession(f"signup {signup_id}")  # before any lookup: a member learns nothing from ids
    signup = await session.scalar(
        select(SignUp).options(joinedload(SignUp.member)).where(SignUp.id == signup_id)
    )
    if signup is None or signup.status is not SignUpStatus.SIGNED_UP:
        raise NotFound(f"signup {signup_id}")
    lab_session = await get_session(session, signup.session_id)
    await require_runner(session, manager, lab_session)
    if lab_session.cancelled:
        raise SessionCancelled(str(lab_session.id))
    if lab_session.start_at > now:
        raise SessionNotStarted(str(lab_session.id))
    signup.attended, signup.attendance_marked_by_id = attended, manager.id
    await session.flush()
    if attended and lab_session.kind is SessionKind.TRAINING and signup.granted_authorization_id is None:
        granted_by = lab_session.instructor_id if lab_session.instructor_id is not None else manager.id
        granted = None
        if lab_session.machine is not None:
            granted = await record_training(
                session, granted_by, signup.member, machine=lab_session.machine, now=now
            )
        elif lab_session.machine_kind is not None:
            granted = await record_training(
                session, granted_by, signup.member, kind=lab_session.machine_kind, now=now
            )
        signup.granted_authorization_id = granted.id if granted is not None else None
    elif not attended and signup.granted_authorization_id is not None:
        # A « present » tapped by mistake: the training it granted was never given.
        await withdraw_granted(session, manager, signup.granted_authorization_id, now, tz=tz)
        signup.granted_authorization_id = None
    await session.flush()
    set_committed_value(signup, "session", lab_session)
    return signup


async def waitlist_position(session: AsyncSession, signup: SignUp) -> int:
    """Where a waitlisted sign-up stands on its session's waitlist (1: next to get a seat)."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(SignUp)
        .where(
            SignUp.session_id == signup.session_id,
            SignUp.status == SignUpStatus.WAITLISTED,
            or_(
                SignUp.queued_at < signup.queued_at,
                and_(SignUp.queued_at == signup.queued_at, SignUp.id < signup.id),
            ),
        )
    )
    return (ahead or 0) + 1


async def own_signup(session: AsyncSession, member: Member, session_id: int) -> SignUp | None:
    """The member's sign-up to the session, if they have a seat or wait for one."""
    signup = await _own_signup(session, member, session_id)
    return signup if signup is not None and signup.status is not SignUpStatus.CANCELLED else None


# --- planning in the chat, one choice at a time -----------------------------------------------

DRAFT_LIFETIME = timedelta(hours=2)


class DraftStage(enum.StrEnum):
    """What the manager's next message is."""

    TITLE = "title"
    DESCRIPTION = "description"
    PLACE = "place"


async def start_draft(
    session: AsyncSession, manager: Member, kind: SessionKind, now: datetime
) -> SessionDraft:
    """Begin planning a session of this kind (managers; instructors a training): any other question
    asked is dropped."""
    await require_planner(session, manager, kind)
    await clear_pending(session, manager.id, keep=SessionDraft)
    return await put_pending(
        session,
        SessionDraft,
        manager.id,
        created_at=now,
        kind=kind,
        machine_id=None,
        machine_kind=None,
        day=None,
        start_minute=None,
        minutes=None,
        seats=None,
        minimum=None,
        title=None,
        description=None,
        stage=None,
        reserved=None,
        public=None,
    )


async def get_draft(
    session: AsyncSession, manager: Member, now: datetime, *, lock: bool = False
) -> SessionDraft:
    """The manager's (or instructor's) session being planned; NotFound if none (or one left for too long)."""
    await require_planner(session, manager, SessionKind.TRAINING)
    draft = await get_pending(session, SessionDraft, manager.id, lock=lock)
    if draft is None or draft.created_at < now - DRAFT_LIFETIME:
        raise NotFound(f"session draft of {manager.id}")
    return draft


async def set_draft(session: AsyncSession, manager: Member, now: datetime, **values: object) -> SessionDraft:
    """Record the manager's next choices (machine, day, start, length, seats, minimum, stage).

    A minimum above the seats (a forged press, or fewer seats chosen on an older message once the
    minimum was) is refused at once, not after the title, description and place were typed."""
    draft = await get_draft(session, manager, now)
    for name, value in values.items():
        if name not in DRAFT_CHOICES:
            raise ValueError(f"not a draft choice: {name}")
        setattr(draft, name, value)
    if {"machine_id", "machine_kind"} & values.keys():  # an instructor's machine, refused at once
        await require_planner(
            session, manager, draft.kind, machine_id=draft.machine_id, machine_kind=draft.machine_kind
        )
    if "reserved" in values:
        await require_reserver(session, manager, draft.reserved_ids)
    if draft.minimum is not None and draft.seats is not None and not 0 <= draft.minimum <= draft.seats:
        raise BadMinimum(f"{draft.minimum} of {draft.seats}")
    await session.flush()
    return draft


DRAFT_CHOICES = frozenset(
    {
        "machine_id",
        "machine_kind",
        "day",
        "start_minute",
        "minutes",
        "seats",
        "minimum",
        "title",
        "description",
        "stage",
        "reserved",
        "public",
    }
)


async def pending_text(session: AsyncSession, member: Member, now: datetime) -> SessionDraft | None:
    """The manager's draft waiting for a typed title, description or place, if any."""
    draft = await get_pending(session, SessionDraft, member.id)
    if draft is None or draft.stage is None:
        return None
    planner = member.is_manager or await instructors.is_instructor(session, member)
    if not planner or draft.created_at < now - DRAFT_LIFETIME:
        await delete_by_key(session, SessionDraft, member.id)
        return None
    return draft


async def plan_draft(
    session: AsyncSession, manager: Member, tz: ZoneInfo, now: datetime, *, place: str
) -> LabSession:
    """Plan the session the draft describes (with the rules of `plan`), and drop the draft."""
    draft = await get_draft(session, manager, now, lock=True)
    if draft.day is None or draft.start_minute is None or draft.minutes is None or draft.seats is None:
        raise NotFound("an unfinished session draft")
    start = local_datetime(draft.day, draft.start_minute, tz).astimezone(UTC)
    planned = await plan(
        session,
        manager,
        kind=draft.kind,
        title=draft.title or "",
        start=start,
        end=start + timedelta(minutes=draft.minutes),
        seats=draft.seats,
        minimum=draft.minimum or 0,
        description=draft.description or "",
        place=place,
        machine_id=draft.machine_id,
        machine_kind=draft.machine_kind,
        reserve=draft.reserved_ids,
        public=bool(draft.public),
        now=now,
    )
    await delete_by_key(session, SessionDraft, manager.id)
    return planned


async def forget_member(session: AsyncSession, member: Member, now: datetime) -> int:
    """Delete the member's sign-ups (their erasure). A seat they held in a session that has started
    stays as an anonymous count on the session (came, did not come, not marked), so its attendance
    figures survive; a seat in a session not started goes to the first on its waitlist. Return how
    many sign-ups were deleted."""
    mine = list(await session.scalars(select(SignUp).where(SignUp.member_id == member.id)))
    for signup in mine:
        await outbox.withdraw(session, reminder_subject(signup.id), SESSION_REMINDER)
    seated = {s.session_id: s for s in mine if s.status is SignUpStatus.SIGNED_UP}
    await session.execute(delete(SignUp).where(SignUp.member_id == member.id))
    for session_id in sorted(seated):
        lab_session = await get_session(session, session_id, lock=True)
        if lab_session.start_at <= now and not lab_session.cancelled:
            attended = seated[session_id].attended
            column = {True: "erased_attended", False: "erased_absent", None: "erased_unmarked"}[attended]
            setattr(lab_session, column, getattr(lab_session, column) + 1)
            await session.flush()
        elif not lab_session.cancelled:
            await _give_freed_seats(session, lab_session, now)
    return len(mine)


@dataclass(frozen=True)
class Attendance:
    """How many came to a session, did not, or were not marked: the participants with their names
    and those whose data was erased, counted without them."""

    attended: int
    absent: int
    unmarked: int

    @property
    def participants(self) -> int:
        return self.attended + self.absent + self.unmarked


async def attendance_of(session: AsyncSession, session_id: int) -> Attendance:
    """A session's attendance figures, the erased participants' anonymous counts included."""
    lab_session = await get_session(session, session_id)
    rows = await session.execute(
        select(SignUp.attended, func.count())
        .where(SignUp.session_id == session_id, SignUp.status == SignUpStatus.SIGNED_UP)
        .group_by(SignUp.attended)
    )
    counts = {attended: count for attended, count in rows}
    return Attendance(
        attended=counts.get(True, 0) + lab_session.erased_attended,
        absent=counts.get(False, 0) + lab_session.erased_absent,
        unmarked=counts.get(None, 0) + lab_session.erased_unmarked,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_of(session: AsyncSession, member: Member) -> dict[str, Any]:
    """What the sessions keep about the member, for their data export (/mydata): their sign-ups,
    the sessions they planned, and whose attendance they marked (only that they did, and when)."""
    mine = await session.scalars(
        select(SignUp)
        .options(joinedload(SignUp.session))
        .where(SignUp.member_id == member.id)
        .order_by(SignUp.id)
    )
    planned = await session.scalars(
        select(LabSession).where(LabSession.created_by_id == member.id).order_by(LabSession.start_at)
    )
    marked = await session.scalars(
        select(SignUp).where(SignUp.attendance_marked_by_id == member.id).order_by(SignUp.id)
    )
    instructed = await session.scalars(
        select(LabSession).where(LabSession.instructor_id == member.id).order_by(LabSession.start_at)
    )
    return {
        "session_signups": [
            {
                "session": s.session.title,
                "start": _iso(s.session.start_at),
                "status": s.status.value,
                "signed_up_at": _iso(s.queued_at),
                "cancelled_at": _iso(s.cancelled_at),
                "given_a_seat_from_the_waitlist_at": _iso(s.promoted_at),
                "reminded_at": _iso(s.reminded_at),
                "attended": s.attended,
            }
            for s in mine
        ],
        "sessions_you_planned": [
            {
                "kind": p.kind.value,
                "title": p.title,
                "description": p.description,
                "place": p.place,
                "start": _iso(p.start_at),
                "end": _iso(p.end_at),
                "seats": p.seats,
                "minimum": p.minimum,
                "machine_kind": p.machine_kind.value if p.machine_kind else None,
                "planned_at": _iso(p.created_at),
                "cancelled_at": _iso(p.cancelled_at),
                "cancel_reason": p.cancel_reason,
                "minimum_checked_at": _iso(p.minimum_checked_at),
            }
            for p in planned
        ],
        "attendance_you_marked": [{"session_id": s.session_id, "attended": s.attended} for s in marked],
        "sessions_you_instruct": [{"title": i.title, "start": _iso(i.start_at)} for i in instructed],
    }


async def my_signups(session: AsyncSession, member: Member, now: datetime) -> list[SignUp]:
    """The member's seats and waitlist places in sessions not over."""
    return list(
        await session.scalars(
            select(SignUp)
            .join(LabSession, LabSession.id == SignUp.session_id)
            .options(joinedload(SignUp.session))
            .where(
                SignUp.member_id == member.id,
                SignUp.status != SignUpStatus.CANCELLED,
                LabSession.end_at > now,
            )
            .order_by(LabSession.start_at)
        )
    )


__all__ = [
    "LabSession",
    "SessionKind",
    "SessionRules",
    "SignUp",
    "SignUpStatus",
    "cancel_below_minimum",
    "cancel_session",
    "cancel_signup",
    "mark_attendance",
    "plan",
    "queue_due_reminders",
    "sign_up",
    "upcoming",
]
