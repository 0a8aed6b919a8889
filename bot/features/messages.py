"""Every feature's outbox messages, registered by importing them (bot/core/messages.py).

The sender (bot/core/outbox.py) imports this module, so every notice has its renderer wherever a
message can be sent: in the app, in a CLI command or a test that delivers without building the app.
A feature rendering notices adds its messages module here (tests/test_typed_notices.py fails for a
notice nobody renders once the sender alone is imported).
"""

from __future__ import annotations

from bot.features.authorizations import messages as authorizations
from bot.features.booking import messages as booking
from bot.features.checkin import messages as checkin
from bot.features.instructors import messages as instructors
from bot.features.maintenance import messages as maintenance
from bot.features.on_behalf import messages as on_behalf
from bot.features.projects import messages as projects
from bot.features.sessions import messages as sessions
from bot.features.stats import messages as stats
from bot.features.stock import messages as stock
from bot.features.training_requests import messages as training_requests
from bot.features.trainings import messages as trainings
from bot.features.updates import messages as updates

MODULES = (
    authorizations,
    booking,
    checkin,
    instructors,
    maintenance,
    on_behalf,
    projects,
    sessions,
    stats,
    stock,
    trainings,
    training_requests,
    updates,
)
