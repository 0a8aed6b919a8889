"""Every feature, in the order its handlers are registered (the app factory walks this list).

Commands and buttons do not compete (each has one owner: a clash is refused at start-up), so the
order matters for two things only: each feature's other handlers, tried before any command or
press (group and channel events first, as they never reach a private screen); and the typed
answers a feature awaits (Feature.awaits), tried in this order, catch-alls last (bot/core/inputs.py)
— which is harmless, as a member owes one answer at a time (models/base.clear_pending).
"""

from __future__ import annotations

from bot.core.feature import Feature
from bot.features.authorizations.screens import FEATURE as AUTHORIZATIONS
from bot.features.booking.screens import FEATURE as BOOKING
from bot.features.checkin.screens import FEATURE as CHECKIN
from bot.features.instructors.screens import FEATURE as INSTRUCTORS
from bot.features.machines_today.screens import FEATURE as MACHINES_TODAY
from bot.features.maintenance.feature import FEATURE as MAINTENANCE
from bot.features.menu.screens import FEATURE as MENU
from bot.features.my_bookings.screens import FEATURE as MY_BOOKINGS
from bot.features.on_behalf.screens import FEATURE as ON_BEHALF
from bot.features.privacy.screens import FEATURE as PRIVACY
from bot.features.projects.feature import FEATURE as PROJECTS
from bot.features.sessions.screens import FEATURE as SESSIONS
from bot.features.stats.screens import FEATURE as STATS
from bot.features.stock.screens import FEATURE as STOCK
from bot.features.training_requests.screens import FEATURE as TRAINING_REQUESTS
from bot.features.trainings.screens import FEATURE as TRAININGS
from bot.features.updates.screens import FEATURE as UPDATES


def features() -> list[Feature]:
    """The features, in registration order."""
    return [
        MENU,
        BOOKING,
        MY_BOOKINGS,
        CHECKIN,
        MAINTENANCE,
        STOCK,
        UPDATES,
        MACHINES_TODAY,
        AUTHORIZATIONS,
        ON_BEHALF,
        TRAININGS,
        PROJECTS,
        SESSIONS,
        INSTRUCTORS,
        TRAINING_REQUESTS,
        STATS,
        PRIVACY,
    ]
