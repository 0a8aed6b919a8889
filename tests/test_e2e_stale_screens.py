"""Booking screens left open until their time has passed: the member is told why, and gets a fresh
screen in place of the stale one (through the real application and the fake Bot API)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import Booking
from tests.factories import NOW, make_machine
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import ALICE, Clock, running_bot, say, tap, test_settings

ALICE_FR = FakeUser(ALICE.id, ALICE.first_name, username="alice", language_code="fr")


async def press(fake: FakeBotApi, user: FakeUser, button: str) -> tuple[ApiCall, ApiCall]:
    """Press a button on the user's latest message: (the answer to the press, the screen shown)."""
    mark = fake.mark()
    fake.press_button(user, fake.last_message(user.id) or {}, button)
    answer = await fake.wait_for_call("answerCallbackQuery", after=mark)
    screen = await fake.wait_for(
        lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == user.id, after=mark
    )
    return answer, screen


async def bookings_made(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Booking)) or 0


async def test_yesterdays_start_button_says_the_day_has_passed_and_shows_todays_start_times(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()  # Monday 4 March, 07:00 in Paris
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, ALICE_FR, "/book")
        await tap(fake, ALICE_FR, "Prusa MK4")
        starts = await tap(fake, ALICE_FR, "lun. 4 mars")
        assert "18:00" in [label for label, _d in starts.buttons()]
        clock.now = NOW + timedelta(days=1, hours=1)  # the next morning, 08:00

        answer, screen = await press(fake, ALICE_FR, "18:00")

        assert answer.params.get("text") == "Ce jour est passé."
        text = screen.text or ""
        assert "n'est plus libre" not in text and "n'est plus libre" not in str(answer.params)
        assert text.startswith("⏰ Ce jour est passé.")
        assert "mardi 5 mars" in text and "Heures de début disponibles" in text
        # The screen was edited in place, and its buttons are today's start times.
        assert screen.method == "editMessageText"
        labels = [label for label, _d in screen.buttons()]
        assert labels[:2] == ["09:00", "09:30"]
        # They work.
        lengths = await tap(fake, ALICE_FR, "09:00")
        assert "Pour combien de temps" in (lengths.text or "")
    assert await bookings_made(sessions) == 0


async def test_a_past_day_button_shows_the_days_and_stale_length_and_confirm_buttons_book_nothing(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        # A day list left open overnight: its Monday button.
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Prusa MK4")
        clock.advance(days=1)
        answer, screen = await press(fake, ALICE, "Mon 4 Mar")
        assert answer.params.get("text") == "That day has passed."
        assert (screen.text or "").startswith("⏰ That day has passed.")
        assert "Which day?" in (screen.text or "")
        assert screen.buttons()[0][0] == "Tue 5 Mar"

        # Lengths of 10:00 shown at 07:00, pressed at 10:30: today's free starts instead.
        await tap(fake, ALICE, "Tue 5 Mar")
        await tap(fake, ALICE, "10:00")
        clock.advance(hours=3, minutes=30)
        answer, screen = await press(fake, ALICE, "1 h → 11:00")
        assert answer.params.get("text") == "That start time has passed."
        assert (screen.text or "").startswith("⏰ That start time has passed.")
        assert "Tuesday 5 March" in (screen.text or "") and "Free start times" in (screen.text or "")
        assert screen.buttons()[0][0] == "10:30"

        # A confirmation left open past its start: nothing is booked, today's free starts are shown.
        await tap(fake, ALICE, "11:00")
        await tap(fake, ALICE, "1 h → 12:00")
        clock.advance(minutes=45)  # 11:15
        answer, screen = await press(fake, ALICE, "Confirm")
        assert answer.params.get("text") == "That start time has passed."
        assert "Your booking is confirmed" not in (screen.text or "")
        assert screen.buttons()[0][0] == "11:30"
    assert await bookings_made(sessions) == 0


async def test_an_hour_button_of_a_fine_grid_pressed_once_that_hour_is_over_says_so(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        await make_machine(session, "Bambu X1", slot_minutes=10, max_booking_minutes=120)
    clock = Clock()
    async with running_bot(test_settings(fake, database_url), clock):
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Bambu X1")
        hours = await tap(fake, ALICE, "Mon 4 Mar")
        assert "14:00…" in [label for label, _d in hours.buttons()]
        clock.now = NOW + timedelta(hours=8)  # 15:00
        answer, screen = await press(fake, ALICE, "14:00…")
        assert answer.params.get("text") == "That start time has passed."
        assert (screen.text or "").startswith("⏰ That start time has passed.")
        assert screen.buttons()[0][0] == "15:00"
    assert await bookings_made(sessions) == 0
