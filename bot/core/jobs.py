"""The scheduler's jobs on PTB's JobQueue: each runs a plain job over the lab (scheduler/), then
wakes the outbox sender if the job queued something. The scheduler never imports the bot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.core.context import Context, get_desk
from bot.core.outbox import deliver_outbox
from models import bookings
from scheduler import checkin, daily, maintenance, reminders, sessions, trainings
from scheduler.lab import Lab

Job = Callable[[Context], Coroutine[Any, Any, int | bool]]


def on_job_queue(job: Callable[[Lab], Awaitable[int | bool]]) -> Job:
    """A PTB job running `job` on this application's lab; what it queued goes out at once."""

    async def run(context: Context) -> int | bool:
        desk = get_desk(context)
        done = await job(desk)
        if done:
            desk.wake_outbox(context)
        return done

    run.__name__ = job.__name__
    run.__doc__ = job.__doc__
    return run


ask_about_usage = on_job_queue(daily.ask_about_usage)
remind_due_updates = on_job_queue(daily.remind_due_updates)
send_daily_digest = on_job_queue(daily.send_daily_digest)
remind_meetings = on_job_queue(daily.remind_meetings)
apply_retention = on_job_queue(daily.apply_retention)
send_weekly_summary = on_job_queue(daily.send_weekly_summary)
open_due_plan_tickets = on_job_queue(maintenance.open_due_plan_tickets)
release_no_shows = on_job_queue(checkin.release_no_shows)
remind_sessions = on_job_queue(sessions.remind_sessions)
cancel_sessions_below_minimum = on_job_queue(sessions.cancel_sessions_below_minimum)
ask_to_check_in = on_job_queue(checkin.ask_to_check_in)
warn_lapsing_trainings = on_job_queue(trainings.warn_lapsing_trainings)


async def send_due_reminders(context: Context) -> int:
    """Job: queue the due reminders, then send the outbox; return how many reminders were delivered."""
    desk = get_desk(context)
    if await reminders.queue_reminders(desk) == 0:
        return 0
    kinds: Counter[str] = Counter()
    await deliver_outbox(desk, context.bot, delivered_kinds=kinds)
    return kinds[bookings.REMINDER]
