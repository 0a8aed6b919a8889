"""Projects: finding one, viewing it, joining and leaving it (the owners' screens, meetings, a new
project's draft and the group's events live next to this module; feature.py lists them all)."""

from __future__ import annotations

from bot.core.context import Turn, clip
from bot.core.i18n import N_
from bot.core.reply import Reply
from bot.features.projects import keyboards, routes
from models import projects
from models.projects import MembershipStatus, Project, Role, Visibility

PAGE_SIZE = 8
SEARCH_LIMIT = 40
STATUS_NAMES = {
    MembershipStatus.REQUESTED: N_("request waiting for the owners"),
    MembershipStatus.APPROVED: N_("member"),
    MembershipStatus.JOINED: N_("member, in the group"),
}


# --------------------------------------------------------------------------- listing and viewing


async def project_list(turn: Turn) -> Reply:
    """Active projects, a page at a time; "/projects drone" searches names, descriptions and tags."""
    _ = turn._
    press = turn.press if isinstance(turn.press, routes.ProjectList) else None
    page = press.page if press is not None else 0
    search = None
    if press is None and (message := turn.update.effective_message) is not None and message.text:
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
    markup = keyboards.project_list(
        turn.texts, found, page, has_next=total > (page + 1) * PAGE_SIZE, search=search is not None
    )
    return Reply(text=text, markup=markup)


def _project_text(turn: Turn, project: Project, meetings: list[projects.Meeting]) -> str:
    _ = turn._
    texts = turn.texts
    kind = _("open to all") if project.visibility is Visibility.OPEN else _("joining on request")
    lines = [f"{keyboards.icon(project)} {project.name} — {kind}", ""]
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


async def project_view(turn: Turn, project_id: int, toast: str | None = None) -> Reply:
    """A project, and what the member can do with it."""
    project = await projects.get_project(turn.session, project_id)
    mine = projects.membership_of(project, turn.member)
    member_or_owner = mine is not None and mine.status in projects.IN_PROJECT
    # Meetings (and their video links) are for the project's people only.
    meetings = await projects.upcoming_meetings(turn.session, project.id, turn.now) if member_or_owner else []
    markup = keyboards.project(
        turn.texts,
        project,
        mine,
        owner=projects.is_owner(project, turn.member),
        manager=turn.member.is_manager,
        meetings=meetings,
    )
    return Reply(text=_project_text(turn, project, meetings), markup=markup, toast=toast)


async def show_project(turn: Turn) -> Reply:
    """The project pressed."""
    return await project_view(turn, turn.pressed(routes.ProjectChosen).project)


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
    return Reply(text=text, markup=keyboards.my_projects(turn.texts, mine))


# --------------------------------------------------------------------------- joining and leaving


async def join(turn: Turn) -> Reply:
    """Join an open project at once, or ask the owners of an on-request one."""
    _ = turn._
    project_id = turn.pressed(routes.JoinPressed).project
    outcome = await projects.join(turn.session, turn.member, project_id, turn.now)
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
    """Leave the project (a request still waiting is withdrawn instead)."""
    project_id = turn.pressed(routes.LeavePressed).project
    mine = await projects.leave(turn.session, turn.member, project_id, turn.now)
    if projects.withdrew(mine):  # a Leave button shown on a request, before it had its own
        return await _withdrawn(turn, project_id)
    return Reply(text=turn._("You left the project."), markup=keyboards.all_projects(turn.texts))


async def withdraw(turn: Turn) -> Reply:
    """Withdraw a request to join that no owner answered yet."""
    project_id = turn.pressed(routes.WithdrawPressed).project
    await projects.withdraw_request(turn.session, turn.member, project_id, turn.now)
    return await _withdrawn(turn, project_id)


async def _withdrawn(turn: Turn, project_id: int) -> Reply:
    return await project_view(turn, project_id, toast=turn._("Your request is withdrawn."))
