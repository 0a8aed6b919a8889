"""The authorizations' keyboards: machines needing a training, members to authorize or found by
name, a member's authorizations, withdrawing one."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.authorizations import routes
from bot.features.authorizations.reasons import REASON_LABELS
from bot.features.instructors import routes as instructor_routes
from bot.features.keyboards import button, machine_title, menu_button, nav_row, pager
from bot.features.menu.routes import MainMenu
from models.authorizations import REVOKE_REASONS
from models.machines import Machine
from models.members import Member

# Telegram takes at most 100 buttons a keyboard.
MAX_TRAINING_BUTTONS = 45


def member_label(member: Member) -> str:
    return label(member.display_name + (f" (@{member.username})" if member.username else ""))


def authorize_machines(
    texts: Texts, machines_: Sequence[Machine], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button("🔎 " + texts.gettext("Search"), routes.SearchAsked())]]
    keyboard += [[button(label(machine_title(m)), routes.MachineChosen(m.id, 0))] for m in machines_]
    if row := pager(texts, page, has_next, routes.MachineList):
        keyboard.append(row)
    keyboard.append(nav_row(texts, MainMenu()))
    return InlineKeyboardMarkup(keyboard)


def authorize_members(
    texts: Texts, machine: Machine, people: Sequence[Member], page: int, has_next: bool
) -> InlineKeyboardMarkup:
    keyboard = [[button(member_label(p), routes.GrantPressed(machine.id, p.id))] for p in people]
    if row := pager(texts, page, has_next, lambda other: routes.MachineChosen(machine.id, other)):
        keyboard.append(row)
    keyboard.append([button("🔎 " + texts.gettext("Search"), routes.SearchAsked())])
    keyboard.append(nav_row(texts, routes.MachineList(0)))
    return InlineKeyboardMarkup(keyboard)


def found_members(texts: Texts, people: Sequence[Member]) -> InlineKeyboardMarkup:
    """Members a search found: each opens the member's authorizations."""
    keyboard = [[button(member_label(p), routes.MemberChosen(p.id))] for p in people]
    keyboard.append([button("🔎 " + texts.gettext("New search"), routes.SearchAsked())])
    keyboard.append(nav_row(texts, routes.MachineList(0)))
    return InlineKeyboardMarkup(keyboard)


def search_again(texts: Texts) -> InlineKeyboardMarkup:
    """While a name is awaited: back to the machines, or cancel."""
    return InlineKeyboardMarkup([nav_row(texts, routes.MachineList(0))])


def member_trainings(
    texts: Texts,
    member: Member,
    current: Sequence[tuple[int, str]],
    to_authorize: Sequence[Machine],
) -> InlineKeyboardMarkup:
    """A member's authorizations, each with Remove; the machines they may be authorized on."""
    _ = texts.gettext
    keyboard = [
        [button(label(name, _("Remove"), "❌"), routes.RevokeAsked(authorization_id))]
        for authorization_id, name in current[:MAX_TRAINING_BUTTONS]
    ]
    keyboard += [
        [button(label(m.name, _("Authorize"), "🎓"), routes.GrantPressed(m.id, member.id))]
        for m in to_authorize[:MAX_TRAINING_BUTTONS]
    ]
    keyboard.append([button("🧑‍🏫 " + _("Instructor roles"), instructor_routes.RolesShown(member.id))])
    keyboard.append([button("🔎 " + _("Another member"), routes.SearchAsked())])
    keyboard.append(nav_row(texts, routes.MachineList(0)))
    return InlineKeyboardMarkup(keyboard)


def confirm_revoke(texts: Texts, authorization_id: int, member_id: int) -> InlineKeyboardMarkup:
    """Withdraw it for one of the common reasons, or another one typed next; or keep it."""
    _ = texts.gettext
    keyboard = [
        [button("🗑 " + _(REASON_LABELS[reason]), routes.RevokeConfirmed(authorization_id, number))]
        for number, reason in enumerate(REVOKE_REASONS, start=1)
    ]
    keyboard.append([button("✏️ " + _("Another reason…"), routes.RevokeReasonAsked(authorization_id))])
    keyboard.append([button("⬅️ " + _("No, keep it"), routes.MemberChosen(member_id))])
    return InlineKeyboardMarkup(keyboard)


def typing_reason(texts: Texts, member_id: int) -> InlineKeyboardMarkup:
    """While the reason is awaited: keep the authorization after all."""
    return InlineKeyboardMarkup(
        [[button("⬅️ " + texts.gettext("No, keep it"), routes.MemberChosen(member_id))]]
    )


def after_grant(texts: Texts, member_id: int) -> InlineKeyboardMarkup:
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("👤 " + _("Their authorizations"), routes.MemberChosen(member_id))],
            [menu_button(texts)],
        ]
    )


# Characters of a name on a button: a phone shows about 30 across; what follows the name must stay visible.
BUTTON_NAME = 28


def clip_name(name: str, limit: int = BUTTON_NAME) -> str:
    """A name short enough for a button, cut with an ellipsis."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def label(name: str, action: str = "", icon: str = "") -> str:
    """A button label that puts what differs from button to button (the name) first: « Trotec · Retirer »."""
    text = f"{icon} {clip_name(name)}" if icon else clip_name(name)
    return f"{text} · {action}" if action else text
