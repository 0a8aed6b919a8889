"""Trainings that lapse: record each authorization's latest use, then warn 30 and 7 days before.

What is due is derived from the database and claimed there (models/trainings.py: warn_lapsing stamps
the expiry each warning was sent for, by one conditional UPDATE), in one short transaction; the
warnings go through the outbox. A restart sends nothing twice and catches up on what fell due while
the bot was down; two processes on one database send each warning once.
"""

from __future__ import annotations

from models import trainings
from models.db import hold_job_lock
from scheduler.lab import Lab


async def warn_lapsing_trainings(desk: Lab) -> int:
    """Job: record the trainings' latest uses, then queue the due warnings; return how many."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "trainings")
        now = desk.clock()
        await trainings.record_uses(session, now)
        sent = await trainings.warn_lapsing(session, now)
    return sent
