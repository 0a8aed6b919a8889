"""Booking reminders: sent once, N minutes before each booking, whatever restarts happen.

What is due is derived from the database (bookings starting within the reminder lead, not yet
`reminded_at`). Each is claimed by stamping `reminded_at` and queued in the outbox in the same
transaction (models/bookings.py: queue_due_reminders), then the outbox sends it, as it sends every
other message: one delivery path, with its retries, its handling of blocked members and its pace.
A restart resends nothing already queued and catches up on anything that fell due while the bot was
down; several processes on one database queue each reminder once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import bookings
from scheduler.lab import Lab, in_batches

# Bookings read and claimed per transaction: a thousand reminders due at once (a class starting)
# are queued in a few short transactions, then sent at Telegram's pace.
BATCH = 200


async def queue_reminders(desk: Lab) -> int:
    """Queue every due reminder in the outbox; return how many were queued by this run."""

    async def step(session: AsyncSession, after: tuple[datetime, int] | None) -> bookings.QueuedReminders:
        return await bookings.queue_due_reminders(session, desk.rules, desk.clock(), BATCH, after)

    return await in_batches(desk, step, BATCH)
