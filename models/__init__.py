"""The fabdesk domain: tables and the rules on them. Never imports the bot or the scheduler."""

from models.base import Base
from models.bookings import Booking, BookingStatus
from models.machines import Authorization, Machine, MachineKind, MachineStatus, TrainingRequest
from models.members import Member, Role
from models.opening import Closure, OpeningHours

__all__ = [
    "Authorization",
    "Base",
    "Booking",
    "BookingStatus",
    "Closure",
    "Machine",
    "MachineKind",
    "MachineStatus",
    "Member",
    "OpeningHours",
    "Role",
    "TrainingRequest",
]
