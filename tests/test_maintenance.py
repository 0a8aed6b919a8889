"""Fault reports, tickets, downtime and preventive plans on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import bookings, maintenance, outbox, waitlist
from models.base import stamp_once
from models.downtime import Downtime
from models.errors import InMaintenance, MachineUnavailable, NotAllowed, NotFound
from models.machines import Authorized, MachineKind, MachineStatus
from models.maintenance import (
    Action,
    EmptyText,
    EventKind,
    MaintenancePlan,
    NoDraft,
    Severity,
    Ticket,
    TicketEvent,
    TicketNotActive,
    TicketStatus,
    TooManyPhotos,
)
from models.members import Member
from models.outbox import OutboxMessage
from tests.factories import NOW, RULES, fill_day, make_machine, make_member, open_every_day, paris
from tests.races import race

MANAGER_ID = 900


async def outbox_kinds(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id).order_by(OutboxMessage.id))
    return [(row.kind, row.chat_id) for row in rows]


async def report(
    session: AsyncSession, member: Member, machine_id: int, severity: Severity, text: str = "Nozzle clogged"
) -> maintenance.Submitted:
    await maintenance.start_report(session, member, machine_id, NOW)
    await maintenance.describe(session, member, text, NOW)
    return await maintenance.submit_report(session, member, severity, [MANAGER_ID], NOW)


async def test_unusable_report_opens_a_ticket_takes_the_machine_down_and_tells_bookers(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa")
    other = await make_machine(session, "Other")
    alice, bob, carol = [await make_member(session, n) for n in ("Alice", "Bob", "Carol")]
    bob_booking = await bookings.book(session, bob, printer.id, paris(5, 10), 60, RULES, NOW)
    await bookings.book(session, carol, other.id, paris(5, 10), 60, RULES, NOW)

    await maintenance.start_report(session, alice, printer.id, NOW)
    await maintenance.add_photo(session, alice, "photo-1", "Hot end leaking\nplastic everywhere", NOW)
    draft = (await maintenance.add_photo(session, alice, "photo-2", None, NOW)).draft
    assert draft.description == "Hot end leaking\nplastic everywhere" and draft.photo_ids == [
        "photo-1",
        "photo-2",
    ]
    done = await maintenance.submit_report(session, alice, Severity.UNUSABLE, [MANAGER_ID], NOW)

    ticket = done.ticket
    assert not done.attached and done.affected == 1
    assert (ticket.status, ticket.severity, ticket.title) == (
        TicketStatus.OPEN,
        Severity.UNUSABLE,
        "Hot end leaking",
    )
    assert printer.status is MachineStatus.OUT_OF_SERVICE and ticket.took_machine_down
    assert (
        bob_booking.affected_ticket_id == ticket.id and bob_booking.status is bookings.BookingStatus.CONFIRMED
    )
    assert await maintenance.current_draft(session, alice) is None
    assert await outbox_kinds(session) == [
        ("booking_affected", bob.telegram_id),
        ("ticket_alert", MANAGER_ID),
    ]
    events = (await maintenance.get_ticket(session, ticket.id, full=True)).events
    assert [e.kind for e in events] == [EventKind.OPENED, EventKind.MACHINE_OUT_OF_SERVICE]
    with pytest.raises(MachineUnavailable):
        await bookings.book(session, carol, printer.id, paris(6, 10), 60, RULES, NOW)


async def test_a_second_report_joins_the_open_ticket_and_the_worst_severity_wins(
    session: AsyncSession,
) -> None:
    printer = await make_machine(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    first = await report(session, alice, printer.id, Severity.MINOR, "Scratched bed")
    assert printer.status is MachineStatus.AVAILABLE
    second = await report(session, bob, printer.id, Severity.UNUSABLE, "Bed does not heat")
    assert second.attached and second.ticket.id == first.ticket.id
    assert second.ticket.severity is Severity.UNUSABLE and printer.status is MachineStatus.OUT_OF_SERVICE
    third = await report(session, alice, printer.id, Severity.DEGRADED, "Still broken")
    assert third.ticket.severity is Severity.UNUSABLE
    full = await maintenance.get_ticket(session, first.ticket.id, full=True)
    assert [r.reporter.first_name for r in full.reports if r.reporter] == ["Alice", "Bob", "Alice"]
    assert await session.scalar(select(func.count()).select_from(Ticket)) == 1


async def test_two_members_reporting_at_once_share_one_ticket(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        printer = await make_machine(session)
        ids = [(await make_member(session, f"Member {i}")).id for i in range(6)]

    async def member_reports(member_id: int) -> int:
        async with sessions.begin() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            return (await report(session, member, printer.id, Severity.DEGRADED)).ticket.id

    ticket_ids = await asyncio.gather(*(member_reports(i) for i in ids))
    assert len(set(ticket_ids)) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert await session.scalar(select(func.count()).select_from(maintenance.Report)) == 6


async def test_a_report_needs_a_machine_a_draft_and_words(session: AsyncSession) -> None:
    printer = await make_machine(session)
    retired = await make_machine(session, "Old", status=MachineStatus.RETIRED)
    alice = await make_member(session)
    with pytest.raises(NotFound):
        await maintenance.start_report(session, alice, retired.id, NOW)
    with pytest.raises(NoDraft):
        await maintenance.submit_report(session, alice, Severity.MINOR, [], NOW)
    await maintenance.start_report(session, alice, printer.id, NOW)
    with pytest.raises(EmptyText):
        await maintenance.describe(session, alice, "  \n\t ", NOW)
    with pytest.raises(EmptyText):  # photos alone are not a report
        await maintenance.submit_report(session, alice, Severity.MINOR, [], NOW)
    for n in range(maintenance.MAX_PHOTOS):
        await maintenance.add_photo(session, alice, f"p{n}", None, NOW)
    with pytest.raises(TooManyPhotos):
        await maintenance.add_photo(session, alice, "one too many", None, NOW)
    draft = await maintenance.describe(session, alice, "x" * 5000, NOW)
    assert draft.description is not None and len(draft.description) == maintenance.MAX_DESCRIPTION
    assert await maintenance.cancel_report(session, alice) is True
    assert await maintenance.cancel_report(session, alice) is False
    assert await session.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_ticket_life_every_transition_is_an_event_and_reporters_are_told(session: AsyncSession) -> None:
    printer = await make_machine(session)
    alice = await make_member(session, "Alice")
    morgane = await make_member(session, "Morgane", manager=True)
    ticket = (await report(session, alice, printer.id, Severity.DEGRADED)).ticket

    with pytest.raises(NotAllowed):
        await maintenance.act(session, alice, ticket.id, Action.TAKE, NOW)
    with pytest.raises(EmptyText):  # resolving needs a note
        await maintenance.act(session, morgane, ticket.id, Action.RESOLVE, NOW, note=" ")
    await maintenance.act(session, morgane, ticket.id, Action.TAKE, NOW + timedelta(minutes=5))
    assert ticket.assignee_id == morgane.id and ticket.status is TicketStatus.IN_PROGRESS
    with pytest.raises(TicketNotActive):  # taken already
        await maintenance.act(session, morgane, ticket.id, Action.TAKE, NOW)
    await maintenance.act(
        session, morgane, ticket.id, Action.ESCALATE, NOW + timedelta(hours=1), note="Prusa support"
    )
    await maintenance.act(session, morgane, ticket.id, Action.TAKE, NOW + timedelta(days=2))
    await maintenance.act(
        session, morgane, ticket.id, Action.RESOLVE, NOW + timedelta(days=3), note="New fan"
    )
    assert ticket.status is TicketStatus.RESOLVED and ticket.closed_at == NOW + timedelta(days=3)
    for action in Action:
        with pytest.raises(TicketNotActive):
            await maintenance.act(session, morgane, ticket.id, action, NOW, note="again")

    events = list(
        await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )
    assert [(e.kind, e.from_status, e.to_status, e.note) for e in events] == [
        (EventKind.OPENED, None, None, None),
        (EventKind.TAKEN, TicketStatus.OPEN, TicketStatus.IN_PROGRESS, None),
        (EventKind.ESCALATED, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, "Prusa support"),
        (EventKind.TAKEN, TicketStatus.ESCALATED, TicketStatus.IN_PROGRESS, None),
        (EventKind.RESOLVED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, "New fan"),
    ]
    assert {e.actor_id for e in events[1:]} == {morgane.id}
    updates = [kind for kind, chat in await outbox_kinds(session) if chat == alice.telegram_id]
    assert updates == ["ticket_update"] * 4


async def test_resolving_brings_the_machine_back_and_tells_the_members_once_no_ticket_keeps_it_down(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    printer = await make_machine(session)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    morgane = await make_member(session, "Morgane", manager=True)
    booking = await bookings.book(session, bob, printer.id, paris(5, 10), 60, RULES, NOW)
    ticket = (await report(session, alice, printer.id, Severity.UNUSABLE)).ticket

    # A planned ticket (not one that took the machine down) does not keep it down.
    plan = MaintenancePlan(
        machine_id=printer.id, task="Lubricate", every_days=1, clock_started_at=NOW - timedelta(days=2)
    )
    session.add(plan)
    await session.flush()
    assert len(await maintenance.open_due_plan_tickets(session, [MANAGER_ID], NOW)) == 1

    await maintenance.act(session, morgane, ticket.id, Action.ESCALATE, NOW, note="Vendor")
    assert printer.status is MachineStatus.OUT_OF_SERVICE  # escalated: still waiting on the vendor
    await maintenance.act(session, morgane, ticket.id, Action.RESOLVE, NOW, note="Thermistor replaced")
    assert printer.status is MachineStatus.AVAILABLE
    told = [kind for kind, chat in await outbox_kinds(session) if chat == bob.telegram_id]
    assert told == ["booking_affected", "machine_back"]
    assert booking.affected_ticket_id == ticket.id  # the mark stays, as history
    events = (await maintenance.get_ticket(session, ticket.id, full=True)).events
    assert events[-1].kind is EventKind.MACHINE_BACK
    await bookings.book(session, alice, printer.id, paris(6, 10), 60, RULES, NOW)


async def test_rejecting_an_unusable_report_brings_the_machine_back(session: AsyncSession) -> None:
    printer = await make_machine(session)
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    ticket = (await report(session, alice, printer.id, Severity.UNUSABLE, "It makes a noise")).ticket
    await maintenance.act(session, morgane, ticket.id, Action.REJECT, NOW, note="Normal fan noise")
    assert printer.status is MachineStatus.AVAILABLE and ticket.status is TicketStatus.REJECTED


async def test_queue_is_most_urgent_first_then_oldest(session: AsyncSession) -> None:
    machines = [await make_machine(session, f"M{i}") for i in range(4)]
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    order = [
        (machines[0], Severity.MINOR),
        (machines[1], Severity.DEGRADED),
        (machines[2], Severity.UNUSABLE),
        (machines[3], Severity.DEGRADED),
    ]
    tickets = []
    for minutes, (machine, severity) in enumerate(order):
        await maintenance.start_report(session, alice, machine.id, NOW)
        await maintenance.describe(session, alice, "broken", NOW)
        done = await maintenance.submit_report(session, alice, severity, [], NOW + timedelta(minutes=minutes))
        tickets.append(done.ticket)
    await maintenance.act(session, morgane, tickets[0].id, Action.REJECT, NOW, note="duplicate")
    page, total = await maintenance.queue(session, offset=0, limit=2)
    assert total == 3
    assert [t.machine.name for t in page] == ["M2", "M1"]
    rest, _ = await maintenance.queue(session, offset=2, limit=2)
    assert [t.machine.name for t in rest] == ["M3"]


async def test_note_is_asked_then_given_by_the_next_message(session: AsyncSession) -> None:
    printer = await make_machine(session)
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    ticket = (await report(session, alice, printer.id, Severity.MINOR)).ticket
    with pytest.raises(NotAllowed):
        await maintenance.ask_note(session, alice, ticket.id, Action.RESOLVE, NOW)
    await maintenance.ask_note(session, morgane, ticket.id, Action.RESOLVE, NOW)
    assert (await maintenance.pending_note(session, morgane)) is not None
    given = await maintenance.give_note(session, morgane, "Cleaned", NOW)
    assert given.action is Action.RESOLVE and given.ticket.status is TicketStatus.RESOLVED
    assert given.refused is None
    assert await maintenance.pending_note(session, morgane) is None
    with pytest.raises(NoDraft):
        await maintenance.give_note(session, morgane, "again", NOW)


async def test_planned_downtime_warns_bookers_and_blocks_its_window(session: AsyncSession) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    morgane = await make_member(session, "Morgane", manager=True)
    inside = await bookings.book(session, alice, laser.id, paris(9, 10), 60, RULES, NOW)
    outside = await bookings.book(session, bob, laser.id, paris(10, 10), 60, RULES, NOW)

    with pytest.raises(NotAllowed):
        await maintenance.plan_downtime(session, alice, laser.id, paris(9, 9), paris(9, 18), "", NOW)
    with pytest.raises(maintenance.BadWindow):
        await maintenance.plan_downtime(session, morgane, laser.id, paris(9, 18), paris(9, 9), "", NOW)
    downtime, warned = await maintenance.plan_downtime(
        session, morgane, laser.id, paris(9, 9), paris(9, 18), "Tube change", NOW
    )
    assert warned == 1 and inside.affected_downtime_id == downtime.id and outside.affected_downtime_id is None
    assert await outbox_kinds(session) == [("downtime_warning", alice.telegram_id)]
    (saturday,) = await bookings.availability(session, laser, RULES, NOW, [date(2030, 3, 9)])
    assert [s.astimezone(RULES.tz).hour for s in saturday.free_starts][:3] == [18, 18]  # 18:00, 18:30
    with pytest.raises(InMaintenance):
        await bookings.book(session, bob, laser.id, paris(9, 14), 60, RULES, NOW)
    assert await bookings.free_lengths(session, laser, paris(9, 8), RULES, NOW) == []  # lab opens at 9


async def test_calling_off_a_downtime_frees_its_time_and_tells_who_it_concerned(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    carol, dan = await make_member(session, "Carol"), await make_member(session, "Dan")
    morgane = await make_member(session, "Morgane", manager=True)
    inside = await bookings.book(session, alice, laser.id, paris(9, 10), 60, RULES, NOW)
    await bookings.book(session, bob, laser.id, paris(10, 10), 60, RULES, NOW)  # another day
    downtime, warned = await maintenance.plan_downtime(
        session, morgane, laser.id, paris(9, 9), paris(9, 19), "Tube change", NOW
    )
    assert warned == 1
    # Carol waits for the Saturday the downtime fills; Dan for a full Monday it does not touch.
    await waitlist.join(session, carol, laser.id, date(2030, 3, 9), RULES, NOW)
    await fill_day(session, laser, date(2030, 3, 11))
    await waitlist.join(session, dan, laser.id, date(2030, 3, 11), RULES, NOW)
    before = await outbox_kinds(session)

    with pytest.raises(NotAllowed):
        await maintenance.call_off_downtime(session, alice, downtime.id, NOW, RULES)
    with pytest.raises(NotFound):
        await maintenance.call_off_downtime(session, morgane, downtime.id + 99, NOW, RULES)
    done = await maintenance.call_off_downtime(session, morgane, downtime.id, NOW, RULES)

    assert (done.told, done.already) == (1, False) and downtime.cancelled_at == NOW
    assert inside.affected_downtime_id is None
    told = (await outbox_kinds(session))[len(before) :]
    assert told == [("downtime_called_off", alice.telegram_id), ("waitlist_opened", carol.telegram_id)]
    (saturday,) = await bookings.availability(session, laser, RULES, NOW, [date(2030, 3, 9)])
    assert saturday.free_starts[0] == paris(9, 9)  # bookable again from the opening
    await bookings.book(session, bob, laser.id, paris(9, 14), 60, RULES, NOW)
    # A second press changes nothing and tells nobody again.
    again = await maintenance.call_off_downtime(session, morgane, downtime.id, NOW, RULES)
    assert again.already and len(await outbox_kinds(session)) == len(before) + 2
    # A downtime already over cannot be called off.
    past, _warned = await maintenance.plan_downtime(
        session, morgane, laser.id, paris(5, 9), paris(5, 10), "", NOW
    )
    with pytest.raises(maintenance.DowntimeOver):
        await maintenance.call_off_downtime(session, morgane, past.id, paris(5, 10), RULES)
    assert past.cancelled_at is None


async def test_calling_off_one_of_two_overlapping_downtimes_tells_nobody_what_is_not_true(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
    alice, carol = await make_member(session, "Alice"), await make_member(session, "Carol")
    morgane = await make_member(session, "Morgane", manager=True)
    booking = await bookings.book(session, alice, laser.id, paris(9, 12), 60, RULES, NOW)
    whole_day, _n = await maintenance.plan_downtime(
        session, morgane, laser.id, paris(9, 9), paris(9, 19), "", NOW
    )
    midday, _n = await maintenance.plan_downtime(
        session, morgane, laser.id, paris(9, 11), paris(9, 14), "", NOW
    )
    await waitlist.join(session, carol, laser.id, date(2030, 3, 9), RULES, NOW)
    before = len(await outbox_kinds(session))

    done = await maintenance.call_off_downtime(session, morgane, midday.id, NOW, RULES)
    # The whole-day downtime still covers Alice's booking and Carol's day: neither is told otherwise.
    assert done.told == 0 and booking.affected_downtime_id == whole_day.id
    assert len(await outbox_kinds(session)) == before
    done = await maintenance.call_off_downtime(session, morgane, whole_day.id, NOW, RULES)
    assert done.told == 1 and booking.affected_downtime_id is None
    assert (await outbox_kinds(session))[before:] == [
        ("downtime_called_off", alice.telegram_id),
        ("waitlist_opened", carol.telegram_id),
    ]


async def test_stamp_once_loses_to_a_stamp_made_behind_its_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The losing side of a race, on any database: the row was stamped by another transaction after
    this one loaded it (on SQLite a second transaction waits at BEGIN, so the races never get here)."""
    async with sessions.begin() as session:
        await open_every_day(session)
        laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
        morgane = await make_member(session, "Morgane", manager=True)
        downtime, _n = await maintenance.plan_downtime(
            session, morgane, laser.id, paris(9, 9), paris(9, 19), "", NOW
        )
    async with sessions.begin() as session:
        loaded = await session.get(Downtime, downtime.id)
        assert loaded is not None and loaded.cancelled_at is None
        table = Downtime.__table__
        await session.execute(  # Core, on the table: the loaded object does not see it, as if another
            table.update().where(table.c.id == downtime.id).values(cancelled_at=NOW - timedelta(minutes=1))
        )  # transaction had committed it
        assert loaded.cancelled_at is None
        assert await stamp_once(session, loaded, "cancelled_at", NOW) is False
        assert loaded.cancelled_at == NOW - timedelta(minutes=1)  # what the winner wrote


async def test_two_managers_calling_off_one_downtime_at_once_tell_its_members_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
        alice = await make_member(session, "Alice")
        morgane = await make_member(session, "Morgane", manager=True)
        yann = await make_member(session, "Yann", manager=True)
        await bookings.book(session, alice, laser.id, paris(9, 10), 60, RULES, NOW)
        downtime, _warned = await maintenance.plan_downtime(
            session, morgane, laser.id, paris(9, 9), paris(9, 19), "", NOW
        )

    def call_off(manager_id: int) -> Callable[[AsyncSession], Awaitable[maintenance.CalledOff]]:
        async def run(session: AsyncSession) -> maintenance.CalledOff:
            manager = await session.get(Member, manager_id)
            assert manager is not None
            return await maintenance.call_off_downtime(session, manager, downtime.id, NOW, RULES)

        return run

    second = await race(sessions, engine, call_off(morgane.id), call_off(yann.id))
    assert isinstance(second, maintenance.CalledOff) and second.already and second.told == 0
    async with sessions() as session:
        assert await outbox_kinds(session) == [
            ("downtime_warning", alice.telegram_id),
            ("downtime_called_off", alice.telegram_id),
        ]


async def test_a_plan_falls_due_once_and_restarts_when_its_ticket_is_resolved(session: AsyncSession) -> None:
    await open_every_day(session, "00:00", "24:00")
    cnc = await make_machine(session, "CNC", kind=MachineKind.CNC, slot_minutes=60, max_booking_minutes=600)
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    by_days = MaintenancePlan(machine_id=cnc.id, task="Clean rails", every_days=30, clock_started_at=NOW)
    by_hours = MaintenancePlan(machine_id=cnc.id, task="Check spindle", every_hours=10, clock_started_at=NOW)
    session.add_all([by_days, by_hours])
    await session.flush()

    assert await maintenance.open_due_plan_tickets(session, [MANAGER_ID], NOW + timedelta(days=29)) == []
    # 6 h + 5 h of confirmed bookings (a cancelled one does not count): the spindle check falls due.
    await bookings.book(session, alice, cnc.id, paris(4, 8), 360, RULES, NOW)
    await bookings.book(session, alice, cnc.id, paris(5, 8), 300, RULES, NOW)
    cancelled = await bookings.book(session, alice, cnc.id, paris(6, 8), 600, RULES, NOW)
    await bookings.cancel(session, alice, cancelled.id, NOW)
    used = await maintenance.hours_of_use(session, cnc.id, NOW, paris(7, 0))
    assert used == pytest.approx(11)
    opened = await maintenance.open_due_plan_tickets(session, [MANAGER_ID], paris(7, 0))
    assert [t.title for t in opened] == ["Check spindle"]
    assert await maintenance.open_due_plan_tickets(session, [MANAGER_ID], paris(8, 0)) == []  # once

    later = NOW + timedelta(days=31)
    opened = await maintenance.open_due_plan_tickets(session, [MANAGER_ID], later)
    assert [t.title for t in opened] == ["Clean rails"]
    assert opened[0].origin is maintenance.TicketOrigin.PLAN and opened[0].severity is Severity.MINOR
    await maintenance.act(session, morgane, opened[0].id, Action.RESOLVE, later, note="Rails cleaned")
    assert by_days.clock_started_at == later
    assert await maintenance.open_due_plan_tickets(session, [MANAGER_ID], later + timedelta(days=29)) == []
    assert [kind for kind, chat in await outbox_kinds(session) if chat == MANAGER_ID] == [
        "plan_due",
        "plan_due",
    ]


async def test_plan_edits_are_for_managers(session: AsyncSession) -> None:
    cnc = await make_machine(session, "CNC", kind=MachineKind.CNC)
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    plan = MaintenancePlan(machine_id=cnc.id, task="Clean", every_days=30, clock_started_at=NOW)
    session.add(plan)
    await session.flush()
    with pytest.raises(NotAllowed):
        await maintenance.edit_plan(session, alice, plan.id, every_days=7)
    await maintenance.edit_plan(session, morgane, plan.id, every_hours=100)
    assert (plan.every_days, plan.every_hours) == (None, 100)
    await maintenance.edit_plan(session, morgane, plan.id, active=False)
    assert not (await maintenance.plan_state(session, plan, NOW + timedelta(days=999))).due


async def test_outbox_retries_passing_failures_with_growing_pauses_and_gives_up_only_when_old(
    session: AsyncSession,
) -> None:
    for chat in (1, 2, 3):
        outbox.enqueue(session, chat_id=chat, notice=Authorized(machine="X"), now=NOW)
    await session.flush()
    first, second, third = await outbox.pending(session, NOW)
    await outbox.mark_sent(session, first.id, NOW)
    await outbox.mark_failed(session, second.id, NOW, "Forbidden: bot was blocked by the user", final=True)
    assert second.failed_at == NOW
    # A network failure: paused 30 s, then 60 s, 120 s... never more than 30 min.
    now = NOW
    pauses = []
    for _attempt in range(8):
        await outbox.mark_failed(session, third.id, now, "timed out", final=False)
        assert await outbox.pending(session, now) == []  # pausing
        assert third.next_attempt_at is not None
        pauses.append(third.next_attempt_at - now)
        now = third.next_attempt_at
        assert [m.id for m in await outbox.pending(session, now)] == [third.id]
    assert pauses[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert max(pauses) == outbox.LONGEST_PAUSE and third.failed_at is None
    # A day after it was written, it is given up.
    await outbox.mark_failed(session, third.id, NOW + outbox.MAX_AGE, "timed out", final=False)
    assert third.failed_at == NOW + outbox.MAX_AGE
    assert await outbox.pending(session, NOW + outbox.MAX_AGE * 2) == []


async def test_a_reminder_of_a_booking_in_a_planned_downtime_warns(session: AsyncSession) -> None:
    await open_every_day(session)
    laser = await make_machine(session, "Laser", kind=MachineKind.LASER_CUTTER)
    alice = await make_member(session)
    morgane = await make_member(session, "Morgane", manager=True)
    await bookings.book(session, alice, laser.id, paris(9, 10), 60, RULES, NOW)
    await maintenance.plan_downtime(session, morgane, laser.id, paris(9, 9), paris(9, 12), "Tube", NOW)
    (due,) = await bookings.due_reminders(session, RULES, paris(9, 9, 45))
    assert due.note is bookings.ReminderNote.IN_MAINTENANCE
