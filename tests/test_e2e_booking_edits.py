"""Changing one's booking from My bookings (longer, shorter, another start), through the real
application and the fake Bot API; the reminder follows the new start."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.jobs import send_due_reminders
from models import bookings
from models.bookings import Booking, BookingStatus
from models.machines import Machine
from models.members import Member
from tests.factories import RULES, make_member, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    Clock,
    book_through_buttons,
    job_context,
    running_bot,
    say,
    tap,
    test_settings,
)

CLAIRE = FakeUser(1003, "Claire", username="claire", language_code="fr")


async def _alice_booking(sessions: async_sessionmaker[AsyncSession], telegram_id: int = ALICE.id) -> Booking:
    async with sessions() as session:
        booking = await session.scalar(
            select(Booking).join(Booking.member).where(Member.telegram_id == telegram_id)
        )
        assert booking is not None
        return booking


async def test_a_member_extends_their_booking_from_my_bookings(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        async with sessions.begin() as session:  # someone holds 11:30–12:00: 1 h 30 at most
            prusa = await session.scalar(select(Machine).where(Machine.name == "Prusa MK4"))
            assert prusa is not None
            other = await make_member(session, "Zoé", telegram_id=5555)
            await bookings.book(session, other, prusa.id, paris(5, 11, 30), 30, RULES, paris(4, 7))
        listing = await say(fake, ALICE, "/mybookings")
        assert "Prusa MK4 — Tuesday 5 March, 10:00–11:00" in (listing.text or "")
        offer = await tap(fake, ALICE, "Change")
        labels = [text for text, _data in offer.buttons()]
        assert "30 min → 10:30" in labels and "1 h 30 min → 11:30" in labels
        assert not any("→ 12:00" in label for label in labels) and "1 h → 11:00" not in labels
        ask = await tap(fake, ALICE, "1 h 30 min → 11:30")
        assert "Before: Tuesday 5 March, 10:00–11:00" in (ask.text or "")
        assert "After: Tuesday 5 March, 10:00–11:30" in (ask.text or "")
        done = await tap(fake, ALICE, "Yes, change it")
        assert "Your booking of Prusa MK4 is now Tuesday 5 March, 10:00–11:30." in (done.text or "")
    booking = await _alice_booking(sessions)
    assert (booking.start_at, booking.end_at, booking.status) == (
        paris(5, 10),
        paris(5, 11, 30),
        BookingStatus.CONFIRMED,
    )


async def test_a_member_moves_their_booking_and_is_reminded_of_the_new_start_in_french(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock) as app:
        await say(fake, CLAIRE, "/start")
        for label in (
            "Réserver une machine",
            "Prusa MK4",
            "mar. 5 mars",
            "10:00",
            "1 h → 11:00",
            "Confirmer",
        ):
            await tap(fake, CLAIRE, label)
        clock.now = paris(5, 9, 30)
        assert await send_due_reminders(job_context(app)) == 1  # reminded of 10:00

        clock.now = paris(5, 9, 35)
        await say(fake, CLAIRE, "/mybookings")
        await tap(fake, CLAIRE, "Modifier")
        day = await tap(fake, CLAIRE, "Déplacer")
        assert "Déplacer votre réservation (Prusa MK4, 1 h) vers :" in (day.text or "")
        assert "mardi 5 mars" in (day.text or "")
        ask = await tap(fake, CLAIRE, "15:00")
        assert "Avant : mardi 5 mars, 10:00–11:00" in (ask.text or "")
        assert "Après : mardi 5 mars, 15:00–16:00" in (ask.text or "")
        done = await tap(fake, CLAIRE, "Oui, la modifier")
        assert "Votre réservation est modifiée : Prusa MK4, mardi 5 mars, 15:00–16:00." in (done.text or "")

        clock.now = paris(5, 14, 31)
        mark = fake.mark()
        assert await send_due_reminders(job_context(app)) == 1  # reminded again, of 15:00
        reminder = await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == CLAIRE.id and "Rappel" in (c.text or ""),
            after=mark,
        )
        assert "15:00–16:00" in (reminder.text or "")
    booking = await _alice_booking(sessions, CLAIRE.id)
    assert (booking.start_at, booking.end_at) == (paris(5, 15), paris(5, 16))
