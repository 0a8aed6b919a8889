"""First-level maintenance: fault reports, the ticket queue, machine downtime and preventive plans.

A member's report opens a ticket (or joins the machine's open one). An *unusable* report takes
the machine out of service and tells every member with an upcoming booking on it (but the
reporter); resolving the ticket brings the machine back and tells them again (the reporters in
their one message about the outcome). Every change of a ticket is an event,
kept forever with who and when. Messages to people go through the outbox, in the same
transaction as the change.

The package, in the order its modules build on one another:
    tables      the tables, their enums, what an action does to a ticket, the limits
    errors      why an action is refused
    notices     what the managers and members are told
    texts       descriptions and notes, cleaned
    log         a ticket's events (the one place they are written)
    service     a machine out of service and back, and the bookings that reaches
    reports     a member's fault report, from draft to ticket
    tickets     the managers' queue, their actions and notes
    lookup      finding a machine by name, its maintenance log
    downtimes   planning and calling off a machine's downtime
    plans       preventive plans falling due
Callers import from `models.maintenance` itself (the names below).
"""

from __future__ import annotations

from models.downtime import Downtime
from models.maintenance.downtimes import (
    CalledOff,
    call_off_downtime,
    downtime_impact,
    get_downtime,
    plan_downtime,
    upcoming_downtimes,
    upcoming_downtimes_of,
)
from models.maintenance.errors import (
    BadWindow,
    DowntimeOver,
    EmptyText,
    NoDraft,
    TicketNotActive,
    TooManyPhotos,
)
from models.maintenance.lookup import active_ticket_count, find_machine, held_down, machine_log
from models.maintenance.notices import (
    BookingAffected,
    BookingTimes,
    DowntimeCalledOff,
    DowntimeWarning,
    MachineBack,
    PlanDue,
    TicketAlert,
    TicketUpdate,
)
from models.maintenance.plans import (
    PlanState,
    edit_plan,
    get_plan,
    hours_of_use,
    machine_plans,
    open_due_plan_tickets,
    plan_state,
)
from models.maintenance.reports import (
    PhotoAdded,
    Submitted,
    add_photo,
    cancel_report,
    current_draft,
    describe,
    start_report,
    submit_report,
)
from models.maintenance.tables import (
    ACTION_EVENTS,
    ACTIVE_STATUSES,
    DOCUMENT_PREFIX,
    MAX_DESCRIPTION,
    MAX_DOWNTIME,
    MAX_DOWNTIME_AHEAD,
    MAX_NOTE,
    MAX_PHOTOS,
    NOTE_ACTIONS,
    SEVERITY_ORDER,
    TRANSITIONS,
    Action,
    EventKind,
    MaintenancePlan,
    NoteRequest,
    Report,
    ReportDraft,
    Severity,
    Ticket,
    TicketEvent,
    TicketOrigin,
    TicketStatus,
)
from models.maintenance.tickets import (
    NoteGiven,
    act,
    ask_note,
    drop_note_request,
    get_ticket,
    give_note,
    pending_note,
    queue,
)

__all__ = [
    "ACTION_EVENTS",
    "ACTIVE_STATUSES",
    "DOCUMENT_PREFIX",
    "MAX_DESCRIPTION",
    "MAX_DOWNTIME",
    "MAX_DOWNTIME_AHEAD",
    "MAX_NOTE",
    "MAX_PHOTOS",
    "NOTE_ACTIONS",
    "SEVERITY_ORDER",
    "TRANSITIONS",
    "Action",
    "BadWindow",
    "BookingAffected",
    "BookingTimes",
    "CalledOff",
    "Downtime",
    "DowntimeCalledOff",
    "DowntimeOver",
    "DowntimeWarning",
    "EmptyText",
    "EventKind",
    "MachineBack",
    "MaintenancePlan",
    "NoDraft",
    "NoteGiven",
    "NoteRequest",
    "PhotoAdded",
    "PlanDue",
    "PlanState",
    "Report",
    "ReportDraft",
    "Severity",
    "Submitted",
    "Ticket",
    "TicketAlert",
    "TicketEvent",
    "TicketNotActive",
    "TicketOrigin",
    "TicketStatus",
    "TicketUpdate",
    "TooManyPhotos",
    "act",
    "active_ticket_count",
    "add_photo",
    "ask_note",
    "call_off_downtime",
    "cancel_report",
    "current_draft",
    "describe",
    "downtime_impact",
    "drop_note_request",
    "edit_plan",
    "find_machine",
    "get_downtime",
    "get_plan",
    "get_ticket",
    "give_note",
    "held_down",
    "hours_of_use",
    "machine_log",
    "machine_plans",
    "open_due_plan_tickets",
    "pending_note",
    "plan_downtime",
    "plan_state",
    "queue",
    "start_report",
    "submit_report",
    "upcoming_downtimes",
    "upcoming_downtimes_of",
]
