"""The trainings' refusals, by exact class: asking for a training one already has (the booking's
"Ask for a training" button), withdrawing an authorization twice."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import authorizations, errors, members

REFUSALS: Refusals = {
    errors.AlreadyAuthorized: N_("You are already authorized on this machine: you can book it."),
    authorizations.AlreadyRevoked: N_("This authorization was already withdrawn. Nothing was changed."),
    authorizations.BadReason: N_(
        "A reason is one message of 1 to 200 characters, without hidden characters. Nothing was changed."
    ),
    members.ConfiguredManager: N_(
        "This person is a fab manager by the bot's settings (FABDESK_MANAGER_IDS): only the settings can "
        "change that. Nothing was changed."
    ),
}
