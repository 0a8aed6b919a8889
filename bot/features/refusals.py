"""The friendly answer to each domain refusal, in the member's language.

Each feature says how its own refusals read (bot/features/<feature>/refusals.py); the generic ones,
which any feature may raise, are here. All are merged into one table at import (a class claimed
twice is refused then: bot/core/refusals.py) and looked up by the refusal's exact class, so a new
subclass of NotAllowed does not silently borrow "Only the fab managers can do that.", and no order
matters. tests/test_refusals.py walks every DomainError subclass and fails on one without its entry.
"""

from __future__ import annotations

import logging

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusal, Refusals, merge
from bot.core.reply import Reply
from bot.features.authorizations import refusals as authorizations
from bot.features.booking import refusals as booking
from bot.features.checkin import refusals as checkin
from bot.features.instructors import refusals as instructors
from bot.features.maintenance import refusals as maintenance
from bot.features.my_bookings import refusals as my_bookings
from bot.features.on_behalf import refusals as on_behalf
from bot.features.projects import refusals as projects
from bot.features.sessions import refusals as sessions
from bot.features.stock import refusals as stock
from bot.features.training_requests import refusals as training_requests
from bot.features.updates import refusals as updates
from models import errors

log = logging.getLogger(__name__)

GENERIC = N_("That cannot be done. Nothing was changed.")

# The refusals of models/errors.py that belong to no one feature.
GENERIC_REFUSALS: Refusals = {
    errors.DomainError: GENERIC,
    errors.NotFound: N_("This is no longer available. Nothing was changed."),
    errors.NotAllowed: N_("Only the fab managers can do that."),
}

# Each owner's table, by its name (the name a double claim is reported with).
TABLES: dict[str, Refusals] = {
    "bot/features/refusals.py": GENERIC_REFUSALS,
    "authorizations": authorizations.REFUSALS,
    "booking": booking.REFUSALS,
    "checkin": checkin.REFUSALS,
    "instructors": instructors.REFUSALS,
    "maintenance": maintenance.REFUSALS,
    "my_bookings": my_bookings.REFUSALS,
    "on_behalf": on_behalf.REFUSALS,
    "projects": projects.REFUSALS,
    "sessions": sessions.REFUSALS,
    "stock": stock.REFUSALS,
    "training_requests": training_requests.REFUSALS,
    "updates": updates.REFUSALS,
}
REFUSALS: dict[type[errors.DomainError], Refusal] = merge(TABLES)


def refusal_text(texts: Texts, refusal: errors.DomainError) -> str:
    """One short sentence saying why nothing happened."""
    entry = REFUSALS.get(type(refusal))
    if entry is None:  # a refusal class added without its sentence: tests/test_refusals.py catches it
        log.warning("no refusal text for %s", type(refusal).__name__)
        entry = GENERIC
    if isinstance(entry, str):
        return texts.gettext(entry)
    return entry(texts, refusal)


def refusal_reply(texts: Texts, refusal: errors.DomainError) -> Reply:
    """A refusal shown as a dialog on a button press, or as a message to a command."""
    return Reply(toast=refusal_text(texts, refusal), alert=True)
