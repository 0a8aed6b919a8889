"""Due work for the tests of several processes and of crashes: bookings to remind, faults to alert."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import maintenance
from models.bookings import Booking, BookingStatus
from models.maintenance import Severity
from models.members import Member
from tests.factories import make_machine, make_member
from tests.fakebot import FakeBotApi
from tests.harness import MANAGER, cli_env

MEMBERS = 40
REPORTS = 30


def booked(member: Member, machine_id: int, start: datetime, minutes: int = 3) -> Booking:
    """A confirmed booking made the day before (so it gets its reminder)."""
    return Booking(
        member_id=member.id,
        machine_id=machine_id,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        status=BookingStatus.CONFIRMED,
        created_at=start - timedelta(days=1),
    )


async def seed_due_work(sessions: async_sessionmaker[AsyncSession], now: datetime) -> list[Member]:
    """MEMBERS bookings whose reminder is due within the next hours, REPORTS fault alerts queued for
    the manager."""
    async with sessions.begin() as session:
        printer = await make_machine(session, "Prusa MK4")
        members = [await make_member(session, f"Member{i}", telegram_id=10_000 + i) for i in range(MEMBERS)]
        for i, member in enumerate(members):
            session.add(booked(member, printer.id, now + timedelta(minutes=10 + 4 * i)))
        for i in range(REPORTS):
            reporter = members[i]
            machine = await make_machine(session, f"Machine {i:02d}")
            await maintenance.start_report(session, reporter, machine.id, now)
            await maintenance.describe(session, reporter, f"Fault number {i:02d}", now)
            await maintenance.submit_report(session, reporter, Severity.MINOR, [MANAGER.id], now)
    return members


def delivered(fake: FakeBotApi) -> tuple[Counter[int], Counter[str]]:
    """Reminders delivered per member chat, and fault alerts delivered per report text."""
    reminders: Counter[int] = Counter()
    alerts: Counter[str] = Counter()
    for call in fake.calls:
        if call.method != "sendMessage" or call.status != 200:
            continue
        text = call.text or ""
        if ("Reminder" in text or "About your booking" in text) and call.chat_id is not None:
            reminders[call.chat_id] += 1
        if not text.startswith("🛠"):
            continue  # not a fault alert (the daily digest lists open tickets too)
        for line in text.splitlines():
            if "Fault number" in line:
                alerts[line[line.index("Fault number") :]] += 1
    return reminders, alerts


async def start_bot(fake: FakeBotApi, database_url: str, log: Path) -> asyncio.subprocess.Process:
    """A real `fabdesk run` on the database, its output appended to `log`; reminders 4 h ahead."""
    env = cli_env(
        bot_token=fake.token,
        telegram_base_url=fake.base_url,
        database_url=database_url,
        manager_ids=str(MANAGER.id),
        default_language="en",
        reminder_minutes="240",
        reminder_interval_seconds="5",
    )
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.core.cli", "run", env=env, cwd=log.parent, stdout=handle, stderr=handle
        )
    finally:
        handle.close()


async def stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    """Stop the bots still running (SIGINT, as Ctrl-C) and wait for each to end."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        await asyncio.wait_for(process.wait(), timeout=30)
