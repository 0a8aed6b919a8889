"""Where a typed day or time leads on a machine (real database): the screen the buttons would have
shown, or what was read and the booking rule that refuses it, with the nearest free starts."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy.ext.asyncio import AsyncSession

from models import authorizations, bookings, typed_booking
from models.authorizations import MemberSearch
from models.base import get_pending
from models.downtime import Downtime
from models.machines import Machine
from models.opening import Closure
from models.typed_booking import Refusal, Refused, ShowConfirm, ShowLengths, ShowStarts
from models.typed_time import TypedTime
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris

MONDAY, TUESDAY, WEDNESDAY = date(2030, 3, 4), date(2030, 3, 5), date(2030, 3, 6)  # NOW: Monday 07:00


async def _printer(session: AsyncSession) -> Machine:
    """A lab open 09:00–19:00; a printer booked by steps of 30 min, 2 h at most."""
    await open_every_day(session)
    return await make_machine(session, slot_minutes=30, max_booking_minutes=120)


async def _leads(
    session: AsyncSession, machine: Machine, typed: TypedTime, step_day: date | None = None
) -> typed_booking.Outcome:
    return await typed_booking.where_typed_leads(session, machine, step_day, typed, RULES, NOW)


async def test_a_valid_text_leads_where_the_buttons_would(session: AsyncSession) -> None:
    printer = await _printer(session)
    assert await _leads(session, printer, TypedTime(TUESDAY)) == ShowStarts(TUESDAY)
    assert await _leads(session, printer, TypedTime(TUESDAY, time(15))) == ShowLengths(paris(5, 15))
    assert await _leads(session, printer, TypedTime(TUESDAY, time(14), time(16))) == ShowConfirm(
        paris(5, 14), 120
    )
    # A time alone is on the day being looked at; while choosing the day, it asks which day.
    assert await _leads(session, printer, TypedTime(None, time(15)), TUESDAY) == ShowLengths(paris(5, 15))
    assert await _leads(session, printer, TypedTime(None, time(15))) == Refused(Refusal.NEED_DAY, None)


async def test_a_day_that_cannot_be_booked_says_why(session: AsyncSession) -> None:
    printer = await _printer(session)
    session.add(Closure(day=WEDNESDAY, reason="Inventaire"))
    await session.flush()
    assert await _leads(session, printer, TypedTime(date(2030, 3, 3), time(15))) == Refused(
        Refusal.PASSED_DAY, date(2030, 3, 3), paris(3, 15)
    )
    far = date(2030, 3, 4 + RULES.horizon_days)
    assert await _leads(session, printer, TypedTime(far)) == Refused(Refusal.BEYOND_HORIZON, far)
    assert await _leads(session, printer, TypedTime(WEDNESDAY, time(15))) == Refused(
        Refusal.CLOSED, WEDNESDAY, paris(6, 15), reason="Inventaire"
    )


async def test_a_time_that_cannot_be_booked_says_why_and_offers_the_nearest_free_starts(
    session: AsyncSession,
) -> None:
    printer = await _printer(session)
    bob = await make_member(session, "Bob")
    await bookings.book(session, bob, printer.id, paris(5, 15), 60, RULES, NOW)

    taken = await _leads(session, printer, TypedTime(TUESDAY, time(15)))
    assert taken == Refused(
        Refusal.TAKEN,
        TUESDAY,
        paris(5, 15),
        None,
        [paris(5, 13, 30), paris(5, 14), paris(5, 14, 30), paris(5, 16)],
    )  # 15:00–16:00 is Bob's; of 13:30 and 16:30, as near, the earlier
    # A range: the nearest starts where that whole length is free (14:30 for an hour would overlap).
    taken_range = await _leads(session, printer, TypedTime(TUESDAY, time(15), time(16)))
    assert isinstance(taken_range, Refused) and taken_range.refusal is Refusal.TAKEN
    assert taken_range.minutes == taken_range.nearest_minutes == 60
    # Too long, and taken: the nearest free starts, the length to choose there.
    taken_long = await _leads(session, printer, TypedTime(TUESDAY, time(15), time(19)))
    assert isinstance(taken_long, Refused) and taken_long.refusal is Refusal.TAKEN
    assert (taken_long.minutes, taken_long.nearest_minutes) == (240, None)
    assert taken_range.nearest == [paris(5, 13, 30), paris(5, 14), paris(5, 16), paris(5, 16, 30)]

    off_grid = await _leads(session, printer, TypedTime(TUESDAY, time(10, 10)))
    assert isinstance(off_grid, Refused) and off_grid.refusal is Refusal.OFF_GRID
    assert off_grid.nearest == [paris(5, 9, 30), paris(5, 10), paris(5, 10, 30), paris(5, 11)]

    late = await _leads(session, printer, TypedTime(TUESDAY, time(20)))
    assert isinstance(late, Refused) and late.refusal is Refusal.NOT_OPEN
    assert late.hours == [(paris(5, 9), paris(5, 19))]
    assert late.nearest == [paris(5, 17), paris(5, 17, 30), paris(5, 18), paris(5, 18, 30)]
    past_closing = await _leads(session, printer, TypedTime(TUESDAY, time(18), time(20)))
    assert isinstance(past_closing, Refused) and past_closing.refusal is Refusal.NOT_OPEN

    gone = await _leads(session, printer, TypedTime(MONDAY, time(6, 30)))  # NOW is 07:00
    assert isinstance(gone, Refused) and gone.refusal is Refusal.PASSED_TIME
    assert gone.nearest == [paris(4, 9), paris(4, 9, 30), paris(4, 10), paris(4, 10, 30)]


async def test_a_length_the_machine_does_not_allow_is_refused(session: AsyncSession) -> None:
    printer = await _printer(session)
    assert await _leads(session, printer, TypedTime(TUESDAY, time(10), time(14))) == Refused(
        Refusal.TOO_LONG, TUESDAY, paris(5, 10), 240
    )
    assert await _leads(session, printer, TypedTime(TUESDAY, time(10), time(10, 45))) == Refused(
        Refusal.BAD_LENGTH, TUESDAY, paris(5, 10), 45
    )
    session.add(
        Downtime(machine_id=printer.id, start_at=paris(5, 10), end_at=paris(5, 12), reason="", created_at=NOW)
    )
    await session.flush()
    maintenance = await _leads(session, printer, TypedTime(TUESDAY, time(10), time(11)))
    assert isinstance(maintenance, Refused) and maintenance.refusal is Refusal.IN_MAINTENANCE


async def test_the_booking_step_is_one_question_among_the_others(session: AsyncSession) -> None:
    """A member owes one answer at a time: a question asked drops the booking step, and a booking
    screen drops the question (the next text is read as a day or time)."""
    printer = await _printer(session)
    manager = await make_member(session, "Morgane", manager=True)
    await typed_booking.remember_step(session, manager, printer.id, None, NOW)
    await typed_booking.remember_step(session, manager, printer.id, TUESDAY, NOW)  # a day picked
    step = await typed_booking.current_step(session, manager)
    assert step is not None and (step.machine_id, step.day) == (printer.id, TUESDAY)

    await authorizations.ask_search(session, manager, NOW)  # "type the member's name"
    assert await typed_booking.current_step(session, manager) is None
    await typed_booking.remember_step(session, manager, printer.id, TUESDAY, NOW)
    assert await get_pending(session, MemberSearch, manager.id) is None
    await typed_booking.forget_step(session, manager)
    assert await typed_booking.current_step(session, manager) is None


async def test_an_unattended_machine_takes_a_typed_run_longer_than_its_attended_maximum(
    session: AsyncSession,
) -> None:
    """A printer attended for 2 h at most but running unattended up to 24 h: a typed 14h-18h or
    17h-23h (past closing time) is its confirmation, as the length buttons offer them (it was
    refused as « se réserve pour 2 h au plus »)."""
    printer = await _printer(session)
    printer.unattended_max_minutes = 24 * 60
    await session.flush()
    assert await _leads(session, printer, TypedTime(TUESDAY, time(14), time(18))) == ShowConfirm(
        paris(5, 14), 240
    )
    assert await _leads(session, printer, TypedTime(TUESDAY, time(17), time(23))) == ShowConfirm(
        paris(5, 17), 360
    )


async def test_a_typed_overnight_range_is_a_run_on_an_unattended_machine_and_refused_on_another(
    session: AsyncSession,
) -> None:
    """« mardi de 18h à 4h »: on an unattended machine, Tuesday 18:00 to Wednesday 04:00 (it was
    « la fin n'est pas après le début »); on an attended one, said as such."""
    printer = await _printer(session)
    assert await _leads(session, printer, TypedTime(TUESDAY, time(18), time(4))) == Refused(
        Refusal.OVERNIGHT, TUESDAY, paris(5, 18)
    )
    printer.unattended_max_minutes = 24 * 60
    await session.flush()
    assert await _leads(session, printer, TypedTime(TUESDAY, time(18), time(4))) == ShowConfirm(
        paris(5, 18), 600
    )
