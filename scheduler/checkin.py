"""Check-in at the start and no-shows: a booking asking for a check-in that starts has its member
told to press I'm here (once); one not checked in within its machine's check-in minutes is released.

What is due is derived from the database and claimed there (models/checkin.py: release_no_shows),
in short transactions; the member's message and the waitlist's offers go through the outbox. A
restart releases nothing twice and catches up on what fell due while the bot was down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import checkin
from scheduler.lab import Lab, in_batches

BATCH = 200


async def release_no_shows(desk: Lab) -> int:
    """Release every booking not checked in in time; return how many this run released."""

    async def step(session: AsyncSession, after: tuple[datetime, int] | None) -> checkin.Released:
        return await checkin.release_no_shows(session, desk.clock(), desk.rules.tz, BATCH, after)

    return await in_batches(desk, step, BATCH)


async def ask_to_check_in(desk: Lab) -> int:
    """Tell the members whose booking starts now, not checked in, to press I'm here (once each)."""

    async def step(session: AsyncSession, after: tuple[datetime, int] | None) -> checkin.Asked:
        return await checkin.ask_to_check_in(session, desk.clock(), BATCH, after)

    return await in_batches(desk, step, BATCH)
