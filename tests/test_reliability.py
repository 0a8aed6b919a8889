"""Faults survived: the bot killed while sending, and Telegram failing in every documented way."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.outbox import deliver_outbox
from models.bookings import Booking, BookingStatus
from models.maintenance import Ticket
from models.members import Member
from models.outbox import OutboxMessage
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)
from tests.workload import MEMBERS, REPORTS, delivered, seed_due_work, start_bot

CAROL = FakeUser(1003, "Carol", language_code="en")


async def wait_for_sent(fake: FakeBotApi, at_least: int, within: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while sum(1 for c in fake.calls if c.method == "sendMessage" and c.status == 200) < at_least:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"fewer than {at_least} messages after {within}s:\n{fake.recent_calls(30)}")
        await asyncio.sleep(0.05)


async def test_killed_while_sending_then_restarted_every_reminder_and_alert_arrives(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_due_work(sessions, now)  # 40 reminders due within 4 hours, 30 fault alerts queued
    expected = MEMBERS + REPORTS

    log = tmp_path / "bot.log"
    kills = 0
    async with FakeBotApi() as fake:
        fake.delay["sendMessage"] = 0.05  # sending takes a while: the kills land mid-way
        for stop_after in (12, 35):
            process = await start_bot(fake, database_url, log)
            try:
                await wait_for_sent(fake, stop_after)
            finally:
                process.send_signal(signal.SIGKILL)  # no clean shutdown, no flush, nothing
                await process.wait()
            kills += 1
        reminders, alerts = delivered(fake)
        assert sum(reminders.values()) + sum(alerts.values()) < expected, "the kills came too late to test"

        process = await start_bot(fake, database_url, log)
        try:
            deadline = asyncio.get_running_loop().time() + 90
            while True:
                reminders, alerts = delivered(fake)
                if len(reminders) == MEMBERS and len(alerts) == REPORTS:
                    break
                assert asyncio.get_running_loop().time() < deadline, (
                    f"{len(reminders)} reminders, {len(alerts)} alerts:\n{fake.recent_calls(12)}"
                )
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # anything sent twice would show by now
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), timeout=30)
        reminders, alerts = delivered(fake)

    # Nothing lost: every member got their reminder, the manager every alert.
    assert set(reminders) == {10_000 + i for i in range(MEMBERS)}
    assert set(alerts) == {f"Fault number {i:02d}" for i in range(REPORTS)}
    # At most the messages in flight at each kill (Telegram got them, the bot never heard back)
    # come twice: one reminder and one alert per kill at worst.
    duplicates = sum(n - 1 for n in reminders.values()) + sum(n - 1 for n in alerts.values())
    print(f"\nduplicates after {kills} kills: {duplicates}")
    assert duplicates <= 2 * kills, (reminders, alerts)
    async with sessions() as session:
        unreminded = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.reminded_at.is_(None))
        )
        pending = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    assert (unreminded, pending) == (0, 0)
    assert "Traceback" not in log.read_text()


# --------------------------------------------------------------------------- Telegram's faults


def error_reports(fake: FakeBotApi) -> list[str]:
    """What the managers were told about unexpected errors, and the apologies people got."""
    return [
        c.text or ""
        for c in fake.calls
        if c.method in ("sendMessage", "answerCallbackQuery")
        and ("fabdesk error" in (c.text or "") or "Something went wrong" in (c.text or ""))
    ]


async def test_a_press_answered_too_late_or_a_screen_already_shown_still_books(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        # Telegram: "query is too old" (the bot answered after Telegram's 15 s) on the Confirm press.
        fake.fail_next(
            "answerCallbackQuery",
            description="Bad Request: query is too old and response timeout expired or query ID is invalid",
        )
        mark = fake.mark()
        fake.press_button(ALICE, fake.last_message(ALICE.id) or {}, "Confirm")
        done = await fake.wait_for_call("editMessageText", ALICE.id, after=mark)
        assert "Your booking is confirmed" in (done.text or "")
        # Telegram: "message is not modified" (the same screen again): nothing else is sent.
        await say(fake, ALICE, "/mybookings")
        fake.fail_next("editMessageText", description="Bad Request: message is not modified: same content")
        mark = fake.mark()
        await press_data(fake, ALICE, "my")
        await fake.wait_until_idle()
        assert [c.method for c in fake.calls[mark:] if c.method != "getUpdates"] == [
            "answerCallbackQuery",
            "editMessageText",
        ]
    assert error_reports(fake) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_alerts_refused_for_a_while_are_sent_later_and_a_blocked_member_is_recorded(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        desk = app.bot_data["fabdesk"]
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, BOB, "Confirm")
        fake.blocked_chats.add(BOB.id)  # Bob blocked the bot since
        # Telegram is in trouble for the manager's chat: a 502, then "too many requests".
        fake.fail_next("sendMessage", status=502, chat_id=MANAGER.id)
        fake.fail_next("sendMessage", status=429, retry_after=3, chat_id=MANAGER.id)
        await say(fake, ALICE, "/report")
        await tap(fake, ALICE, "Prusa MK4")
        await say(fake, ALICE, "Smoke from the power supply")
        await tap(fake, ALICE, "Unusable")  # takes the printer out of booking: Bob must be told
        await fake.wait_until_idle()
        # Meanwhile the bot serves everyone else.
        assert "Hello Carol" in ((await say(fake, CAROL, "/start")).text or "")

        for _ in range(4):  # the sender's next runs, after its pauses
            clock.advance(minutes=2)
            await deliver_outbox(desk, app.bot)
    alerts = [
        c for c in fake.calls_of("sendMessage", MANAGER.id) if c.status == 200 and "Smoke" in (c.text or "")
    ]
    assert len(alerts) == 1
    assert error_reports(fake) == []
    async with sessions() as session:
        bob = await session.scalar(select(Member).where(Member.telegram_id == BOB.id))
        assert bob is not None and bob.blocked_at is not None
        to_bob = (await session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == bob.id))).all()
        assert [m.kind for m in to_bob] == ["booking_affected"]
        assert to_bob[0].sent_at is None and to_bob[0].failed_at is not None
        assert "blocked" in (to_bob[0].last_error or "")
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None  # the report itself was never in doubt


async def test_a_call_that_times_out_loses_no_booking_and_holds_up_nobody(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        fake.delay["editMessageText"] = 7.0  # longer than python-telegram-bot's 5 s read timeout
        mark = fake.mark()
        fake.press_button(ALICE, fake.last_message(ALICE.id) or {}, "Confirm")
        await fake.wait_for_call("answerCallbackQuery", after=mark)
        # While Alice's screen hangs, Bob is answered at once.
        started = asyncio.get_running_loop().time()
        assert "Hello Bob" in ((await say(fake, BOB, "/start")).text or "")
        assert asyncio.get_running_loop().time() - started < 4
        fake.delay.clear()
        await fake.wait_until_idle(timeout=15)
    async with sessions() as session:
        booking = await session.scalar(select(Booking))
        assert booking is not None and booking.status is BookingStatus.CONFIRMED
    # A timeout is network trouble: logged, not reported to the managers as a bug.
    assert not [t for t in error_reports(fake) if "fabdesk error" in t]
