"""Unattended runs: a machine whose bookings start in the opening hours and may go on past closing
time, overnight and into a closed day, up to its own maximum; never overlapping anything."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.booking.keyboards import pick_lengths
from models import bookings, machines, planning, schedule
from models.bookings import Booking
from models.downtime import Downtime
from models.errors import BadLength, BeyondHorizon, InMaintenance, OutsideOpeningHours, SlotTaken
from models.machines import BadMachineMinutes
from models.members import Member
from models.opening import Closure
from tests.factories import NOW, PARIS, RULES, make_machine, make_member, open_every_day, paris


async def test_an_unattended_run_continues_past_closing_time_and_overnight(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    printer = await make_machine(session, "Prusa XL", max_booking_minutes=240, unattended_max_minutes=1440)
    alice = await make_member(session)

    lengths = await bookings.free_lengths(session, printer, paris(5, 17), RULES, NOW)
    assert lengths[-1] == 1440 and 600 in lengths  # a 10-hour print, and a whole day

    booking = await bookings.book(session, alice, printer.id, paris(5, 17), 600, RULES, NOW)
    assert (booking.start_at, booking.end_at) == (paris(5, 17), paris(6, 3))
    # Nobody else gets the machine during the night, nor at opening time if the run is still going.
    bob = await make_member(session, "Bob")
    with pytest.raises(SlotTaken):
        await bookings.book(session, bob, printer.id, paris(5, 18), 30, RULES, NOW)
    (wednesday,) = await bookings.availability(session, printer, RULES, NOW, [date(2030, 3, 6)])
    assert wednesday.free_starts[0] == paris(6, 9)
    # A reminder about it does not say the lab is closed.
    await session.refresh(booking, ["machine"])
    assert await bookings.booking_notes(session, [booking], RULES) == {}


async def test_the_start_must_be_in_the_opening_hours(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    session.add(Closure(day=date(2030, 3, 7), reason="Inventaire"))
    printer = await make_machine(session, unattended_max_minutes=1440)
    alice = await make_member(session)
    for start in (paris(5, 19), paris(5, 22), paris(6, 8, 30), paris(7, 10)):
        with pytest.raises(OutsideOpeningHours):
            await bookings.book(session, alice, printer.id, start, 120, RULES, NOW)
    assert await bookings.free_lengths(session, printer, paris(5, 19), RULES, NOW) == []
    # The last slot before closing may start a long run.
    assert (
        await bookings.book(session, alice, printer.id, paris(5, 18, 30), 720, RULES, NOW)
    ).end_at == paris(6, 6, 30)


async def test_a_run_continues_into_a_closed_day_but_never_into_a_booking_or_a_downtime(
    session: AsyncSession,
) -> None:
    await open_every_day(session, "09:00", "19:00")
    session.add(Closure(day=date(2030, 3, 7), reason="Inventaire"))
    printer = await make_machine(session, unattended_max_minutes=1440)
    alice, bob = await make_member(session), await make_member(session, "Bob")
    # Wednesday 18:00 → Thursday (closed) 12:00: the lab is closed, the run simply continues.
    run = await bookings.book(session, alice, printer.id, paris(6, 18), 1080, RULES, NOW)
    assert run.end_at == paris(7, 12)
    # A run from Tuesday 18:30 is offered up to Wednesday's run (23 h 30), not a minute more.
    lengths = await bookings.free_lengths(session, printer, paris(5, 18, 30), RULES, NOW)
    assert lengths[-1] == 1410
    with pytest.raises(SlotTaken):
        await bookings.book(session, bob, printer.id, paris(6, 9), 1440, RULES, NOW)
    # A planned downtime in the night stops a run too.
    session.add(Downtime(machine_id=printer.id, start_at=paris(9, 2), end_at=paris(9, 4), created_at=NOW))
    await session.flush()
    lengths = await bookings.free_lengths(session, printer, paris(8, 18), RULES, NOW)
    assert timedelta(minutes=lengths[-1]) == paris(9, 2) - paris(8, 18)
    with pytest.raises(InMaintenance):
        await bookings.book(session, bob, printer.id, paris(8, 18), 600, RULES, NOW)


async def test_other_machines_keep_their_limit_and_closing_time(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    prusa = await make_machine(session, max_booking_minutes=240)
    alice = await make_member(session)
    assert (await bookings.free_lengths(session, prusa, paris(5, 17), RULES, NOW))[-1] == 120
    with pytest.raises(OutsideOpeningHours):
        await bookings.book(session, alice, prusa.id, paris(5, 17), 180, RULES, NOW)
    with pytest.raises(BadLength):
        await bookings.book(session, alice, prusa.id, paris(5, 9), 270, RULES, NOW)
    # An unattended machine's own maximum holds too.
    printer = await make_machine(session, "Prusa XL", unattended_max_minutes=600)
    with pytest.raises(BadLength):
        await bookings.book(session, alice, printer.id, paris(5, 17), 630, RULES, NOW)


async def test_a_run_ends_within_the_booking_horizon(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    printer = await make_machine(session, unattended_max_minutes=1440)
    alice = await make_member(session)
    last_day = RULES.bookable_days(NOW)[-1]
    evening = paris(last_day.day, 18, month=last_day.month)
    assert (await bookings.free_lengths(session, printer, evening, RULES, NOW))[-1] == 360  # until midnight
    with pytest.raises(BeyondHorizon):
        await bookings.book(session, alice, printer.id, evening, 420, RULES, NOW)


async def test_managers_set_the_unattended_maximum_in_whole_slots(session: AsyncSession) -> None:
    printer = await make_machine(session, slot_minutes=30)
    manager = await make_member(session, "Fabienne", manager=True)
    changed = await machines.edit_machine(session, manager, printer.id, unattended_max_minutes=1440)
    assert changed == {"unattended_max_minutes": 1440} and printer.unattended
    for bad in (45, 1470, -30):
        with pytest.raises(BadMachineMinutes):
            await machines.edit_machine(session, manager, printer.id, unattended_max_minutes=bad)
    assert printer.unattended_max_minutes == 1440
    assert await machines.edit_machine(session, manager, printer.id, unattended_max_minutes=0) == {
        "unattended_max_minutes": 0
    }
    assert not printer.unattended and printer.longest_booking == 240


async def test_time_first_search_offers_only_the_unattended_machine_for_a_night(
    session: AsyncSession,
) -> None:
    await open_every_day(session, "09:00", "19:00")
    await make_machine(session, "Prusa MK4")
    await make_machine(session, "Prusa XL", unattended_max_minutes=1440)
    alice = await make_member(session)
    free = await planning.free_machines(session, alice, paris(5, 18), 600, RULES, NOW)
    assert [m.name for m in free] == ["Prusa XL"]
    free = await planning.free_machines(session, alice, paris(5, 17), 60, RULES, NOW)
    assert sorted(m.name for m in free) == ["Prusa MK4", "Prusa XL"]


async def test_closing_the_day_a_run_goes_on_into_warns_nobody_but_a_run_starting_then(
    session: AsyncSession,
) -> None:
    await open_every_day(session, "09:00", "19:00")
    printer = await make_machine(session, unattended_max_minutes=1440)
    manager = await make_member(session, "Fabienne", manager=True)
    alice, bob = await make_member(session), await make_member(session, "Bob")
    await bookings.book(session, alice, printer.id, paris(5, 18), 720, RULES, NOW)  # until Wed 06:00
    await bookings.book(session, bob, printer.id, paris(6, 10), 60, RULES, NOW)
    _closure, warned = await schedule.add_closure(
        session, manager, date(2030, 3, 6), "Inventaire", NOW, PARIS
    )
    assert warned == 1  # Bob's, which needs the lab open; Alice's run simply goes on


async def test_overlapping_runs_racing_overnight_give_exactly_one_booking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session, "09:00", "19:00")
        printer = await make_machine(session, unattended_max_minutes=1440)
        member_ids = [(await make_member(session, f"Member {i}")).id for i in range(4)]
    # Each a different start and length, all of them holding the machine at 02:00 that night.
    wanted = [(paris(5, 17), 600), (paris(5, 18, 30), 480), (paris(5, 14), 1440), (paris(5, 18), 720)]

    async def attempt(member_id: int, start: datetime, minutes: int) -> str:
        async with sessions.begin() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            try:
                await bookings.book(session, member, printer.id, start, minutes, RULES, NOW)
            except SlotTaken:
                return "taken"
            return "booked"

    outcomes = await asyncio.gather(*(attempt(m, s, n) for m, (s, n) in zip(member_ids, wanted, strict=True)))
    assert sorted(outcomes) == ["booked", "taken", "taken", "taken"]
    async with sessions() as session:
        assert len((await session.scalars(select(Booking))).all()) == 1


async def test_the_database_itself_refuses_a_booking_inside_an_overnight_run(session: AsyncSession) -> None:
    """A write skipping the Python check still cannot start inside the night of a run that began the
    day before (the SQLite triggers look a day back, as far as a run lasts)."""
    printer = await make_machine(session, unattended_max_minutes=1440)
    alice = await make_member(session)

    def row(start: datetime, end: datetime) -> Booking:
        return Booking(member_id=alice.id, machine_id=printer.id, start_at=start, end_at=end, created_at=NOW)

    session.add(row(paris(5, 9), paris(6, 9)))
    await session.flush()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(row(paris(6, 8), paris(6, 10)))


def test_the_chat_offers_round_lengths_up_to_the_longest_possible() -> None:
    day = list(range(30, 1441, 30))
    assert pick_lengths(day) == [30, 60, 90, 120, 180, 240, 360, 480, 600, 720, 960, 1440]
    until_next = list(range(30, 1411, 30))  # another booking 23 h 30 later
    assert pick_lengths(until_next) == [30, 60, 90, 120, 180, 240, 360, 480, 600, 720, 960, 1410]
    assert pick_lengths(list(range(15, 241, 15))) == [15, 30, 45, 60, 120, 180, 240]  # a Prusa, as before
