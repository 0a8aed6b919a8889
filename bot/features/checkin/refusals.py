"""Why a member could not check in, by the refusal's exact class."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from bot.core.refusals import Refusals
from models.checkin import CheckInNotYet, CheckInOver
from models.errors import DomainError


def _not_yet(texts: Texts, refusal: DomainError) -> str:
    assert isinstance(refusal, CheckInNotYet)
    return texts.gettext("It is too early to check in: you can from {time}.").format(
        time=texts.time(refusal.opens_at)
    )


REFUSALS: Refusals = {
    CheckInNotYet: _not_yet,
    CheckInOver: N_("This booking is over: there is nothing to check in to any more."),
}
