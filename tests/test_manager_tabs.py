"""The domain behind the Mini App's managers' tabs: editing a machine, a weekday's hours, closure
days (warning the booked), promoting and demoting managers, the record of changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, bookings, machines, members, schedule
from models.audit import ChangeKind, ManagerChange
from models.errors import NotAllowed, NotFound
from models.machines import MachineKind, MachineStatus
from models.opening import Closure, weekly_hours
from models.outbox import OutboxMessage
from tests.factories import NOW, PARIS, RULES, make_machine, make_member, open_every_day, paris


async def test_a_machine_is_edited_field_by_field(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    printer = await make_machine(session, "Prusa MK4")
    await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER)
    changed = await machines.edit_machine(
        session, manager, printer.id, name="  Prusa   XL ", kind=MachineKind.OTHER, out_of_service=True
    )
    assert changed == {"name": "Prusa XL", "kind": MachineKind.OTHER, "status": MachineStatus.OUT_OF_SERVICE}
    assert await machines.edit_machine(session, manager, printer.id, name="Prusa XL") == {}
    for refused, values in [
        (machines.MachineNameTaken, {"name": "TROTEC"}),
        (machines.BadMachineName, {"name": " "}),
        (machines.BadMachineName, {"name": "x" * 101}),
        (machines.BadMachineMinutes, {"slot_minutes": 0}),
        (machines.BadMachineMinutes, {"slot_minutes": 45}),  # 240 is not whole 45-minute slots
        (machines.BadMachineMinutes, {"max_booking_minutes": 20}),
        (machines.BadMachineMinutes, {"slot_minutes": 60, "max_booking_minutes": 1500}),
    ]:
        with pytest.raises(refused):
            await machines.edit_machine(session, manager, printer.id, **values)  # type: ignore[arg-type]
    assert (printer.name, printer.slot_minutes, printer.max_booking_minutes) == ("Prusa XL", 30, 240)
    # Back in service, unless an open ticket keeps it down.
    with pytest.raises(machines.MachineHeldDown):
        await machines.edit_machine(session, manager, printer.id, out_of_service=False, held_down=True)
    await machines.edit_machine(session, manager, printer.id, out_of_service=False)
    assert printer.status is MachineStatus.AVAILABLE


async def test_only_managers_change_the_lab(session: AsyncSession) -> None:
    alice = await make_member(session, "Alice")
    printer = await make_machine(session)
    with pytest.raises(NotAllowed):
        await machines.edit_machine(session, alice, printer.id, name="Mine")
    with pytest.raises(NotAllowed):
        await schedule.set_day_hours(session, alice, 0, [])
    with pytest.raises(NotAllowed):
        await schedule.add_closure(session, alice, date(2030, 3, 6), "", NOW, PARIS)
    with pytest.raises(NotAllowed):
        await members.set_manager(session, alice, alice, True, manager_ids=[], now=NOW)
    assert printer.name == "Prusa MK4" and not alice.is_manager


async def test_a_weekday_hours_are_replaced_and_checked(session: AsyncSession) -> None:
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    assert await schedule.set_day_hours(session, manager, 2, [(840, 1140), (540, 750)])
    assert not await schedule.set_day_hours(session, manager, 2, [(540, 750), (840, 1140)])
    assert (await weekly_hours(session))[2] == [(540, 750), (840, 1140)]
    assert await schedule.set_day_hours(session, manager, 6, [])  # closed on Sundays
    for bad in ([(600, 600)], [(540, 720), (700, 800)], [(0, 1441)], [(-1, 60)]):
        with pytest.raises(schedule.BadHours):
            await schedule.set_day_hours(session, manager, 2, bad)
    hours = await weekly_hours(session)
    assert hours[2] == [(540, 750), (840, 1140)] and hours[6] == [] and hours[0] == [(540, 1140)]


async def test_a_closure_over_bookings_keeps_them_and_warns_their_members(session: AsyncSession) -> None:
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    printer = await make_machine(session)
    kept = await bookings.book(session, alice, printer.id, paris(6, 10), 60, RULES, NOW)
    await bookings.book(session, bob, printer.id, paris(7, 10), 60, RULES, NOW)  # another day
    closure, warned = await schedule.add_closure(
        session, manager, date(2030, 3, 6), " Inventaire ", NOW, PARIS
    )
    assert (closure.reason, warned) == ("Inventaire", 1)
    rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "closure_warning")))
    assert [(row.member_id, row.payload["booking_id"], row.payload["day"]) for row in rows] == [
        (alice.id, kept.id, "2030-03-06")
    ]
    assert kept.status is bookings.BookingStatus.CONFIRMED
    with pytest.raises(schedule.AlreadyClosed):
        await schedule.add_closure(session, manager, date(2030, 3, 6), "", NOW, PARIS)
    for too_far in (date(2030, 3, 3), NOW.date() + timedelta(days=800)):
        with pytest.raises(schedule.BadClosureDay):
            await schedule.add_closure(session, manager, too_far, "", NOW, PARIS)
    await schedule.remove_closure(session, manager, date(2030, 3, 6))
    assert await session.scalar(select(Closure)) is None
    with pytest.raises(NotFound):
        await schedule.remove_closure(session, manager, date(2030, 3, 6))


async def test_a_promotion_lasts_until_demoted_and_the_settings_managers_stay(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    configured = [morgane.telegram_id]
    assert await members.set_manager(session, morgane, alice, True, manager_ids=configured, now=NOW)
    assert alice.is_manager and alice.promoted_at == NOW
    assert not await members.set_manager(session, morgane, alice, True, manager_ids=configured, now=NOW)
    # Her next message, and a restart, keep her a manager: the settings did not make her one.
    await members.register(
        session,
        telegram_id=alice.telegram_id,
        first_name="Alice",
        last_name=None,
        username="alice",
        telegram_language="en",
        manager_ids=configured,
        now=NOW,
    )
    assert await members.sync_managers(session, configured) == []
    assert alice.is_manager
    with pytest.raises(members.ConfiguredManager):
        await members.set_manager(session, alice, morgane, False, manager_ids=configured, now=NOW)
    assert morgane.is_manager
    assert await members.set_manager(session, morgane, alice, False, manager_ids=configured, now=NOW)
    assert not alice.is_manager and alice.promoted_at is None
    await members.sync_managers(session, configured)
    assert not alice.is_manager


async def test_a_change_is_recorded_without_its_free_texts(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    details = {"name": "Prusa XL", "kind": MachineKind.OTHER, "location": "chez Bob"}
    audit.record(session, morgane, ChangeKind.MACHINE, 7, details, NOW, texts=("location",))
    await session.flush()
    change = await session.scalar(select(ManagerChange))
    assert change is not None
    assert (change.manager_id, change.at, change.what, change.target_id) == (
        morgane.id,
        NOW,
        ChangeKind.MACHINE,
        7,
    )
    assert change.details == {"name": "Prusa XL", "kind": "other", "texts": ["location"]}
    assert [c.id for c in await audit.changes_by(session, morgane.id)] == [change.id]


async def test_a_promoted_member_stays_a_manager_when_their_first_updates_race(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    await members.set_manager(session, morgane, alice, True, manager_ids=[], now=NOW)
    await session.flush()
    # The first read misses the row (another update created it an instant ago): the insert then
    # meets the unique index, and the row the other update wrote is read back.
    real_find = members.find_by_telegram_id
    reads: list[int] = []

    async def first_read_misses(session: AsyncSession, telegram_id: int) -> members.Member | None:
        reads.append(telegram_id)
        return None if len(reads) == 1 else await real_find(session, telegram_id)

    monkeypatch.setattr(members, "find_by_telegram_id", first_read_misses)
    again = await members.register(
        session,
        telegram_id=alice.telegram_id,
        first_name="Alice",
        last_name=None,
        username="alice",
        telegram_language="en",
        manager_ids=[morgane.telegram_id],
        now=NOW,
    )
    assert again.id == alice.id and again.is_manager
    assert len(reads) == 2, "the insert met the row the other update wrote"
