"""First-level maintenance: fault reports, the ticket queue, machine downtime and preventive plans.

A member's report opens a ticket (or joins the machine's open one). An *unusable* report takes
the machine out of service and tells every member with an upcoming booking on it (but the
reporter); resolving the ticket brings the machine back and tells them again (the reporters in
their one message about the outcome). Every change of a ticket is an event,
kept forever with who and when. Messages to people go through the outbox, in the same
transaction as the change.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    case,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from models import waitlist
from models.base import Base, clear_pending, delete_by_key, enum_type, get_pending, put_pending, stamp_once
from models.bookings import MAX_BOOKING_SPAN, Booking, BookingRules, BookingStatus, availability
from models.downtime import Downtime, first_downtime_over
from models.errors import DomainError, NotAllowed, NotFound
from models.machines import Machine, MachineKind, MachineStatus, get_any_machine
from models.members import Member, require_manager
from models.notices import Notice, Part
from models.outbox import notify_managers, notify_member

MAX_DESCRIPTION = 2000
MAX_NOTE = 1000
MAX_PHOTOS = 5
DOCUMENT_PREFIX = "document:"  # a picture sent as a file (Telegram Desktop often does)
MAX_DOWNTIME = timedelta(days=14)
MAX_DOWNTIME_AHEAD = timedelta(days=366)


class Severity(enum.StrEnum):
    UNUSABLE = "unusable"  # must not be used: out of service
    DEGRADED = "degraded"  # usable with care
    MINOR = "minor"  # cosmetic, a consumable to replace


# Most urgent first, for the queue and for "the worst report wins" on a ticket.
SEVERITY_ORDER = [Severity.UNUSABLE, Severity.DEGRADED, Severity.MINOR]


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"  # waiting on the second level (vendor, specialist)
    RESOLVED = "resolved"
    REJECTED = "rejected"  # not a fault, or a duplicate


ACTIVE_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED)
_ACTIVE_SQL = "status IN ('open', 'in_progress', 'escalated')"


class TicketOrigin(enum.StrEnum):
    REPORT = "report"  # a member reported a fault
    PLAN = "plan"  # a preventive maintenance plan fell due


class Action(enum.StrEnum):
    """What a manager can do to a ticket."""

    TAKE = "take"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    REJECT = "reject"


# Where each action may start from, and where it leads.
TRANSITIONS: dict[Action, tuple[tuple[TicketStatus, ...], TicketStatus]] = {
    Action.TAKE: ((TicketStatus.OPEN, TicketStatus.ESCALATED), TicketStatus.IN_PROGRESS),
    Action.RESOLVE: (ACTIVE_STATUSES, TicketStatus.RESOLVED),
    Action.ESCALATE: ((TicketStatus.OPEN, TicketStatus.IN_PROGRESS), TicketStatus.ESCALATED),
    Action.REJECT: (ACTIVE_STATUSES, TicketStatus.REJECTED),
}
# Actions that need a note (resolution, what was escalated to whom, why it was rejected).
NOTE_ACTIONS = (Action.RESOLVE, Action.ESCALATE, Action.REJECT)


class EventKind(enum.StrEnum):
    OPENED = "opened"
    REPORT_ADDED = "report_added"
    TAKEN = "taken"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    REJECTED = "rejected"
    MACHINE_OUT_OF_SERVICE = "machine_out_of_service"
    MACHINE_BACK = "machine_back"


ACTION_EVENTS = {
    Action.TAKE: EventKind.TAKEN,
    Action.RESOLVE: EventKind.RESOLVED,
    Action.ESCALATE: EventKind.ESCALATED,
    Action.REJECT: EventKind.REJECTED,
}


# --- what the managers and members are told (outbox notices)


class TicketAlert(Notice, kind="ticket_alert"):
    """To the managers: a report opened a ticket, or was added to the machine's open one."""

    ticket_id: int
    status: TicketStatus = TicketStatus.OPEN
    machine: str
    severity: Severity
    description: str
    reporter: str
    photo_ids: list[str] = field(default_factory=list)
    attached: bool  # added to the open ticket
    affected: int = 0  # members with a booking told the machine is out of service


class BookingTimes(Part):
    start: datetime
    end: datetime


class TicketUpdate(Notice, kind="ticket_update"):
    """To a reporter: what a manager did to the ticket (and, once repaired, that their bookings stand)."""

    ticket_id: int
    machine: str
    action: Action
    by: str
    note: str | None = None
    machine_back: bool = False
    bookings: list[BookingTimes] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class _AboutBooking:
    """What a message about one member's booking of a machine says."""

    booking_id: int
    machine: str
    machine_id: int
    machine_kind: MachineKind = field(metadata={"key": "kind"})
    start: datetime
    end: datetime


class BookingAffected(_AboutBooking, Notice, kind="booking_affected"):
    """The booked machine was reported unusable: the booking is kept for now."""


class MachineBack(_AboutBooking, Notice, kind="machine_back"):
    """The booked machine is back in service: the booking stands."""


class DowntimeWarning(_AboutBooking, Notice, kind="downtime_warning"):
    """A maintenance is planned over the booking."""

    window_start: datetime
    window_end: datetime
    reason: str | None = None


class DowntimeCalledOff(_AboutBooking, Notice, kind="downtime_called_off"):
    """The maintenance planned over the booking is called off."""

    window_start: datetime
    window_end: datetime


class PlanDue(Notice, kind="plan_due"):
    """To the managers: a preventive maintenance fell due and opened a ticket."""

    ticket_id: int
    machine: str
    task: str


class TicketNotActive(DomainError):
    """The ticket is closed (resolved or rejected), or the action does not apply to its state."""

    def __init__(self, status: TicketStatus) -> None:
        super().__init__(status.value)
        self.status = status


class NoDraft(DomainError):
    """There is no report being written (it was sent or cancelled)."""


class EmptyText(DomainError):
    """A description or note made of nothing but spaces."""


class TooManyPhotos(DomainError):
    """A report holds at most MAX_PHOTOS photos."""


class BadWindow(DomainError):
    """A downtime window that ends before it starts, is in the past, or is too long."""


class DowntimeOver(DomainError):
    """The downtime has already ended: there is nothing left to call off."""


class Ticket(Base):
    """A fault (or a preventive task) on a machine, from open to resolved or rejected."""

    __tablename__ = "tickets"
    __table_args__ = (
        # One open report ticket per machine: a second report joins it, even in a race.
        Index(
            "uq_tickets_open_report_per_machine",
            "machine_id",
            unique=True,
            sqlite_where=text(f"origin = 'report' AND {_ACTIVE_SQL}"),
            postgresql_where=text(f"origin = 'report' AND {_ACTIVE_SQL}"),
        ),
        # A plan has at most one open ticket: falling due again waits for its resolution.
        Index(
            "uq_tickets_open_per_plan",
            "plan_id",
            unique=True,
            sqlite_where=text(f"plan_id IS NOT NULL AND {_ACTIVE_SQL}"),
            postgresql_where=text(f"plan_id IS NOT NULL AND {_ACTIVE_SQL}"),
        ),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_machine_created", "machine_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    origin: Mapped[TicketOrigin] = mapped_column(enum_type(TicketOrigin, "ticket_origin"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_plans.id", ondelete="SET NULL"))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, "ticket_severity"))
    status: Mapped[TicketStatus] = mapped_column(enum_type(TicketStatus, "ticket_status"))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Whether this ticket took the machine out of service (so closing it may bring it back).
    took_machine_down: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    machine: Mapped[Machine] = relationship(lazy="raise")
    assignee: Mapped[Member | None] = relationship(lazy="raise")
    reports: Mapped[list[Report]] = relationship(lazy="raise", order_by="Report.id")
    events: Mapped[list[TicketEvent]] = relationship(lazy="raise", order_by="TicketEvent.id")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Report(Base):
    """One member's report of a fault; several reports of one machine share its open ticket."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, "report_severity"))
    description: Mapped[str] = mapped_column(Text)
    # Telegram file ids of the photos sent with the report (references, not the images).
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]

    reporter: Mapped[Member | None] = relationship(lazy="raise")


class TicketEvent(Base):
    """One thing that happened to a ticket. Rows are only ever added, never changed."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "ticket_event_kind"))
    from_status: Mapped[TicketStatus | None] = mapped_column(enum_type(TicketStatus, "event_from_status"))
    to_status: Mapped[TicketStatus | None] = mapped_column(enum_type(TicketStatus, "event_to_status"))
    note: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[Member | None] = relationship(lazy="raise")


class ReportDraft(Base):
    """A report being written: machine chosen, then a description, photos, and the severity."""

    __tablename__ = "report_drafts"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    description: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The media group (album) of the last photo, so an album gets one answer, not one per photo.
    album: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]

    machine: Mapped[Machine] = relationship(lazy="raise")


class NoteRequest(Base):
    """A manager was asked for a note (resolution, escalation, rejection): their next message is it."""

    __tablename__ = "note_requests"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    action: Mapped[Action] = mapped_column(enum_type(Action, "note_action"))
    created_at: Mapped[datetime]


class MaintenancePlan(Base):
    """A preventive task that falls due every N days, or every N hours of use (confirmed bookings)."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint("(every_days IS NULL) <> (every_hours IS NULL)", name="days_or_hours"),
        CheckConstraint("every_days IS NULL OR every_days > 0", name="every_days_positive"),
        CheckConstraint("every_hours IS NULL OR every_hours > 0", name="every_hours_positive"),
        Index("uq_maintenance_plans_machine_task", "machine_id", "task", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(200))
    every_days: Mapped[int | None] = mapped_column(Integer)
    every_hours: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the plan's clock (re)started: created, or its last ticket resolved.
    clock_started_at: Mapped[datetime]

    machine: Mapped[Machine] = relationship(lazy="raise")


# --------------------------------------------------------------------------- reports


async def start_report(session: AsyncSession, member: Member, machine_id: int, now: datetime) -> ReportDraft:
    """Begin a report on a machine (any machine not retired); a previous unsent draft is replaced."""
    machine = await get_any_machine(session, machine_id)
    if machine.status is MachineStatus.RETIRED:
        raise NotFound(f"machine {machine_id}")
    await clear_pending(session, member.id, keep=ReportDraft)
    draft = await put_pending(
        session,
        ReportDraft,
        member.id,
        machine_id=machine.id,
        description=None,
        photo_ids=[],
        album=None,
        updated_at=now,
    )
    draft.machine = machine
    return draft


async def current_draft(session: AsyncSession, member: Member, *, lock: bool = False) -> ReportDraft | None:
    """The member's draft; `lock` waits for (and then sees) a concurrent update of it (PostgreSQL)."""
    query = (
        select(ReportDraft)
        .options(selectinload(ReportDraft.machine))
        .where(ReportDraft.member_id == member.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


def _clean(text_: str, limit: int) -> str:
    """Text as typed, without NULs and surrounding blanks, cut to `limit`; blank text is refused."""
    cleaned = text_.replace("\x00", "").strip()
    if not cleaned:
        raise EmptyText("empty")
    return cleaned[:limit]


async def describe(session: AsyncSession, member: Member, text_: str, now: datetime) -> ReportDraft:
    """Set (or replace) the description of the member's draft."""
    draft = await current_draft(session, member, lock=True)
    if draft is None:
        raise NoDraft("no draft")
    draft.description = _clean(text_, MAX_DESCRIPTION)
    draft.updated_at = now
    return draft


@dataclass(frozen=True)
class PhotoAdded:
    draft: ReportDraft
    kept: bool  # False: the report already held MAX_PHOTOS
    same_album: bool  # another photo of the same album was already answered


async def add_photo(
    session: AsyncSession,
    member: Member,
    file_id: str,
    caption: str | None,
    now: datetime,
    *,
    album: str | None = None,
    document: bool = False,
) -> PhotoAdded:
    """Attach a picture to the draft; a caption becomes the description if there is none yet.

    Pictures sent as files are kept as "document:<file id>" so they are sent back the same way.
    The photos of one album arrive as separate messages: the result says whether this one belongs
    to an album already answered, so the member gets one answer per album.
    """
    draft = await current_draft(session, member, lock=True)
    if draft is None:
        raise NoDraft("no draft")
    same_album = album is not None and draft.album == album
    draft.album = album[:64] if album else None
    if caption and caption.strip() and not draft.description:
        draft.description = _clean(caption, MAX_DESCRIPTION)
    draft.updated_at = now
    if len(draft.photo_ids) >= MAX_PHOTOS:
        if not same_album:
            raise TooManyPhotos(str(MAX_PHOTOS))
        return PhotoAdded(draft, kept=False, same_album=True)
    reference = f"{DOCUMENT_PREFIX}{file_id[:200]}" if document else file_id[:200]
    draft.photo_ids = [*draft.photo_ids, reference]
    return PhotoAdded(draft, kept=True, same_album=same_album)


async def cancel_report(session: AsyncSession, member: Member) -> bool:
    """Drop the member's draft; return whether there was one."""
    return await delete_by_key(session, ReportDraft, member.id)


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    attached: bool  # joined an open ticket of the machine rather than opening one
    affected: int  # members' upcoming bookings now affected and warned (the report took the machine down)
    # The reporter's own upcoming bookings on the machine, affected too: no warning about her own
    # report (her screen says it), she is told with the ticket's outcome.
    own_bookings: tuple[Booking, ...] = ()


async def submit_report(
    session: AsyncSession, member: Member, severity: Severity, manager_ids: Iterable[int], now: datetime
) -> Submitted:
    """Turn the member's draft into a report on a ticket, with its effects and alerts."""
    draft = await current_draft(session, member, lock=True)  # a double tap waits, then finds no draft
    if draft is None:
        raise NoDraft("no draft")
    if not draft.description:
        raise EmptyText("no description")
    # Locked: a booking being confirmed at this instant waits, then sees the machine's new status.
    machine = await get_any_machine(session, draft.machine_id, lock=True)
    if machine.status is MachineStatus.RETIRED:
        raise NotFound(f"machine {machine.id}")
    ticket = await _open_report_ticket(session, machine)
    attached = ticket is not None
    if ticket is None:
        ticket = Ticket(
            machine_id=machine.id,
            origin=TicketOrigin.REPORT,
            severity=severity,
            status=TicketStatus.OPEN,
            title=draft.description.splitlines()[0][:200],
            created_at=now,
            updated_at=now,
            took_machine_down=False,
        )
        try:
            async with session.begin_nested():
                session.add(ticket)
        except IntegrityError:
            # Someone else's report of this machine opened a ticket an instant ago: join it.
            ticket = await _open_report_ticket(session, machine)
            if ticket is None:  # pragma: no cover - the unique index says it exists
                raise
            attached = True
    if attached and SEVERITY_ORDER.index(severity) < SEVERITY_ORDER.index(ticket.severity):
        ticket.severity = severity
    ticket.updated_at = now
    report = Report(
        ticket_id=ticket.id,
        reporter_id=member.id,
        severity=severity,
        description=draft.description,
        photo_ids=list(draft.photo_ids),
        created_at=now,
    )
    session.add(report)
    _event(session, ticket, EventKind.REPORT_ADDED if attached else EventKind.OPENED, member, now)
    affected: int = 0
    own: list[Booking] = []
    if severity is Severity.UNUSABLE and machine.status is MachineStatus.AVAILABLE:
        affected, own = await _take_out_of_service(session, ticket, machine, member, now)
    await session.delete(draft)
    await session.flush()
    alert = TicketAlert(
        ticket_id=ticket.id,
        status=ticket.status,
        machine=machine.name,
        severity=severity,
        description=report.description,
        reporter=member.display_name,
        photo_ids=list(report.photo_ids),
        attached=attached,
        affected=affected,
    )
    await notify_managers(session, manager_ids, alert, now)
    ticket.machine = machine
    return Submitted(ticket, attached, affected, tuple(own))


async def _open_report_ticket(session: AsyncSession, machine: Machine) -> Ticket | None:
    return await session.scalar(
        select(Ticket).where(
            Ticket.machine_id == machine.id,
            Ticket.origin == TicketOrigin.REPORT,
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )


def _event(
    session: AsyncSession,
    ticket: Ticket,
    kind: EventKind,
    actor: Member | None,
    now: datetime,
    *,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
    note: str | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


class _BookingFacts(TypedDict):
    booking_id: int
    machine: str
    machine_id: int
    machine_kind: MachineKind
    start: datetime
    end: datetime


def _booking_facts(booking: Booking, machine: Machine) -> _BookingFacts:
    """The fields of an _AboutBooking notice (checked by mypy against each one)."""
    return {
        "booking_id": booking.id,
        "machine": machine.name,
        "machine_id": machine.id,
        "machine_kind": machine.kind,
        "start": booking.start_at,
        "end": booking.end_at,
    }


async def _upcoming_bookings(
    session: AsyncSession, machine_id: int, now: datetime, until: datetime | None = None
) -> list[Booking]:
    """Confirmed bookings of the machine not yet over (and starting before `until`), with members."""
    query = (
        select(Booking)
        .options(selectinload(Booking.member))
        .where(
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= now - MAX_BOOKING_SPAN,
            Booking.end_at > now,
        )
    )
    if until is not None:
        query = query.where(Booking.start_at < until)
    return list(await session.scalars(query.order_by(Booking.start_at)))


async def _take_out_of_service(
    session: AsyncSession, ticket: Ticket, machine: Machine, reporter: Member, now: datetime
) -> tuple[int, list[Booking]]:
    """Put the machine out of service for the ticket; mark every upcoming booking affected and tell
    their members, but the reporter (she knows). Return how many were told, and her own bookings."""
    machine.status = MachineStatus.OUT_OF_SERVICE
    ticket.took_machine_down = True
    _event(session, ticket, EventKind.MACHINE_OUT_OF_SERVICE, reporter, now)
    told, own = 0, []
    for booking in await _upcoming_bookings(session, machine.id, now):
        booking.affected_ticket_id = ticket.id
        if booking.member_id == reporter.id:
            own.append(booking)
            continue
        notify_member(session, booking.member, BookingAffected(**_booking_facts(booking, machine)), now)
        told += 1
    return told, own


async def _bring_back_if_clear(
    session: AsyncSession,
    ticket: Ticket,
    actor: Member,
    now: datetime,
    tz: ZoneInfo | None,
    reporter_ids: set[int],
) -> list[Booking] | None:
    """Return the machine to service when no other active ticket keeps it down (None when it stays
    down); tell the members with affected bookings - but the ticket's reporters, whose affected
    bookings are returned: the ticket's outcome, sent to them anyway, says it (one message)."""
    machine = await get_any_machine(session, ticket.machine_id)
    still_down = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.machine_id == machine.id,
            Ticket.id != ticket.id,
            Ticket.took_machine_down.is_(True),
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )
    if still_down or machine.status is not MachineStatus.OUT_OF_SERVICE:
        return None
    machine.status = MachineStatus.AVAILABLE
    _event(session, ticket, EventKind.MACHINE_BACK, actor, now)
    await waitlist.machine_back(session, machine, now, tz)
    reporters_bookings = []
    for booking in await _upcoming_bookings(session, machine.id, now):
        if booking.affected_ticket_id is None:
            continue
        if booking.member_id in reporter_ids:
            reporters_bookings.append(booking)
        else:
            notify_member(session, booking.member, MachineBack(**_booking_facts(booking, machine)), now)
    return reporters_bookings


# --------------------------------------------------------------------------- the queue


async def get_ticket(
    session: AsyncSession, ticket_id: int, *, full: bool = False, lock: bool = False
) -> Ticket:
    """The ticket with its machine (and, when `full`, its reports, events and people).

    `lock` makes a concurrent action on the same ticket wait for this transaction, then see its
    outcome (two managers pressing Take it at once: one takes it).
    """
    options: list[Any] = [selectinload(Ticket.machine), selectinload(Ticket.assignee)]
    if full:
        options += [
            selectinload(Ticket.reports).selectinload(Report.reporter),
            selectinload(Ticket.events).selectinload(TicketEvent.actor),
        ]
    query = select(Ticket).options(*options).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update(of=Ticket, key_share=True).execution_options(populate_existing=True)
    ticket = await session.scalar(query)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    return ticket


def _urgency() -> Any:
    return case({s.value: rank for rank, s in enumerate(SEVERITY_ORDER)}, value=Ticket.severity)


async def queue(session: AsyncSession, *, offset: int = 0, limit: int = 8) -> tuple[list[Ticket], int]:
    """Active tickets, most urgent first (severity, then the oldest), and how many in all."""
    active = Ticket.status.in_(ACTIVE_STATUSES)
    total = await session.scalar(select(func.count()).select_from(Ticket).where(active)) or 0
    rows = await session.scalars(
        select(Ticket)
        .options(selectinload(Ticket.machine), selectinload(Ticket.assignee))
        .where(active)
        .order_by(_urgency(), Ticket.created_at, Ticket.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def act(
    session: AsyncSession,
    manager: Member,
    ticket_id: int,
    action: Action,
    now: datetime,
    note: str | None = None,
    tz: ZoneInfo | None = None,
) -> Ticket:
    """Apply a manager's action to a ticket; every change is an event and the reporters are told.
    (`tz`, the lab's time zone, says which waitlist days are not over yet.)"""
    require_manager(manager)
    ticket = await get_ticket(session, ticket_id, lock=True)
    allowed_from, to_status = TRANSITIONS[action]
    if ticket.status not in allowed_from:
        raise TicketNotActive(ticket.status)
    if action in NOTE_ACTIONS:
        note = _clean(note or "", MAX_NOTE)
    from_status = ticket.status
    ticket.status = to_status
    ticket.updated_at = now
    if action is Action.TAKE:
        ticket.assignee = manager
    if to_status in (TicketStatus.RESOLVED, TicketStatus.REJECTED):
        ticket.closed_at = now
    _event(
        session,
        ticket,
        ACTION_EVENTS[action],
        manager,
        now,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    reporters = list(
        await session.scalars(
            select(Member)
            .join(Report, Report.reporter_id == Member.id)
            .where(Report.ticket_id == ticket.id)
            .distinct()
        )
    )
    back: list[Booking] | None = None
    if not ticket.active:
        if ticket.took_machine_down:
            back = await _bring_back_if_clear(session, ticket, manager, now, tz, {r.id for r in reporters})
        if ticket.plan_id is not None:
            plan = await session.get(MaintenancePlan, ticket.plan_id)
            if plan is not None:
                # Done, or judged not needed now (rejected): the plan's clock restarts either way.
                plan.clock_started_at = now
    _tell_reporters(session, ticket, reporters, action, manager, note, now, back)
    await session.flush()
    return ticket


def _tell_reporters(
    session: AsyncSession,
    ticket: Ticket,
    reporters: list[Member],
    action: Action,
    manager: Member,
    note: str | None,
    now: datetime,
    back: list[Booking] | None,
) -> None:
    """One message to each reporter: what was done, and when the machine is back in service, that
    too and that their own affected bookings stand."""
    for reporter in reporters:
        update = TicketUpdate(
            ticket_id=ticket.id,
            machine=ticket.machine.name,
            action=action,
            by=manager.first_name,
            note=note,
            machine_back=back is not None,
            bookings=[
                BookingTimes(start=b.start_at, end=b.end_at) for b in back or [] if b.member_id == reporter.id
            ],
        )
        notify_member(session, reporter, update, now)


async def ask_note(
    session: AsyncSession, manager: Member, ticket_id: int, action: Action, now: datetime
) -> Ticket:
    """Remember that the manager's next message is the note for this action on this ticket."""
    require_manager(manager)
    if action not in NOTE_ACTIONS:
        raise ValueError(f"{action} takes no note")
    ticket = await get_ticket(session, ticket_id)
    if ticket.status not in TRANSITIONS[action][0]:
        raise TicketNotActive(ticket.status)
    await clear_pending(session, manager.id, keep=NoteRequest)
    await put_pending(session, NoteRequest, manager.id, ticket_id=ticket.id, action=action, created_at=now)
    return ticket


async def pending_note(session: AsyncSession, member: Member, *, lock: bool = False) -> NoteRequest | None:
    return await get_pending(session, NoteRequest, member.id, lock=lock)


@dataclass(frozen=True)
class NoteGiven:
    ticket: Ticket
    action: Action
    refused: DomainError | None = None  # the action no longer applies: the question is dropped


async def give_note(
    session: AsyncSession, manager: Member, note: str, now: datetime, tz: ZoneInfo | None = None
) -> NoteGiven:
    """Apply the action the manager was asked a note for, with this note.

    If the action no longer applies (the ticket was closed meanwhile, the manager is one no more),
    the question is dropped and the refusal returned, so their next messages are theirs again.
    An empty note keeps the question open.
    """
    request = await pending_note(session, manager, lock=True)
    if request is None:
        raise NoDraft("no note asked")
    ticket_id, action = request.ticket_id, request.action
    ticket = await get_ticket(session, ticket_id, lock=True)
    refusal: DomainError | None = None
    if not manager.is_manager:
        refusal = NotAllowed("managers only")
    elif ticket.status not in TRANSITIONS[action][0]:
        refusal = TicketNotActive(ticket.status)
    if refusal is not None:
        await delete_by_key(session, NoteRequest, manager.id)
        return NoteGiven(ticket, action, refusal)
    ticket = await act(session, manager, ticket_id, action, now, note=note, tz=tz)
    await delete_by_key(session, NoteRequest, manager.id)
    return NoteGiven(ticket, action)


async def drop_note_request(session: AsyncSession, member: Member) -> bool:
    return await delete_by_key(session, NoteRequest, member.id)


# --------------------------------------------------------------------------- machines


async def machine_log(session: AsyncSession, machine_id: int, limit: int = 10) -> list[Ticket]:
    """The machine's latest tickets, newest first, with their events (its maintenance log)."""
    rows = await session.scalars(
        select(Ticket)
        .options(selectinload(Ticket.events).selectinload(TicketEvent.actor))
        .where(Ticket.machine_id == machine_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(rows)


async def find_machine(session: AsyncSession, name: str) -> list[Machine]:
    """Machines whose name contains the words typed (any case); an exact name wins alone."""
    wanted = " ".join(name.split()).lower()
    if not wanted:
        return []
    machines = list(
        await session.scalars(
            select(Machine).where(Machine.status != MachineStatus.RETIRED).order_by(Machine.name)
        )
    )
    exact = [m for m in machines if m.name.lower() == wanted]
    return exact or [m for m in machines if wanted in m.name.lower()]


async def plan_downtime(
    session: AsyncSession,
    manager: Member,
    machine_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> tuple[Downtime, int]:
    """Plan a window when the machine is out of service; warn members whose bookings fall in it.

    Their bookings are kept (marked affected): each member is told so, and cancels or moves it."""
    require_manager(manager)
    machine = await get_any_machine(session, machine_id, lock=True)
    _check_window(start, end, now)
    same = await session.scalar(
        select(Downtime).where(
            Downtime.machine_id == machine.id,
            Downtime.start_at == start,
            Downtime.end_at == end,
            Downtime.cancelled_at.is_(None),
        )
    )
    if same is not None:  # the confirm button pressed twice: planned once, warned once
        return same, 0
    downtime = Downtime(
        machine_id=machine.id,
        start_at=start,
        end_at=end,
        reason=reason[:200],
        created_by_id=manager.id,
        created_at=now,
    )
    session.add(downtime)
    await session.flush()
    affected = await _bookings_in(session, machine.id, start, end, now)
    for booking in affected:
        booking.affected_downtime_id = downtime.id
        warning = DowntimeWarning(
            **_booking_facts(booking, machine), window_start=start, window_end=end, reason=downtime.reason
        )
        notify_member(session, booking.member, warning, now)
    return downtime, len(affected)


def _check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start or end <= now or end - start > MAX_DOWNTIME or start > now + MAX_DOWNTIME_AHEAD:
        raise BadWindow(f"{start} – {end}")


async def _bookings_in(
    session: AsyncSession, machine_id: int, start: datetime, end: datetime, now: datetime
) -> list[Booking]:
    """Confirmed bookings of the machine, not over yet, overlapping [start, end)."""
    return [b for b in await _upcoming_bookings(session, machine_id, now, until=end) if b.end_at > start]


async def downtime_impact(
    session: AsyncSession, manager: Member, machine_id: int, start: datetime, end: datetime, now: datetime
) -> int:
    """How many bookings a downtime planned now over [start, end) would affect (nothing is written)."""
    require_manager(manager)
    machine = await get_any_machine(session, machine_id)
    _check_window(start, end, now)
    return len(await _bookings_in(session, machine.id, start, end, now))


async def get_downtime(session: AsyncSession, downtime_id: int) -> Downtime:
    if (downtime := await session.get(Downtime, downtime_id)) is None:
        raise NotFound(f"downtime {downtime_id}")
    return downtime


@dataclass(frozen=True)
class CalledOff:
    downtime: Downtime
    told: int  # members with a booking in the window, told it stands
    already: bool  # it was called off before (a second press): nothing was done


async def call_off_downtime(
    session: AsyncSession, manager: Member, downtime_id: int, now: datetime, rules: BookingRules
) -> CalledOff:
    """Call off a planned downtime: its window can be booked again. Members it warned are told their
    booking stands, and members waiting for one of its days are told to have a look - unless another
    downtime still covers them, or the machine is out of service anyway."""
    require_manager(manager)
    downtime = await get_downtime(session, downtime_id)
    if downtime.cancelled_at is not None:
        return CalledOff(downtime, 0, already=True)
    if downtime.end_at <= now:
        raise DowntimeOver(str(downtime_id))
    if not await stamp_once(session, downtime, "cancelled_at", now):  # two presses at once: one acts
        return CalledOff(downtime, 0, already=True)
    machine = await get_any_machine(session, downtime.machine_id)
    in_service = machine.status is MachineStatus.AVAILABLE
    warned = await session.scalars(
        select(Booking)
        .options(selectinload(Booking.member))
        .where(
            Booking.affected_downtime_id == downtime.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end_at > now,
        )
    )
    told = 0
    for booking in warned:
        # Another downtime overlapping the booking still stands: the booking is affected by that one.
        still = await first_downtime_over(session, machine.id, booking.start_at, booking.end_at)
        booking.affected_downtime_id = still
        if still is not None or not in_service:
            continue
        called_off = DowntimeCalledOff(
            **_booking_facts(booking, machine), window_start=downtime.start_at, window_end=downtime.end_at
        )
        notify_member(session, booking.member, called_off, now)
        told += 1
    first = max(downtime.start_at, now).astimezone(rules.tz).date()
    last = (downtime.end_at - timedelta(microseconds=1)).astimezone(rules.tz).date()
    days = [d for d in rules.bookable_days(now) if first <= d <= last]
    if in_service and days:
        opened = [a.day for a in await availability(session, machine, rules, now, days) if a.free_starts]
        await waitlist.times_freed(session, machine, opened, now)
    return CalledOff(downtime, told, already=False)


async def upcoming_downtimes(session: AsyncSession, machine_id: int, now: datetime) -> list[Downtime]:
    rows = await session.scalars(
        select(Downtime)
        .where(Downtime.machine_id == machine_id, Downtime.cancelled_at.is_(None), Downtime.end_at > now)
        .order_by(Downtime.start_at)
    )
    return list(rows)


# --------------------------------------------------------------------------- preventive plans


@dataclass(frozen=True)
class PlanState:
    plan: MaintenancePlan
    due: bool
    used_hours: float | None  # for plans counted in hours of use
    due_at: datetime | None  # for plans counted in days


async def hours_of_use(session: AsyncSession, machine_id: int, since: datetime, now: datetime) -> float:
    """Hours of confirmed bookings of the machine between `since` and `now` (parts outside count not)."""
    rows = await session.execute(
        select(Booking.start_at, Booking.end_at).where(
            Booking.machine_id == machine_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= since - MAX_BOOKING_SPAN,
            Booking.start_at < now,
        )
    )
    seconds = sum(max(0.0, (min(row.end_at, now) - max(row.start_at, since)).total_seconds()) for row in rows)
    return seconds / 3600


async def plan_state(session: AsyncSession, plan: MaintenancePlan, now: datetime) -> PlanState:
    if plan.every_days is not None:
        due_at = plan.clock_started_at + timedelta(days=plan.every_days)
        return PlanState(plan, plan.active and now >= due_at, None, due_at)
    used = await hours_of_use(session, plan.machine_id, plan.clock_started_at, now)
    return PlanState(plan, plan.active and used >= (plan.every_hours or 0), used, None)


async def machine_plans(session: AsyncSession, machine_id: int, now: datetime) -> list[PlanState]:
    plans = await session.scalars(
        select(MaintenancePlan).where(MaintenancePlan.machine_id == machine_id).order_by(MaintenancePlan.task)
    )
    return [await plan_state(session, plan, now) for plan in plans]


async def open_due_plan_tickets(
    session: AsyncSession, manager_ids: Iterable[int], now: datetime
) -> list[Ticket]:
    """Open one *planned* ticket for every active plan that fell due and has none open yet."""
    has_open = select(Ticket.id).where(
        Ticket.plan_id == MaintenancePlan.id, Ticket.status.in_(ACTIVE_STATUSES)
    )
    plans = await session.scalars(
        select(MaintenancePlan)
        .options(selectinload(MaintenancePlan.machine))
        .where(MaintenancePlan.active.is_(True), ~has_open.exists())
        .order_by(MaintenancePlan.id)
    )
    opened = []
    for plan in plans:
        if plan.machine.status is MachineStatus.RETIRED or not (await plan_state(session, plan, now)).due:
            continue
        ticket = Ticket(
            machine_id=plan.machine_id,
            origin=TicketOrigin.PLAN,
            plan_id=plan.id,
            severity=Severity.MINOR,
            status=TicketStatus.OPEN,
            title=plan.task,
            created_at=now,
            updated_at=now,
            took_machine_down=False,
        )
        try:
            async with session.begin_nested():
                session.add(ticket)
        except IntegrityError:  # another run opened it an instant ago
            continue
        _event(session, ticket, EventKind.OPENED, None, now)
        await session.flush()
        due = PlanDue(ticket_id=ticket.id, machine=plan.machine.name, task=plan.task)
        await notify_managers(session, manager_ids, due, now)
        ticket.machine = plan.machine
        opened.append(ticket)
    return opened


async def get_plan(session: AsyncSession, plan_id: int) -> MaintenancePlan:
    plan = await session.scalar(
        select(MaintenancePlan)
        .options(selectinload(MaintenancePlan.machine))
        .where(MaintenancePlan.id == plan_id)
    )
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    return plan


async def edit_plan(
    session: AsyncSession,
    manager: Member,
    plan_id: int,
    *,
    every_days: int | None = None,
    every_hours: int | None = None,
    active: bool | None = None,
) -> MaintenancePlan:
    """Change a plan's interval (days or hours of use) or pause/resume it."""
    require_manager(manager)
    plan = await get_plan(session, plan_id)
    if every_days is not None and every_days > 0:
        plan.every_days, plan.every_hours = every_days, None
    elif every_hours is not None and every_hours > 0:
        plan.every_days, plan.every_hours = None, every_hours
    if active is not None:
        plan.active = active
    await session.flush()
    return plan


async def active_ticket_count(session: AsyncSession, machine_ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Ticket.machine_id, func.count())
        .where(Ticket.machine_id.in_(machine_ids), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.machine_id)
    )
    return {row[0]: row[1] for row in rows}


__all__ = [
    "ACTIVE_STATUSES",
    "Action",
    "Downtime",
    "EventKind",
    "MaintenancePlan",
    "NoteRequest",
    "Report",
    "ReportDraft",
    "Severity",
    "Ticket",
    "TicketEvent",
    "TicketOrigin",
    "TicketStatus",
]
