"""The projects' keyboards: pure functions from what the screen shows to the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.context import clip
from bot.core.i18n import Texts
from bot.core.routes import Button
from bot.features.keyboards import button, menu_button, nav_row, pager, rows
from bot.features.projects import routes
from models import projects
from models.projects import (
    ChatJoinRequest,
    Meeting,
    MembershipStatus,
    Project,
    ProjectMember,
    Role,
    Visibility,
)


def icon(project: Project) -> str:
    return "🔓" if project.visibility is Visibility.OPEN else "🔐"


def _one(text: str, press: Button) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(text, press)]])


# --------------------------------------------------------------------------- browsing


def project_list(
    texts: Texts, found: Sequence[Project], page: int, *, has_next: bool, search: bool
) -> InlineKeyboardMarkup:
    """A page of projects (a search has one page only), then New project / My projects and the menu."""
    _ = texts.gettext
    keyboard = [[button(f"{icon(p)} {p.name}", routes.ProjectChosen(p.id))] for p in found]
    if not search and (row := pager(texts, page, has_next, routes.ProjectList)):
        keyboard.append(row)
    keyboard.append(
        [
            button("➕ " + _("New project"), routes.NewProject()),
            button("📂 " + _("My projects"), routes.MyProjects()),
        ]
    )
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def project(
    texts: Texts,
    project: Project,
    mine: ProjectMember | None,
    *,
    owner: bool,
    manager: bool,
    meetings: Sequence[Meeting],
) -> InlineKeyboardMarkup:
    """What the member can do with the project: join or leave it, and for its owners, run it."""
    _ = texts.gettext
    keyboard: list[list[InlineKeyboardButton]] = []
    member = mine is not None and mine.status in projects.IN_PROJECT
    if mine is None or mine.status not in (*projects.IN_PROJECT, MembershipStatus.REQUESTED):
        keyboard.append([button("🙋 " + _("Join"), routes.JoinPressed(project.id))])
    if member and project.storage_url:
        keyboard.append([InlineKeyboardButton("📁 " + _("Shared folder"), url=project.storage_url)])
    if owner:
        keyboard.append([button("🛠 " + _("Requests and members"), routes.ManageMembers(project.id))])
        keyboard.append(
            [
                button("📣 " + _("Announcement"), routes.WriteAnnouncement(project.id)),
                button("📅 " + _("Meeting"), routes.PlanMeeting(project.id)),
            ]
        )
        keyboard.append([button("📢 " + _("Link a channel"), routes.LinkChannel(project.id))])
        keyboard += [
            [
                button(
                    "✖ " + _("Cancel the meeting of {when}").format(when=texts.moment(m.starts_at)),
                    routes.AskCancelMeeting(m.id),
                )
            ]
            for m in meetings[:3]
        ]
    if owner or manager:
        keyboard.append([button("🗄 " + _("Archive"), routes.AskArchive(project.id))])
    if member:
        keyboard.append([button("🚪 " + _("Leave"), routes.LeavePressed(project.id))])
    elif mine is not None and mine.status is MembershipStatus.REQUESTED:
        keyboard.append([button("↩️ " + _("Withdraw my request"), routes.WithdrawPressed(project.id))])
    keyboard.append([button("⬅️ " + _("Projects"), routes.ProjectList(0))])
    return InlineKeyboardMarkup(keyboard)


def my_projects(texts: Texts, mine: Sequence[ProjectMember]) -> InlineKeyboardMarkup:
    keyboard = [
        [button(f"{icon(m.project)} {m.project.name}", routes.ProjectChosen(m.project.id))] for m in mine
    ]
    keyboard.append([button("🧩 " + texts.gettext("All projects"), routes.ProjectList(0))])
    return InlineKeyboardMarkup(keyboard)


def all_projects(texts: Texts) -> InlineKeyboardMarkup:
    return _one("🧩 " + texts.gettext("All projects"), routes.ProjectList(0))


def back_to_project(texts: Texts, project_id: int) -> InlineKeyboardMarkup:
    return _one("⬅️ " + texts.gettext("Back"), routes.ProjectChosen(project_id))


# --------------------------------------------------------------------------- the owners


def to_members(texts: Texts, project_id: int) -> InlineKeyboardMarkup:
    """The way to the owners' screen, under the answer to a request."""
    return _one("🛠 " + texts.gettext("Requests and members"), routes.ManageMembers(project_id))


# Telegram takes at most 100 buttons a keyboard: rows past this many are left out.
MAX_MANAGE_ROWS = 90


def manage(
    texts: Texts,
    project: Project,
    known: Sequence[ProjectMember],
    unknown: Sequence[ChatJoinRequest],
    shown: Sequence[ProjectMember],
    page: int,
    *,
    has_next: bool,
) -> InlineKeyboardMarkup:
    """Approve / Decline each request, Remove / Co-owner each member shown, pages, Back."""
    _ = texts.gettext
    keyboard: list[list[InlineKeyboardButton]] = []
    for m in known:
        keyboard.append(
            [
                button(f"✅ {m.member.first_name}", routes.RequestApproved(m.id)),
                button("✖️ " + _("Decline"), routes.RequestDeclined(m.id)),
            ]
        )
    for r in unknown:
        keyboard.append(
            [
                button(f"✅ {clip(r.name, 20)}", routes.StrangerApproved(r.id)),
                button("✖️ " + _("Decline"), routes.StrangerDeclined(r.id)),
            ]
        )
    for m in shown:
        if m.role is not Role.OWNER:
            keyboard.append(
                [
                    button(
                        "🚫 " + _("Remove {name}").format(name=m.member.first_name), routes.AskRemove(m.id)
                    ),
                    button("👑 " + _("Co-owner"), routes.MakeCoOwner(m.id)),
                ]
            )
    if row := pager(texts, page, has_next, lambda shown: routes.MembersPage(project.id, shown)):
        keyboard.append(row)
    keyboard.append([button("⬅️ " + _("Back"), routes.ProjectChosen(project.id))])
    return InlineKeyboardMarkup(keyboard[:MAX_MANAGE_ROWS])


def confirm_remove(texts: Texts, membership: ProjectMember) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🚫 " + texts.gettext("Yes, remove"), routes.RemoveConfirmed(membership.id))],
            [button("⬅️ " + texts.gettext("No"), routes.ManageMembers(membership.project_id))],
        ]
    )


def confirm_archive(texts: Texts, project: Project) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("🗄 " + texts.gettext("Yes, archive"), routes.ArchiveConfirmed(project.id))],
            [button("⬅️ " + texts.gettext("No"), routes.ProjectChosen(project.id))],
        ]
    )


# --------------------------------------------------------------------------- meetings


def meeting_days(texts: Texts, project: Project, days: Sequence[date]) -> InlineKeyboardMarkup:
    keyboard = rows([button(texts.short_day(d), routes.MeetingDayChosen(project.id, d)) for d in days], 2)
    keyboard.append(nav_row(texts, routes.ProjectChosen(project.id)))
    return InlineKeyboardMarkup(keyboard)


def meeting_times(texts: Texts, project: Project, starts: Sequence[datetime]) -> InlineKeyboardMarkup:
    keyboard = rows([button(texts.time(s), routes.MeetingTimeChosen(project.id, s)) for s in starts], 4)
    keyboard.append(nav_row(texts, routes.PlanMeeting(project.id)))
    return InlineKeyboardMarkup(keyboard)


def meeting_places(texts: Texts, project: Project, start: datetime) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [
                button(
                    "🏠 " + _("On site, at the lab"),
                    routes.MeetingPlaceChosen(project.id, start, remote=False),
                )
            ],
            [button("💻 " + _("Remote"), routes.MeetingPlaceChosen(project.id, start, remote=True))],
            nav_row(texts, routes.PlanMeeting(project.id)),
        ]
    )


def confirm_cancel_meeting(texts: Texts, meeting: Meeting) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button("✖ " + texts.gettext("Cancel the meeting"), routes.MeetingCancelled(meeting.id))],
            nav_row(texts, routes.ProjectChosen(meeting.project_id)),
        ]
    )


def plan_again(texts: Texts, project_id: int) -> InlineKeyboardMarkup:
    """A meeting whose time passed while its subject was typed: pick a time again."""
    return _one("📅 " + texts.gettext("Meeting"), routes.PlanMeeting(project_id))


# --------------------------------------------------------------------------- a new project


def draft_cancel(texts: Texts) -> list[InlineKeyboardButton]:
    return [button("✖️ " + texts.gettext("Cancel"), routes.DraftDropped())]


def draft_step(texts: Texts, *, skippable: bool = False) -> InlineKeyboardMarkup:
    """Cancel, and Skip for an optional step."""
    skip = [[button("⏭ " + texts.gettext("Skip"), routes.DraftSkipped())]] if skippable else []
    return InlineKeyboardMarkup([*skip, draft_cancel(texts)])


def draft_visibility(texts: Texts) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🔓 " + _("Anyone (open)"), routes.DraftVisibility(Visibility.OPEN))],
            [
                button(
                    "🔐 " + _("On request (an owner approves)"), routes.DraftVisibility(Visibility.ON_REQUEST)
                )
            ],
            draft_cancel(texts),
        ]
    )


def draft_confirm(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button("✅ " + texts.gettext("Create"), routes.DraftConfirmed())], draft_cancel(texts)]
    )


# --------------------------------------------------------------------------- in a group


def group_projects(owned: Sequence[Project]) -> InlineKeyboardMarkup:
    """Under /link in a group: which of the sender's projects the group is for."""
    return InlineKeyboardMarkup([[button(p.name, routes.GroupProjectChosen(p.id))] for p in owned])
