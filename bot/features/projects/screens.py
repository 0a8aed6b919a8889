"""Project groups: /projects, /newproject, joining, owners' management, /link in the group."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import (
    Bot,
    Chat,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError

from bot import keyboards, notifications
from bot.context import Context, Turn, clip, get_desk, screen
from bot.core import routes
from bot.handlers import menu
from bot.i18n import N_, Texts
from bot.reply import Reply
from models import projects
from models.errors import NotFound
from models.opening import local_datetime
from models.projects import BotRights, MembershipStatus, Project, Role, Visibility

log = logging.getLogger(__name__)

PAGE_SIZE = 8
SEARCH_LIMIT = 40
MEMBERS_PAGE = 20
STATUS_NAMES = {
    MembershipStatus.REQUESTED: N_("request waiting for the owners"),
    MembershipStatus.APPROVED: N_("member"),
    MembershipStatus.JOINED: N_("member, in the group"),
}
MISSING_RIGHTS = {
    "admin": N_("make me an administrator of this group"),
    "invite": N_("give me the right to invite users via link"),
    "restrict": N_("give me the right to ban users (to remove members who leave the project)"),
}


def _icon(project: Project) -> str:
    return "🔓" if project.visibility is Visibility.OPEN else "🔐"


# --------------------------------------------------------------------------- listing and viewing


async def project_list(turn: Turn) -> Reply:
    """Active projects, a page at a time; "/projects drone" searches names, descriptions and tags."""
    _ = turn._
    page = turn.args[0] if turn.callback is not None else 0
    search = None
    if turn.callback is None and (message := turn.update.effective_message) is not None and message.text:
        search = " ".join(message.text.split()[1:])[:60] or None
    # A search has no pages (the words cannot ride in the buttons): it shows what fits on one screen.
    limit = SEARCH_LIMIT if search else PAGE_SIZE
    found, total = await projects.find_projects(
        turn.session, search=search, offset=page * PAGE_SIZE, limit=limit
    )
    if search:
        text = turn.texts.ngettext(
            "{count} project matches « {search} »:", "{count} projects match « {search} »:", total
        ).format(count=total, search=search)
    elif total:
        text = _("The lab's projects — 🔓 open to all, 🔐 on request:")
    else:
        text = _("No project yet. Start one!")
    keyboard = [[keyboards.button(f"{_icon(p)} {p.name}", "pj:v", p.id)] for p in found]
    if not search and (row := keyboards.pager(turn.texts, "pj", (), page, total > (page + 1) * PAGE_SIZE)):
        keyboard.append(row)
    keyboard.append(
        [keyboards.button("➕ " + _("New project"), "np"), keyboards.button("📂 " + _("My projects"), "mp")]
    )
    keyboard.append([keyboards.button("🏠 " + _("Main menu"), "menu")])
    return Reply(text=text, markup=InlineKeyboardMarkup(keyboard))


def _project_text(turn: Turn, project: Project, meetings: list[projects.Meeting]) -> str:
    _ = turn._
    texts = turn.texts
    kind = _("open to all") if project.visibility is Visibility.OPEN else _("joining on request")
    lines = [f"{_icon(project)} {project.name} — {kind}", ""]
    if project.description:
        lines += [project.description, ""]
    if project.tag_list:
        lines.append(" ".join(f"#{t}" for t in project.tag_list))
    lines.append(_("Owners: {names}").format(names=", ".join(o.first_name for o in projects.owners(project))))
    count = sum(1 for m in project.memberships if m.status in projects.IN_PROJECT)
    lines.append(texts.ngettext("{count} member", "{count} members", count).format(count=count))
    if project.chat_id is None:
        lines.append(_("No Telegram group linked yet."))
    elif project.chat_lost_at is not None:
        lines.append("⚠️ " + _("The bot cannot let new members into the group for now."))
    if meetings:
        lines += ["", _("Next meetings:")]
        lines += [f"• {texts.day_time(m.starts_at)} — {clip(m.title, 80)}" for m in meetings[:3]]
    return "\n".join(lines)


async def project_view(turn: Turn, project_id: int | None = None, toast: str | None = None) -> Reply:
    """A project, and what the member can do with it."""
    _ = turn._
    project = await projects.get_project(turn.session, project_id or turn.args[0])
    mine = projects.membership_of(project, turn.member)
    member_or_owner = mine is not None and mine.status in projects.IN_PROJECT
    # Meetings (and their video links) are for the project's people only.
    meetings = await projects.upcoming_meetings(turn.session, project.id, turn.now) if member_or_owner else []
    keyboard: list[list[InlineKeyboardButton]] = []
    member = mine is not None and mine.status in projects.IN_PROJECT
    if mine is None or mine.status not in (*projects.IN_PROJECT, MembershipStatus.REQUESTED):
        keyboard.append([keyboards.button("🙋 " + _("Join"), "pj:j", project.id)])
    if member and project.storage_url:
        keyboard.append([InlineKeyboardButton("📁 " + _("Shared folder"), url=project.storage_url)])
    if projects.is_owner(project, turn.member):
        keyboard.append([keyboards.button("🛠 " + _("Requests and members"), "pm", project.id)])
        keyboard.append(
            [
                keyboards.button("📣 " + _("Announcement"), "pa", project.id),
                keyboards.button("📅 " + _("Meeting"), "pt", project.id),
            ]
        )
        keyboard.append([keyboards.button("📢 " + _("Link a channel"), "pc", project.id)])
        keyboard += [
            [
                keyboards.button(
                    "✖ " + _("Cancel the meeting of {when}").format(when=turn.texts.moment(m.starts_at)),
                    "pt:x",
                    m.id,
                )
            ]
            for m in meetings[:3]
        ]
    if projects.is_owner(project, turn.member) or turn.member.is_manager:
        keyboard.append([keyboards.button("🗄 " + _("Archive"), "pz", project.id)])
    if mine is not None and mine.status in projects.IN_PROJECT:
        keyboard.append([keyboards.button("🚪 " + _("Leave"), "pj:l", project.id)])
    elif mine is not None and mine.status is MembershipStatus.REQUESTED:
        keyboard.append([keyboards.button("↩️ " + _("Withdraw my request"), "pj:w", project.id)])
    keyboard.append([keyboards.button("⬅️ " + _("Projects"), "pj", 0)])
    return Reply(
        text=_project_text(turn, project, meetings), markup=InlineKeyboardMarkup(keyboard), toast=toast
    )


async def show_project(turn: Turn) -> Reply:
    return await project_view(turn)


async def my_projects(turn: Turn) -> Reply:
    """The member's projects, and where each of their requests stands."""
    _ = turn._
    mine = await projects.memberships_of(turn.session, turn.member)
    if not mine:
        text = _("You are in no project yet.")
    else:
        lines = [_("Your projects:")]
        for m in mine:
            role = _("owner") if m.role is Role.OWNER else _(STATUS_NAMES[m.status])
            lines.append(f"• {m.project.name} — {role}")
        text = "\n".join(lines)
    keyboard = [
        [keyboards.button(f"{_icon(m.project)} {m.project.name}", "pj:v", m.project.id)] for m in mine
    ]
    keyboard.append([keyboards.button("🧩 " + _("All projects"), "pj", 0)])
    return Reply(text=text, markup=InlineKeyboardMarkup(keyboard))


# --------------------------------------------------------------------------- joining and leaving


async def join(turn: Turn) -> Reply:
    """Join an open project at once, or ask the owners of an on-request one."""
    _ = turn._
    outcome = await projects.join(turn.session, turn.member, turn.args[0], turn.now)
    project = outcome.membership.project
    if outcome.needs_owner:
        toast = _("Your request was sent to the owners of {project}.").format(project=project.name)
    elif outcome.can_invite:
        toast = _("Welcome! I am sending you the link to the group.")
    else:
        names = ", ".join(o.first_name for o in projects.owners(project))
        toast = _("Welcome! The bot cannot invite you to the group for now: ask {owners}.").format(
            owners=names
        )
    return await project_view(turn, project.id, toast)


async def leave(turn: Turn) -> Reply:
    project_id = turn.args[0]
    mine = await projects.leave(turn.session, turn.member, project_id, turn.now)
    if projects.withdrew(mine):  # a Leave button shown on a request, before it had its own
        return await _withdrawn(turn, project_id)
    return Reply(
        text=turn._("You left the project."),
        markup=keyboards.single(turn.texts, "🧩", "All projects", "pj", 0),
    )


async def withdraw(turn: Turn) -> Reply:
    """Withdraw a request to join that no owner answered yet."""
    await projects.withdraw_request(turn.session, turn.member, turn.args[0], turn.now)
    return await _withdrawn(turn, turn.args[0])


async def _withdrawn(turn: Turn, project_id: int) -> Reply:
    return await project_view(turn, project_id, toast=turn._("Your request is withdrawn."))


async def decide(turn: Turn) -> Reply:
    """An owner's answer to a request to join."""
    assert turn.callback is not None
    approve = turn.callback.action.endswith(":a")
    try:
        membership = await projects.decide(turn.session, turn.member, turn.args[0], approve, turn.now)
    except projects.AlreadyDecided as answered:
        # The question no longer stands: the message says why, and loses its Approve/Decline.
        match answered.args:
            case (name, project_id, member) if isinstance(answered, projects.RequestWithdrawn):
                text = notifications.request_withdrawn_text(turn.texts, member, name)
            case (_name, project_id):
                text = turn._("This request was already answered.")
            case _:
                raise
        return Reply(
            text=text,
            toast=text,
            markup=keyboards.single(turn.texts, "🛠", "Requests and members", "pm", project_id),
        )
    who = membership.member.display_name
    text = (
        turn._("{name} is now a member.") if approve else turn._("{name}'s request was declined.")
    ).format(name=who)
    return Reply(
        text="✅ " + text,
        markup=keyboards.single(turn.texts, "🛠", "Requests and members", "pm", membership.project_id),
    )


async def decide_unknown(turn: Turn) -> Reply:
    """An owner's answer to a stranger's join request."""
    assert turn.callback is not None
    approve = turn.callback.action.endswith(":a")
    request = await projects.decide_unknown(turn.session, turn.member, turn.args[0], approve, turn.now)
    text = (turn._("{name} is let into the group.") if approve else turn._("{name} is not let in.")).format(
        name=request.name
    )
    return Reply(text="✅ " + text)


async def manage(turn: Turn) -> Reply:
    """Pending requests (with Approve/Decline) and members (with Remove), for the owners."""
    page = turn.args[1] if turn.callback is not None and turn.callback.action == "pm:p" else 0
    return await _manage(turn, turn.args[0], page)


async def _manage(turn: Turn, project_id: int, page: int = 0) -> Reply:
    _ = turn._
    project = await projects.get_project(turn.session, project_id)
    projects.require_owner(project, turn.member)
    known, unknown = await projects.pending_requests(turn.session, project)
    lines = [f"🛠 {project.name}"]
    keyboard: list[list[InlineKeyboardButton]] = []
    if known or unknown:
        lines += ["", _("Waiting for an answer:")]
    for m in known:
        lines.append(f"• {m.member.display_name}")
        keyboard.append(
            [
                keyboards.button(f"✅ {m.member.first_name}", "pr:a", m.id),
                keyboards.button("✖️ " + _("Decline"), "pr:d", m.id),
            ]
        )
    for r in unknown:
        lines.append(f"• {r.name} ❔")
        keyboard.append(
            [
                keyboards.button(f"✅ {clip(r.name, 20)}", "pq:a", r.id),
                keyboards.button("✖️ " + _("Decline"), "pq:d", r.id),
            ]
        )
    members = sorted(
        (m for m in project.memberships if m.status in projects.IN_PROJECT),
        key=lambda m: (m.role is not Role.OWNER, m.member.first_name.lower(), m.id),
    )
    shown = members[page * MEMBERS_PAGE : (page + 1) * MEMBERS_PAGE]
    lines += ["", _("Members ({count}):").format(count=len(members))]
    for m in shown:
        badge = " 👑" if m.role is Role.OWNER else (" 💬" if m.status is MembershipStatus.JOINED else "")
        lines.append(f"• {m.member.display_name}{badge}")
        if m.role is not Role.OWNER:
            keyboard.append(
                [
                    keyboards.button(
                        "🚫 " + _("Remove {name}").format(name=m.member.first_name), "pm:x", m.id
                    ),
                    keyboards.button("👑 " + _("Co-owner"), "pm:o", m.id),
                ]
            )
    if row := keyboards.pager(
        turn.texts, "pm:p", (project.id,), page, len(members) > (page + 1) * MEMBERS_PAGE
    ):
        keyboard.append(row)
    keyboard.append([keyboards.button("⬅️ " + _("Back"), "pj:v", project.id)])
    return Reply(text="\n".join(lines), markup=InlineKeyboardMarkup(keyboard[:90]))


async def ask_remove(turn: Turn) -> Reply:
    membership = await projects.owned_membership(turn.session, turn.member, turn.args[0])
    text = turn._("Remove {name} from the project and its group?").format(name=membership.member.display_name)
    keyboard = InlineKeyboardMarkup(
        [
            [keyboards.button("🚫 " + turn._("Yes, remove"), "pm:y", membership.id)],
            [keyboards.button("⬅️ " + turn._("No"), "pm", membership.project_id)],
        ]
    )
    return Reply(text=text, markup=keyboard)


async def make_owner(turn: Turn) -> Reply:
    """Share ownership: the member becomes an owner too."""
    membership = await projects.make_owner(turn.session, turn.member, turn.args[0], turn.now)
    reply = await _manage(turn, membership.project_id)
    reply.toast = turn._("{name} is now an owner too.").format(name=membership.member.first_name)
    return reply


async def remove(turn: Turn) -> Reply:
    membership = await projects.remove_member(turn.session, turn.member, turn.args[0], turn.now)
    reply = await _manage(turn, membership.project_id)
    reply.toast = turn._("{name} was removed.").format(name=membership.member.first_name)
    return reply


async def archive_ask(turn: Turn) -> Reply:
    project = await projects.get_project(turn.session, turn.args[0])
    projects.require_owner(project, turn.member, or_manager=True)
    text = turn._("Archive {project}? It will no longer be listed nor joinable.").format(project=project.name)
    keyboard = InlineKeyboardMarkup(
        [
            [keyboards.button("🗄 " + turn._("Yes, archive"), "pz:y", project.id)],
            [keyboards.button("⬅️ " + turn._("No"), "pj:v", project.id)],
        ]
    )
    return Reply(text=text, markup=keyboard)


async def archive(turn: Turn) -> Reply:
    project = await projects.archive(turn.session, turn.member, turn.args[0], turn.now)
    return Reply(
        text="🗄 " + turn._("{project} is archived.").format(project=project.name),
        markup=keyboards.single(turn.texts, "🧩", "All projects", "pj", 0),
    )


# --------------------------------------------------------------------------- announcements and meetings


async def ask_announcement(turn: Turn) -> Reply:
    project = await projects.ask_project_input(
        turn.session, turn.member, turn.args[0], "announcement", turn.now
    )
    text = (
        f"📣 {project.name}\n"
        + turn._("Send the announcement in one message: it goes to the members who are not in the group.")
        + "\n"
        + turn._("/cancel to stop.")
    )
    return Reply(text=text, new_message=True)


async def meeting_day(turn: Turn) -> Reply:
    project = await projects.get_project(turn.session, turn.args[0])
    projects.require_owner(project, turn.member)
    days = [turn.desk.rules.today(turn.now) + timedelta(days=n) for n in range(14)]
    buttons = [
        keyboards.button(turn.texts.short_day(d), "pt:d", project.id, keyboards.date_code(d)) for d in days
    ]
    keyboard = keyboards.rows(buttons, 2)
    keyboard.append(keyboards.nav_row(turn.texts, ("pj:v", (project.id,))))
    return Reply(
        text=f"📅 {project.name}\n\n" + turn._("Which day is the meeting?"),
        markup=InlineKeyboardMarkup(keyboard),
    )


async def meeting_time(turn: Turn) -> Reply:
    project = await projects.get_project(turn.session, turn.args[0])
    projects.require_owner(project, turn.member)
    code = turn.args[1]
    day = routes.day_arg(code)
    if not turn.desk.rules.today(turn.now) <= day <= turn.desk.rules.today(turn.now) + timedelta(days=13):
        raise NotFound(f"day {code}")
    starts = [local_datetime(day, minute, turn.texts.tz) for minute in range(8 * 60, 22 * 60, 30)]
    starts = [s for s in starts if s > turn.now]
    buttons = [
        keyboards.button(turn.texts.time(s), "pt:s", project.id, keyboards.epoch_minutes(s)) for s in starts
    ]
    keyboard = keyboards.rows(buttons, 4)
    keyboard.append(keyboards.nav_row(turn.texts, ("pt", (project.id,))))
    text = f"📅 {project.name} — {turn.texts.day(day)}\n\n" + turn._("At what time?")
    return Reply(text=text, markup=InlineKeyboardMarkup(keyboard))


async def meeting_where(turn: Turn) -> Reply:
    project = await projects.get_project(turn.session, turn.args[0])
    projects.require_owner(project, turn.member)
    minute = turn.args[1]
    keyboard = InlineKeyboardMarkup(
        [
            [keyboards.button("🏠 " + turn._("On site, at the lab"), "pt:w", project.id, minute, 0)],
            [keyboards.button("💻 " + turn._("Remote"), "pt:w", project.id, minute, 1)],
            keyboards.nav_row(turn.texts, ("pt", (project.id,))),
        ]
    )
    return Reply(text=f"📅 {project.name}\n\n" + turn._("Where?"), markup=keyboard)


async def meeting_text(turn: Turn) -> Reply:
    project_id, minute, remote = turn.args
    starts_at = routes.moment_arg(minute)
    project = await projects.ask_project_input(
        turn.session, turn.member, project_id, "meeting", turn.now, starts_at=starts_at, remote=remote == 1
    )
    prompt = (
        turn._("Send the meeting's subject in one message (with the video link for a remote one).")
        if remote
        else turn._("Send the meeting's subject in one message.")
    )
    return Reply(
        text=f"📅 {project.name} — {turn.texts.day_time(starts_at)}\n"
        + prompt
        + "\n"
        + turn._("/cancel to stop."),
        new_message=True,
    )


async def ask_cancel_meeting(turn: Turn) -> Reply:
    """Cancel this meeting? (Say who will be told.)"""
    meeting = await projects.get_meeting(turn.session, turn.args[0])
    project = await projects.get_project(turn.session, meeting.project_id)
    projects.require_owner(project, turn.member)
    when = turn.texts.day_time(meeting.starts_at)
    text = f"📅 {project.name} — {when}\n{clip(meeting.title, 200)}\n\n" + turn._(
        "Cancel this meeting? The project's members are told. (To move it, cancel it and plan it again.)"
    )
    keyboard = InlineKeyboardMarkup(
        [
            [keyboards.button("✖ " + turn._("Cancel the meeting"), "pt:y", meeting.id)],
            keyboards.nav_row(turn.texts, ("pj:v", (project.id,))),
        ]
    )
    return Reply(text=text, markup=keyboard)


async def cancel_meeting(turn: Turn) -> Reply:
    """Cancel the meeting; the project's members are told."""
    done = await projects.cancel_meeting(turn.session, turn.member, turn.args[0], turn.now)
    when = turn.texts.day_time(done.meeting.starts_at)
    if done.already:
        toast = turn._("This meeting was already cancelled: {when}.").format(when=when)
    else:
        toast = (
            turn._("Meeting cancelled: {when}.").format(when=when)
            + " "
            + turn.texts.ngettext("{count} member was told.", "{count} members were told.", done.told).format(
                count=done.told
            )
        )
    return await project_view(turn, done.project.id, toast=toast)


async def took_project_input(turn: Turn, text: str) -> Reply:
    posted = await projects.give_project_input(turn.session, turn.member, text, turn.now)
    if posted.expired:
        return Reply(
            text=turn._("The meeting's time has passed meanwhile: nothing was planned. Pick a time again."),
            markup=keyboards.single(turn.texts, "📅", "Meeting", "pt", posted.project.id),
        )
    if posted.meeting is not None:
        minutes = int(turn.desk.settings.meeting_reminder_minutes)
        when = turn.texts.day_time(posted.meeting.starts_at)
        body = (
            turn._("Meeting planned: {when}.").format(when=when)
            + " "
            + turn.texts.ngettext(
                "{count} member will be reminded {minutes} minutes before.",
                "{count} members will be reminded {minutes} minutes before.",
                posted.reached,
            ).format(count=posted.reached, minutes=minutes)
        )
    else:
        body = turn.texts.ngettext(
            "Announcement sent to {count} member.", "Announcement sent to {count} members.", posted.reached
        ).format(count=posted.reached)
    return Reply(
        text="✅ " + body, markup=keyboards.single(turn.texts, "⬅️", "Back", "pj:v", posted.project.id)
    )


# --------------------------------------------------------------------------- creating


def _draft_prompt(turn: Turn, draft: projects.ProjectDraft) -> Reply:
    _ = turn._
    cancel = [keyboards.button("✖️ " + _("Cancel"), "np:x")]
    if draft.stage == "name":
        return Reply(
            text="🧩 " + _("A new project! What is its name?"),
            markup=InlineKeyboardMarkup([cancel]),
            new_message=True,
        )
    if draft.stage == "description":
        return Reply(
            text=_("Describe {name} in a few lines: what you make, who it is for.").format(name=draft.name),
            markup=InlineKeyboardMarkup([cancel]),
            new_message=True,
        )
    if draft.stage == "visibility":
        return Reply(
            text=_("Who can join?"),
            markup=InlineKeyboardMarkup(
                [
                    [keyboards.button("🔓 " + _("Anyone (open)"), "np:v", 0)],
                    [keyboards.button("🔐 " + _("On request (an owner approves)"), "np:v", 1)],
                    cancel,
                ]
            ),
            new_message=True,
        )
    if draft.stage == "tags":
        return Reply(
            text=_("A few tags to be found by, separated by commas (e.g. drones, électronique)."),
            markup=InlineKeyboardMarkup([[keyboards.button("⏭ " + _("Skip"), "np:k")], cancel]),
            new_message=True,
        )
    if draft.stage == "link":
        return Reply(
            text=_("A link to the project's shared folder or repository (https://…)?"),
            markup=InlineKeyboardMarkup([[keyboards.button("⏭ " + _("Skip"), "np:k")], cancel]),
            new_message=True,
        )
    kind = _("open to all") if draft.visibility is Visibility.OPEN else _("joining on request")
    lines = [_("Create this project?"), "", f"🧩 {draft.name} — {kind}", draft.description or ""]
    if draft.tags:
        lines.append(" ".join(f"#{t}" for t in draft.tags.split(",")))
    if draft.storage_url:
        lines.append(f"📁 {draft.storage_url}")
    return Reply(
        text="\n".join(lines),
        markup=InlineKeyboardMarkup([[keyboards.button("✅ " + _("Create"), "np:ok")], cancel]),
        new_message=True,
    )


async def new_project(turn: Turn) -> Reply:
    draft = await projects.start_project(turn.session, turn.member, turn.now)
    return _draft_prompt(turn, draft)


async def took_draft_text(turn: Turn, text: str) -> Reply:
    draft = await projects.draft_answer(turn.session, turn.member, text, turn.now)
    return _draft_prompt(turn, draft)


async def draft_visibility(turn: Turn) -> Reply:
    if turn.args[0] > 1:
        raise NotFound("visibility")
    visibility = Visibility.OPEN if turn.args[0] == 0 else Visibility.ON_REQUEST
    draft = await projects.draft_choose(turn.session, turn.member, turn.now, visibility=visibility)
    return _draft_prompt(turn, draft)


async def draft_skip(turn: Turn) -> Reply:
    draft = await projects.draft_choose(turn.session, turn.member, turn.now, skip=True)
    return _draft_prompt(turn, draft)


async def draft_create(turn: Turn) -> Reply:
    project = await projects.create_project(turn.session, turn.member, turn.now)
    reply = await project_view(turn, project.id)
    reply.text = (
        "🎉 "
        + turn._(
            "{project} is created. To give it a Telegram group: add me to the group as an administrator, "
            "then send /link there."
        ).format(project=project.name)
        + "\n\n"
        + (reply.text or "")
    )
    return reply


async def draft_cancel(turn: Turn) -> Reply:
    await projects.drop_project_inputs(turn.session, turn.member)
    return Reply(text=turn._("Cancelled. Nothing was changed."), markup=keyboards.back_to_menu(turn.texts))


# --------------------------------------------------------------------------- the group: /link, join requests


def rights_of(member: object) -> BotRights:
    """The bot's rights from a ChatMember object."""
    if isinstance(member, ChatMemberOwner):
        return BotRights(admin=True, can_invite=True, can_restrict=True)
    if isinstance(member, ChatMemberAdministrator):
        return BotRights(
            admin=True,
            can_invite=bool(member.can_invite_users),
            can_restrict=bool(member.can_restrict_members),
        )
    return BotRights(admin=False, can_invite=False, can_restrict=False)


def _missing_text(texts: Texts, rights: BotRights, *, channel: str | None = None) -> str:
    """What the bot still needs in the group (or in the channel of that title)."""
    _ = texts.gettext
    if channel is None:
        head, admin = _("I cannot manage this group yet. Please:"), _(MISSING_RIGHTS["admin"])
    else:
        head = _("I cannot manage the channel {channel} yet. Please:").format(channel=channel)
        admin = _("make me an administrator of the channel")
    lines = [admin if code == "admin" else _(MISSING_RIGHTS[code]) for code in rights.missing]
    return "\n".join([head] + [f"• {line}" for line in lines])


def _link_screen(rights: BotRights, chosen: int | None, sender_is_admin: bool):
    async def render(turn: Turn) -> Reply:
        chat = turn.update.effective_chat
        assert chat is not None
        if rights.missing:
            return Reply(text=_missing_text(turn.texts, rights), new_message=True)
        if chosen is None:
            owned = await projects.linkable_projects(turn.session, turn.member)
            if not owned:
                return Reply(
                    text=turn._(
                        "Only the owner of a project can link a group to it. "
                        "Create one with /newproject in a private chat with me."
                    ),
                    new_message=True,
                )
            if len(owned) > 1:
                keyboard = [[keyboards.button(p.name, "lk", p.id)] for p in owned]
                return Reply(
                    text=turn._("Which project is this group for?"),
                    markup=InlineKeyboardMarkup(keyboard),
                    new_message=True,
                )
            project_id = owned[0].id
        else:
            project_id = chosen
        project = await projects.link_chat(
            turn.session,
            turn.member,
            project_id,
            chat.id,
            chat.title or "",
            rights,
            turn.now,
            sender_is_admin=sender_is_admin,
        )
        return Reply(
            text="✅ "
            + turn._("This group is now the group of {project}: I will let its members in.").format(
                project=project.name
            ),
        )

    return render


async def _bot_rights(bot: Bot, chat_id: int) -> BotRights:
    try:
        return rights_of(await bot.get_chat_member(chat_id, bot.id))
    except TelegramError as exc:
        log.info("could not read the bot's rights in %s: %s", chat_id, exc)
        return BotRights(admin=False, can_invite=False, can_restrict=False)


async def _sender_is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the person is an administrator (or the creator) of the group or channel."""
    try:
        status = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("could not read a member's status in %s: %s", chat_id, exc)
        return False
    return isinstance(status, (ChatMemberOwner, ChatMemberAdministrator))


async def link_command(update: Update, context: Context) -> None:
    """/link in a group: check the bot's rights and the sender's, then link the group to their project."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type not in ("group", "supergroup"):
        return
    rights = await _bot_rights(context.bot, chat.id)
    admin = await _sender_is_admin(context.bot, chat.id, user.id)
    await screen(_link_screen(rights, None, admin))(update, context)


async def link_pressed(update: Update, context: Context) -> None:
    """The project chosen for a group (buttons under /link)."""
    chat, user, query = update.effective_chat, update.effective_user, update.callback_query
    if user is None or query is None:  # pragma: no cover - a callback query always has both
        return
    if chat is None or chat.type not in ("group", "supergroup"):
        # Such a button exists in groups only: pressed elsewhere, it is stale or forged, and still
        # gets its answer (an unanswered press leaves the person's button spinning).
        await screen(menu.stale_button)(update, context)
        return
    from bot.callbacks import parse

    parsed = parse(query.data)
    rights = await _bot_rights(context.bot, chat.id)
    admin = await _sender_is_admin(context.bot, chat.id, user.id)
    await screen(_link_screen(rights, parsed.args[0] if parsed else -1, admin))(update, context)


async def ask_channel(turn: Turn) -> Reply:
    """Link a channel to the project: say how (a channel has no sender to answer /link)."""
    project = await projects.ask_project_input(turn.session, turn.member, turn.args[0], "channel", turn.now)
    text = (
        f"📢 {project.name}\n"
        + turn._(
            "To link a channel: add me to it as an administrator (with the rights to invite users via "
            "link and to ban users), then forward me one of its messages here."
        )
        + "\n"
        + turn._("/cancel to stop.")
    )
    return Reply(text=text, new_message=True)


@dataclass(frozen=True)
class ChannelCheck:
    """A channel a private message was forwarded from: the bot's rights there, and whether the
    sender administers it (read from Telegram before the update's transaction opens)."""

    chat: Chat
    rights: BotRights
    sender_is_admin: bool


async def check_channel(bot: Bot, chat: Chat, user_id: int) -> ChannelCheck:
    return ChannelCheck(chat, await _bot_rights(bot, chat.id), await _sender_is_admin(bot, chat.id, user_id))


async def took_channel(turn: Turn, check: ChannelCheck) -> Reply:
    """A message forwarded from a channel, after "Link a channel": link it if both rights are there."""
    if check.rights.missing:
        return Reply(text=_missing_text(turn.texts, check.rights, channel=check.chat.title or ""))
    if not check.sender_is_admin:
        return Reply(text=turn._("Only an administrator of the channel can link it to a project."))
    channel = check.chat
    project = await projects.link_channel(
        turn.session,
        turn.member,
        channel.id,
        channel.title or "",
        check.rights,
        turn.now,
        sender_is_admin=True,
    )
    text = "✅ " + turn._("{channel} is now the channel of {project}: I will let its members in.").format(
        channel=channel.title or "", project=project.name
    )
    return Reply(text=text, markup=keyboards.single(turn.texts, "⬅️", "Back", "pj:v", project.id))


async def link_elsewhere(turn: Turn) -> Reply:
    """/link sent to the bot in private: say where it goes."""
    return Reply(
        text=turn._(
            "Send /link in your project's Telegram group, after adding me to it as an administrator "
            "(with the rights to invite users via link and to ban users)."
        )
        + "\n"
        + turn._("For a channel, press Link a channel on the project's screen.")
    )


async def link_in_channel(update: Update, context: Context) -> None:
    """/link posted in a channel: nobody can be told apart there; say how a channel is linked."""
    chat = update.effective_chat
    if chat is None:
        return
    texts = get_desk(context).texts()
    try:
        await context.bot.send_message(
            chat.id,
            texts.gettext(
                "To link this channel to a project: open the project in a private chat with me, press "
                "Link a channel, and forward me a message from here."
            ),
        )
    except TelegramError as exc:
        log.info("could not answer /link in channel %s: %s", chat.id, exc)


async def on_member_status(update: Update, context: Context) -> None:
    """Someone joined or left a group by themselves: keep the project's "in the group" right."""
    change = update.chat_member
    if change is None:
        return
    in_group = change.new_chat_member.status in ("member", "administrator", "creator", "restricted")
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        await projects.member_moved(
            session, change.chat.id, change.new_chat_member.user.id, in_group, desk.clock()
        )


async def on_migration(update: Update, context: Context) -> None:
    """A group became a supergroup (a new chat id): the project follows it."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        await projects.chat_migrated(session, message.chat.id, message.migrate_to_chat_id)
    desk.wake_outbox(context)


async def on_join_request(update: Update, context: Context) -> None:
    """Telegram asks whether someone may join a group: decide from what fabdesk knows."""
    request = update.chat_join_request
    if request is None:
        return
    desk = get_desk(context)
    user = request.from_user
    async with desk.sessions.begin() as session:
        decision = await projects.handle_join_request(
            session, request.chat.id, user.id, user.full_name, desk.clock()
        )
    if decision is not None:
        desk.wake_outbox(context)


async def on_bot_status(update: Update, context: Context) -> None:
    """The bot's rights changed in a group: a project's owners are told when it can no longer invite."""
    change = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup", "channel"):
        return
    desk = get_desk(context)
    async with desk.sessions.begin() as session:
        project = await projects.bot_rights_changed(
            session, change.chat.id, rights_of(change.new_chat_member), desk.clock()
        )
    if project is not None:
        desk.wake_outbox(context)
