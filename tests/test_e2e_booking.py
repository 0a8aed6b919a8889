"""A member books a machine by pressing buttons, through the real application and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.bookings import Booking, BookingStatus
from models.members import Member
from scheduler.reminders import send_due_reminders
from tests.factories import make_machine, open_every_day, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import ALICE, BOB, MANAGER, Clock, job_context, running_bot, test_settings


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api
    assert api.errors == []


@pytest_asyncio.fixture
async def lab(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A lab open 09:00–19:00 every day, with a printer and a laser that needs a training."""
    async with sessions.begin() as session:
        await open_every_day(session)
        await make_machine(session, "Prusa MK4", slot_minutes=30, max_booking_minutes=120)
        from models.machines import MachineKind

        await make_machine(session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER, requires_training=True)


async def tap(fake: FakeBotApi, user: FakeUser, button: str) -> ApiCall:
    """Press a button on the user's latest bot message and return the bot's next screen for them."""
    message = fake.last_message(user.id)
    assert message is not None, f"no message for {user.first_name}"
    mark = fake.mark()
    fake.press_button(user, message, button)
    await fake.wait_for_call("answerCallbackQuery", timeout=5, after=mark)
    return await fake.wait_for(
        lambda c: c.method in {"editMessageText", "sendMessage"} and c.chat_id == user.id, after=mark
    )


async def say(fake: FakeBotApi, user: FakeUser, text: str) -> ApiCall:
    mark = fake.mark()
    fake.send_message(user, text)
    return await fake.wait_for_call("sendMessage", user.id, after=mark)


async def book_through_buttons(
    fake: FakeBotApi, user: FakeUser, day_label: str, start: str, length: str
) -> ApiCall:
    await say(fake, user, "/start")
    await tap(fake, user, "Book a machine")
    await tap(fake, user, "Prusa MK4")
    await tap(fake, user, day_label)
    await tap(fake, user, start)
    return await tap(fake, user, length)


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
