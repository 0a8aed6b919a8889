"""Check-in's buttons: I'm here (from a reminder, a machine's page)."""

from __future__ import annotations

from bot.core.routes import ID, Button


class CheckIn(Button, action="ci"):
    """I'm here: check in to this booking."""

    booking: ID
