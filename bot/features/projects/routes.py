"""The projects' buttons: browsing and joining, the owners' management, meetings, a new project's
draft, and the project chooser under /link in a group."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Day, Flag, Moment, OneOf
from models.projects import Visibility

Page = Annotated[int, Between(0, 9999)]
# A new project's visibility as its button carries it: 0 open, 1 on request.
VISIBILITIES = (Visibility.OPEN, Visibility.ON_REQUEST)

# --------------------------------------------------------------------------- browsing and joining


class ProjectList(Button, action="pj"):
    """The lab's active projects, a page of them."""

    page: Page


class ProjectChosen(Button, action="pj:v"):
    """A project: what it is, and what the member can do with it."""

    project: ID


class JoinPressed(Button, action="pj:j"):
    """Join the project (at once, or ask its owners)."""

    project: ID


class LeavePressed(Button, action="pj:l"):
    """Leave the project."""

    project: ID


class WithdrawPressed(Button, action="pj:w"):
    """Withdraw my request to join the project."""

    project: ID


class MyProjects(Button, action="mp"):
    """The member's projects and requests."""


# --------------------------------------------------------------------------- the owners


class RequestApproved(Button, action="pr:a"):
    """An owner lets a member's request to join in."""

    membership: ID


class RequestDeclined(Button, action="pr:d"):
    """An owner declines a member's request to join."""

    membership: ID


class StrangerApproved(Button, action="pq:a"):
    """An owner lets a stranger's join request (not through the bot) into the group."""

    request: ID


class StrangerDeclined(Button, action="pq:d"):
    """An owner declines a stranger's join request."""

    request: ID


class ManageMembers(Button, action="pm"):
    """The owners' screen: requests waiting and members."""

    project: ID


class MembersPage(Button, action="pm:p"):
    """Another page of the owners' screen."""

    project: ID
    page: Page


class MakeCoOwner(Button, action="pm:o"):
    """Make a member a co-owner."""

    membership: ID


class AskRemove(Button, action="pm:x"):
    """Remove this member? (asks first)"""

    membership: ID


class RemoveConfirmed(Button, action="pm:y"):
    """Remove the member from the project."""

    membership: ID


class WriteAnnouncement(Button, action="pa"):
    """An owner writes an announcement next."""

    project: ID


class LinkChannel(Button, action="pc"):
    """An owner links a channel: forward one of its messages next."""

    project: ID


class AskArchive(Button, action="pz"):
    """Archive the project? (owners and managers)"""

    project: ID


class ArchiveConfirmed(Button, action="pz:y"):
    """Archive the project."""

    project: ID


# --------------------------------------------------------------------------- meetings


class PlanMeeting(Button, action="pt"):
    """Plan a meeting: pick its day."""

    project: ID


class MeetingDayChosen(Button, action="pt:d"):
    """The meeting's day picked: its time."""

    project: ID
    day: Day


class MeetingTimeChosen(Button, action="pt:s"):
    """The meeting's start picked: on site or remote?"""

    project: ID
    start: Moment


class MeetingPlaceChosen(Button, action="pt:w"):
    """On site or remote picked: its subject is typed next."""

    project: ID
    start: Moment
    remote: Flag


class AskCancelMeeting(Button, action="pt:x"):
    """Cancel this meeting? (says who will be told)"""

    meeting: ID


class MeetingCancelled(Button, action="pt:y"):
    """Cancel the meeting."""

    meeting: ID


# --------------------------------------------------------------------------- a new project


class NewProject(Button, action="np"):
    """Start a new project's draft."""


class DraftVisibility(Button, action="np:v"):
    """Who can join the new project."""

    visibility: Annotated[Visibility, OneOf(VISIBILITIES)]


class DraftSkipped(Button, action="np:k"):
    """Skip an optional step of the draft."""


class DraftConfirmed(Button, action="np:ok"):
    """Create the project."""


class DraftDropped(Button, action="np:x"):
    """Drop the draft."""


# --------------------------------------------------------------------------- in a group


class GroupProjectChosen(Button, action="lk"):
    """In a group, under /link: link the group to this project."""

    project: ID
