"""A session reserving machines: its time is blocked for booking on every path (the chat's free
slots and Confirm, the Mini App's grid and booking check, a typed time, an edit, the waitlist),
refused naming the session and its end; members who had booked then are warned; cancelling the
session (by hand, or for lack of participants) frees the machines and tells them."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import booking_edits, bookings, maintenance, planning, typed_booking, waitlist
from models import sessions as lab_sessions
from models.downtime import Downtime
from models.errors import AlreadyReserved, InMaintenance, MachineReserved, NotFound
from models.machines import MachineKind, MachineStatus
from models.members import Member
from models.outbox import OutboxMessage
from models.sessions import LabSession, SessionKind, SessionRules
from models.typed_time import TypedTime
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris

TITLE = "Atelier impression 3D"
START, END = paris(8, 14), paris(8, 18)  # Friday 8 March 2030, 14:00–18:00
FRIDAY = date(2030, 3, 8)


async def _told(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id).order_by(OutboxMessage.id))
    return [(kind, chat) for kind, chat in rows]


async def _workshop(session: AsyncSession, manager: Member, reserve: list[int], **more: object) -> LabSession:
    values: dict[str, object] = {
        "kind": SessionKind.WORKSHOP,
        "title": TITLE,
        "start": START,
        "end": END,
        "seats": 6,
        "now": NOW,
        "reserve": reserve,
    }
    values.update(more)
    return await lab_sessions.plan(session, manager, **values)  # type: ignore[arg-type]


async def test_a_session_reserving_a_printer_warns_its_bookers_and_blocks_every_way_to_book_it(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    other = await make_machine(session, "Bambu X1")
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    morgane = await make_member(session, "Morgane", manager=True)
    inside = await bookings.book(session, alice, printer.id, paris(8, 15), 60, RULES, NOW)
    before = await bookings.book(session, bob, printer.id, paris(8, 10), 60, RULES, NOW)
    on_other = await bookings.book(session, bob, other.id, paris(8, 15), 60, RULES, NOW)

    planned = await _workshop(session, morgane, [printer.id, printer.id])  # twice: reserved once
    rows = list(await session.scalars(select(Downtime).where(Downtime.session_id == planned.id)))
    assert [(d.machine_id, d.start_at, d.end_at, d.reason) for d in rows] == [(printer.id, START, END, TITLE)]
    assert [m.name for m in await lab_sessions.reserved_machines(session, planned.id)] == ["Prusa MK4"]
    # Alice, whose booking falls in it, is warned (it is kept); Bob's, outside it or elsewhere, are not.
    assert await _told(session) == [("session_reserves", alice.telegram_id)]
    assert inside.affected_downtime_id == rows[0].id and inside.status is bookings.BookingStatus.CONFIRMED
    assert before.affected_downtime_id is None and on_other.affected_downtime_id is None
    (warning,) = await session.scalars(select(OutboxMessage))
    assert warning.payload["title"] == TITLE and warning.payload["booking_id"] == inside.id

    # Confirm (and the Mini App's check, the same validate_slot): refused, naming the session and its end.
    with pytest.raises(MachineReserved) as refused:
        await bookings.book(session, bob, printer.id, paris(8, 16), 60, RULES, NOW)
    assert (refused.value.title, refused.value.until) == (TITLE, END)
    assert isinstance(refused.value, InMaintenance)  # what the older checks catch
    with pytest.raises(MachineReserved):
        await bookings.validate_slot(session, printer, paris(8, 17, 30), 60, RULES, NOW)
    # The chat's free slots and the waitlist's "free starts": none in the session's time.
    (friday,) = await bookings.availability(session, printer, RULES, NOW, [FRIDAY])
    assert not [s for s in friday.free_starts if START <= s < END]
    assert paris(8, 13, 30) in friday.free_starts  # up to its start
    assert paris(8, 18) in friday.free_starts  # free again at its end
    assert await bookings.free_lengths(session, printer, paris(8, 13), RULES, NOW) == [30, 60]  # to 14:00
    # The next free starts (the QR code's « book next », SlotTaken's offers): after the session.
    assert await bookings.next_free_starts(session, printer, 60, START, RULES, NOW, limit=1) == [END]
    # The Mini App's week grid: the printer is not free then, the other machine is.
    free = await planning.free_machines(session, bob, paris(8, 16), 60, RULES, NOW)
    assert [m.name for m in free] == ["Bambu X1"]
    grid = await planning.week(session, bob, FRIDAY, RULES)
    held = [(b.machine_id, b.start, b.end) for b in grid.busy if b.state is planning.BusyState.DOWNTIME]
    assert held == [(printer.id, START, END)]  # shown as the machine out of reach then
    # A typed time says which session, until when.
    typed = await typed_booking.where_typed_leads(
        session, printer, None, TypedTime(FRIDAY, time(16)), RULES, NOW
    )
    assert isinstance(typed, typed_booking.Refused)
    assert (typed.refusal, typed.reserved) == (typed_booking.Refusal.RESERVED, (TITLE, END))
    # Moving a booking into it is refused, and the booking stays as it was.
    with pytest.raises(MachineReserved):
        await booking_edits.edit_booking(session, bob, before.id, paris(8, 15), 60, RULES, NOW)
    assert before.start_at == paris(8, 10)
    moves = await booking_edits.starts_to_move_to(session, before, printer, [FRIDAY], RULES, NOW)
    assert not [s for s in moves[FRIDAY] if START <= s < END]
    # A manager's maintenance list does not show it (it goes with the session), and a downtime
    # planned over the same window is one of its own.
    assert await maintenance.upcoming_downtimes(session, printer.id, NOW) == []
    downtime, _warned = await maintenance.plan_downtime(session, morgane, printer.id, START, END, "Buse", NOW)
    assert downtime.session_id is None and downtime.id != rows[0].id


async def test_planning_with_an_unknown_or_retired_machine_reserves_nothing(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    retired = await make_machine(session, "Ultimaker 2")
    retired.status = MachineStatus.RETIRED
    morgane = await make_member(session, "Morgane", manager=True)
    for forged in ([printer.id + 999], [retired.id]):
        with pytest.raises(NotFound):
            async with session.begin_nested():
                await _workshop(session, morgane, [printer.id, *forged])
    assert await session.scalar(select(func.count()).select_from(Downtime)) == 0
    assert await session.scalar(select(func.count()).select_from(LabSession)) == 0


async def test_cancelling_the_session_frees_the_machines_tells_the_warned_and_offers_the_waitlist(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    alice, carol = await make_member(session, "Alice"), await make_member(session, "Carol")
    morgane = await make_member(session, "Morgane", manager=True)
    inside = await bookings.book(session, alice, printer.id, paris(8, 15), 60, RULES, NOW)
    planned = await _workshop(session, morgane, [printer.id], start=paris(8, 9), end=paris(8, 19))
    (friday,) = await bookings.availability(session, printer, RULES, NOW, [FRIDAY])
    assert friday.free_starts == []
    await waitlist.join(session, carol, printer.id, FRIDAY, RULES, NOW)  # the day is full: she waits
    before = len(await _told(session))

    await lab_sessions.cancel_session(session, morgane, planned.id, NOW, booking_rules=RULES)

    assert (await _told(session))[before:] == [
        ("session_reservation_freed", alice.telegram_id),
        ("waitlist_opened", carol.telegram_id),
    ]
    assert inside.affected_downtime_id is None
    assert await lab_sessions.reserved_machines(session, planned.id) == []
    booked = await bookings.book(session, carol, printer.id, paris(8, 16), 60, RULES, NOW)
    assert booked.start_at == paris(8, 16)


async def test_a_session_cancelled_for_lack_of_participants_frees_its_machines(session: AsyncSession) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Trotec Speedy 100", kind=MachineKind.LASER_CUTTER)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    morgane = await make_member(session, "Morgane", manager=True)
    await bookings.book(session, alice, laser.id, paris(8, 15), 60, RULES, NOW)
    planned = await _workshop(
        session,
        morgane,
        [laser.id],
        kind=SessionKind.TRAINING,
        machine_id=laser.id,
        minimum=2,
        title="Formation laser",
    )
    with pytest.raises(MachineReserved):
        await bookings.book(session, bob, laser.id, paris(8, 16), 60, RULES, NOW)
    rules = SessionRules(minimum_before=timedelta(hours=24))
    done = await lab_sessions.cancel_below_minimum(
        session, rules, START - timedelta(hours=23), booking_rules=RULES
    )
    assert [s.id for s in done.cancelled] == [planned.id]
    assert ("session_reservation_freed", alice.telegram_id) in await _told(session)
    await bookings.book(session, bob, laser.id, paris(8, 16), 60, RULES, START - timedelta(hours=23))


async def test_a_weekly_repeat_reserves_the_same_machines_each_week(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    bob = await make_member(session, "Bob")
    morgane = await make_member(session, "Morgane", manager=True)
    planned = await _workshop(session, morgane, [printer.id])
    done = await lab_sessions.repeat_weekly(session, morgane, planned.id, 1, RULES.tz, NOW)
    (copy,) = done.planned
    assert [m.name for m in await lab_sessions.reserved_machines(session, copy.id)] == ["Prusa MK4"]
    with pytest.raises(MachineReserved):
        await bookings.book(session, bob, printer.id, paris(15, 15), 60, RULES, NOW)


async def test_a_machine_another_session_reserves_then_is_refused_naming_it_and_nothing_is_planned(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    other = await make_machine(session, "Bambu X1")
    morgane = await make_member(session, "Morgane", manager=True)
    first = await _workshop(session, morgane, [printer.id])
    count = select(func.count()).select_from(LabSession)
    with pytest.raises(AlreadyReserved) as refused:  # overlapping its end, with another machine too
        await _workshop(session, morgane, [other.id, printer.id], start=paris(8, 17), end=paris(8, 19))
    assert (refused.value.machine, refused.value.title) == ("Prusa MK4", TITLE)
    assert await session.scalar(count) == 1
    # Right after it, or once it is cancelled, the machine can be reserved again.
    await _workshop(session, morgane, [printer.id], start=END, end=paris(8, 19))
    await lab_sessions.cancel_session(session, morgane, first.id, NOW)
    again = await _workshop(session, morgane, [printer.id])
    assert [m.id for m in await lab_sessions.reserved_machines(session, again.id)] == [printer.id]
