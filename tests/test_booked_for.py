"""Fab managers booking on behalf (models/booked_for.py): for a member (told), for a guest (a label),
every week (conflicts listed and skipped, each with its reason); the machine's rules still apply."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.features.messages  # noqa: F401 - registers every feature's renderers
from bot.core.i18n import Texts
from bot.core.messages import RENDERERS
from models import booked_for, bookings
from models.booked_for import AlreadyHeld, BadGuestLabel, BadSeries, BookedFor
from models.bookings import Booking, Reminder
from models.downtime import Downtime
from models.errors import InMaintenance, NotAllowed, OutsideOpeningHours, SlotTaken, TrainingRequired
from models.machines import Machine, MachineKind
from models.members import Member
from models.notices import rebuild
from models.opening import Closure
from models.outbox import OutboxMessage
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris


async def _lab(session: AsyncSession, closes: str = "19:00") -> tuple[Machine, Member, Member]:
    await open_every_day(session, "09:00", closes)
    machine = await make_machine(session, slot_minutes=30, max_booking_minutes=240)
    return machine, await make_member(session, "Morgane", manager=True), await make_member(session, "Bob")


async def _notices(session: AsyncSession, kind: str) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


async def test_a_manager_books_for_a_member_who_is_told(session: AsyncSession) -> None:
    machine, morgane, bob = await _lab(session)
    booking = await booked_for.book_on_behalf(
        session, morgane, BookedFor(member_id=bob.id), machine.id, paris(5, 10), 60, RULES, NOW
    )
    assert (booking.member_id, booking.booked_by_id, booking.guest_label) == (bob.id, morgane.id, None)
    (told,) = await _notices(session, "booked_for_you")
    assert told.chat_id == bob.telegram_id and told.payload["by"] == "Morgane"
    assert told.payload["weeks"] == 1 and told.payload["reminder_minutes"] == 30
    # It is Bob's: in his upcoming bookings, his to cancel.
    upcoming, _total = await bookings.upcoming_for_member(session, bob, NOW)
    assert [b.id for b in upcoming] == [booking.id]
    # Pressed twice: the same booking, told once.
    again = await booked_for.book_on_behalf(
        session, morgane, BookedFor(member_id=bob.id), machine.id, paris(5, 10), 60, RULES, NOW
    )
    assert again.id == booking.id and len(await _notices(session, "booked_for_you")) == 1


async def test_a_manager_books_for_a_guest_under_a_label(session: AsyncSession) -> None:
    machine, morgane, _bob = await _lab(session)
    booking = await booked_for.book_on_behalf(
        session, morgane, BookedFor(label="  Atelier  découverte "), machine.id, paris(5, 14), 120, RULES, NOW
    )
    assert (booking.member_id, booking.booked_by_id, booking.guest_label) == (
        morgane.id,
        morgane.id,
        "Atelier découverte",
    )
    (row,) = await bookings.bookings_between(session, paris(5, 0), paris(6, 0))
    assert row.holder == "Atelier découverte"
    assert await _notices(session, "booked_for_you") == []  # nobody else to tell
    # The manager's reminder says who it is for.
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 13, 31))).queued == 1
    (reminder,) = await _notices(session, "reminder")
    assert reminder.payload["guest"] == "Atelier découverte"
    french = RENDERERS[Reminder](Texts("fr", RULES.tz), rebuild("reminder", reminder.payload))  # type: ignore[arg-type]
    assert "\nRéservé pour « Atelier découverte »." in french.text
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(BadGuestLabel):
            await booked_for.book_on_behalf(
                session, morgane, BookedFor(label=bad), machine.id, paris(5, 17), 60, RULES, NOW
            )


async def test_the_machines_rules_still_apply_and_only_managers_book_on_behalf(session: AsyncSession) -> None:
    machine, morgane, bob = await _lab(session)
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    with pytest.raises(NotAllowed):
        await booked_for.book_on_behalf(
            session, bob, BookedFor(label="Moi"), machine.id, paris(5, 10), 60, RULES, NOW
        )
    with pytest.raises(TrainingRequired):  # Bob has no training on the laser
        await booked_for.book_on_behalf(
            session, morgane, BookedFor(member_id=bob.id), laser.id, paris(5, 10), 60, RULES, NOW
        )
    with pytest.raises(OutsideOpeningHours):
        await booked_for.book_on_behalf(
            session, morgane, BookedFor(member_id=bob.id), machine.id, paris(5, 18, 30), 60, RULES, NOW
        )
    await bookings.book(session, bob, machine.id, paris(5, 10), 60, RULES, NOW)
    with pytest.raises(AlreadyHeld):  # Bob's own booking of that slot is not taken over
        await booked_for.book_on_behalf(
            session, morgane, BookedFor(member_id=bob.id), machine.id, paris(5, 10), 60, RULES, NOW
        )
    with pytest.raises(SlotTaken):
        await booked_for.book_on_behalf(
            session, morgane, BookedFor(label="Club"), machine.id, paris(5, 10, 30), 60, RULES, NOW
        )
    assert await session.scalar(select(func.count()).select_from(Booking)) == 1
    assert await _notices(session, "booked_for_you") == []


async def test_a_weekly_series_books_each_week_and_lists_what_it_skipped(session: AsyncSession) -> None:
    # Wednesdays 6, 13, 20, 27 March, 3 April 2030 at 18:00–20:00.
    machine, morgane, bob = await _lab(session, closes="21:00")
    await bookings.book(session, bob, machine.id, paris(13, 18, 30), 30, RULES, NOW)  # taken
    session.add(Closure(day=date(2030, 3, 20), reason="Inventaire"))  # closed
    session.add(Downtime(machine_id=machine.id, start_at=paris(27, 17), end_at=paris(27, 19), created_at=NOW))
    series = await booked_for.book_series(
        session, morgane, BookedFor(label="Club robotique"), machine.id, paris(6, 18), 120, 5, RULES, NOW
    )
    # 3 April is beyond the members' 14 days: a manager's series is not stopped by it; after the
    # clock change (31 March) it is still 18:00 in Paris.
    assert [b.start_at for b in series.booked] == [paris(6, 18), paris(3, 18, month=4)]
    assert [(s.start, type(s.reason)) for s in series.skipped] == [
        (paris(13, 18), SlotTaken),
        (paris(20, 18), OutsideOpeningHours),
        (paris(27, 18), InMaintenance),
    ]
    assert all(b.guest_label == "Club robotique" and b.booked_by_id == morgane.id for b in series.booked)
    with pytest.raises(BadSeries):
        await booked_for.book_series(
            session, morgane, BookedFor(label="Club"), machine.id, paris(6, 10), 60, 53, RULES, NOW
        )


async def test_a_series_for_a_member_tells_them_once(session: AsyncSession) -> None:
    machine, morgane, bob = await _lab(session)
    series = await booked_for.book_series(
        session, morgane, BookedFor(member_id=bob.id), machine.id, paris(6, 10), 60, 3, RULES, NOW
    )
    assert len(series.booked) == 3 and series.skipped == []
    (told,) = await _notices(session, "booked_for_you")
    assert told.payload["weeks"] == 3 and told.payload["booking_id"] == series.booked[0].id


async def test_the_question_for_whom_books_what_was_asked_once(session: AsyncSession) -> None:
    machine, morgane, bob = await _lab(session)
    await booked_for.ask_for_whom(session, morgane, machine.id, paris(5, 10), 60, 1, NOW)
    ask = await booked_for.pending_ask(session, morgane, NOW)
    assert ask is not None
    ask.label = "Stage ados"
    _ask, made = await booked_for.answer(session, morgane, BookedFor(), RULES, NOW)
    assert isinstance(made, Booking) and made.guest_label == "Stage ados"
    with pytest.raises(booked_for.NoQuestion):  # answered: a second press books nothing
        await booked_for.answer(session, morgane, BookedFor(member_id=bob.id), RULES, NOW)
