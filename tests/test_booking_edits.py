"""Editing a booking in place (models/booking_edits.py): extend, shorten, move; every refusal leaves
the booking as it was; the reminder and the check-in follow; time given back goes to the waitlist;
a race with another member's booking has exactly one winner, never an overlap."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import bookings, checkin, waitlist
from models.booking_edits import edit_booking, given_back, lengths_from_start, starts_to_move_to
from models.bookings import Booking, BookingStatus
from models.downtime import Downtime
from models.errors import (
    AlreadyCancelled,
    AlreadyStarted,
    BadLength,
    InMaintenance,
    NotFound,
    OutsideOpeningHours,
    SlotTaken,
)
from models.machines import Machine
from models.members import Member
from models.outbox import OutboxMessage
from tests.factories import NOW, RULES, fill_day, make_machine, make_member, open_every_day, paris
from tests.races import race

TUESDAY = date(2030, 3, 5)


async def _lab(session: AsyncSession) -> tuple[Machine, Member, Booking]:
    """A lab open 09:00–19:00, a printer (30-min grid, 4 h at most), Alice's Tuesday 10:00–11:00."""
    await open_every_day(session)
    machine = await make_machine(session, slot_minutes=30, max_booking_minutes=240)
    alice = await make_member(session, "Alice")
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    return machine, alice, booking


async def _span(session: AsyncSession, booking_id: int) -> tuple[object, object]:
    row = (
        await session.execute(select(Booking.start_at, Booking.end_at).where(Booking.id == booking_id))
    ).one()
    return row.start_at, row.end_at


async def test_a_member_extends_shortens_and_moves_their_booking_in_place(session: AsyncSession) -> None:
    machine, alice, booking = await _lab(session)
    bob = await make_member(session, "Bob")
    await bookings.book(session, bob, machine.id, paris(5, 12), 60, RULES, NOW)

    # From 10:00 the booking may grow up to Bob's 12:00, its own hour counting as free.
    assert await lengths_from_start(session, booking, machine, RULES, NOW) == [30, 60, 90, 120]
    extended = await edit_booking(session, alice, booking.id, paris(5, 10), 120, RULES, NOW)
    assert (extended.booking.id, extended.booking.end_at) == (booking.id, paris(5, 12))
    assert not extended.moved

    await edit_booking(session, alice, booking.id, paris(5, 10), 30, RULES, NOW)
    assert await _span(session, booking.id) == (paris(5, 10), paris(5, 10, 30))

    moved = await edit_booking(session, alice, booking.id, paris(5, 15), 90, RULES, NOW)
    assert moved.moved and await _span(session, booking.id) == (paris(5, 15), paris(5, 16, 30))
    # Still one booking of Alice's, the same row.
    assert (
        await session.scalar(select(func.count()).select_from(Booking).where(Booking.member_id == alice.id))
        == 1
    )


async def test_starts_to_move_to_leave_out_the_others_and_its_own_start(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "12:00")
    machine = await make_machine(session, slot_minutes=60, max_booking_minutes=120)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    booking = await bookings.book(session, alice, machine.id, paris(5, 9), 60, RULES, NOW)
    await bookings.book(session, bob, machine.id, paris(5, 11), 60, RULES, NOW)
    found = await starts_to_move_to(session, booking, machine, [TUESDAY], RULES, NOW)
    assert found == {TUESDAY: [paris(5, 10)]}


@pytest.mark.parametrize(
    ("start", "minutes", "refusal"),
    [
        (paris(5, 11), 60, SlotTaken),  # Bob's
        (paris(5, 10), 150, SlotTaken),  # runs into Bob's
        (paris(5, 10), 45, BadLength),  # off the grid
        (paris(5, 10), 300, BadLength),  # beyond the machine's maximum
        (paris(5, 18, 30), 60, OutsideOpeningHours),  # past closing time
        (paris(5, 14), 60, InMaintenance),  # planned downtime
    ],
)
async def test_a_refused_edit_leaves_the_booking_as_it_was(
    session: AsyncSession, start: object, minutes: int, refusal: type[Exception]
) -> None:
    machine, alice, booking = await _lab(session)
    bob = await make_member(session, "Bob")
    await bookings.book(session, bob, machine.id, paris(5, 11), 60, RULES, NOW)
    session.add(Downtime(machine_id=machine.id, start_at=paris(5, 14), end_at=paris(5, 15), created_at=NOW))
    with pytest.raises(refusal):
        await edit_booking(session, alice, booking.id, start, minutes, RULES, NOW)  # type: ignore[arg-type]
    assert await _span(session, booking.id) == (paris(5, 10), paris(5, 11))


async def test_only_ones_own_upcoming_booking_can_be_edited(session: AsyncSession) -> None:
    _machine, alice, booking = await _lab(session)
    bob = await make_member(session, "Bob")
    with pytest.raises(NotFound):
        await edit_booking(session, bob, booking.id, paris(5, 10), 120, RULES, NOW)
    with pytest.raises(AlreadyStarted):
        await edit_booking(session, alice, booking.id, paris(5, 10), 120, RULES, paris(5, 10, 5))
    await bookings.cancel(session, alice, booking.id, NOW)
    with pytest.raises(AlreadyCancelled):
        await edit_booking(session, alice, booking.id, paris(5, 10), 120, RULES, NOW)


async def _reminders(session: AsyncSession, booking_id: int) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject == f"booking:{booking_id}")
        )
        or 0
    )


async def test_a_booking_reminded_then_moved_later_is_reminded_again(session: AsyncSession) -> None:
    _machine, alice, booking = await _lab(session)
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 31))).queued == 1
    assert await _reminders(session, booking.id) == 1

    # Moved to 15:00 at 09:40: the queued reminder (of 10:00) is withdrawn, and re-armed.
    await edit_booking(session, alice, booking.id, paris(5, 15), 60, RULES, paris(5, 9, 40))
    assert await _reminders(session, booking.id) == 0
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 41))).queued == 0
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 14, 31))).queued == 1
    assert await _reminders(session, booking.id) == 1


async def test_an_extension_keeps_a_reminder_already_sent_but_refreshes_a_queued_one(
    session: AsyncSession,
) -> None:
    _machine, alice, booking = await _lab(session)
    await bookings.queue_due_reminders(session, RULES, paris(5, 9, 31))
    # Not sent yet: withdrawn, and queued again with the new end.
    await edit_booking(session, alice, booking.id, paris(5, 10), 90, RULES, paris(5, 9, 35))
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 36))).queued == 1
    message = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.subject == f"booking:{booking.id}")
    )
    assert message is not None and message.payload["end"].startswith("2030-03-05T10:30")  # 11:30 in Paris
    message.sent_at = paris(5, 9, 36)
    # Sent: shortening it again does not remind twice.
    await edit_booking(session, alice, booking.id, paris(5, 10), 60, RULES, paris(5, 9, 40))
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 41))).queued == 0


async def test_the_check_in_window_and_no_show_release_follow_the_new_start(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session, checkin_minutes=15)
    alice = await make_member(session, "Alice")
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    await checkin.check_in(session, alice, booking.id, paris(5, 9, 50))
    await edit_booking(session, alice, booking.id, paris(5, 14), 60, RULES, paris(5, 9, 55))
    assert booking.checked_in_at is None  # it was for 10:00
    # Not released at 10:20 (its start is 14:00 now), released at 14:20 when nobody came.
    assert (await checkin.release_no_shows(session, paris(5, 10, 20), RULES.tz)).done == 0
    with pytest.raises(checkin.CheckInNotYet):
        await checkin.check_in(session, alice, booking.id, paris(5, 10, 30))
    assert (await checkin.release_no_shows(session, paris(5, 14, 20), RULES.tz)).done == 1


async def test_time_given_back_is_offered_to_the_waitlist(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    filler = await fill_day(session, machine, TUESDAY)
    bob = await make_member(session, "Bob")
    await waitlist.join(session, bob, machine.id, TUESDAY, RULES, NOW)
    first = await session.scalar(
        select(Booking).where(Booking.member_id == filler.id).order_by(Booking.start_at).limit(1)
    )
    assert first is not None and first.minutes == 240
    edited = await edit_booking(session, filler, first.id, first.start_at, 120, RULES, NOW)
    assert edited.offered == 1
    offer = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed"))
    assert offer is not None and offer.payload["start"].startswith("2030-03-05T10:00")  # 11:00 in Paris


def test_given_back_is_what_the_new_span_no_longer_covers() -> None:
    old = (paris(5, 10), paris(5, 12))
    assert given_back(old, (paris(5, 10), paris(5, 11))) == [(paris(5, 11), paris(5, 12))]
    assert given_back(old, (paris(5, 11), paris(5, 13))) == [(paris(5, 10), paris(5, 11))]
    assert given_back(old, (paris(5, 15), paris(5, 17))) == [old]
    assert given_back(old, (paris(5, 9), paris(5, 13))) == []


async def _overlaps(session: AsyncSession, machine_id: int) -> int:
    rows = list(
        await session.execute(
            select(Booking.start_at, Booking.end_at).where(
                Booking.machine_id == machine_id, Booking.status == BookingStatus.CONFIRMED
            )
        )
    )
    return sum(
        1
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if a.start_at < b.end_at and b.start_at < a.end_at
    )


@pytest.mark.parametrize("extension_first", [True, False])
async def test_an_extension_racing_a_booking_of_the_gap_has_exactly_one_winner(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, extension_first: bool
) -> None:
    async with sessions.begin() as session:
        machine, alice, booking = await _lab(session)
        bob = await make_member(session, "Bob")
        ids = machine.id, alice.id, bob.id, booking.id
    machine_id, alice_id, bob_id, booking_id = ids

    async def extend(session: AsyncSession) -> object:
        alice = await session.get(Member, alice_id)
        assert alice is not None
        return await edit_booking(session, alice, booking_id, paris(5, 10), 120, RULES, NOW)

    async def book_gap(session: AsyncSession) -> object:
        bob = await session.get(Member, bob_id)
        assert bob is not None
        return await bookings.book(session, bob, machine_id, paris(5, 11), 60, RULES, NOW)

    first, second = (extend, book_gap) if extension_first else (book_gap, extend)
    loser = await race(sessions, engine, first, second)
    assert isinstance(loser, SlotTaken)
    async with sessions.begin() as session:
        assert await _overlaps(session, machine_id) == 0
        end = (await _span(session, booking_id))[1]
        bob_has = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.member_id == bob_id)
        )
        assert (end, bob_has) == ((paris(5, 12), 0) if extension_first else (paris(5, 11), 1))


async def test_the_database_refuses_an_update_into_another_booking(session: AsyncSession) -> None:
    """Even past the domain's check, an UPDATE of a span stays guarded (constraint or trigger)."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    machine, _alice, booking = await _lab(session)
    bob = await make_member(session, "Bob")
    await bookings.book(session, bob, machine.id, paris(5, 11), 60, RULES, NOW)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                update(Booking).where(Booking.id == booking.id).values(end_at=paris(5, 11, 30))
            )


async def test_an_edit_racing_a_cancel_of_the_same_booking_finds_it_cancelled(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async with sessions.begin() as session:
        _machine, alice, booking = await _lab(session)
        alice_id, booking_id = alice.id, booking.id

    async def cancel(session: AsyncSession) -> object:
        member = await session.get(Member, alice_id)
        assert member is not None
        return await bookings.cancel(session, member, booking_id, NOW)

    async def extend(session: AsyncSession) -> object:
        member = await session.get(Member, alice_id)
        assert member is not None
        return await edit_booking(session, member, booking_id, paris(5, 10), 120, RULES, NOW)

    assert isinstance(await race(sessions, engine, cancel, extend), AlreadyCancelled)
    async with sessions.begin() as session:
        assert await _span(session, booking_id) == (paris(5, 10), paris(5, 11))


async def test_a_booking_a_manager_made_beyond_the_horizon_can_still_be_changed(
    session: AsyncSession,
) -> None:
    """A weekly series reaches past the members' 14 days: its member may still shorten or move it that day."""
    from models.booked_for import BookedFor, book_series

    await open_every_day(session)
    machine = await make_machine(session)
    bob = await make_member(session, "Bob")
    manager = await make_member(session, "Morgane", manager=True)
    series = await book_series(
        session, manager, BookedFor(member_id=bob.id), machine.id, paris(6, 10), 120, 4, RULES, NOW
    )
    last = series.booked[-1]
    assert last.start_at == paris(27, 10)  # beyond 17 March, the members' horizon
    await edit_booking(session, bob, last.id, paris(27, 10), 60, RULES, NOW)
    await edit_booking(session, bob, last.id, paris(27, 14), 60, RULES, NOW)
    assert await _span(session, last.id) == (paris(27, 14), paris(27, 15))
    assert (
        paris(27, 15)
        in (await starts_to_move_to(session, last, machine, [date(2030, 3, 27)], RULES, NOW))[
            date(2030, 3, 27)
        ]
    )


async def test_an_extension_counts_against_the_members_quota_without_counting_itself_twice(
    session: AsyncSession,
) -> None:
    from models import quotas
    from models.quotas import DailyQuotaReached, QuotaValues, TooShortNotice

    machine, alice, booking = await _lab(session)  # Tuesday 10:00–11:00
    await quotas.set_values(
        session, QuotaValues(max_minutes_per_day=120, notice_minutes=60), machine_id=machine.id
    )
    # 2 h in the day: extending the hour to two passes (its own hour is not counted twice)...
    await edit_booking(session, alice, booking.id, paris(5, 10), 120, RULES, NOW)
    with pytest.raises(DailyQuotaReached):  # ...to 2 h 30, no
        await edit_booking(session, alice, booking.id, paris(5, 10), 150, RULES, NOW)
    # At 09:30 a shortening of the 10:00 booking is fine; a move to 10:00 from elsewhere would need notice.
    await edit_booking(session, alice, booking.id, paris(5, 10), 60, RULES, paris(5, 9, 30))
    with pytest.raises(TooShortNotice):
        await edit_booking(session, alice, booking.id, paris(5, 10, 30), 60, RULES, paris(5, 9, 45))
    assert await _span(session, booking.id) == (paris(5, 10), paris(5, 11))
