"""Stock, updates and the daily digest through the real application and the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import ask_about_usage, remind_due_updates, send_daily_digest, send_weekly_summary
from bot.core.outbox import deliver_outbox
from models import stock
from models.machines import Machine
from models.members import Member
from models.stock import Consumable
from models.updates import UpdateItem
from tests.factories import NOW, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    MANAGER,
    Clock,
    book_through_buttons,
    job_context,
    running_bot,
    say,
    tap,
    test_settings,
)

EN_MANAGER = FakeUser(MANAGER.id, MANAGER.first_name, language_code="en")


async def add_pla(
    sessions: async_sessionmaker[AsyncSession], quantity: str = "600", minimum: str = "500"
) -> None:
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        session.add(
            Consumable(
                name="PLA noir",
                unit="g",
                quantity_milli=stock.to_milli(Decimal(quantity)),
                minimum_milli=stock.to_milli(Decimal(minimum)),
                supplier="Filament Shop",
                reorder_url="https://example.org/pla",
                active=True,
                created_at=NOW,
                machines=[printer],
            )
        )


async def pla(sessions: async_sessionmaker[AsyncSession]) -> Consumable:
    async with sessions() as session:
        found = await session.scalar(select(Consumable).where(Consumable.name == "PLA noir"))
        assert found is not None
        return found


async def test_member_records_what_they_used_and_the_managers_get_one_low_stock_alert(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await add_pla(sessions)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await say(fake, EN_MANAGER, "/start")
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        clock.now = paris(5, 11, 2)
        mark = fake.mark()
        assert await ask_about_usage(job_context(app)) == 1
        question = await fake.wait_for_call("sendMessage", ALICE.id, text_contains="is over", after=mark)
        assert "Did you use any consumables?" in (question.text or "")
        assert [label for label, _d in question.buttons()] == ["📦 PLA noir", "⏭ Nothing to record"]
        amounts = await tap(fake, ALICE, "PLA noir")
        assert "How much did you use?" in (amounts.text or "")
        mark = fake.mark()
        done = await tap(fake, ALICE, "250 g")
        assert "250 g of PLA noir recorded" in (done.text or "")
        alert = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Low stock", after=mark)
        assert "PLA noir, 350 g left (minimum 500 g)" in (alert.text or "")
        assert ("🛒 Reorder", "https://example.org/pla") in alert.buttons()
        # A second use while still low: no second alert.
        assert await ask_about_usage(job_context(app)) == 0
    async with sessions.begin() as session:  # a manager's correction while still low
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        assert manager is not None
        consumable = await session.scalar(select(Consumable))
        assert consumable is not None
        await stock.move(
            session, manager, consumable.id, Decimal(-10), stock.MovementReason.CORRECTION, [MANAGER.id], NOW
        )
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
    assert len([c for c in fake.calls_of("sendMessage", MANAGER.id) if "Low stock" in (c.text or "")]) == 1
    assert (await pla(sessions)).quantity == Decimal("340")


async def test_manager_restocks_by_button_and_counts_by_typing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await add_pla(sessions, quantity="100")
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        listing = await say(fake, EN_MANAGER, "/stock")
        assert "1 below its minimum." in (listing.text or "")
        assert listing.buttons()[0][0] == "⚠️ 100 g · PLA noir"
        screen = await tap(fake, EN_MANAGER, "PLA noir")
        assert "In stock: 100 g (minimum 500 g)" in (screen.text or "")
        restocked = await tap(fake, EN_MANAGER, "+1,000 g")
        assert "In stock: 1,100 g" in (restocked.text or "")
        asked = await tap(fake, EN_MANAGER, "Count")
        assert "How much is there, counted?" in (asked.text or "")
        wrong = await say(fake, EN_MANAGER, "about a spool")
        assert "not an amount" in (wrong.text or "")
        counted = await say(fake, EN_MANAGER, "1050,5")
        assert "Recorded." in (counted.text or "") and "In stock: 1,050.5 g" in (counted.text or "")
        assert "-49.5 g (inventory count) — Morgane" in (counted.text or "")
        refused = await say(fake, ALICE, "/stock")
        assert "Only the fab managers" in (refused.text or "")
    assert (await pla(sessions)).quantity == Decimal("1050.5")


async def test_update_check_falls_due_is_reminded_once_and_done_records_the_version(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        session.add(
            UpdateItem(
                name="PrusaSlicer",
                current_version="2.7.1",
                check_every_days=30,
                last_checked_at=NOW,
                not_applicable=False,
                created_at=NOW,
            )
        )
    clock = Clock(NOW + timedelta(days=31))
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, clock) as app:
        assert await remind_due_updates(job_context(app)) == 1
        reminder = await fake.wait_for_call(
            "sendMessage", MANAGER.id, text_contains="Time to check for updates"
        )
        assert "PrusaSlicer, version 2.7.1" in (reminder.text or "")
    async with running_bot(settings, clock) as app:  # a restart: not reminded again
        assert await remind_due_updates(job_context(app)) == 0
        mark = fake.mark()
        fake.press_button(EN_MANAGER, reminder, "Updated")
        asked = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        assert "Which version is installed now (it was 2.7.1)?" in (asked.text or "")
        done = await say(fake, EN_MANAGER, "2.8.1")
        assert "PrusaSlicer 2.8.1" in (done.text or "") and "2.7.1 → 2.8.1" in (done.text or "")
    assert (
        len([c for c in fake.calls_of("sendMessage", MANAGER.id) if "Time to check" in (c.text or "")]) == 1
    )
    async with sessions() as session:
        item = await session.scalar(select(UpdateItem))
        assert item is not None and item.current_version == "2.8.1" and item.last_checked_at == clock.now


async def test_daily_digest_is_sent_once_across_restarts_and_missed_ones_catch_up(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    await add_pla(sessions, quantity="100")
    settings = test_settings(fake, database_url, default_language="en", digest_time="08:30")
    clock = Clock(datetime(2030, 3, 5, 7, 0, tzinfo=UTC))  # 08:00 in Paris
    async with running_bot(settings, clock) as app:
        assert await send_daily_digest(job_context(app)) is False
    clock.now = datetime(2030, 3, 5, 9, 45, tzinfo=UTC)  # the bot was down at 08:30; back at 10:45
    async with running_bot(settings, clock) as app:
        assert await send_daily_digest(job_context(app)) is True
        digest = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Good morning")
        assert await send_daily_digest(job_context(app)) is False
    async with running_bot(settings, clock) as app:
        assert await send_daily_digest(job_context(app)) is False
    text = digest.text or ""
    assert "Tuesday 5 March" in text and "Below minimum:" in text and "PLA noir — 100 g / 500 g" in text
    assert "All clear" not in text
    assert len([c for c in fake.calls_of("sendMessage", MANAGER.id) if "Good morning" in (c.text or "")]) == 1


async def test_all_clear_digest_when_nothing_is_due(fake: FakeBotApi, database_url: str) -> None:
    clock = Clock(datetime(2030, 3, 5, 8, 0, tzinfo=UTC))
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        assert await send_daily_digest(job_context(app)) is True
        digest = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Good morning")
    assert "All clear" in (digest.text or "")


async def test_a_manager_who_blocked_the_bot_is_recorded_and_skipped(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = Clock(datetime(2030, 3, 5, 8, 0, tzinfo=UTC))
    async with running_bot(test_settings(fake, database_url, default_language="en"), clock) as app:
        await say(fake, EN_MANAGER, "/start")
        fake.blocked_chats.add(MANAGER.id)
        assert await send_daily_digest(job_context(app)) is True
        await fake.wait_for(lambda c: c.chat_id == MANAGER.id and c.status == 403)
        clock.advance(days=1)
        assert await send_daily_digest(job_context(app)) is True
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
    attempts = [c for c in fake.calls_of("sendMessage", MANAGER.id) if c.status == 403]
    assert len(attempts) == 1, "the second digest was skipped, not sent into the void"
    async with sessions() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER.id))
        assert manager is not None and manager.blocked_at is not None


async def test_update_checks_falling_due_together_make_one_message_with_a_row_each(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        printer = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
        assert printer is not None
        names = ["Firmware Prusa MK4", "PrusaSlicer"] + [f"Logiciel {n}" for n in range(1, 10)]
        for name in names:
            session.add(
                UpdateItem(
                    name=name,
                    machine_id=printer.id if "Prusa" in name else None,
                    current_version="6.1.3" if name.startswith("Firmware") else "2.7.1",
                    check_every_days=30,
                    last_checked_at=NOW,
                    not_applicable=False,
                    created_at=NOW,
                )
            )
    clock = Clock(NOW + timedelta(days=31))
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, clock) as app:
        assert await remind_due_updates(job_context(app)) == 11
        reminder = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Time to check")
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
    async with running_bot(settings, clock) as app:  # a restart: nothing sent again
        assert await remind_due_updates(job_context(app)) == 0
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        reminders = [c for c in fake.calls_of("sendMessage", MANAGER.id) if "Time to check" in (c.text or "")]
        assert reminders == [reminder]
        text = reminder.text or ""
        assert "11 items" in text and "• Firmware Prusa MK4 · 6.1.3" in text
        assert "• PrusaSlicer (Prusa MK4) · 2.7.1" in text  # the machine named once, where it helps
        labels = [row[0]["text"] for row in reminder.params["reply_markup"]["inline_keyboard"]]
        assert len(labels) == 11 and all(len(label) <= 32 for label in labels)
        assert "🔄 6.1.3 · Firmware Prusa MK4" in labels and "🔄 2.7.1 · Logiciel 4" in labels
        # One row opens its item, whose Updated still records the version.
        mark = fake.mark()
        fake.press_button(EN_MANAGER, reminder, "Logiciel 4")
        item = await fake.wait_for_call("editMessageText", MANAGER.id, after=mark)
        assert "Logiciel 4 2.7.1" in (item.text or "")
        mark = fake.mark()
        fake.press_button(EN_MANAGER, item, "Updated")
        asked = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        assert "it was 2.7.1" in (asked.text or "")
        await say(fake, EN_MANAGER, "2.8.0")
    async with sessions() as session:
        updated = await session.scalar(select(UpdateItem).where(UpdateItem.name == "Logiciel 4"))
        other = await session.scalar(select(UpdateItem).where(UpdateItem.name == "Logiciel 5"))
        assert updated is not None and updated.current_version == "2.8.0"
        assert updated.last_checked_at == clock.now
        assert other is not None and other.current_version == "2.7.1" and other.last_checked_at == NOW


async def test_a_manager_who_takes_the_stock_below_its_minimum_is_not_alerted_the_others_are(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    karim = FakeUser(901, "Karim", language_code="en")
    async with sessions.begin() as session:
        session.add(
            Consumable(
                name="Contreplaqué peuplier 3 mm 600 × 300",
                unit="feuilles",
                quantity_milli=stock.to_milli(Decimal(120)),
                minimum_milli=stock.to_milli(Decimal(100)),
                supplier="",
                active=True,
                created_at=NOW,
            )
        )
    settings = test_settings(fake, database_url, default_language="en", manager_ids=[MANAGER.id, karim.id])
    async with running_bot(settings, Clock()) as app:
        await say(fake, karim, "/start")
        listing = await say(fake, EN_MANAGER, "/stock")
        assert listing.buttons()[0][0] == "120 fl · Contre…3 mm 600 × 300"  # the quantity first, short
        await tap(fake, EN_MANAGER, "3 mm 600 × 300")
        await tap(fake, EN_MANAGER, "Correction")
        mark = fake.mark()
        screen = await say(fake, EN_MANAGER, "-60")
        assert "Below its minimum" in (screen.text or "")
        await fake.wait_for_call("sendMessage", karim.id, text_contains="Low stock", after=mark)
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        listing = await say(fake, EN_MANAGER, "/stock")
        assert listing.buttons()[0][0] == "⚠️ 60 fl · Contrep…3 mm 600 × 300"
    assert not [c for c in fake.calls_of("sendMessage", MANAGER.id) if "Low stock" in (c.text or "")]
    assert len([c for c in fake.calls_of("sendMessage", karim.id) if "Low stock" in (c.text or "")]) == 1


async def test_no_weekly_summary_on_a_new_databases_first_start_one_after_its_first_week(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    clock = Clock(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # Thursday 3 December: a new lab's first start
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, clock) as app:
        assert await send_weekly_summary(job_context(app)) is False  # the week of 23 November: no lab yet
        await say(fake, EN_MANAGER, "/start")
        await book_through_buttons(fake, ALICE, "Fri 4 Dec", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await deliver_outbox(app.bot_data["fabdesk"], app.bot)
        assert not [c for c in fake.calls_of("sendMessage", MANAGER.id) if "Last week" in (c.text or "")]
        clock.now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 7 December, 09:00 in Paris
        assert await send_weekly_summary(job_context(app)) is True
        summary = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Last week")
    assert "Monday 30 November – Sunday 6 December" in (summary.text or "")
    assert "Hours booked: 1.0 h" in (summary.text or "")
