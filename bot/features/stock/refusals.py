"""The stock's refusals (an amount typed, a booking's usage), by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import stock

REFUSALS: Refusals = {
    stock.BadQuantity: N_(
        "That is not an amount I can read: send a number like 250 or 1,5 "
        "(a unit may follow if it converts, like 120 ml). Nothing was changed."
    ),
    stock.AlreadyRecorded: N_("That is already recorded for this booking. Nothing was changed."),
}
