"""The fabdesk domain: tables and the rules on them. Never imports the bot or the scheduler."""

from models.audit import ManagerChange
from models.authorizations import MemberSearch
from models.base import Base
from models.booked_for import OnBehalfAsk
from models.bookings import Booking, BookingStatus
from models.cache import CacheVersion
from models.checkin import NoShowReleased
from models.digest import DigestRun, WeeklyRun
from models.downtime import Downtime
from models.feeds import CalendarFeed
from models.instructors import InstructorRole
from models.leases import Lease
from models.machines import Authorization, Machine, MachineKind, MachineStatus, TrainingRequest
from models.maintenance import (
    MaintenancePlan,
    NoteRequest,
    Report,
    ReportDraft,
    Severity,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from models.members import Member, Role
from models.opening import Closure, OpeningHours
from models.outbox import OutboxMessage
from models.projects import ChatJoinRequest, Meeting, Project, ProjectDraft, ProjectInput, ProjectMember
from models.quotas import Quota
from models.session_guests import GuestInput
from models.session_requests import DeclineReasonInput
from models.sessions import LabSession, SessionDraft, SessionGuest, SignUp
from models.stock import Consumable, StockInput, StockMovement
from models.typed_booking import BookingStep
from models.updates import UpdateCheck, UpdateItem, VersionInput
from models.waitlist import WaitlistEntry

__all__ = [
    "Authorization",
    "Base",
    "Booking",
    "BookingStatus",
    "BookingStep",
    "CacheVersion",
    "CalendarFeed",
    "ChatJoinRequest",
    "Closure",
    "Consumable",
    "DeclineReasonInput",
    "DigestRun",
    "Downtime",
    "GuestInput",
    "InstructorRole",
    "LabSession",
    "Lease",
    "Machine",
    "MachineKind",
    "MachineStatus",
    "MaintenancePlan",
    "ManagerChange",
    "Meeting",
    "Member",
    "MemberSearch",
    "NoShowReleased",
    "NoteRequest",
    "OnBehalfAsk",
    "OpeningHours",
    "OutboxMessage",
    "Project",
    "ProjectDraft",
    "ProjectInput",
    "ProjectMember",
    "Quota",
    "Report",
    "ReportDraft",
    "Role",
    "SessionDraft",
    "SessionGuest",
    "Severity",
    "SignUp",
    "StockInput",
    "StockMovement",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "TrainingRequest",
    "UpdateCheck",
    "UpdateItem",
    "VersionInput",
    "WaitlistEntry",
    "WeeklyRun",
]
