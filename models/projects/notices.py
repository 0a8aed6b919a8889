"""What owners, members and the project's group are told (outbox notices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.notices import Notice


@dataclass(frozen=True, kw_only=True)
class _AboutProject:
    project: str  # its name


class ProjectJoinRequest(Notice, kind="project_join_request"):
    """To the owners: a member asks to join (Approve / Decline)."""

    membership_id: int
    project: str
    member: str  # the name to show, with the @username


class ProjectUnknownJoin(Notice, kind="project_unknown_join"):
    """To the owners: someone asks Telegram to join the group without going through the bot."""

    request_id: int
    project: str
    name: str


class ProjectRequestWithdrawn(Notice, kind="project_request_withdrawn"):
    """To an owner: the request they were asked about was withdrawn (their message is edited)."""

    project: str
    member: str
    chat_id: int
    message_id: int


class ProjectDecision(Notice, kind="project_decision"):
    """To a member: their request to join was approved or declined."""

    project: str
    approved: bool
    can_invite: bool


class ProjectInvite(Notice, kind="project_invite"):
    """To a member let in: an invite link to the group (created when the message is sent)."""

    project: str
    project_id: int | None = None
    chat_id: int
    membership_id: int
    owners: list[str] = field(default_factory=list)  # first names, to ask if the link cannot be made


class ChatAction(Notice, kind="chat_action"):
    """In the project's group: approve or decline a join request, or remove someone."""

    action: str  # approve, decline, remove
    chat_id: int
    user_id: int
    project: str | None = None


class ProjectRemoved(_AboutProject, Notice, kind="project_removed"):
    """To a member: an owner removed them from the project."""


class ProjectOwner(_AboutProject, Notice, kind="project_owner"):
    """To a member: they are now an owner."""


class ProjectArchived(_AboutProject, Notice, kind="project_archived"):
    """To a member whose request was waiting: the project was archived."""


class ProjectRightsLost(Notice, kind="project_rights_lost"):
    """To the owners: the bot lost its administrator rights in the group."""

    project: str
    missing: list[str] = field(default_factory=list)


class ProjectAnnouncement(Notice, kind="project_announcement"):
    """To the members outside the group: an owner's announcement."""

    project: str
    sender: str = field(metadata={"key": "from"})  # the owner's first name
    text: str


class MeetingReminder(Notice, kind="meeting_reminder"):
    """To the members: a meeting starts soon."""

    project: str
    title: str
    start: datetime
    remote: bool = False
    link: str | None = None


class MeetingCancelled(Notice, kind="meeting_cancelled"):
    """To the members: an owner cancelled a meeting."""

    project: str
    title: str
    start: datetime
    by: str
