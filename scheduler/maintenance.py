"""Preventive maintenance: open a *planned* ticket when a plan falls due, once.

What is due is derived from the database (the plan's clock and the machine's hours of use), and
a plan with an open ticket is skipped (a unique index makes that hold even across two runs), so a
restart neither misses nor repeats one.
"""

from __future__ import annotations

import logging

from models import maintenance
from models.db import hold_job_lock
from scheduler.lab import Lab

log = logging.getLogger(__name__)


async def open_due_plan_tickets(desk: Lab) -> int:
    """Job: open the tickets of plans that fell due; the managers are alerted through the outbox."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "plans")
        opened = await maintenance.open_due_plan_tickets(session, desk.settings.manager_ids, desk.clock())
    if opened:
        log.info("preventive maintenance due: %s", ", ".join(f"#{t.id} {t.title}" for t in opened))
    return len(opened)
