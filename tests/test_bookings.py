"""Booking rules on a real database: free slots, every refusal, no double booking ever, reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings, machines
from models.bookings import Booking, BookingStatus
from models.errors import (
    AlreadyCancelled,
    AlreadyStarted,
    BadLength,
    BeyondHorizon,
    InThePast,
    MachineUnavailable,
    Misaligned,
    NotAllowed,
    NotFound,
    OutsideOpeningHours,
    OverlapsOwnBooking,
    SlotTaken,
    TrainingRequired,
)
from models.machines import MachineKind, MachineStatus
from models.members import Member
from models.opening import Closure
from tests.factories import NOW, PARIS, RULES, make_machine, make_member, open_every_day, paris


async def test_free_starts_follow_opening_hours_slot_grid_and_bookings(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "12:00")
    machine = await make_machine(session, slot_minutes=60)
    alice = await make_member(session)
    await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)

    days = await bookings.availability(session, machine, RULES, NOW)

    assert [d.day for d in days][:2] == [date(2030, 3, 4), date(2030, 3, 5)]
    assert len(days) == RULES.horizon_days
    tuesday = days[1]
    assert tuesday.free_starts == [paris(5, 9), paris(5, 11)]


async def test_slots_already_started_today_are_not_offered(session: AsyncSession) -> None:
    await open_every_day(session, "06:00", "10:00")
    machine = await make_machine(session, slot_minutes=30)
    now = paris(4, 8, 10)
    (today,) = await bookings.availability(session, machine, RULES, now, [date(2030, 3, 4)])
    assert today.free_starts == [paris(4, 8, 30), paris(4, 9), paris(4, 9, 30)]


async def test_closure_day_has_no_slot(session: AsyncSession) -> None:
    await open_every_day(session)
    session.add(Closure(day=date(2030, 3, 6), reason="Inventaire"))
    machine = await make_machine(session)
    days = {d.day: d for d in await bookings.availability(session, machine, RULES, NOW)}
    assert not days[date(2030, 3, 6)].open and days[date(2030, 3, 6)].free_starts == []
    with pytest.raises(OutsideOpeningHours):
        await bookings.book(session, await make_member(session), machine.id, paris(6, 10), 30, RULES, NOW)


async def test_slots_are_right_on_daylight_saving_day(session: AsyncSession) -> None:
    # Sunday 31 March 2030: Paris moves from UTC+1 to UTC+2 at 02:00.
    await open_every_day(session, "00:00", "04:00")
    machine = await make_machine(session, slot_minutes=60, max_booking_minutes=240)
    now = datetime(2030, 3, 25, tzinfo=UTC)
    (day,) = await bookings.availability(session, machine, RULES, now, [date(2030, 3, 31)])
    local = [s.astimezone(PARIS).strftime("%H:%M") for s in day.free_starts]
    # 00:00 to 04:00 local is only three hours long that night.
    assert local == ["00:00", "01:00", "03:00"]


async def test_lengths_stop_at_next_booking_closing_time_and_maximum(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "19:00")
    machine = await make_machine(session, slot_minutes=30, max_booking_minutes=120)
    alice = await make_member(session)
    await bookings.book(session, alice, machine.id, paris(5, 11), 30, RULES, NOW)
    assert await bookings.free_lengths(session, machine, paris(5, 10), RULES, NOW) == [30, 60]
    assert await bookings.free_lengths(session, machine, paris(5, 14), RULES, NOW) == [30, 60, 90, 120]
    assert await bookings.free_lengths(session, machine, paris(5, 18), RULES, NOW) == [30, 60]
    assert await bookings.free_lengths(session, machine, paris(5, 11), RULES, NOW) == []


@pytest.mark.parametrize(
    ("start", "minutes", "refusal"),
    [
        (paris(4, 6), 30, InThePast),  # before "now"
        (paris(5, 8, 30), 60, OutsideOpeningHours),  # starts before opening
        (paris(5, 18, 30), 60, OutsideOpeningHours),  # ends after closing
        (paris(5, 10, 15), 30, Misaligned),  # off the 30-minute grid
        (paris(5, 10), 45, BadLength),  # not a multiple of the slot
        (paris(5, 10), 0, BadLength),
        (paris(5, 10), 300, BadLength),  # over the 4 h maximum
        (paris(18, 10), 30, BeyondHorizon),  # 14 days ahead is too far
    ],
)
async def test_slots_breaking_a_rule_are_refused_and_nothing_is_written(
    session: AsyncSession, start: datetime, minutes: int, refusal: type[Exception]
) -> None:
    await open_every_day(session)
    machine = await make_machine(session, max_booking_minutes=240)
    alice = await make_member(session)
    with pytest.raises(refusal):
        await bookings.book(session, alice, machine.id, start, minutes, RULES, NOW)
    assert await session.scalar(select(func.count()).select_from(Booking)) == 0


async def test_last_bookable_day_is_accepted(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    booking = await bookings.book(
        session, await make_member(session), machine.id, paris(17, 18, 30), 30, RULES, NOW
    )
    assert booking.end_at == paris(17, 19)


async def test_training_is_required_until_a_manager_authorizes(session: AsyncSession) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    other_laser = await make_machine(session, "Epilog", kind=MachineKind.LASER_CUTTER, requires_training=True)
    alice = await make_member(session)
    manager = await make_member(session, "Morgane", manager=True)

    with pytest.raises(TrainingRequired):
        await bookings.book(session, alice, laser.id, paris(5, 10), 30, RULES, NOW)
    request, created = await machines.request_training(session, alice, laser, manager_ids=[], now=NOW)
    again, created_again = await machines.request_training(session, alice, laser, manager_ids=[], now=NOW)
    assert created and not created_again and again.id == request.id

    with pytest.raises(NotAllowed):
        await machines.authorize(session, alice, alice, machine=laser, now=NOW)
    assert await machines.authorize(session, manager, alice, machine=laser, now=NOW) is True
    assert await machines.authorize(session, manager, alice, machine=laser, now=NOW) is False
    assert request.granted_at == NOW

    booking = await bookings.book(session, alice, laser.id, paris(5, 10), 30, RULES, NOW)
    assert booking.status is BookingStatus.CONFIRMED
    with pytest.raises(TrainingRequired):  # authorized on one laser, not on the other
        await bookings.book(session, alice, other_laser.id, paris(5, 10), 30, RULES, NOW)


async def test_authorization_on_a_kind_covers_every_machine_of_it(session: AsyncSession) -> None:
    await open_every_day(session)
    cnc = await make_machine(session, "Shapeoko", kind=MachineKind.CNC, requires_training=True)
    bob = await make_member(session, "Bob")
    manager = await make_member(session, "Morgane", manager=True)
    await machines.authorize(session, manager, bob, kind=MachineKind.CNC, now=NOW)
    assert await machines.is_authorized(session, bob, cnc)
    people, total = await machines.members_to_authorize(session, cnc)
    assert bob not in people and total == len(people)


async def test_out_of_service_and_retired_machines_cannot_be_booked(session: AsyncSession) -> None:
    await open_every_day(session)
    broken = await make_machine(session, "Broken", status=MachineStatus.OUT_OF_SERVICE)
    retired = await make_machine(session, "Old", status=MachineStatus.RETIRED)
    alice = await make_member(session)
    with pytest.raises(MachineUnavailable):
        await bookings.book(session, alice, broken.id, paris(5, 10), 30, RULES, NOW)
    with pytest.raises(NotFound):
        await bookings.book(session, alice, retired.id, paris(5, 10), 30, RULES, NOW)
    with pytest.raises(NotFound):
        await bookings.book(session, alice, 987654, paris(5, 10), 30, RULES, NOW)
    assert [m.name for m in await machines.list_machines(session)] == ["Broken"]


async def test_overlapping_booking_is_refused_with_the_next_free_slots(session: AsyncSession) -> None:
    await open_every_day(session, "09:00", "12:00")
    machine = await make_machine(session, slot_minutes=30, max_booking_minutes=120)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)

    with pytest.raises(SlotTaken) as taken:
        await bookings.book(session, bob, machine.id, paris(5, 10, 30), 60, RULES, NOW)

    assert taken.value.alternatives == [paris(5, 11), paris(6, 9), paris(6, 9, 30), paris(6, 10)]
    # Back-to-back is not an overlap.
    await bookings.book(session, bob, machine.id, paris(5, 11), 60, RULES, NOW)
    await bookings.book(session, bob, machine.id, paris(5, 9), 60, RULES, NOW)
    assert await session.scalar(select(func.count()).select_from(Booking)) == 3


async def test_database_itself_refuses_overlapping_confirmed_bookings(session: AsyncSession) -> None:
    """Even a write that skips the Python check cannot double book (exclusion constraint / trigger)."""
    await open_every_day(session)
    machine = await make_machine(session)
    other = await make_machine(session, "Other")
    alice = await make_member(session)

    def row(machine_id: int, start: datetime, end: datetime, status: BookingStatus) -> Booking:
        return Booking(
            member_id=alice.id,
            machine_id=machine_id,
            start_at=start,
            end_at=end,
            status=status,
            created_at=NOW,
        )

    session.add(row(machine.id, paris(5, 10), paris(5, 11), BookingStatus.CONFIRMED))
    await session.flush()
    # Allowed: another machine, a cancelled booking, back to back.
    session.add_all(
        [
            row(other.id, paris(5, 10), paris(5, 11), BookingStatus.CONFIRMED),
            row(machine.id, paris(5, 10), paris(5, 11), BookingStatus.CANCELLED),
            row(machine.id, paris(5, 11), paris(5, 12), BookingStatus.CONFIRMED),
        ]
    )
    await session.flush()

    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(row(machine.id, paris(5, 10, 30), paris(5, 10, 45), BookingStatus.CONFIRMED))
    # Turning a cancelled booking back into a confirmed one over a taken slot is refused too.
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(text("UPDATE bookings SET status = 'confirmed' WHERE status = 'cancelled'"))
    rows = await session.execute(select(Booking.machine_id, Booking.status).order_by(Booking.id))
    assert list(rows) == [
        (machine.id, BookingStatus.CONFIRMED),
        (other.id, BookingStatus.CONFIRMED),
        (machine.id, BookingStatus.CANCELLED),
        (machine.id, BookingStatus.CONFIRMED),
    ]


async def test_the_database_guard_sees_a_day_long_booking_and_refuses_longer_ones(
    session: AsyncSession,
) -> None:
    """The guard looks back one day (a booking lies in one opening interval, so within a day):
    a booking of almost a day still blocks the next morning; on SQLite, where the look-back is what
    keeps the guard from reading the machine's whole history, a longer one is refused outright."""
    await open_every_day(session)
    machine = await make_machine(session)
    alice = await make_member(session)

    def row(start: datetime, end: datetime) -> Booking:
        return Booking(
            member_id=alice.id,
            machine_id=machine.id,
            start_at=start,
            end_at=end,
            status=BookingStatus.CONFIRMED,
            created_at=NOW,
        )

    session.add(row(paris(5, 1), paris(6, 0, 59)))  # 23 h 59 min
    await session.flush()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(row(paris(6, 0, 30), paris(6, 0, 45)))
    session.add(row(paris(6, 0, 59), paris(6, 1, 30)))  # back to back
    await session.flush()
    if session.get_bind().dialect.name == "sqlite":
        with pytest.raises(IntegrityError, match="booking_too_long"):
            async with session.begin_nested():
                session.add(row(paris(7, 1), paris(8, 1, 30)))
    assert await session.scalar(select(func.count()).select_from(Booking)) == 2


@pytest.mark.parametrize("racers", [50])
async def test_concurrent_attempts_on_one_slot_give_exactly_one_booking(
    sessions: async_sessionmaker[AsyncSession], racers: int
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        machine = await make_machine(session)
        member_ids = [(await make_member(session, f"Member {i}")).id for i in range(racers)]

    async def attempt(member_id: int) -> str:
        async with sessions.begin() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            try:
                await bookings.book(session, member, machine.id, paris(5, 10), 60, RULES, NOW)
            except SlotTaken as taken:
                assert taken.alternatives and paris(5, 10) not in taken.alternatives
                return "taken"
            return "booked"

    outcomes = await asyncio.gather(*(attempt(m) for m in member_ids))

    assert outcomes.count("booked") == 1
    assert outcomes.count("taken") == racers - 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_member_cancels_own_upcoming_booking_only(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)

    with pytest.raises(NotFound):  # Bob cannot even see that it exists
        await bookings.cancel(session, bob, booking.id, NOW)
    assert booking.status is BookingStatus.CONFIRMED
    assert await bookings.upcoming_for_member(session, bob, NOW) == ([], 0)
    assert [b.id for b in (await bookings.upcoming_for_member(session, alice, NOW))[0]] == [booking.id]

    with pytest.raises(AlreadyStarted):
        await bookings.cancel(session, alice, booking.id, paris(5, 10, 5))
    cancelled = await bookings.cancel(session, alice, booking.id, NOW)
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.cancelled_at == NOW
    with pytest.raises(AlreadyCancelled):
        await bookings.cancel(session, alice, booking.id, NOW)
    assert await bookings.upcoming_for_member(session, alice, NOW) == ([], 0)
    # The slot is free again.
    await bookings.book(session, bob, machine.id, paris(5, 10), 60, RULES, NOW)


async def test_reminders_fall_due_once_and_not_for_late_bookings(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    alice = await make_member(session)
    early = await bookings.book(session, alice, machine.id, paris(5, 10), 30, RULES, NOW)
    # Booked 20 minutes before it starts: inside the 30-minute lead, no reminder needed.
    late = await bookings.book(session, alice, machine.id, paris(5, 14), 30, RULES, paris(5, 13, 40))
    assert RULES.gets_reminder(early) and not RULES.gets_reminder(late)

    async def due_ids(now: datetime, rules: bookings.BookingRules = RULES) -> list[int]:
        return [d.booking.id for d in await bookings.due_reminders(session, rules, now)]

    assert await due_ids(paris(5, 9, 29)) == []
    due = await bookings.due_reminders(session, RULES, paris(5, 9, 31))
    assert [d.booking.id for d in due] == [early.id] and due[0].note is None
    assert due[0].booking.member.telegram_id == alice.telegram_id
    # The lead is the current setting's: longer, the reminder is due earlier; zero, never.
    hour_ahead = bookings.BookingRules(tz=PARIS, reminder_lead=timedelta(hours=1))
    assert await due_ids(paris(5, 9, 1), hour_ahead) == [early.id]
    assert await due_ids(paris(5, 9, 31), bookings.BookingRules(tz=PARIS, reminder_lead=timedelta(0))) == []
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 31))).queued == 1
    assert await due_ids(paris(5, 9, 45)) == []
    assert await due_ids(paris(5, 13, 50)) == []  # the late booking
    # A booking that started while the bot was down gets no late reminder.
    missed = await bookings.book(session, alice, machine.id, paris(6, 10), 30, RULES, NOW)
    assert missed.id not in await due_ids(paris(6, 10, 1))


async def test_late_bookings_do_not_hold_back_the_reminders_behind_them(session: AsyncSession) -> None:
    """Bookings made after their reminder fell due never get one, and are never stamped: a page of
    them must not hide the bookings starting later, and the pages go on after a given booking."""
    await open_every_day(session)
    machines = [await make_machine(session, f"Printer {n}") for n in range(4)]
    alice = await make_member(session)
    late = [
        await bookings.book(session, alice, m.id, paris(5, 10), 30, RULES, paris(5, 9, 45))
        for m in machines[:3]
    ]
    due = await bookings.book(session, alice, machines[3].id, paris(5, 10), 30, RULES, NOW)
    assert not any(RULES.gets_reminder(b) for b in late) and RULES.gets_reminder(due)
    found = await bookings.due_reminders(session, RULES, paris(5, 9, 50), limit=2)
    assert [d.booking.id for d in found] == [due.id]
    after = (due.start_at, due.id)
    assert await bookings.due_reminders(session, RULES, paris(5, 9, 50), limit=2, after=after) == []


async def test_a_booking_cancelled_while_its_reminder_goes_out_is_not_stamped(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    alice = await make_member(session)
    booking = await bookings.book(session, alice, machine.id, paris(5, 10), 30, RULES, NOW)
    await bookings.cancel(session, alice, booking.id, NOW)
    assert (await bookings.queue_due_reminders(session, RULES, paris(5, 9, 31))).queued == 0
    await session.refresh(booking)
    assert booking.reminded_at is None


async def test_a_due_reminder_warns_when_the_lab_can_no_longer_honour_the_booking(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer, laser = await make_machine(session, "Printer"), await make_machine(session, "Laser")
    alice = await make_member(session)
    await bookings.book(session, alice, printer.id, paris(5, 10), 30, RULES, NOW)
    await bookings.book(session, alice, laser.id, paris(5, 10), 30, RULES, NOW)
    await bookings.book(session, alice, printer.id, paris(6, 10), 30, RULES, NOW)
    laser.status = MachineStatus.OUT_OF_SERVICE
    session.add(Closure(day=date(2030, 3, 6), reason="Dégât des eaux"))
    await session.flush()
    notes = {
        (d.booking.machine.name, d.booking.start_at.day): d.note
        for now in (paris(5, 9, 45), paris(6, 9, 45))
        for d in await bookings.due_reminders(session, RULES, now)
    }
    assert notes == {
        ("Printer", 5): None,
        ("Laser", 5): bookings.ReminderNote.MACHINE_UNAVAILABLE,
        ("Printer", 6): bookings.ReminderNote.LAB_CLOSED,
    }


async def test_bookings_between_uses_a_bounded_window(session: AsyncSession) -> None:
    await open_every_day(session, "00:00", "24:00")
    machine = await make_machine(session, max_booking_minutes=1440, slot_minutes=60)
    alice = await make_member(session)
    await bookings.book(session, alice, machine.id, paris(4, 20), 240, RULES, NOW)
    await bookings.book(session, alice, machine.id, paris(5, 9), 60, RULES, NOW)
    today = await bookings.bookings_between(session, paris(4, 0), paris(5, 0))
    assert [(b.start_at, b.machine.name, b.member.first_name) for b in today] == [
        (paris(4, 20), machine.name, "Alice")
    ]
    assert timedelta(hours=4) == today[0].end_at - today[0].start_at


async def test_database_guard_turns_into_slot_taken_when_the_python_check_is_bypassed(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the check cannot see (another transaction commits in between) ends as SlotTaken."""
    await open_every_day(session)
    machine = await make_machine(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    real_busy = bookings._busy
    calls = 0

    async def blind_first_check(*args: object, **kwargs: object) -> list[tuple[datetime, datetime]]:
        nonlocal calls
        calls += 1
        return [] if calls == 1 else await real_busy(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bookings, "_busy", blind_first_check)
    with pytest.raises(SlotTaken) as taken:
        await bookings.book(session, bob, machine.id, paris(5, 10), 60, RULES, NOW)
    assert taken.value.alternatives[0] == paris(5, 11)
    # The transaction is still usable after the refused insert (savepoint).
    assert await session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_manager_role_follows_the_settings(session: AsyncSession) -> None:
    from models import members

    morgane = await make_member(session, "Morgane", manager=True)
    assert morgane.is_manager
    assert await members.manager_telegram_ids(session, [42]) == sorted([42, morgane.telegram_id])
    await members.sync_managers(session, [42])  # Morgane left the settings
    assert not morgane.is_manager
    assert await members.manager_telegram_ids(session, [42]) == [42]
    await members.sync_managers(session, [morgane.telegram_id])
    assert morgane.is_manager


async def test_only_the_bookable_days_can_be_opened(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    with pytest.raises(InThePast):
        await bookings.day_availability(session, machine, date(2030, 3, 3), RULES, NOW)
    with pytest.raises(BeyondHorizon):
        await bookings.day_availability(session, machine, date(2030, 3, 18), RULES, NOW)
    last = await bookings.day_availability(session, machine, date(2030, 3, 17), RULES, NOW)
    assert last.free_starts[0] == paris(17, 9)


async def test_a_booking_is_cancellable_until_it_starts(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session)
    booking = await bookings.book(
        session, await make_member(session), machine.id, paris(5, 10), 30, RULES, NOW
    )
    assert booking.cancellable(paris(5, 9, 59)) and not booking.cancellable(paris(5, 10))


async def test_booking_the_same_slot_twice_returns_the_same_booking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Confirm pressed twice (even at the same instant) books once; the member is not told "taken"."""
    async with sessions.begin() as session:
        await open_every_day(session)
        machine = await make_machine(session)
        alice_id = (await make_member(session, "Alice")).id

    async def press() -> int:
        async with sessions.begin() as session:
            alice = await session.get(Member, alice_id)
            assert alice is not None
            return (await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)).id

    ids = await asyncio.gather(*(press() for _ in range(5)))
    assert len(set(ids)) == 1
    async with sessions.begin() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1
        alice = await session.get(Member, alice_id)
        assert alice is not None
        with pytest.raises(OverlapsOwnBooking):
            await bookings.book(session, alice, machine.id, paris(5, 10, 30), 60, RULES, NOW)
