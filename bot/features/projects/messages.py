"""The projects' messages: to owners, requests to join (and their withdrawal); to members, the
answer, an invite link, a role or a removal; to everyone in a project, announcements and meetings;
and, in a project's group, the actions decided in the chat (letting someone in, removing them)."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, acts, renders
from bot.features import keyboards
from bot.features.projects import routes
from models.projects import (
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

log = logging.getLogger(__name__)


@renders(ProjectJoinRequest)
def _project_join_request(texts: Texts, p: ProjectJoinRequest) -> Outgoing:
    _ = texts.gettext
    text = "🙋 " + _("{member} asks to join {project}.").format(member=p.member, project=p.project)
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button("✅ " + _("Approve"), routes.RequestApproved(p.membership_id)),
                keyboards.button("✖️ " + _("Decline"), routes.RequestDeclined(p.membership_id)),
            ]
        ]
    )
    return Outgoing(text, markup)


@renders(ProjectUnknownJoin)
def _project_unknown_join(texts: Texts, p: ProjectUnknownJoin) -> Outgoing:
    _ = texts.gettext
    text = "❔ " + _(
        "{name} asks to join the group of {project}, without having gone through the bot "
        "(a forwarded link?). Let them in?"
    ).format(name=p.name, project=p.project)
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button("✅ " + _("Approve"), routes.StrangerApproved(p.request_id)),
                keyboards.button("✖️ " + _("Decline"), routes.StrangerDeclined(p.request_id)),
            ]
        ]
    )
    return Outgoing(text, markup)


def request_withdrawn_text(texts: Texts, member: str, project: str) -> str:
    return "↩️ " + texts.gettext("{member} withdrew their request to join {project}.").format(
        member=member, project=project
    )


@acts(ProjectRequestWithdrawn)
async def _project_request_withdrawn(bot: Bot, texts: Texts, p: ProjectRequestWithdrawn) -> Outgoing | None:
    """Turn an owner's "asks to join" message into "withdrew", without its buttons."""
    text = request_withdrawn_text(texts, p.member, p.project)
    try:
        await bot.edit_message_text(text, chat_id=p.chat_id, message_id=p.message_id)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return None
        # The message is gone (deleted by the owner): say it in a new one.
        log.info("could not edit a join request message: %s", exc.message)
        return Outgoing(text)
    return None


@renders(ProjectDecision)
def _project_decision(texts: Texts, p: ProjectDecision) -> Outgoing:
    _ = texts.gettext
    if not p.approved:
        return Outgoing("🙁 " + _("Your request to join {project} was declined.").format(project=p.project))
    text = "🎉 " + _("Welcome to {project}!").format(project=p.project)
    if not p.can_invite:
        text += " " + _(
            "The project has no group the bot can invite you to: its owners will tell you where to meet."
        )
    return Outgoing(text)


@acts(ProjectInvite)
async def _project_invite(bot: Bot, texts: Texts, p: ProjectInvite) -> Outgoing:
    """Create an invite link to the group (with a join request, so the bot checks who comes in)."""
    _ = texts.gettext
    try:
        link = await bot.create_chat_invite_link(
            p.chat_id, name=f"fabdesk {p.membership_id}"[:32], creates_join_request=True
        )
    except (BadRequest, Forbidden) as exc:
        # The bot cannot invite there (rights lost, group gone): the member must not wait for nothing.
        log.info("no invite link for project %s: %s", p.project, exc.message)
        names = ", ".join(p.owners) or "?"
        return Outgoing(
            "⚠️ "
            + _(
                "I could not make an invite link to the group of {project}: ask its owners ({owners})."
            ).format(project=p.project, owners=names)
        )
    text = "🔗 " + _(
        "Join the group of {project} with this link: Telegram will ask, and I will let you in."
    ).format(project=p.project)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("➡️ " + _("Join the group"), url=link.invite_link)]])
    return Outgoing(text, markup)


@acts(ChatAction)
async def _chat_action(bot: Bot, texts: Texts, p: ChatAction) -> Outgoing | None:
    """Do what was decided in a project's group: approve or decline a join request, remove someone."""
    chat_id, user_id = p.chat_id, p.user_id
    if p.action == "approve":
        await bot.approve_chat_join_request(chat_id, user_id)
    elif p.action == "decline":
        await bot.decline_chat_join_request(chat_id, user_id)
    elif p.action == "remove":
        await bot.ban_chat_member(chat_id, user_id)
        await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)  # removed, not banned for ever
    return None


@renders(ProjectArchived)
def _project_archived(texts: Texts, p: ProjectArchived) -> Outgoing:
    return Outgoing(
        "🗄 "
        + texts.gettext("The project {project} was archived: your request to join it is closed.").format(
            project=p.project
        )
    )


@renders(ProjectOwner)
def _project_owner(texts: Texts, p: ProjectOwner) -> Outgoing:
    return Outgoing("👑 " + texts.gettext("You are now an owner of {project}.").format(project=p.project))


@renders(ProjectRemoved)
def _project_removed(texts: Texts, p: ProjectRemoved) -> Outgoing:
    return Outgoing(
        "👋 " + texts.gettext("You were removed from the project {project}.").format(project=p.project)
    )


@renders(ProjectRightsLost)
def _project_rights_lost(texts: Texts, p: ProjectRightsLost) -> Outgoing:
    text = "⚠️ " + texts.gettext(
        "I lost my administrator rights in the group of {project}: I can no longer let members in. "
        "Make me an administrator again (with the rights to invite and to ban members)."
    ).format(project=p.project)
    return Outgoing(text)


@renders(ProjectAnnouncement)
def _project_announcement(texts: Texts, p: ProjectAnnouncement) -> Outgoing:
    head = texts.gettext("Announcement from {name} ({project}):").format(name=p.sender, project=p.project)
    return Outgoing(f"📣 {head}\n\n{p.text}")


@renders(MeetingReminder)
def _meeting_reminder(texts: Texts, p: MeetingReminder) -> Outgoing:
    _ = texts.gettext
    start = p.start
    where = _("remote") if p.remote else _("on site, at the lab")
    text = "📅 " + _("Meeting of {project}: {when}, {where}.").format(
        project=p.project, when=texts.day_time(start), where=where
    )
    text += "\n" + p.title
    markup = None
    if p.link:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("🔗 " + _("Open the link"), url=p.link)]])
    return Outgoing(text, markup)


@renders(MeetingCancelled)
def _meeting_cancelled(texts: Texts, p: MeetingCancelled) -> Outgoing:
    start = p.start
    text = "✖ " + texts.gettext("The meeting of {project} on {when} is cancelled (by {name}).").format(
        project=p.project, when=texts.day_time(start), name=p.by
    )
    return Outgoing(text + "\n" + p.title)
