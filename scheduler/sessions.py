"""Sessions' clock: the reminder before a session, and the cancellation of a session still under its
minimum number of participants at its deadline.

What is due is derived from the database and claimed there (models/sessions.py: queue_due_reminders
stamps each sign-up's `reminded_at`, cancel_below_minimum each session's `minimum_checked_at`, by a
conditional UPDATE), in short transactions; the messages go through the outbox. A restart repeats
nothing and catches up on what fell due while the bot was down; two processes never both send.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import sessions
from scheduler.lab import Lab, in_batches

BATCH = 200


async def remind_sessions(desk: Lab) -> int:
    """Queue every due session reminder; return how many this run queued."""

    async def step(
        session: AsyncSession, after: tuple[datetime, int] | None
    ) -> sessions.QueuedSessionReminders:
        return await sessions.queue_due_reminders(
            session, desk.settings.session_rules, desk.clock(), BATCH, after
        )

    return await in_batches(desk, step, BATCH)


async def cancel_sessions_below_minimum(desk: Lab) -> int:
    """Cancel the sessions under their minimum at its deadline; return how many this run cancelled."""

    async def step(session: AsyncSession, after: tuple[datetime, int] | None) -> sessions.MinimumChecked:
        return await sessions.cancel_below_minimum(
            session,
            desk.settings.session_rules,
            desk.clock(),
            BATCH,
            after,
            desk.settings.manager_ids,
            booking_rules=desk.rules,
        )

    return await in_batches(desk, step, BATCH)
