"""Jobs for stock, updates and the managers' digest. Each derives what is due from the database
and records what it queued, so a restart neither misses nor repeats a message; each returns what it
queued (bot/core/jobs.py wakes the sender when that is something)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models import digest, privacy, projects, session_guests, stock, updates, waitlist
from models.db import hold_job_lock
from scheduler.lab import Lab


async def ask_about_usage(desk: Lab) -> int:
    """Job: ask members whose booking ended which consumables they used."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "usage")
        asked = await stock.ask_about_usage(session, desk.clock())
    return asked


async def remind_due_updates(desk: Lab) -> int:
    """Job: remind the managers of update checks that fell due, once per due date."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "updates")
        reminded = await updates.remind_due(session, desk.settings.manager_ids, desk.clock())
    return len(reminded)


async def send_daily_digest(desk: Lab) -> bool:
    """Job: queue today's digest once its time has come (catching up after a restart, never twice)."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "digest")
        sent = await digest.send_daily_digest(
            session, desk.settings.manager_ids, desk.clock(), desk.settings.tz, desk.settings.digest_time
        )
    return sent


async def remind_meetings(desk: Lab) -> int:
    """Job: remind project members of meetings starting soon, once each."""
    lead = timedelta(minutes=desk.settings.meeting_reminder_minutes)
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "meetings")
        sent = await projects.remind_meetings(session, lead, desk.clock())
    return sent


async def apply_retention(desk: Lab) -> int:
    """Job: erase the personal data of members inactive longer than the lab keeps it, a batch per
    transaction (the bot keeps answering in between)."""
    total = 0
    while True:
        async with desk.sessions.begin() as session:
            await hold_job_lock(session, "retention")
            erased = await privacy.anonymise_inactive(
                session, desk.settings.retention_months, desk.clock(), desk.settings.tz
            )
            await waitlist.close_past(session, desk.clock().astimezone(desk.settings.tz).date(), desk.clock())
            await session_guests.erase_past_guests(session, desk.settings.retention_months, desk.clock())
        total += erased
        if erased < privacy.RETENTION_BATCH:
            break
        await asyncio.sleep(0)
    return total


async def send_weekly_summary(desk: Lab) -> bool:
    """Job: queue last week's summary on Monday morning (catching up after a restart, never twice)."""
    async with desk.sessions.begin() as session:
        await hold_job_lock(session, "weekly")
        sent = await digest.send_weekly_summary(
            session, desk.settings.manager_ids, desk.clock(), desk.settings.tz, desk.settings.digest_time
        )
    return sent
