"""What a project's owners do: answer requests to join, manage members, archive the project."""

from __future__ import annotations

from bot.core.context import Turn
from bot.core.reply import Reply
from bot.features.projects import keyboards, messages, routes
from models import projects
from models.projects import MembershipStatus, Role

MEMBERS_PAGE = 20


async def approve_request(turn: Turn) -> Reply:
    """An owner lets a member's request to join in."""
    return await _decide(turn, turn.pressed(routes.RequestApproved).membership, approve=True)


async def decline_request(turn: Turn) -> Reply:
    """An owner declines a member's request to join."""
    return await _decide(turn, turn.pressed(routes.RequestDeclined).membership, approve=False)


async def _decide(turn: Turn, membership_id: int, *, approve: bool) -> Reply:
    try:
        membership = await projects.decide(turn.session, turn.member, membership_id, approve, turn.now)
    except projects.AlreadyDecided as answered:
        # The question no longer stands: the message says why, and loses its Approve/Decline.
        match answered.args:
            case (name, project_id, member) if isinstance(answered, projects.RequestWithdrawn):
                text = messages.request_withdrawn_text(turn.texts, member, name)
            case (_name, project_id):
                text = turn._("This request was already answered.")
            case _:
                raise
        return Reply(text=text, toast=text, markup=keyboards.to_members(turn.texts, project_id))
    who = membership.member.display_name
    text = (
        turn._("{name} is now a member.") if approve else turn._("{name}'s request was declined.")
    ).format(name=who)
    return Reply(text="✅ " + text, markup=keyboards.to_members(turn.texts, membership.project_id))


async def approve_stranger(turn: Turn) -> Reply:
    """An owner lets a stranger's join request into the group."""
    return await _decide_unknown(turn, turn.pressed(routes.StrangerApproved).request, approve=True)


async def decline_stranger(turn: Turn) -> Reply:
    """An owner declines a stranger's join request."""
    return await _decide_unknown(turn, turn.pressed(routes.StrangerDeclined).request, approve=False)


async def _decide_unknown(turn: Turn, request_id: int, *, approve: bool) -> Reply:
    request = await projects.decide_unknown(turn.session, turn.member, request_id, approve, turn.now)
    text = (turn._("{name} is let into the group.") if approve else turn._("{name} is not let in.")).format(
        name=request.name
    )
    return Reply(text="✅ " + text)


async def manage(turn: Turn) -> Reply:
    """Pending requests (with Approve/Decline) and members (with Remove), for the owners."""
    if isinstance(turn.press, routes.MembersPage):
        return await _manage(turn, turn.press.project, turn.press.page)
    return await _manage(turn, turn.pressed(routes.ManageMembers).project)


async def _manage(turn: Turn, project_id: int, page: int = 0) -> Reply:
    _ = turn._
    project = await projects.get_project(turn.session, project_id)
    projects.require_owner(project, turn.member)
    known, unknown = await projects.pending_requests(turn.session, project)
    lines = [f"🛠 {project.name}"]
    if known or unknown:
        lines += ["", _("Waiting for an answer:")]
    lines += [f"• {m.member.display_name}" for m in known]
    lines += [f"• {r.name} ❔" for r in unknown]
    members = sorted(
        (m for m in project.memberships if m.status in projects.IN_PROJECT),
        key=lambda m: (m.role is not Role.OWNER, m.member.first_name.lower(), m.id),
    )
    shown = members[page * MEMBERS_PAGE : (page + 1) * MEMBERS_PAGE]
    lines += ["", _("Members ({count}):").format(count=len(members))]
    for m in shown:
        badge = " 👑" if m.role is Role.OWNER else (" 💬" if m.status is MembershipStatus.JOINED else "")
        lines.append(f"• {m.member.display_name}{badge}")
    markup = keyboards.manage(
        turn.texts, project, known, unknown, shown, page, has_next=len(members) > (page + 1) * MEMBERS_PAGE
    )
    return Reply(text="\n".join(lines), markup=markup)


async def ask_remove(turn: Turn) -> Reply:
    """Remove this member from the project and its group?"""
    membership = await projects.owned_membership(
        turn.session, turn.member, turn.pressed(routes.AskRemove).membership
    )
    text = turn._("Remove {name} from the project and its group?").format(name=membership.member.display_name)
    return Reply(text=text, markup=keyboards.confirm_remove(turn.texts, membership))


async def make_owner(turn: Turn) -> Reply:
    """Share ownership: the member becomes an owner too."""
    membership_id = turn.pressed(routes.MakeCoOwner).membership
    membership = await projects.make_owner(turn.session, turn.member, membership_id, turn.now)
    reply = await _manage(turn, membership.project_id)
    reply.toast = turn._("{name} is now an owner too.").format(name=membership.member.first_name)
    return reply


async def remove(turn: Turn) -> Reply:
    """Remove the member from the project (and its group)."""
    membership_id = turn.pressed(routes.RemoveConfirmed).membership
    membership = await projects.remove_member(turn.session, turn.member, membership_id, turn.now)
    reply = await _manage(turn, membership.project_id)
    reply.toast = turn._("{name} was removed.").format(name=membership.member.first_name)
    return reply


async def archive_ask(turn: Turn) -> Reply:
    """Archive the project? (its owners and the managers)"""
    project = await projects.get_project(turn.session, turn.pressed(routes.AskArchive).project)
    projects.require_owner(project, turn.member, or_manager=True)
    text = turn._("Archive {project}? It will no longer be listed nor joinable.").format(project=project.name)
    return Reply(text=text, markup=keyboards.confirm_archive(turn.texts, project))


async def archive(turn: Turn) -> Reply:
    """Archive the project: no longer listed nor joinable."""
    project_id = turn.pressed(routes.ArchiveConfirmed).project
    project = await projects.archive(turn.session, turn.member, project_id, turn.now)
    return Reply(
        text="🗄 " + turn._("{project} is archived.").format(project=project.name),
        markup=keyboards.all_projects(turn.texts),
    )
