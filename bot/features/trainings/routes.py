"""The trainings' buttons: a member's trainings and when they lapse."""

from __future__ import annotations

from bot.core.routes import Button


class MyTrainings(Button, action="mt"):
    """The member's trainings, each with its expiry."""
