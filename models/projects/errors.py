"""Why a project action is refused (each has its sentence in bot/features/refusals.py)."""

from __future__ import annotations

from models.errors import DomainError, NotAllowed


class BadProjectText(DomainError):
    """A name, description, tag list, link or announcement that cannot be used."""


class DuplicateName(DomainError):
    """Another project already has this name."""


class NoGroup(DomainError):
    """The project has no Telegram group, or the bot lost its rights there."""


class AlreadyMember(DomainError):
    """The member is already in the project (or their request is waiting)."""


class AlreadyDecided(DomainError):
    """The request was answered already (by another owner, or a press of a few seconds ago)."""


class RequestWithdrawn(AlreadyDecided):
    """The member withdrew the request before an owner answered it."""


class OwnersOnly(NotAllowed):
    """Only the project's owners may do this."""


class LastOwner(NotAllowed):
    """The last owner cannot leave: the project would have nobody to run it."""


class NotGroupAdmin(NotAllowed):
    """Only an administrator of the group may link it to a project."""


class MeetingStarted(DomainError):
    """The meeting has started (or is over): it can no longer be cancelled."""


class GroupTaken(DomainError):
    """The group already belongs to a project the sender does not own."""


class NeedsLink(BadProjectText):
    """A remote meeting needs its video link."""


class ForwardExpected(DomainError):
    """A channel is linked by forwarding one of its messages, not by typing."""
