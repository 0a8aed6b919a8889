"""The update register's refusals, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import updates

REFUSALS: Refusals = {
    updates.BadVersion: N_("Send the version as a short text, like 2.8.1. Nothing was changed."),
}
