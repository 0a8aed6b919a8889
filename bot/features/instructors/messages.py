"""The instructors' message: to a member, the news that they now train others on a machine or a
kind (with a button to plan a training), or no longer."""

from __future__ import annotations

from bot.core.i18n import Texts
from bot.core.messages import Outgoing, renders
from bot.features import keyboards
from bot.features.sessions import routes as session_routes
from models.instructors import InstructorRoleChanged


@renders(InstructorRoleChanged)
def _role_changed(texts: Texts, p: InstructorRoleChanged) -> Outgoing:
    _ = texts.gettext
    if p.machine is not None:
        what = p.machine
    elif p.machine_kind is not None:
        what = _("{kind} (whole category)").format(kind=_(keyboards.KIND_NAMES[p.machine_kind]))
    else:
        return Outgoing(
            "🧑‍🏫 " + _("Your instructor roles were withdrawn: you no longer plan nor run training sessions.")
        )
    if not p.given:
        return Outgoing("🧑‍🏫 " + _("You are no longer an instructor for {machine}.").format(machine=what))
    text = "🧑‍🏫 " + _(
        "You are now an instructor for {machine}: you can plan training sessions on it from /sessions, mark "
        "who came and so authorize them."
    ).format(machine=what)
    return Outgoing(text, keyboards.single(texts, "➕", "Plan a session", session_routes.PlanAsked()))
