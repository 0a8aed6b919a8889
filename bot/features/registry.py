"""Every feature, in the order its handlers are registered (the app factory walks this list).

Commands and buttons do not compete (each has one owner: a clash is refused at start-up), so the
order only matters for each feature's other handlers, tried before any command or press: group and
channel events first, as they never reach a private screen.
"""

from __future__ import annotations

from bot.core.feature import Feature
from bot.features.booking.screens import FEATURE as BOOKING
from bot.features.projects.feature import FEATURE as PROJECTS


def features() -> list[Feature]:
    """The features, in registration order."""
    return [BOOKING, PROJECTS]
