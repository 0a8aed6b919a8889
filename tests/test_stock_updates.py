"""Consumables, the update register and the daily digest, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import bookings, digest, stock, updates
from models.errors import NotAllowed, NotFound
from models.machines import MachineKind
from models.outbox import OutboxMessage
from models.stock import BadQuantity, MovementReason, StockMovement
from models.updates import CheckAction, UpdateCheck, UpdateItem
from tests.factories import (
    NOW,
    PARIS,
    RULES,
    make_consumable,
    make_machine,
    make_member,
    open_every_day,
    paris,
)

MANAGER_ID = 900


async def kinds(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    ("typed", "value"),
    [("250", "250"), ("1,5", "1.5"), ("+2", "2"), ("-0.25", "-0.25"), (" 500 g ", "500"), ("0,001", "0.001")],
)
def test_amounts_are_read_as_people_type_them(typed: str, value: str) -> None:
    assert stock.parse_quantity(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["", "abc", "1.2345", "1e9", "12..5", "99999999999", "--1", "½"])
def test_bad_amounts_are_refused(typed: str) -> None:
    with pytest.raises(BadQuantity):
        stock.parse_quantity(typed)


async def test_quantities_stay_exact_through_many_movements(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    resin = await make_consumable(session, "Resin", "l", "0", "0")
    for _ in range(10):
        await stock.move(session, morgane, resin.id, Decimal("0.1"), MovementReason.RESTOCK, [], NOW)
    assert resin.quantity == Decimal("1.0") and resin.quantity_milli == 1000
    with pytest.raises(BadQuantity):  # no silent rounding
        await stock.move(session, morgane, resin.id, Decimal("0.0001"), MovementReason.RESTOCK, [], NOW)


async def test_every_change_is_a_movement_and_a_count_records_the_difference(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    pla = await make_consumable(session, quantity="1000", minimum="0")
    await stock.move(session, morgane, pla.id, Decimal("2000"), MovementReason.RESTOCK, [], NOW)
    await stock.move(
        session, morgane, pla.id, Decimal("-150"), MovementReason.CORRECTION, [], NOW, note="tangled"
    )
    counted = await stock.count(session, morgane, pla.id, Decimal("2800"), [], NOW)
    assert counted.delta == Decimal("-50") and pla.quantity == Decimal("2800")
    rows = list(await session.scalars(select(StockMovement).order_by(StockMovement.id)))
    assert [(r.reason, r.delta, Decimal(r.quantity_after_milli) / 1000) for r in rows] == [
        (MovementReason.RESTOCK, Decimal("2000"), Decimal("3000")),
        (MovementReason.CORRECTION, Decimal("-150"), Decimal("2850")),
        (MovementReason.COUNT, Decimal("-50"), Decimal("2800")),
    ]
    assert sum(r.delta_milli for r in rows) + 1_000_000 == pla.quantity_milli


async def test_one_low_stock_alert_per_dip_and_it_rearms_above_the_minimum(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session)
    alice = await make_member(session, "Alice")
    morgane = await make_member(session, "Morgane", manager=True)
    pla = await make_consumable(session, quantity="700", minimum="500", machines=[printer])
    prints = [
        await bookings.book(session, alice, printer.id, paris(5, h), 60, RULES, NOW) for h in (9, 10, 11)
    ]
    after = paris(5, 12)  # uses are recorded once the bookings have started

    await stock.move(
        session,
        alice,
        pla.id,
        Decimal("100"),
        MovementReason.USE,
        [MANAGER_ID],
        after,
        booking_id=prints[0].id,
    )
    assert await kinds(session) == []  # 600 g: still above 500
    await stock.move(
        session,
        alice,
        pla.id,
        Decimal("150"),
        MovementReason.USE,
        [MANAGER_ID],
        after,
        booking_id=prints[1].id,
    )
    await stock.move(
        session,
        alice,
        pla.id,
        Decimal("50"),
        MovementReason.USE,
        [MANAGER_ID],
        after,
        booking_id=prints[2].id,
    )
    alerts = [k for k in await kinds(session) if k == "low_stock"]
    assert len(alerts) == 2  # one dip, one alert to each manager (the settings' and Morgane)
    assert pla.low_alert_at == after
    await stock.move(session, morgane, pla.id, Decimal("1000"), MovementReason.RESTOCK, [MANAGER_ID], NOW)
    assert pla.low_alert_at is None  # back above: re-armed
    await stock.count(session, morgane, pla.id, Decimal("100"), [MANAGER_ID], NOW)
    # Morgane's own count shows her the minimum on screen: only the other manager is alerted.
    alerts = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "low_stock")))
    assert [m.chat_id for m in alerts[2:]] == [MANAGER_ID]


async def test_members_record_use_only_on_their_own_bookings_of_a_machine_it_feeds(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session)
    laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    pla = await make_consumable(session, machines=[printer])
    alices = await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
    laser_booking = await bookings.book(session, alice, laser.id, paris(5, 10), 60, RULES, NOW)
    after = paris(5, 10, 30)
    with pytest.raises(NotFound):  # not started yet
        await stock.move(
            session, alice, pla.id, Decimal("10"), MovementReason.USE, [], NOW, booking_id=alices.id
        )
    with pytest.raises(NotFound):  # someone else's booking
        await stock.move(
            session, bob, pla.id, Decimal("10"), MovementReason.USE, [], after, booking_id=alices.id
        )
    with pytest.raises(NotFound):  # PLA does not feed the laser
        await stock.move(
            session, alice, pla.id, Decimal("10"), MovementReason.USE, [], after, booking_id=laser_booking.id
        )
    with pytest.raises(NotAllowed):  # restocks are for managers
        await stock.move(session, alice, pla.id, Decimal("10"), MovementReason.RESTOCK, [], NOW)
    with pytest.raises(BadQuantity):
        await stock.move(
            session, alice, pla.id, Decimal("-10"), MovementReason.USE, [], after, booking_id=alices.id
        )
    assert await session.scalar(select(func.count()).select_from(StockMovement)) == 0
    await stock.move(
        session, alice, pla.id, Decimal("10"), MovementReason.USE, [], after, booking_id=alices.id
    )
    with pytest.raises(stock.AlreadyRecorded):  # once per booking and consumable
        await stock.move(
            session, alice, pla.id, Decimal("10"), MovementReason.USE, [], after, booking_id=alices.id
        )
    assert pla.quantity == Decimal("990")


async def test_members_are_asked_about_usage_once_after_their_booking(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session)
    pc = await make_machine(session, "PC", kind=MachineKind.PC)
    alice = await make_member(session)
    await make_consumable(session, machines=[printer])
    await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
    await bookings.book(session, alice, pc.id, paris(5, 10), 60, RULES, NOW)  # nothing feeds a PC
    assert await stock.ask_about_usage(session, paris(5, 10, 59)) == 0
    assert await stock.ask_about_usage(session, paris(5, 11, 5)) == 1
    assert await stock.ask_about_usage(session, paris(5, 12)) == 0
    message = await session.scalar(select(OutboxMessage))
    assert message is not None and message.kind == "usage_question"
    assert [c["name"] for c in message.payload["consumables"]] == ["PLA noir"]


async def test_typed_amounts_answer_the_question_asked(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    pla = await make_consumable(session, quantity="100", minimum="0")
    await stock.ask_amount(session, morgane, pla.id, MovementReason.COUNT, NOW)
    with pytest.raises(BadQuantity):
        await stock.give_amount(session, morgane, "a lot", [], NOW)
    movement, _ = await stock.give_amount(session, morgane, "1250,5", [], NOW)
    assert movement.reason is MovementReason.COUNT and pla.quantity == Decimal("1250.5")
    assert await stock.pending_amount(session, morgane) is None


async def item(
    session: AsyncSession, name: str = "PrusaSlicer", every: int = 30, last: datetime = NOW
) -> UpdateItem:
    entry = UpdateItem(
        name=name,
        current_version="2.7.1",
        check_every_days=every,
        last_checked_at=last,
        not_applicable=False,
        created_at=NOW,
    )
    session.add(entry)
    await session.flush()
    return entry


async def test_update_checks_are_reminded_once_per_due_date(session: AsyncSession) -> None:
    morgane = await make_member(session, "Morgane", manager=True)
    slicer = await item(session)
    firmware = await item(session, "Firmware MK4", every=90)
    assert await updates.remind_due(session, [MANAGER_ID], NOW + timedelta(days=29)) == []
    assert await updates.remind_due(session, [MANAGER_ID], NOW + timedelta(days=30)) == [slicer]
    assert await updates.remind_due(session, [MANAGER_ID], NOW + timedelta(days=31)) == []  # once

    await updates.snooze(session, morgane, slicer.id, NOW + timedelta(days=31))
    assert not slicer.is_due(NOW + timedelta(days=37))
    assert await updates.remind_due(session, [MANAGER_ID], NOW + timedelta(days=38)) == [
        slicer
    ]  # after the snooze

    await updates.mark_done(session, morgane, slicer.id, "2.8.0", NOW + timedelta(days=40))
    assert slicer.current_version == "2.8.0" and slicer.due_at == NOW + timedelta(days=70)
    await updates.set_not_applicable(session, morgane, firmware.id, NOW)
    assert await updates.remind_due(session, [MANAGER_ID], NOW + timedelta(days=365)) == [slicer]
    checks = list(
        await session.scalars(
            select(UpdateCheck).where(UpdateCheck.item_id == slicer.id).order_by(UpdateCheck.id)
        )
    )
    assert [(c.action, c.version_before, c.version_after) for c in checks] == [
        (CheckAction.SNOOZED, "2.7.1", "2.7.1"),
        (CheckAction.DONE, "2.7.1", "2.8.0"),
    ]
    with pytest.raises(NotAllowed):
        await updates.snooze(session, await make_member(session, "Alice"), slicer.id, NOW)
    with pytest.raises(updates.BadVersion):
        await updates.mark_done(session, morgane, slicer.id, "  ", NOW)


async def test_the_digest_goes_once_a_day_after_its_time_and_says_all_clear_when_nothing_is_due(
    session: AsyncSession,
) -> None:
    at = time(8, 30)
    before = datetime(2030, 3, 5, 7, 29, tzinfo=UTC)  # 08:29 in Paris
    after = datetime(2030, 3, 5, 7, 31, tzinfo=UTC)
    assert not await digest.send_daily_digest(session, [MANAGER_ID], before, PARIS, at)
    assert await digest.send_daily_digest(session, [MANAGER_ID], after, PARIS, at)
    assert not await digest.send_daily_digest(session, [MANAGER_ID], after + timedelta(hours=5), PARIS, at)
    message = await session.scalar(select(OutboxMessage))
    assert message is not None and message.kind == "digest"
    facts = message.payload
    assert (facts["open_tickets"], facts["low_stock"], facts["updates_due_count"], facts["bookings"]) == (
        0,
        [],
        0,
        [],
    )
    # The next day, again once.
    assert await digest.send_daily_digest(session, [MANAGER_ID], after + timedelta(days=1), PARIS, at)


async def test_the_digest_lists_what_needs_attention(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session)
    alice = await make_member(session)
    await make_consumable(session, quantity="100", minimum="500", machines=[printer])
    await item(session, last=NOW - timedelta(days=40))
    await bookings.book(session, alice, printer.id, paris(4, 10), 60, RULES, NOW)
    facts = (await digest.digest_facts(session, paris(4, 8, 30), PARIS)).payload()  # as stored
    assert facts["low_stock"] == [{"name": "PLA noir", "quantity": "100", "minimum": "500", "unit": "g"}]
    assert facts["updates_due"] == [{"name": "PrusaSlicer", "overdue_days": 10}]
    assert facts["bookings"] == [["Prusa MK4", [[paris(4, 10).isoformat(), paris(4, 11).isoformat()]]]]
