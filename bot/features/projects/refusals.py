"""The projects' refusals (owners' rights, groups and channels, requests, meetings, drafts), by the
refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models import errors, projects


def _group_taken(texts: Texts, refusal: errors.DomainError) -> str:
    name = refusal.args[0] if refusal.args else ""
    return texts.gettext(
        "This group already belongs to the project {project}: only its owners can move it."
    ).format(project=name)


REFUSALS: Refusals = {
    projects.OwnersOnly: N_("Only the project's owners can do that."),
    projects.LastOwner: N_(
        "You are the project's last owner: make someone a co-owner (or archive it) first."
    ),
    projects.NotGroupAdmin: N_("Only an administrator of this group can link it to a project."),
    projects.GroupTaken: _group_taken,
    projects.AlreadyDecided: N_("This request was already answered."),
    projects.RequestWithdrawn: N_("The member withdrew this request. Nothing was changed."),
    projects.ForwardExpected: N_("Forward me a message from the channel to link it (or /cancel)."),
    projects.MeetingStarted: N_("That meeting has already started. Nothing was changed."),
    projects.NeedsLink: N_(
        "A remote meeting needs its link: send the subject with the video link (https://…)."
    ),
    projects.BadProjectText: N_(
        "I cannot use that text: keep it short and simple (a link starts with https://)."
    ),
    projects.DuplicateName: N_("A project already has that name: choose another one."),
    projects.AlreadyMember: N_("You are already in this project, or your request is waiting."),
    projects.NoGroup: N_("The bot cannot manage this group yet: it needs to be an administrator."),
}
