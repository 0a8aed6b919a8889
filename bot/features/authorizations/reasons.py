"""Why an authorization was withdrawn, as a manager picks it and a member reads it."""

from __future__ import annotations

from bot.core.i18n import N_, Texts
from models.authorizations import ATTENDANCE_UNDONE, REVOKE_REASONS

# The reasons offered as buttons (models/authorizations.py: REVOKE_REASONS), in that order.
REASON_LABELS = {
    "safety": N_("Unsafe use of the machine"),
    "damage": N_("Damage or careless use"),
    "rules": N_("Lab rules not followed"),
}
assert tuple(REASON_LABELS) == REVOKE_REASONS
# A reason no manager picks: the domain gives it (models/authorizations.py).
OTHER_LABELS = {
    ATTENDANCE_UNDONE: N_("Your attendance at the training session had been marked by mistake"),
}


def reason_text(texts: Texts, reason: str) -> str:
    """A reason in the reader's language; the manager's own words as they typed them."""
    label = REASON_LABELS.get(reason) or OTHER_LABELS.get(reason)
    return texts.gettext(label) if label is not None else reason
