"""Booking on behalf, for the fab managers: from a slot's confirmation, every week (how many weeks),
for whom (a member found by name, or a guest's or a workshop's label typed)."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, Moment
from bot.features.booking.routes import Minutes

Weeks = Annotated[int, Between(1, 52)]


class WeeksAsked(Button, action="ob:w"):
    """Every week pressed on a slot: for how many weeks?"""

    machine: ID
    start: Moment
    minutes: Minutes


class ForWhomAsked(Button, action="ob:a"):
    """Book the slot (every week for `weeks` weeks) for someone else: who? typed next."""

    machine: ID
    start: Moment
    minutes: Minutes
    weeks: Weeks


class ForMember(Button, action="ob:m"):
    """Book the slot asked about for this member."""

    member: ID


class ForGuest(Button, action="ob:g"):
    """Book the slot asked about for the guest or workshop typed."""
