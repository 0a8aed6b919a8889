"""The instructors' keyboards: the instructors, a member's role toggles, withdrawing, assigning."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.authorizations import routes as authorization_routes
from bot.features.authorizations.keyboards import label, member_label
from bot.features.instructors import routes
from bot.features.keyboards import KIND_NAMES, button, nav_row
from bot.features.menu.routes import MainMenu
from bot.features.sessions import routes as session_routes
from models.instructors import InstructorRole
from models.machines import Machine, MachineKind
from models.members import Member

MAX_MACHINES = 40


def instructor_list(texts: Texts, people: Sequence[Member]) -> InlineKeyboardMarkup:
    """Each instructor opens their roles; 🔎 finds a member to promote."""
    keyboard = [[button("🧑‍🏫 " + member_label(p), routes.RolesShown(p.id))] for p in people[:MAX_MACHINES]]
    keyboard.append([button("🔎 " + texts.gettext("Promote a member"), authorization_routes.SearchAsked())])
    keyboard.append(nav_row(texts, MainMenu()))
    return InlineKeyboardMarkup(keyboard)


def role_toggles(
    texts: Texts,
    member: Member,
    roles: Sequence[InstructorRole],
    kinds: Sequence[MachineKind],
    machines: Sequence[Machine],
) -> InlineKeyboardMarkup:
    """A toggle per kind and per machine (✅ held, ⬜ not), withdrawing them all, their authorizations."""
    _ = texts.gettext
    held_kinds = {r.machine_kind for r in roles if r.machine_kind is not None}
    held_machines = {r.machine_id for r in roles if r.machine_id is not None}

    def mark(held: bool) -> str:
        return "✅" if held else "⬜"

    keyboard = [
        [
            button(
                label(_("All: {kind}").format(kind=_(KIND_NAMES[k])), icon=mark(k in held_kinds)),
                routes.KindToggled(member.id, k),
            )
        ]
        for k in kinds
    ]
    keyboard += [
        [button(label(m.name, icon=mark(m.id in held_machines)), routes.MachineToggled(member.id, m.id))]
        for m in machines[:MAX_MACHINES]
    ]
    if roles:
        keyboard.append([button("🗑 " + _("Withdraw every role"), routes.WithdrawAsked(member.id))])
    keyboard.append([button("👤 " + _("Their authorizations"), authorization_routes.MemberChosen(member.id))])
    keyboard.append(nav_row(texts, routes.InstructorList()))
    return InlineKeyboardMarkup(keyboard)


def confirm_withdraw(texts: Texts, member_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("🗑 " + _("Yes, withdraw them"), routes.WithdrawConfirmed(member_id))],
            [button("⬅️ " + _("No, keep them"), routes.RolesShown(member_id))],
        ]
    )


def assign(texts: Texts, session_id: int, people: Sequence[Member]) -> InlineKeyboardMarkup:
    """Each candidate runs the session once picked."""
    keyboard = [
        [button(member_label(p), routes.AssignChosen(session_id, p.id))] for p in people[:MAX_MACHINES]
    ]
    keyboard.append(nav_row(texts, session_routes.SessionPage(session_id)))
    return InlineKeyboardMarkup(keyboard)
