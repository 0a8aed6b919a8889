"""What the managers and members are told (outbox notices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from models.bookings import Booking
from models.machines import Machine, MachineKind
from models.maintenance.tables import Action, Severity, TicketStatus
from models.notices import Notice, Part


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


class SessionReserves(_AboutBooking, Notice, kind="session_reserves"):
    """A session reserves the booked machine over the booking (models/sessions.py)."""

    window_start: datetime
    window_end: datetime
    title: str


class SessionReservationFreed(_AboutBooking, Notice, kind="session_reservation_freed"):
    """The session that reserved the booked machine is cancelled: the booking stands."""

    title: str


class DowntimeCalledOff(_AboutBooking, Notice, kind="downtime_called_off"):
    """The maintenance planned over the booking is called off."""

    window_start: datetime
    window_end: datetime


class PlanDue(Notice, kind="plan_due"):
    """To the managers: a preventive maintenance fell due and opened a ticket."""

    ticket_id: int
    machine: str
    task: str


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
