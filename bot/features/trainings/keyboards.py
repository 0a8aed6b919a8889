"""The trainings' keyboards: the warning before a training lapses, and a member's trainings."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.core.i18n import Texts
from bot.features.authorizations.keyboards import label
from bot.features.booking import routes as booking
from bot.features.keyboards import button, menu_button
from bot.features.trainings import routes
from models.trainings import Training, TrainingLapsing


def lapsing(texts: Texts, notice: TrainingLapsing) -> InlineKeyboardMarkup:
    """The warning's buttons: ask for a refresher (the training request of today), see my trainings.

    The one place to offer more with the warning (the next training sessions of the machine)."""
    _ = texts.gettext
    keyboard = []
    if notice.machine_id is not None:
        keyboard.append(
            [button("🎓 " + _("Ask for a refresher training"), booking.AskTraining(notice.machine_id))]
        )
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
