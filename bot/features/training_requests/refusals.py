"""Why a training request could not be answered, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.refusals import Refusals
from models import session_requests

REFUSALS: Refusals = {
    session_requests.RequestAnswered: N_(
        "This request was already answered (declined, or the member authorized). Nothing was changed."
    ),
    session_requests.NotATrainingOfIt: N_(
        "This session is no longer an upcoming training on that machine. Nothing was changed."
    ),
    session_requests.BadDeclineReason: N_(
        "The reason must be 1 to 200 characters long: please send it again."
    ),
}
