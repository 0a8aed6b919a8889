"""The projects feature as the app factory registers it: its commands, its buttons' screens, and
the group and channel events it answers."""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core import routes as core_routes
from bot.core.feature import Feature
from bot.core.inputs import Awaited, typed_answer
from bot.features.projects import drafts, groups, meetings, owners, routes, screens
from models import projects

FEATURE = Feature(
    name="projects",
    commands={
        "projects": screens.project_list,
        "newproject": drafts.new_project,
        "myprojects": screens.my_projects,
        "link": groups.link_elsewhere,  # in private: say where /link goes
    },
    presses={
        routes.ProjectList: screens.project_list,
        routes.ProjectChosen: screens.show_project,
        routes.JoinPressed: screens.join,
        routes.LeavePressed: screens.leave,
        routes.WithdrawPressed: screens.withdraw,
        routes.MyProjects: screens.my_projects,
        routes.RequestApproved: owners.approve_request,
        routes.RequestDeclined: owners.decline_request,
        routes.StrangerApproved: owners.approve_stranger,
        routes.StrangerDeclined: owners.decline_stranger,
        routes.ManageMembers: owners.manage,
        routes.MembersPage: owners.manage,
        routes.MakeCoOwner: owners.make_owner,
        routes.AskRemove: owners.ask_remove,
        routes.RemoveConfirmed: owners.remove,
        routes.WriteAnnouncement: meetings.ask_announcement,
        routes.LinkChannel: groups.ask_channel,
        routes.PlanMeeting: meetings.meeting_day,
        routes.MeetingDayChosen: meetings.meeting_time,
        routes.MeetingTimeChosen: meetings.meeting_where,
        routes.MeetingPlaceChosen: meetings.meeting_text,
        routes.AskCancelMeeting: meetings.ask_cancel_meeting,
        routes.MeetingCancelled: meetings.cancel_meeting,
        routes.AskArchive: owners.archive_ask,
        routes.ArchiveConfirmed: owners.archive,
        routes.NewProject: drafts.new_project,
        routes.DraftVisibility: drafts.draft_visibility,
        routes.DraftSkipped: drafts.draft_skip,
        routes.DraftConfirmed: drafts.draft_create,
        routes.DraftDropped: drafts.draft_cancel,
        # routes.GroupProjectChosen: pressed in a group, answered by its own handler below.
    },
    handlers=[
        # In a project's group: link it (the only command the bot answers in groups).
        CommandHandler("link", groups.link_command, filters=filters.ChatType.GROUPS),
        MessageHandler(
            filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/link(@\w+)?\b"), groups.link_in_channel
        ),
        CallbackQueryHandler(groups.link_pressed, pattern=core_routes.pattern(routes.GroupProjectChosen)),
        # Telegram's own events about project groups.
        ChatJoinRequestHandler(groups.on_join_request),
        ChatMemberHandler(groups.on_bot_status, ChatMemberHandler.MY_CHAT_MEMBER),
        ChatMemberHandler(groups.on_member_status, ChatMemberHandler.CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migration),
    ],
    awaits=[
        Awaited(groups.took_forward, before=groups.check_forward),
        typed_answer(
            lambda turn: projects.pending_project_input(turn.session, turn.member),
            meetings.took_project_input,
        ),
        typed_answer(
            lambda turn: projects.current_project_draft(turn.session, turn.member), drafts.took_draft_text
        ),
    ],
)
