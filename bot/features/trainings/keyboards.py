"""The trainings' keyboards: the warning before a training lapses, and a member's trainings."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.authorizations.keyboards import label
from bot.features.booking import routes as booking
from bot.features.keyboards import button, menu_button
from bot.features.sessions import routes as sessions
from bot.features.trainings import routes
from models.trainings import Training, TrainingLapsing


def lapsing(texts: Texts, notice: TrainingLapsing) -> InlineKeyboardMarkup:
    """The warning's buttons: sign up to the next training session in one tap (the sign-up of
    /sessions: a full one puts them on its waitlist), or, with none planned, ask for a training (the
    training request of today); see my trainings."""
    _ = texts.gettext
    keyboard = []
    if notice.session_id is not None:
        if not notice.session_signed_up:  # signed up already: their seat is in /sessions
            keyboard.append(
                [button("✅ " + _("Sign up to this session"), sessions.SignUpPressed(notice.session_id))]
            )
    elif notice.machine_id is not None:
        keyboard.append([button("🎓 " + _("Ask for a training"), booking.AskTraining(notice.machine_id))])
    keyboard.append([button("📋 " + _("My trainings"), routes.MyTrainings())])
    return InlineKeyboardMarkup(keyboard)


def my_trainings(texts: Texts, seen: Sequence[Training]) -> InlineKeyboardMarkup:
    """A refresher button for each training lapsed or lapsing soon; the way home."""
    _ = texts.gettext
    keyboard = [
        [button(label(t.refresher.name, _("Refresher"), "🎓"), booking.AskTraining(t.refresher.id))]
        for t in seen
        if t.refresher is not None
    ]
    keyboard.append([button("📅 " + _("Book a machine"), booking.MachineList())])
    keyboard.append([menu_button(texts)])
    return InlineKeyboardMarkup(keyboard)
