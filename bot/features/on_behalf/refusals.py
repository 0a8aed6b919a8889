"""Why a booking on behalf was refused, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import booked_for

REFUSALS: Refusals = {
    booked_for.AlreadyHeld: N_(
        "They already hold this machine for that time (or part of it). Nothing was booked."
    ),
    booked_for.BadGuestLabel: N_(
        "A guest's or a workshop's name has 1 to 100 characters. Nothing was booked."
    ),
    booked_for.BadSeries: N_("A weekly series lasts 1 to 52 weeks. Nothing was booked."),
    booked_for.NoQuestion: N_("This choice is no longer current: pick the slot again. Nothing was booked."),
}
