"""The consumables' buttons: managers' /stock (restocks, counts, corrections) and what a member used
during a booking (the question sent once it is over)."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button, OneOf
from models.stock import MovementReason

# A page of the list (10 consumables a page: a lab has far fewer than 100 000 of them).
Page = Annotated[int, Between(0, 9999)]
# An amount offered as a button, by its place in the unit's presets (screens.presets: six at most;
# the screen still checks the index against the consumable's own unit).
Preset = Annotated[int, Between(0, 5)]
# The amounts a manager types, in the order of today's buttons: 0 restock, 1 count, 2 correction.
TYPED_REASONS = (MovementReason.RESTOCK, MovementReason.COUNT, MovementReason.CORRECTION)


class ConsumableList(Button, action="st"):
    """Every consumable and its quantity, a page of them."""

    page: Page


class ConsumableChosen(Button, action="st:c"):
    """A consumable: its quantity, latest movements, and what to do."""

    consumable: ID


class RestockChosen(Button, action="st:r"):
    """A preset amount arrived: record the restock."""

    consumable: ID
    preset: Preset


class AmountToType(Button, action="st:t"):
    """Other restock, Count or Correction: ask for the amount as a message."""

    consumable: ID
    reason: Annotated[MovementReason, OneOf(TYPED_REASONS)]


class UsedConsumableChosen(Button, action="su:c"):
    """After a booking: one of the machine's consumables, how much was used?"""

    booking: ID
    consumable: ID


class UsedAmountChosen(Button, action="su:a"):
    """After a booking: a preset amount used, record it."""

    booking: ID
    consumable: ID
    preset: Preset


class UsedAmountToType(Button, action="su:o"):
    """After a booking: another amount used, ask for it as a message."""

    booking: ID
    consumable: ID


class UsageDone(Button, action="su:x"):
    """After a booking: Done, or nothing to record."""

    booking: ID
