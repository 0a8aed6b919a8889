"""The keyboards of training requests: the sessions offered to a member, a manager's answers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.authorizations import routes as authorizations
from bot.features.booking import routes as booking
from bot.features.keyboards import button, clip_label, menu_button, nav_row
from bot.features.sessions import routes as sessions
from bot.features.training_requests import routes
from bot.features.training_requests.reasons import REASON_LABELS
from models.sessions import Upcoming


def _session_label(texts: Texts, seen: Upcoming) -> str:
    return clip_label(texts.moment(seen.session.start_at), seen.session.title, icon="🎓", limit=40)


def offered_sessions(texts: Texts, machine_id: int, offered: Sequence[Upcoming]) -> InlineKeyboardMarkup:
    """To a member asking for a training: sign up to a session in one tap, or send the request."""
    keyboard = [[button(_session_label(texts, u), sessions.SignUpPressed(u.session.id))] for u in offered]
    keyboard.append([button("📨 " + texts.gettext("Ask for another date"), routes.RequestSent(machine_id))])
    keyboard.append(nav_row(texts, booking.MachineList()))
    return InlineKeyboardMarkup(keyboard)


def request_answers(
    texts: Texts, request_id: int, machine_id: int, member_id: int, first_name: str
) -> InlineKeyboardMarkup:
    """With a training request, for the managers: propose a session, decline, or authorize."""
    _ = texts.gettext
    authorize = button(
        "✅ " + _("Authorize {name}").format(name=first_name),
        authorizations.GrantPressed(machine_id, member_id),
    )
    if not request_id:  # queued before requests could be answered otherwise
        return InlineKeyboardMarkup([[authorize]])
    return InlineKeyboardMarkup(
        [
            [button("🗓 " + _("Propose a session"), routes.ProposeAsked(request_id))],
            [button("✖️ " + _("Decline"), routes.DeclineAsked(request_id))],
            [authorize],
        ]
    )


def sessions_to_propose(texts: Texts, request_id: int, offered: Sequence[Upcoming]) -> InlineKeyboardMarkup:
    keyboard = [
        [button(_session_label(texts, u), routes.ProposeChosen(request_id, u.session.id))] for u in offered
    ]
    keyboard.append([button("➕ " + texts.gettext("Plan a session"), sessions.PlanAsked())])
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def decline_reasons(texts: Texts, request_id: int) -> InlineKeyboardMarkup:
    keyboard = [
        [button(texts.gettext(label), routes.DeclineChosen(request_id, code))]
        for code, label in REASON_LABELS.items()
    ]
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)


def proposed(texts: Texts, session_id: int) -> InlineKeyboardMarkup:
    """With a session proposed to a member: sign up in one tap, or see it first."""
    _ = texts.gettext
    return InlineKeyboardMarkup(
        [
            [button("✅ " + _("Sign up"), sessions.SignUpPressed(session_id))],
            [button("🗓 " + _("See the session"), sessions.SessionPage(session_id))],
        ]
    )
