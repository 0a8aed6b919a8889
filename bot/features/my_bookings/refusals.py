"""Why a member's booking could not be cancelled, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import errors

REFUSALS: Refusals = {
    errors.AlreadyCancelled: N_("This booking was already cancelled."),
    errors.AlreadyStarted: N_("This booking has already started; it can no longer be cancelled."),
}
