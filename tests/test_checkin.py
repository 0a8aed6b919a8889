"""Check-in and no-shows on a real database: the check-in window, the release (once, restart-safe,
never of a checked-in booking), the waitlist told, the statistics."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings, checkin, stats, waitlist
from models.bookings import Booking, BookingStatus
from models.checkin import CheckInAsked, CheckInNotYet, CheckInOver, NoShowReleased
from models.errors import AlreadyCancelled, NotFound
from models.members import Member
from models.notices import rebuild
from models.outbox import OutboxMessage
from models.waitlist import WaitlistFreed
from tests.factories import NOW, PARIS, RULES, fill_day, make_machine, make_member, open_every_day, paris


async def _kinds(session: AsyncSession, member: Member) -> list[str]:
    rows = await session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.member_id == member.id).order_by(OutboxMessage.id)
    )
    return list(rows)


async def test_a_booking_is_checked_in_from_shortly_before_its_start_until_its_end(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)

    with pytest.raises(CheckInNotYet) as early:
        await checkin.check_in(session, alice, booking.id, paris(5, 9, 44))
    assert early.value.opens_at == paris(5, 9, 45)
    with pytest.raises(NotFound):  # another member's booking is not theirs to check in
        await checkin.check_in(session, bob, booking.id, paris(5, 10))
    first = await checkin.check_in(session, alice, booking.id, paris(5, 9, 45))
    again = await checkin.check_in(session, alice, booking.id, paris(5, 10, 5))
    assert (first.newly, again.newly) == (True, False)
    await session.refresh(booking)
    assert booking.checked_in_at == paris(5, 9, 45)

    late = await bookings.book(session, alice, machine.id, paris(5, 14), 30, RULES, NOW)
    with pytest.raises(CheckInOver):
        await checkin.check_in(session, alice, late.id, paris(5, 14, 30))


async def test_a_cancelled_booking_cannot_be_checked_in(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    alice = await make_member(session)
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    await bookings.cancel(session, alice, booking.id, paris(5, 9))
    with pytest.raises(AlreadyCancelled):
        await checkin.check_in(session, alice, booking.id, paris(5, 9, 50))


async def test_a_booking_not_checked_in_in_time_is_released_once_and_the_waitlist_told(
    session: AsyncSession,
) -> None:
    await open_every_day(session, "09:00", "12:00")
    machine = await make_machine(session, slot_minutes=60, checkin_minutes=15)
    filler = await fill_day(session, machine, paris(5, 9).astimezone(PARIS).date())
    waiting = await make_member(session, "Wendy")
    await waitlist.join(session, waiting, machine.id, paris(5, 9).astimezone(PARIS).date(), RULES, NOW)
    booking = await session.scalar(select(Booking).where(Booking.member_id == filler.id))
    assert booking is not None and (booking.start_at, booking.end_at) == (paris(5, 9), paris(5, 12))

    assert (await checkin.release_no_shows(session, paris(5, 9, 14), PARIS)).released == []
    released = await checkin.release_no_shows(session, paris(5, 9, 15), PARIS)
    assert [b.id for b in released.released] == [booking.id]
    again = await checkin.release_no_shows(session, paris(5, 9, 20), PARIS)
    assert again.released == []

    await session.refresh(booking)
    assert booking.status is BookingStatus.CANCELLED and booking.no_show_at == paris(5, 9, 15)
    assert NoShowReleased.kind in await _kinds(session, filler)
    assert (await _kinds(session, waiting)) == [WaitlistFreed.kind]
    offer = await session.scalar(select(OutboxMessage).where(OutboxMessage.member_id == waiting.id))
    assert offer is not None
    freed = rebuild(offer.kind, offer.payload)
    # What is left of the slot, from the next start on the grid: released at 09:15, 10:00–12:00.
    assert isinstance(freed, WaitlistFreed) and (freed.start, freed.end) == (paris(5, 10), paris(5, 12))


async def test_a_checked_in_booking_is_never_released(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session, checkin_minutes=10)
    alice = await make_member(session)
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 120, RULES, NOW)
    await checkin.check_in(session, alice, booking.id, paris(5, 10, 9))
    assert (await checkin.release_no_shows(session, paris(5, 11), PARIS)).released == []
    await session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED and booking.no_show_at is None


async def test_machines_without_check_in_keep_their_bookings(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)  # checkin_minutes = 0: off
    alice = await make_member(session)
    await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    assert (await checkin.release_no_shows(session, paris(5, 10, 50), PARIS)).released == []


async def test_release_and_check_in_racing_leave_exactly_one_winner(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Several processes releasing at once and the member checking in: the booking is either checked
    in or released, once; never both, never twice."""
    async with sessions.begin() as session:
        await open_every_day(session)
        machine = await make_machine(session, checkin_minutes=10)
        alice = await make_member(session)
        booking_id = (await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)).id
        alice_id = alice.id
    now = paris(5, 10, 10)

    async def release() -> int:
        async with sessions.begin() as session:
            return len((await checkin.release_no_shows(session, now, PARIS)).released)

    async def arrive() -> bool:
        async with sessions.begin() as session:
            member = await session.get(Member, alice_id)
            assert member is not None
            try:
                return (await checkin.check_in(session, member, booking_id, now)).newly
            except AlreadyCancelled:
                return False

    results = await asyncio.gather(release(), arrive(), release(), release())
    released = sum(r for r in results if not isinstance(r, bool))
    checked_in = sum(1 for r in results if r is True)
    assert released + checked_in == 1
    async with sessions.begin() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        assert (booking.checked_in_at is None) == (booking.no_show_at is not None)
        notices = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NoShowReleased.kind))
        )
        assert len(notices) == released


async def test_statistics_count_check_ins_and_no_shows_per_machine(session: AsyncSession) -> None:
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa MK4", checkin_minutes=10)
    laser = await make_machine(session, "Laser", checkin_minutes=10)
    alice = await make_member(session)
    came = await bookings.book(session, alice, prusa.id, paris(5, 10), 60, RULES, NOW)
    await bookings.book(session, alice, prusa.id, paris(5, 14), 60, RULES, NOW)
    await bookings.book(session, alice, laser.id, paris(5, 16), 60, RULES, NOW)
    await checkin.check_in(session, alice, came.id, paris(5, 10))
    await checkin.release_no_shows(session, paris(5, 18), PARIS)

    figures = await stats.usage(session, paris(5, 0), paris(6, 0), PARIS)
    assert figures.checked_in_by_machine == {"Prusa MK4": 1}
    assert figures.no_shows_by_machine == {"Laser": 1, "Prusa MK4": 1}
    assert (figures.bookings, figures.cancelled) == (3, 0)


async def test_a_released_booking_withdraws_its_reminder_and_the_release_looks_back_after_downtime(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    machine = await make_machine(session, checkin_minutes=15)
    alice = await make_member(session)
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    # The bot was down all day: the booking is recorded as a no-show the next morning.
    released = await checkin.release_no_shows(session, paris(5, 10) + timedelta(hours=20), PARIS)
    assert [b.id for b in released.released] == [booking.id]


async def test_the_member_is_asked_to_check_in_at_the_start_once(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session, checkin_minutes=15)
    quiet = await make_machine(session, "Ultimaker S5")  # no check-in asked
    alice, bob, carol = [await make_member(session, name) for name in ("Alice", "Bob", "Carol")]
    asked = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    here = await bookings.book(session, bob, machine.id, paris(5, 11), 60, RULES, NOW)
    await bookings.book(session, carol, quiet.id, paris(5, 10), 60, RULES, NOW)

    assert (await checkin.ask_to_check_in(session, paris(5, 9, 59))).asked == []  # not started yet
    first = await checkin.ask_to_check_in(session, paris(5, 10))
    assert [b.id for b in first.asked] == [asked.id]
    assert (await checkin.ask_to_check_in(session, paris(5, 10, 5))).asked == []  # once
    await checkin.check_in(session, bob, here.id, paris(5, 10, 50))  # Bob came early: not asked
    assert (await checkin.ask_to_check_in(session, paris(5, 11, 1))).asked == []

    assert await _kinds(session, alice) == [CheckInAsked.kind]
    assert CheckInAsked.kind not in await _kinds(session, bob) + await _kinds(session, carol)
    row = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.member_id == alice.id, OutboxMessage.kind == CheckInAsked.kind
        )
    )
    assert row is not None and row.expires_at == paris(5, 10, 15)  # useless once the release is due
    told = rebuild(row.kind, row.payload)
    assert isinstance(told, CheckInAsked) and (told.booking_id, told.minutes) == (asked.id, 15)
    await session.refresh(asked)
    assert asked.checkin_asked_at == paris(5, 10)


async def test_a_booking_whose_check_in_time_passed_while_the_bot_was_down_is_not_asked_but_released(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    machine = await make_machine(session, checkin_minutes=15)
    alice = await make_member(session)
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    assert (await checkin.ask_to_check_in(session, paris(5, 10, 20))).asked == []
    assert [b.id for b in (await checkin.release_no_shows(session, paris(5, 10, 20), PARIS)).released] == [
        booking.id
    ]
    assert CheckInAsked.kind not in await _kinds(session, alice)


async def test_of_two_jobs_asking_at_once_one_tells_the_member(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        machine = await make_machine(session, checkin_minutes=15)
        alice = await make_member(session)
        await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)

    async def ask() -> int:
        async with sessions.begin() as session:
            return (await checkin.ask_to_check_in(session, paris(5, 10, 1))).done

    assert sorted(await asyncio.gather(ask(), ask())) == [0, 1]
    async with sessions() as session:
        kinds = await session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.kind == CheckInAsked.kind)
        )
        assert len(list(kinds)) == 1


async def test_statistics_count_check_ins_and_no_shows_per_member(session: AsyncSession) -> None:
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa MK4", checkin_minutes=10)
    alice, bob, carol = [await make_member(session, name) for name in ("Alice", "Bob", "Carol")]
    came = await bookings.book(session, alice, prusa.id, paris(5, 10), 60, RULES, NOW)
    await bookings.book(session, bob, prusa.id, paris(5, 12), 60, RULES, NOW)
    await bookings.book(session, bob, prusa.id, paris(5, 14), 60, RULES, NOW)
    also = await bookings.book(session, alice, prusa.id, paris(5, 16), 60, RULES, NOW)
    await bookings.book(session, carol, prusa.id, paris(7, 10), 60, RULES, NOW)  # after the period
    await checkin.check_in(session, alice, came.id, paris(5, 10))
    await checkin.check_in(session, alice, also.id, paris(5, 16))
    await checkin.release_no_shows(session, paris(5, 18), PARIS)

    rows = await stats.attendance_by_member(session, paris(5, 0), paris(6, 0))
    assert [(r.name, r.checked_in, r.no_shows) for r in rows] == [("Bob", 0, 2), ("Alice", 2, 0)]
    assert await stats.attendance_by_member(session, paris(6, 0), paris(7, 0)) == []
