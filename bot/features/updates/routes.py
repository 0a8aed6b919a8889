"""The update register's buttons: the list, an item, and what the check found."""

from __future__ import annotations

from typing import Annotated

from bot.core.routes import ID, Between, Button

# A page of the register (10 items a page).
Page = Annotated[int, Between(0, 9999)]


class ItemList(Button, action="up"):
    """Every item of the register, the soonest due first, a page of them."""

    page: Page


class ItemChosen(Button, action="up:i"):
    """An item: its version, next check and history."""

    item: ID


class ItemUpdated(Button, action="up:d"):
    """Checked and updated: ask for the version now installed."""

    item: ID


class ItemUpToDate(Button, action="up:k"):
    """Checked, still the same version."""

    item: ID


class ItemSnoozed(Button, action="up:s"):
    """Check again in a week."""

    item: ID


class ItemNotApplicable(Button, action="up:n"):
    """Not applicable here: no more reminders."""

    item: ID
