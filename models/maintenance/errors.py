"""Why a maintenance action is refused (each has its sentence in bot/features/refusals.py)."""

from __future__ import annotations

from models.errors import DomainError
from models.maintenance.tables import TicketStatus


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
