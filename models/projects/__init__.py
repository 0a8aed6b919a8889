"""Project groups: find a project, ask to join, get into its Telegram group; owners coordinate.

Joining goes through Telegram's own join requests: fabdesk hands out invite links that create a
join request, and decides each request from what it knows (an accepted member is let in, a
declined or removed one is not, a stranger is put to the owners). What must happen in Telegram
(approving a join request, removing someone from the group) is written to the outbox with the
change, so it is done even across a crash.

The package, in the order its modules build on one another:
    tables      the tables, their enums and limits
    errors      why an action is refused
    notices     what owners, members and groups are told
    texts       checks on what owners type
    lookup      finding projects and who is who in them (reads only)
    admission   letting an accepted member into the group; actions queued for the group
    drafts      creating a project (/newproject)
    joining     a member joins, withdraws a request, leaves; Telegram's join requests
    decisions   what the owners decide
    groups      linking the group and following what Telegram says of it
    inputs      an owner's next message: an announcement, a meeting's subject, a channel's post
    meetings    listing, cancelling and reminding meetings
Callers import from `models.projects` itself (the names below).
"""

from __future__ import annotations

from models.projects.decisions import (
    archive,
    close_project,
    decide,
    decide_unknown,
    make_owner,
    owned_membership,
    remove_member,
)
from models.projects.drafts import (
    create_project,
    current_project_draft,
    draft_answer,
    draft_choose,
    start_project,
)
from models.projects.errors import (
    AlreadyDecided,
    AlreadyMember,
    BadProjectText,
    DuplicateName,
    ForwardExpected,
    GroupTaken,
    LastOwner,
    MeetingStarted,
    NeedsLink,
    NoGroup,
    NotGroupAdmin,
    OwnersOnly,
    RequestWithdrawn,
)
from models.projects.groups import (
    BotRights,
    bot_rights_changed,
    chat_migrated,
    link_chat,
    linkable_projects,
    member_moved,
)
from models.projects.inputs import (
    Posted,
    ask_project_input,
    awaits_channel,
    drop_project_inputs,
    give_project_input,
    link_channel,
    pending_project_input,
)
from models.projects.joining import JoinOutcome, handle_join_request, join, leave, withdraw_request
from models.projects.lookup import (
    audience,
    find_projects,
    get_project,
    is_owner,
    membership_of,
    memberships_of,
    owners,
    pending_requests,
    require_owner,
    withdrew,
)
from models.projects.meetings import (
    CancelledMeeting,
    cancel_meeting,
    get_meeting,
    remind_meetings,
    upcoming_meetings,
)
from models.projects.notices import (
    ChatAction,
    MeetingCancelled,
    MeetingReminder,
    ProjectAnnouncement,
    ProjectArchived,
    ProjectDecision,
    ProjectInvite,
    ProjectJoinRequest,
    ProjectOwner,
    ProjectRemoved,
    ProjectRequestWithdrawn,
    ProjectRightsLost,
    ProjectUnknownJoin,
)
from models.projects.tables import (
    IN_PROJECT,
    MAX_ANNOUNCEMENT,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_TAGS,
    MEETING_AHEAD,
    ChatJoinRequest,
    JoinDecision,
    Meeting,
    MembershipStatus,
    Project,
    ProjectDraft,
    ProjectInput,
    ProjectMember,
    ProjectStatus,
    Role,
    Visibility,
)
from models.projects.texts import check_url, clean_text, parse_tags

__all__ = [
    "IN_PROJECT",
    "MAX_ANNOUNCEMENT",
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "MAX_TAGS",
    "MEETING_AHEAD",
    "AlreadyDecided",
    "AlreadyMember",
    "BadProjectText",
    "BotRights",
    "CancelledMeeting",
    "ChatAction",
    "ChatJoinRequest",
    "DuplicateName",
    "ForwardExpected",
    "GroupTaken",
    "JoinDecision",
    "JoinOutcome",
    "LastOwner",
    "Meeting",
    "MeetingCancelled",
    "MeetingReminder",
    "MeetingStarted",
    "MembershipStatus",
    "NeedsLink",
    "NoGroup",
    "NotGroupAdmin",
    "OwnersOnly",
    "Posted",
    "Project",
    "ProjectAnnouncement",
    "ProjectArchived",
    "ProjectDecision",
    "ProjectDraft",
    "ProjectInput",
    "ProjectInvite",
    "ProjectJoinRequest",
    "ProjectMember",
    "ProjectOwner",
    "ProjectRemoved",
    "ProjectRequestWithdrawn",
    "ProjectRightsLost",
    "ProjectStatus",
    "ProjectUnknownJoin",
    "RequestWithdrawn",
    "Role",
    "Visibility",
    "archive",
    "ask_project_input",
    "audience",
    "awaits_channel",
    "bot_rights_changed",
    "cancel_meeting",
    "chat_migrated",
    "check_url",
    "clean_text",
    "close_project",
    "create_project",
    "current_project_draft",
    "decide",
    "decide_unknown",
    "draft_answer",
    "draft_choose",
    "drop_project_inputs",
    "find_projects",
    "get_meeting",
    "get_project",
    "give_project_input",
    "handle_join_request",
    "is_owner",
    "join",
    "leave",
    "link_channel",
    "link_chat",
    "linkable_projects",
    "make_owner",
    "member_moved",
    "membership_of",
    "memberships_of",
    "owned_membership",
    "owners",
    "parse_tags",
    "pending_project_input",
    "pending_requests",
    "remind_meetings",
    "remove_member",
    "require_owner",
    "start_project",
    "upcoming_meetings",
    "withdraw_request",
    "withdrew",
]
