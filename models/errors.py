"""Domain refusals: each says why an action was refused, without any user-facing wording."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base of every refusal the domain gives; handlers turn each into a friendly message."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this member)."""


class NotAllowed(DomainError):
    """The member may not do this (not a manager, not the owner...)."""


class MachineUnavailable(DomainError):
    """The machine is out of service or retired."""


class TrainingRequired(DomainError):
    """The machine needs a training the member has not been authorized for."""


class TrainingLapsed(TrainingRequired):
    """The member's training on the machine expired (on `on`): a refresher is needed."""

    def __init__(self, machine: str, on: datetime) -> None:
        super().__init__(machine)
        self.machine, self.on = machine, on


class OutsideOpeningHours(DomainError):
    """The slot is not inside one opening interval of the lab (or the lab is closed that day)."""


class InThePast(DomainError):
    """The slot has already started."""


class BeyondHorizon(DomainError):
    """The slot is further ahead than members may book."""


class BadLength(DomainError):
    """The length is not a positive multiple of the slot length, or is over the machine's maximum."""


class Misaligned(DomainError):
    """The start is not on the machine's slot grid."""


class SlotTaken(DomainError):
    """Someone else holds (part of) this slot; `alternatives` are the next free starts of the same length."""

    def __init__(self, alternatives: list[datetime]) -> None:
        super().__init__("slot taken")
        self.alternatives = alternatives


class OverlapsOwnBooking(DomainError):
    """The member already holds this machine for part of that time."""


class InMaintenance(DomainError):
    """The slot falls in a planned downtime of the machine."""


class MachineReserved(InMaintenance):
    """The slot falls in a time a session reserves the machine for (`title`, `until`: its end)."""

    def __init__(self, title: str, until: datetime) -> None:
        super().__init__(f"{title} until {until.isoformat()}")
        self.title, self.until = title, until


class AlreadyReserved(DomainError):
    """Another session reserves the machine for part of that time (`machine`; `title`: that session's)."""

    def __init__(self, machine: str, title: str) -> None:
        super().__init__(f"{machine} reserved by {title}")
        self.machine, self.title = machine, title


class AlreadyCancelled(DomainError):
    """The booking was cancelled before."""


class AlreadyStarted(DomainError):
    """The booking has started or is over; it can no longer be cancelled."""


class AlreadyAuthorized(DomainError):
    """The member is already authorized on this machine."""
