"""Issue 7 through the real application: personal data, statistics, calendars and the waitlist."""

from __future__ import annotations

import csv
import io
import json

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.outbox import deliver_outbox
from models import bookings
from models.bookings import Booking, BookingStatus
from models.members import Member
from models.waitlist import WaitlistEntry
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
from tests.fakebot import ApiCall, FakeBotApi, FakeUser
from tests.harness import (
    ALICE,
    BOB,
    MANAGER,
    Clock,
    book_through_buttons,
    running_bot,
    say,
    tap,
    test_settings,
)

CAROL = FakeUser(1003, "Carol", language_code="en")


def attachment(call: ApiCall, field: str = "document") -> tuple[str, bytes]:
    """The file name and bytes the bot uploaded in a sendDocument/sendPhoto call."""
    upload = call.params[field]
    assert isinstance(upload, dict), f"{field} was not uploaded as a file: {upload!r}"
    return upload["filename"], upload["content"]


async def test_a_member_reads_the_notice_downloads_their_data_then_erases_it(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    settings = test_settings(fake, database_url, privacy_contact="dpo@fablab.example")
    async with running_bot(settings, Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")

        notice = await say(fake, ALICE, "/privacy")
        assert "months after your last message" in (notice.text or "")
        assert "dpo@fablab.example" in (notice.text or "")

        mark = fake.mark()
        await tap(fake, ALICE, "My data")
        sent = await fake.wait_for_call("sendDocument", ALICE.id, after=mark)
        name, content = attachment(sent)
        assert name.endswith(".json")
        data = json.loads(content)
        assert data["profile"]["first_name"] == "Alice" and data["profile"]["username"] == "alice"
        assert [b["machine"] for b in data["bookings"]] == ["Prusa MK4"]
        assert "Bob" not in content.decode()

        # /forgetme explains first and changes nothing until confirmed.
        ask = await say(fake, ALICE, "/forgetme")
        assert "cannot be undone" in (ask.text or "")
        async with sessions() as session:
            alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
            assert alice is not None and alice.erased_at is None
            alice_id = alice.id
        done = await tap(fake, ALICE, "Yes, erase my data")
        assert "Your personal data is erased" in (done.text or "")
        assert "1 upcoming booking was cancelled" in (done.text or "")

        # Writing again afterwards: a new member, who starts from nothing.
        again = await say(fake, ALICE, "/start")
        assert "Hello Alice" in (again.text or "")

    async with sessions() as session:
        erased = await session.get(Member, alice_id)
        assert erased is not None and erased.erased_at is not None
        assert erased.first_name != "Alice" and erased.username is None and erased.telegram_id != ALICE.id
        booking = (await session.scalars(select(Booking))).one()
        assert booking.status is BookingStatus.CANCELLED and booking.member_id == alice_id
        newcomer = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
        assert newcomer is not None and newcomer.id != alice_id
        assert not list(await session.scalars(select(Booking).where(Booking.member_id == newcomer.id)))


async def test_a_member_adds_their_bookings_to_their_calendar(
    fake: FakeBotApi, database_url: str, lab: None
) -> None:
    async with running_bot(test_settings(fake, database_url), Clock()):
        await book_through_buttons(fake, ALICE, "Tue 5 Mar", "10:00", "1 h → 11:00")
        await tap(fake, ALICE, "Confirm")
        await say(fake, ALICE, "/start")
        mine = await tap(fake, ALICE, "My bookings")
        calendar_button = next(label for label, _data in mine.buttons() if "calendar" in label.lower())
        mark = fake.mark()
        await tap_and_wait(fake, ALICE, calendar_button)
        sent = await fake.wait_for_call("sendDocument", ALICE.id, after=mark)
        name, content = attachment(sent)
        assert name.endswith(".ics")
        events = [c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT"]
        assert len(events) == 1
        assert "Prusa MK4" in str(events[0]["SUMMARY"])
        assert events[0].decoded("DTSTART") == paris(5, 10)


async def tap_and_wait(fake: FakeBotApi, user: FakeUser, label: str) -> None:
    """Press a button that answers with a file rather than a new screen."""
    message = fake.last_message(user.id)
    assert message is not None
    mark = fake.mark()
    fake.press_button(user, message, label)
    await fake.wait_for_call("answerCallbackQuery", after=mark)


async def test_the_manager_gets_figures_a_chart_and_a_csv_and_members_do_not(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    async with sessions.begin() as session:
        bob = await make_member(session, "Bob", telegram_id=BOB.id)
        printer = (
            await session.scalars(select(bookings.Machine).where(bookings.Machine.name == "Prusa MK4"))
        ).one()
        await bookings.book(session, bob, printer.id, paris(5, 10), 120, RULES, NOW)
    # A week later, the booking is in the past.
    later = Clock(NOW.replace(day=11))
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, later):
        refused = await say(fake, ALICE, "/stats")
        assert "fab manager" in (refused.text or "").lower()
        assert not fake.calls_of("sendPhoto", ALICE.id)

        await say(fake, MANAGER, "/stats")
        mark = fake.mark()
        seven_days = next(
            label for label, data in (fake.calls[-1].buttons() or [("", None)]) if label.startswith("7")
        )
        message = fake.last_message(MANAGER.id)
        assert message is not None
        fake.press_button(MANAGER, message, seven_days)
        photo = await fake.wait_for_call("sendPhoto", MANAGER.id, after=mark)
        _name, png = attachment(photo, "photo")
        assert png.startswith(b"\x89PNG")
        figures = await fake.wait_for(
            lambda c: c.chat_id == MANAGER.id and "Prusa MK4" in (c.text or ""), after=mark
        )
        assert "Prusa MK4 — 2,0 h" in (figures.text or "")  # the manager reads French

        mark = fake.mark()
        csv_button = next(label for label, _d in figures.buttons() if "CSV" in label)
        fake.press_button(MANAGER, figures, csv_button)
        sent = await fake.wait_for_call("sendDocument", MANAGER.id, after=mark)
        name, content = attachment(sent)
        assert name.endswith(".csv")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert len(rows) == 2  # the header and Bob's booking
        assert "Prusa MK4" in rows[1]


async def test_a_member_waits_for_a_full_day_and_gets_the_freed_slot(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session, "10:00", "11:00")
        await make_machine(session, "Ultimaker", slot_minutes=60, max_booking_minutes=60)
    settings = test_settings(fake, database_url)
    async with running_bot(settings, Clock()) as app:
        # Bob takes the only slot of Tuesday.
        await book_through_buttons(fake, BOB, "Tue 5 Mar", "10:00", "1 h → 11:00", machine="Ultimaker")
        await tap(fake, BOB, "Confirm")

        for waiter in (ALICE, CAROL):
            await say(fake, waiter, "/start")
            await tap(fake, waiter, "Book a machine")
            await tap(fake, waiter, "Ultimaker")
            full = await tap(fake, waiter, "Tue 5 Mar")
            assert "No free slot left that day" in (full.text or "")
            mark = fake.mark()
            fake.press_button(waiter, fake.last_message(waiter.id) or {}, "🔔 Tell me if a slot frees up")
            toast = await fake.wait_for_call("answerCallbackQuery", after=mark)
            assert "on the waitlist" in toast.params.get("text", "")
        async with sessions() as session:
            assert len(list(await session.scalars(select(WaitlistEntry)))) == 2

        # Bob cancels from "my bookings": Alice is told at once, and one tap books it.
        await say(fake, BOB, "/start")
        await tap(fake, BOB, "My bookings")
        await tap(fake, BOB, "Cancel · Ultimaker")
        await tap(fake, BOB, "Yes, cancel it")
        # The offer goes out right after the cancellation (through the outbox, so never lost).
        await fake.wait_for(
            lambda c: c.chat_id == ALICE.id and "A slot freed up on Ultimaker" in (c.text or "")
        )
        assert await deliver_outbox(app.bot_data["fabdesk"], app.bot) == 0  # and only once
        confirm = await tap(fake, ALICE, "Book it")
        if "Book this slot?" in (confirm.text or ""):
            confirm = await tap(fake, ALICE, "Confirm")
        assert "Your booking is confirmed" in (confirm.text or "")
        # Carol taps a moment later: the slot is gone, and she is told so, with what is left.
        late = await tap(fake, CAROL, "Book it")
        if "Book this slot?" in (late.text or ""):
            late = await tap(fake, CAROL, "Confirm")
        assert "just taken" in (late.text or "")

    async with sessions() as session:
        alice = await session.scalar(select(Member).where(Member.telegram_id == ALICE.id))
        assert alice is not None
        mine = list(
            await session.scalars(
                select(Booking).where(
                    Booking.member_id == alice.id, Booking.status == BookingStatus.CONFIRMED
                )
            )
        )
        assert [(b.start_at, b.end_at) for b in mine] == [(paris(5, 10), paris(5, 11))]
