"""A member books a machine by pressing buttons, through the real application and the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import send_due_reminders
from models.bookings import Booking, BookingStatus
from models.members import Member
from scheduler import reminders
from tests.factories import make_machine, open_every_day, paris
from tests.fakebot import FakeBotApi
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    job_context,
    press_data,
    running_bot,
    say,
    tap,
    test_settings,
)


async def test_member_books_a_machine_in_a_few_taps(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        greeting = await say(fake, ALICE, "/start")
        assert "Hello Alice" in (greeting.text or "")
        labels = [text for text, _data in greeting.buttons()]
        assert any("Book a machine" in label for label in labels)
        assert any("My bookings" in label for label in labels)
        assert any("Help" in label for label in labels)

        machines = await tap(fake, ALICE, "Book a machine")
        assert any("Prusa MK4" in t for t, _d in machines.buttons())
        days = await tap(fake, ALICE, "Prusa MK4")
        assert "Which day?" in (days.text or "")
        times = await tap(fake, ALICE, "Tue 5 Mar")
        assert "Free start times" in (times.text or "")
        lengths = await tap(fake, ALICE, "10:00")
        assert "For how long?" in (lengths.text or "")
        confirm = await tap(fake, ALICE, "1 h → 11:00")
        assert "Book this slot?" in (confirm.text or "")
        done = await tap(fake, ALICE, "Confirm")
        assert "Your booking is confirmed" in (done.text or "")
        assert "Tuesday 5 March, 10:00–11:00" in (done.text or "")

    async with sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
        assert (booking.start_at, booking.end_at) == (paris(5, 10), paris(5, 11))
        assert booking.status is BookingStatus.CONFIRMED
        alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
        assert alice is not None and booking.member_id == alice.id


async def test_second_member_cannot_take_the_same_slot_and_is_shown_the_next_free_ones(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        # Both reach the confirmation of Tuesday 10:00–11:00; Alice confirms first.
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00")
        assert "Your booking is confirmed" in ((await tap(fake, ALICE, "Confirm")).text or "")

        refused = await tap(fake, BOB, "Confirm")

        assert "just taken" in (refused.text or "")
        assert "next free slots" in (refused.text or "")
        offered = [label for label, _data in refused.buttons()]
        assert offered[0] == "Tue 5 Mar 11:00"
        # One tap on an alternative leads to its confirmation, then to a booking.
        assert "Book this slot?" in ((await tap(fake, BOB, "Tue 5 Mar 11:00")).text or "")
        assert "Your booking is confirmed" in ((await tap(fake, BOB, "Confirm")).text or "")

    async with sessions() as session:
        rows = (await session.execute(select(Member.first_name, Booking.start_at).join(Booking.member))).all()
        assert sorted(rows) == [("Alice", paris(5, 10)), ("Bob", paris(5, 11))]


async def test_member_cancels_from_my_bookings_and_cannot_touch_another_members_booking(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await book_through_buttons(fake, BOB, "Wed 6 Mar", "14:00", "30 min → 14:30")
        await tap(fake, BOB, "Confirm")
        async with sessions() as session:
            alice_booking = await session.scalar(
                select(Booking.id).join(Booking.member).where(Member.first_name == "Alice")
            )

        # Bob's list shows only his booking.
        bob_list = await tap(fake, BOB, "My bookings")
        assert "Wednesday 6 March, 14:00–14:30" in (bob_list.text or "")
        assert "Tuesday 5 March" not in (bob_list.text or "")

        # Bob forges the buttons for Alice's booking: refused, and nothing changes.
        for forged in (f"my:c:{alice_booking}", f"my:y:{alice_booking}"):
            answer = await press_data(fake, BOB, forged)
            assert "no longer available" in answer.params.get("text", "")

        # Alice cancels hers, with a confirmation.
        mine = await tap(fake, ALICE, "My bookings")
        assert "Tuesday 5 March, 10:00–11:00" in (mine.text or "")
        ask = await tap(fake, ALICE, "Cancel · Prusa MK4")
        assert "Cancel this booking?" in (ask.text or "")
        kept = await tap(fake, ALICE, "No, keep it")
        assert "Tuesday 5 March, 10:00–11:00" in (kept.text or "")
        await tap(fake, ALICE, "Cancel · Prusa MK4")
        done = await tap(fake, ALICE, "Yes, cancel it")
        assert "is cancelled" in (done.text or "")
        assert "You have no upcoming booking." in (done.text or "")

        # The old confirmation button pressed again: already cancelled, said clearly.
        answer = await press_data(fake, ALICE, f"my:y:{alice_booking}")
        assert "already cancelled" in answer.params.get("text", "")

    async with sessions() as session:
        statuses = dict(
            (await session.execute(select(Member.first_name, Booking.status).join(Booking.member))).all()
        )
        assert statuses == {"Alice": BookingStatus.CANCELLED, "Bob": BookingStatus.CONFIRMED}


async def test_reminder_arrives_once_even_across_a_restart(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    clock = Clock()
    settings = test_settings(fake, database_url)
    async with running_bot(settings, clock) as app:
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        clock.now = paris(5, 9, 29)
        assert await send_due_reminders(job_context(app)) == 0
        clock.now = paris(5, 9, 31)
        assert await send_due_reminders(job_context(app)) == 1
        assert await send_due_reminders(job_context(app)) == 0
    # A new process on the same database: nothing is sent twice.
    async with running_bot(settings, clock) as app:
        clock.now = paris(5, 9, 40)
        assert await send_due_reminders(job_context(app)) == 0
    reminders = [c for c in fake.calls_of("sendMessage", ALICE.id) if "Reminder" in (c.text or "")]
    assert len(reminders) == 1
    assert "Prusa MK4 starts in 29 min (Tuesday 5 March, 10:00–11:00)" in (reminders[0].text or "")


async def test_reminders_beyond_one_batch_all_go_in_the_same_run(
    fake: FakeBotApi, database_url: str, lab: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class starts: more reminders are due at once than the job reads in one batch; all go now,
    not one batch per run of the job (a minute apart), and none twice."""
    monkeypatch.setattr(reminders, "BATCH", 1)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url, reminder_minutes=120), clock) as app:
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "11:00", "1 h → 12:00")
        await tap(fake, BOB, "Confirm")
        clock.now = paris(5, 9, 1)
        assert await send_due_reminders(job_context(app)) == 2
        assert await send_due_reminders(job_context(app)) == 0
    for member in (ALICE, BOB):
        assert sum("Reminder" in (c.text or "") for c in fake.calls_of("sendMessage", member.id)) == 1


async def test_reminder_due_while_the_bot_was_down_is_sent_on_restart(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    clock = Clock()
    settings = test_settings(fake, database_url)
    async with running_bot(settings, clock):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
    clock.now = paris(5, 9, 50)  # the bot was down when the reminder fell due at 09:30
    fake.blocked_chats.add(BOB.id)
    async with running_bot(settings, clock) as app:
        assert await send_due_reminders(job_context(app)) == 1
    assert sum("Reminder" in (c.text or "") for c in fake.calls_of("sendMessage", ALICE.id)) == 1


async def test_reminder_to_a_member_who_blocked_the_bot_is_recorded_not_retried(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        fake.blocked_chats.add(ALICE.id)
        clock.now = paris(5, 9, 31)
        assert await send_due_reminders(job_context(app)) == 0
        assert await send_due_reminders(job_context(app)) == 0
    attempts = [c for c in fake.calls_of("sendMessage", ALICE.id) if c.status == 403]
    assert len(attempts) == 1
    async with sessions() as session:
        assert (await session.scalar(select(Booking.reminded_at))) == paris(5, 9, 31)


async def test_machine_needing_training_leads_to_a_request_the_manager_grants_in_one_tap(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, MANAGER, "/start")
        await say(fake, BOB, "/start")
        machines = await tap(fake, BOB, "Book a machine")
        assert any("Trotec Speedy 🎓" in label for label, _d in machines.buttons())
        needs = await tap(fake, BOB, "Trotec Speedy")
        assert "needs a training" in (needs.text or "")
        mark = fake.mark()
        asked = await tap(fake, BOB, "Ask for a training")
        assert "sent to the fab managers" in (asked.text or "")

        alert = await fake.wait_for_call("sendMessage", MANAGER.id, after=mark)
        assert "Bob Martin demande une formation sur Trotec Speedy" in (alert.text or "")
        # Asking twice does not alert the managers twice.
        await tap(fake, BOB, "Main menu")
        await tap(fake, BOB, "Book a machine")
        await tap(fake, BOB, "Trotec Speedy")
        again = await tap(fake, BOB, "Ask for a training")
        assert "already with the fab managers" in (again.text or "")
        assert fake.calls_of("sendMessage", MANAGER.id)[-1] is alert

        mark = fake.mark()
        fake.press_button(MANAGER, alert, "Autoriser Bob")
        granted = await fake.wait_for_call("editMessageText", MANAGER.id, after=mark)
        assert "Bob Martin peut maintenant utiliser Trotec Speedy" in (granted.text or "")
        told = await fake.wait_for_call("sendMessage", BOB.id, after=mark)
        assert "You are now authorized on Trotec Speedy" in (told.text or "")

        days = await tap(fake, BOB, "Book a machine")
        assert any(label.endswith("Trotec Speedy") for label, _d in days.buttons())
        assert "Which day?" in ((await tap(fake, BOB, "Trotec Speedy")).text or "")


async def test_a_fine_slot_grid_is_booked_hour_first(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        await make_machine(session, "Soldering bench", slot_minutes=5, max_booking_minutes=30)
    async with running_bot(test_settings(fake, database_url), Clock()):
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Soldering bench")
        hours = await tap(fake, ALICE, "Tue 5 Mar")
        labels = [label for label, _d in hours.buttons()]
        assert labels[:3] == ["09:00…", "10:00…", "11:00…"] and len(labels) <= 100
        minutes = await tap(fake, ALICE, "14:00…")
        starts = [label for label, _d in minutes.buttons()][:12]
        assert starts == [f"14:{m:02d}" for m in range(0, 60, 5)]
        await tap(fake, ALICE, "14:05")
        await tap(fake, ALICE, "15 min → 14:20")
        done = await tap(fake, ALICE, "Confirm")
        assert "Tuesday 5 March, 14:05–14:20" in (done.text or "")


async def test_my_bookings_pages_through_many_bookings(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    from models import bookings
    from tests.factories import NOW, RULES, make_member

    async with sessions.begin() as session:
        alice = await make_member(session, "Alice", telegram_id=ALICE.id)
        for day in (5, 6, 7):
            for hour in range(9, 16):
                await bookings.book(session, alice, 1, paris(day, hour), 30, RULES, NOW)
        await bookings.book(session, alice, 1, paris(8, 9), 30, RULES, NOW)
    async with running_bot(test_settings(fake, database_url), Clock()):
        first = await say(fake, ALICE, "/mybookings")
        assert "(1–10 of 22)" in (first.text or "")
        second = await tap(fake, ALICE, "Next")
        third = await tap(fake, ALICE, "Next")
        assert "(21–22 of 22)" in (third.text or "")
        assert "Friday 8 March, 09:00–09:30" in (third.text or "")
        assert not any("Next" in label for label, _d in third.buttons())
        back = await tap(fake, ALICE, "Previous")
        assert back.text == second.text
