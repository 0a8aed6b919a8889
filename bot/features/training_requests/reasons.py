"""The common reasons a manager declines a training request with, in one tap (by their number)."""

from __future__ import annotations

from bot.core.i18n import N_
from models.session_requests import COME_BY_FIRST, NO_SESSION_SOON, STAFF_ONLY

REASON_LABELS = {
    NO_SESSION_SOON: N_("No training soon"),
    STAFF_ONLY: N_("Staff only"),
    COME_BY_FIRST: N_("Come by the lab first"),
}
# What the member reads.
REASON_TEXTS = {
    NO_SESSION_SOON: N_("No training is planned soon: you will be told when one is."),
    STAFF_ONLY: N_("This machine is used by the lab's team only."),
    COME_BY_FIRST: N_("Please come by the lab first to talk about your project."),
}
