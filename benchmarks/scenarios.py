"""The race for one slot, the reminders fan-out under Telegram's limits, and the idle footprint."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.lab import Database, Lab, add_due_bookings
from benchmarks.procs import BotProcess, bot_env, fabdesk_argv
from benchmarks.workload import Driver, _buttons, members
from models.bookings import Booking, BookingStatus
from models.db import create_engine
from tests.fakebot import ApiCall, FakeBotApi, FloodLimits

REMINDER_TEXTS = ("Reminder:", "About your booking")


async def _bookings_at(database: Database, machine_id: int, start: datetime) -> dict[str, int]:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Booking.status, func.count())
                .where(Booking.machine_id == machine_id, Booking.start_at == start)
                .group_by(Booking.status)
            )
            return {str(status): count for status, count in rows.tuples()}
    finally:
        await engine.dispose()


async def race(driver: Driver, database: Database, lab: Lab, racers: int = 100) -> dict[str, Any]:
    """`racers` members reach the confirmation of one slot, then all press Confirm at once."""
    users = members(lab.member_ids[500 : 500 + racers])
    scout = users[0]
    day_code = lab.race_day.year * 10000 + lab.race_day.month * 100 + lab.race_day.day
    screen = await driver.say(scout, "/start")
    screen = await driver.press(scout, screen, "bk")
    screen = await driver.press(scout, screen, f"bk:m:{lab.race_machine_id}")
    screen = await driver.press(scout, screen, f"bk:d:{lab.race_machine_id}:{day_code}")
    starts = _buttons(screen, "bk:s:")
    if not starts:
        raise RuntimeError(f"no free start on the race day: {screen.describe() if screen else None}")
    screen = await driver.press(scout, screen, starts[len(starts) // 2][1])
    lengths = _buttons(screen, "bk:l:")
    if not lengths:
        raise RuntimeError("no length offered for the race slot")
    slot = lengths[0][1]
    _action, machine, minute, _minutes = slot.rsplit(":", 3)
    start = datetime.fromtimestamp(int(minute) * 60, UTC)

    async def reach(user: Any) -> ApiCall | None:
        greeting = await driver.say(user, "/start")
        return await driver.press(user, greeting, slot)

    confirmations = await asyncio.gather(*(reach(user) for user in users))
    ready = [(u, c) for u, c in zip(users, confirmations, strict=True) if _buttons(c, "bk:ok:")]
    if len(ready) != len(users):
        raise RuntimeError(f"only {len(ready)} of {len(users)} members reached the confirmation")
    pressed = time.monotonic()
    answers = await asyncio.gather(
        *(driver.press(user, screen, _buttons(screen, "bk:ok:")[0][1]) for user, screen in ready)
    )
    last = max((a.time for a in answers if a is not None), default=pressed)
    texts = [(a.text or str(a.params.get("text") or "")) if a is not None else "" for a in answers]
    booked = sum("Your booking is confirmed" in t for t in texts)
    refused = sum("just taken" in t for t in texts)
    in_database = await _bookings_at(database, int(machine), start)
    return {
        "members": len(users),
        "slot": {"machine_id": int(machine), "start": start.isoformat()},
        "confirmed_answers": booked,
        "slot_taken_answers": refused,
        "other_answers": len(users) - booked - refused,
        "unanswered": sum(a is None for a in answers),
        "other_answer_texts": sorted(
            {t[:80] for t in texts if "confirmed" not in t and "just taken" not in t}
        ),
        "bookings_in_database": in_database,
        "all_answered_in_s": round(last - pressed, 2),
        "ok": booked == 1 and refused == len(users) - 1 and in_database == {"confirmed": 1},
    }


async def idle_footprint(bot: BotProcess, fake: FakeBotApi, seconds: float) -> dict[str, Any]:
    """CPU the bot uses while nobody talks to it, and its peak memory so far."""
    await asyncio.sleep(2)  # let the last answers settle
    polls_before = len(fake.calls_of("getUpdates"))
    cpu_before, began = bot.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, elapsed = bot.cpu_seconds() - cpu_before, time.monotonic() - began
    memory = bot.memory_kb()
    return {
        "idle_s": round(elapsed, 1),
        "idle_cpu_s": round(cpu, 3),
        "idle_cpu_percent": round(100 * cpu / elapsed, 3),
        "polls_while_idle": len(fake.calls_of("getUpdates")) - polls_before,
        "rss_mb": round(memory["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(memory["VmHWM"] / 1024, 1),
    }


async def fanout(
    database: Database,
    lab: Lab,
    workdir: Path,
    count: int,
    limits: FloodLimits,
    wait_s: float,
    argv: list[str] | None = None,
    name: str = "fanout",
) -> dict[str, Any]:
    """`count` reminders due at start-up, sent by the bot's job through a fake enforcing Telegram's limits."""
    lead = timedelta(minutes=60)
    chats = set(await add_due_bookings(database, lab, count, lead))
    delivered: list[tuple[float, int]] = []
    refused = Counter[str]()
    other_messages = 0
    all_delivered = asyncio.Event()

    def on_call(call: ApiCall) -> None:
        nonlocal other_messages
        if call.method != "sendMessage":
            return
        is_reminder = call.chat_id in chats and any(t in (call.text or "") for t in REMINDER_TEXTS)
        if call.status == 429:
            refused["reminders" if is_reminder else "other"] += 1
        elif is_reminder and call.ok:
            delivered.append((call.time, call.chat_id or 0))
            if len(delivered) >= count:
                all_delivered.set()
        elif call.ok:
            other_messages += 1

    async with FakeBotApi(flood_limits=limits) as fake:
        fake.listeners.append(on_call)
        env = bot_env(
            fake,
            database_url=database.url,
            reminder_minutes=str(int(lead.total_seconds() // 60)),
            reminder_interval_seconds="5",
        )
        bot = BotProcess(
            f"fabdesk {name} ({database.display})",
            argv or fabdesk_argv(),
            env,
            workdir,
            workdir / f"{name}.log",
        )
        started = time.monotonic()
        await bot.start(fake)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_delivered.wait(), wait_s)
            await asyncio.sleep(7)  # one more run of the job: anything sent twice would show
            memory = bot.memory_kb()
        finally:
            await bot.stop()
            errors = bot.logged_errors()
    per_chat = Counter(chat for _t, chat in delivered)
    times = sorted(t for t, _chat in delivered)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    gaps = sorted((b - a for a, b in itertools.pairwise(times)), reverse=True)[:3]
    reminded = await _reminded(database, start_after=datetime.now(UTC) - timedelta(hours=2))
    return {
        "reminders_due": count,
        "delivered_chats": len(per_chat),
        "delivered_messages": len(times),
        "lost": len(chats - set(per_chat)),
        "sent_twice": sum(n - 1 for n in per_chat.values() if n > 1),
        "recorded_in_database": reminded,
        "first_after_start_s": round(times[0] - started, 2) if times else None,
        "span_s": round(span, 2),
        "rate_per_s": round(rate, 2),
        "allowed_per_s": limits.per_bot / limits.bot_period,
        "rate_vs_allowed": round(rate / (limits.per_bot / limits.bot_period), 3),
        "refused_429": dict(refused),
        "other_messages": other_messages,
        "longest_gaps_s": [round(g, 2) for g in gaps],
        "peak_rss_mb": round(memory["VmHWM"] / 1024, 1),
        "bot_errors_logged": errors[:10],
    }


async def _reminded(database: Database, start_after: datetime) -> int:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count())
                    .select_from(Booking)
                    .where(
                        Booking.start_at > start_after,
                        Booking.reminded_at.is_not(None),
                        Booking.status == BookingStatus.CONFIRMED,
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()
