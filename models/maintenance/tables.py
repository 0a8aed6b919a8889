"""The maintenance tables and their enums: tickets, the reports and events on them, report drafts,
managers' pending notes and preventive plans; what a manager's action does to a ticket; the limits
on what is typed or planned.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_type
from models.machines import Machine
from models.members import Member

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
