"""Personal data (export, erasure, retention), calendars, statistics and the waitlist on a real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.stats import charts
from bot.web import ical
from models import (
    Base,
    bookings,
    digest,
    feeds,
    machines,
    maintenance,
    privacy,
    projects,
    stats,
    stock,
    waitlist,
)
from models.bookings import Booking
from models.errors import SlotTaken
from models.machines import MachineKind
from models.maintenance import Severity
from models.members import Member, Role, register
from models.opening import Closure
from models.outbox import OutboxMessage
from models.projects import Visibility
from models.stock import Consumable, MovementReason
from models.waitlist import WaitlistEntry
from tests.factories import NOW, PARIS, RULES, fill_day, make_machine, make_member, open_every_day, paris

MANAGER_ID = 900


async def busy_member(session: AsyncSession, name: str, telegram_id: int) -> Member:
    """A member with a bit of everything: bookings, a report, a training, a project, a stock use."""
    member = await make_member(session, name, telegram_id=telegram_id)
    member.last_name = f"{name}son"
    printer = (await machines.list_machines(session))[0]
    laser = next(m for m in await machines.list_machines(session) if m.kind is MachineKind.LASER_CUTTER)
    manager = await make_member(session, "Morgane", telegram_id=MANAGER_ID, manager=True)
    await machines.authorize(session, manager, member, machine=laser, now=NOW)
    past = await bookings.book(
        session, member, printer.id, paris(4, 10 if name == "Alice" else 12), 60, RULES, NOW
    )
    await bookings.book(session, member, printer.id, paris(6, 10 if name == "Alice" else 12), 60, RULES, NOW)
    await maintenance.start_report(session, member, laser.id, NOW)
    await maintenance.describe(session, member, f"{name}'s report: the lens is dirty", NOW)
    await maintenance.add_photo(session, member, f"{name}-photo", None, NOW)
    await maintenance.submit_report(session, member, Severity.MINOR, [MANAGER_ID], NOW)
    pla = await session.scalar(select(Consumable))
    assert pla is not None
    await stock.move(
        session, member, pla.id, Decimal(25), MovementReason.USE, [], paris(4, 13), booking_id=past.id
    )
    await projects.start_project(session, member, NOW)
    await projects.draft_answer(session, member, f"{name}'s club", NOW)
    await projects.draft_answer(session, member, "We make things.", NOW)
    await projects.draft_choose(session, member, NOW, visibility=Visibility.OPEN)
    await projects.draft_choose(session, member, NOW, skip=True)
    await projects.draft_choose(session, member, NOW, skip=True)
    await projects.create_project(session, member, NOW)
    await fill_day(session, printer, date(2030, 3, 7))  # a full day, worth waiting for
    await waitlist.join(session, member, printer.id, date(2030, 3, 7), RULES, NOW)
    await feeds.new_feed(session, member, NOW)
    return member


@pytest.fixture
async def lab(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    session.add(
        Consumable(
            name="PLA",
            unit="g",
            quantity_milli=1_000_000,
            minimum_milli=0,
            active=True,
            created_at=NOW,
            machines=[printer],
        )
    )
    await session.flush()


async def test_the_export_holds_everything_about_the_member_and_nothing_of_others(
    session: AsyncSession, lab: None
) -> None:
    alice = await busy_member(session, "Alice", 5001)
    await busy_member(session, "Bob", 5002)
    data = await privacy.export_member_data(session, alice)
    assert data["profile"]["first_name"] == "Alice" and data["profile"]["telegram_id"] == 5001
    assert [b["machine"] for b in data["bookings"]] == ["Prusa MK4", "Prusa MK4"]
    assert [r["description"] for r in data["reports"]] == ["Alice's report: the lens is dirty"]
    assert [a["machine"] for a in data["authorizations"]] == ["Trotec"]
    assert [p["project"] for p in data["projects"]] == ["Alice's club"]
    assert [(m["consumable"], m["change"]) for m in data["stock_movements"]] == [("PLA", "-25")]
    assert [(w["machine"], w["day"]) for w in data["waitlist"]] == [("Prusa MK4", "2030-03-07")]
    assert data["calendar_link"] is not None
    assert "Bob" not in repr(data) and "5002" not in repr(data)


async def _rows_mentioning(session: AsyncSession, needles: list[str]) -> list[tuple[str, str]]:
    """(table, column) of every stored value containing one of the needles, across every table."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in (await session.execute(select(table))).mappings():
            for column, value in row.items():
                text = repr(value)
                if any(needle in text for needle in needles):
                    found.append((table.name, column))
    return found


async def test_erasure_leaves_no_personal_field_behind_and_keeps_the_statistics(
    session: AsyncSession, lab: None
) -> None:
    alice = await busy_member(session, "Alice", 5001)
    await busy_member(session, "Bob", 5002)
    before_past = await stats.usage(session, paris(1, 0), paris(5, 0), PARIS)
    assert before_past.hours > 0
    assert await _rows_mentioning(session, ["Alice", "alice", "5001"])  # she is everywhere at first

    done = await privacy.erase_member(session, alice, privacy.ErasureReason.REQUEST, paris(5, 8))

    assert await _rows_mentioning(session, ["Alice", "alice", "5001", "Alice-photo"]) == []
    assert (done.bookings_kept, done.bookings_cancelled, done.reports_kept, done.movements_kept) == (
        2,
        1,
        1,
        1,
    )
    after = await stats.usage(session, paris(1, 0), paris(5, 0), PARIS)
    assert after.hours == before_past.hours and after.used == before_past.used != {}
    assert after.tickets_opened == before_past.tickets_opened == 1  # both reports on one ticket
    # Bob's data is untouched, and Alice's project (she was its only owner) is archived.
    bob = await session.scalar(select(Member).where(Member.telegram_id == 5002))
    assert bob is not None and bob.first_name == "Bob"
    assert [p.name for p in (await projects.find_projects(session))[0]] == ["Bob's club"]
    # Nothing left that points to her and would still act for her: no waiting, no calendar link.
    assert not (await session.scalars(select(WaitlistEntry).where(WaitlistEntry.member_id == alice.id))).all()
    assert await feeds.feed_of(session, alice) is None and await feeds.feed_of(session, bob) is not None
    # Writing again, she is a new member.
    again = await make_member(session, "Alice", telegram_id=5001)
    assert again.id != alice.id


async def test_retention_erases_the_long_inactive_but_not_managers_and_the_digest_says_so(
    session: AsyncSession, lab: None
) -> None:
    old = await make_member(session, "Old", telegram_id=6001)
    recent = await make_member(session, "Recent", telegram_id=6002)
    boss = await make_member(session, "Boss", telegram_id=6003, manager=True)
    later = NOW + timedelta(days=800)
    recent.last_seen_at = later - timedelta(days=30)
    assert await privacy.anonymise_inactive(session, 24, later) == 1
    assert old.erased_at == later and old.first_name == privacy.ERASED_NAME
    assert recent.erased_at is None and boss.erased_at is None and boss.role is Role.MANAGER
    assert await privacy.anonymise_inactive(session, 24, later) == 0
    facts = await digest.digest_facts(session, later + timedelta(hours=2), PARIS)
    assert facts.anonymised == 1
    assert await privacy.anonymise_inactive(session, 0, later + timedelta(days=9999)) == 0  # turned off


async def test_the_calendar_file_parses_and_matches_the_bookings(session: AsyncSession, lab: None) -> None:
    alice = await make_member(session, "Alice")
    printer = (await machines.list_machines(session))[0]
    made = [await bookings.book(session, alice, printer.id, paris(d, 14), 90, RULES, NOW) for d in (5, 7)]
    upcoming, _total = await bookings.upcoming_for_member(session, alice, NOW)
    parsed = Calendar.from_ical(ical.bookings_calendar(upcoming, name="Mine", now=NOW))
    events = [c for c in parsed.walk() if c.name == "VEVENT"]
    assert [(e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"])) for e in events] == [
        (b.start_at, b.end_at, "Prusa MK4") for b in made
    ]
    assert (
        str(events[0]["uid"]) == f"booking-{made[0].id}@fabdesk" and str(events[0]["location"]) == "Atelier"
    )
    anonymous = Calendar.from_ical(ical.bookings_calendar(upcoming, name="Prusa", now=NOW, summary="Booked"))
    assert {str(e["summary"]) for e in anonymous.walk() if e.name == "VEVENT"} == {"Booked"}


async def test_statistics_add_up(session: AsyncSession, lab: None) -> None:
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    machines_ = await machines.list_machines(session)
    printer = next(m for m in machines_ if m.name == "Prusa MK4")
    await bookings.book(session, alice, printer.id, paris(5, 10), 120, RULES, NOW)  # Tuesday 10-12
    await bookings.book(session, bob, printer.id, paris(5, 14), 60, RULES, NOW)
    gone = await bookings.book(session, bob, printer.id, paris(6, 14), 60, RULES, NOW)
    await bookings.cancel(session, bob, gone.id, NOW)
    await maintenance.start_report(session, alice, printer.id, NOW)
    await maintenance.describe(session, alice, "Clogged", NOW)
    ticket = (await maintenance.submit_report(session, alice, Severity.DEGRADED, [], NOW)).ticket
    morgane = await make_member(session, "Morgane", manager=True)
    await maintenance.act(
        session, morgane, ticket.id, maintenance.Action.RESOLVE, NOW + timedelta(hours=3), note="ok"
    )
    figures = await stats.usage(session, paris(4, 0), paris(11, 0), PARIS)
    assert figures.hours == 3 and figures.hours_by_machine == {"Prusa MK4": 3.0, "Trotec": 0.0}
    assert figures.hours_by_kind == {"3d_printer": 3.0}
    assert (figures.bookings, figures.cancelled) == (3, 1) and figures.cancellation_rate == pytest.approx(
        1 / 3
    )
    assert figures.busiest[:2] == [(1, 10, 1.0), (1, 11, 1.0)]  # Tuesday 10:00 and 11:00
    assert (figures.tickets_opened, figures.tickets_resolved) == (1, 1)
    assert figures.mean_time_to_repair == timedelta(hours=3)
    csv_text = (await stats.bookings_csv(session, paris(4, 0), paris(11, 0), PARIS)).decode("utf-8-sig")
    rows = csv_text.strip().splitlines()
    assert rows[0] == "booking,machine,kind,start,end,hours,status,member" and len(rows) == 4
    assert "Alice" not in csv_text and "Bob" not in csv_text


def test_the_chart_renders_to_a_png() -> None:
    png = charts.hours_chart("Hours", {"Prusa MK4": 12.5, "Trotec": 3.0}, "hours")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    assert charts.hours_chart("Nothing yet", {}, "hours").startswith(b"\x89PNG")


async def test_only_a_full_day_with_slots_still_ahead_can_be_waited_for(session: AsyncSession) -> None:
    await open_every_day(session, "10:00", "12:00")
    printer = await make_machine(session, slot_minutes=60, max_booking_minutes=60)
    bob = await make_member(session, "Bob")
    with pytest.raises(waitlist.SlotsAvailable):  # nothing booked yet
        await waitlist.join(session, bob, printer.id, date(2030, 3, 5), RULES, NOW)
    await fill_day(session, printer, date(2030, 3, 5))
    _entry, added = await waitlist.join(session, bob, printer.id, date(2030, 3, 5), RULES, NOW)
    assert added
    # At 11:30 the day's last start (11:00) is behind: a cancellation could not help any more.
    with pytest.raises(waitlist.NothingToWaitFor):
        await waitlist.join(session, bob, printer.id, date(2030, 3, 5), RULES, paris(5, 11, 30))
    session.add(Closure(day=date(2030, 3, 6), reason="Inventory"))
    with pytest.raises(waitlist.NothingToWaitFor):  # closed: no start at all that day
        await waitlist.join(session, bob, printer.id, date(2030, 3, 6), RULES, NOW)
    assert len((await session.scalars(select(WaitlistEntry))).all()) == 1


async def test_a_freed_slot_goes_to_the_waitlist_and_the_first_tap_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session, "10:00", "11:00")
        printer = await make_machine(session, slot_minutes=60, max_booking_minutes=60)
        alice = await make_member(session, "Alice")
        bob = await make_member(session, "Bob")
        carol = await make_member(session, "Carol")
        booking = await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
        day = date(2030, 3, 5)
        for member in (bob, carol):
            _entry, added = await waitlist.join(session, member, printer.id, day, RULES, NOW)
            assert added
        _again, added = await waitlist.join(session, bob, printer.id, day, RULES, NOW)
        assert not added
        with pytest.raises(waitlist.SlotsAvailable):
            await waitlist.join(session, bob, printer.id, date(2030, 3, 6), RULES, NOW)
        ids = {"bob": bob.id, "carol": carol.id}
    async with sessions.begin() as session:
        alice_again = await session.get(Member, booking.member_id)
        assert alice_again is not None
        await waitlist.cancel_booking(session, alice_again, booking.id, NOW, RULES)
        offered = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed"))
        )
        assert len(offered) == 2 and offered[0].payload["start"] == paris(5, 10).isoformat()

    async def tap_book_it(member_id: int) -> str:
        async with sessions.begin() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            try:
                await bookings.book(session, member, printer.id, paris(5, 10), 60, RULES, NOW)
            except SlotTaken:
                return "gone"
            return "booked"

    outcomes = await asyncio.gather(tap_book_it(ids["bob"]), tap_book_it(ids["carol"]))
    assert sorted(outcomes) == ["booked", "gone"]
    async with sessions() as session:
        confirmed = list(
            await session.scalars(select(Booking).where(Booking.status == bookings.BookingStatus.CONFIRMED))
        )
        assert len(confirmed) == 1


async def test_the_weekly_summary_goes_once_a_week(session: AsyncSession, lab: None) -> None:
    await make_member(session, "Alice")  # the lab has had members since 4 March
    monday_morning = datetime(2030, 3, 11, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    at = time(8, 30)
    assert not await digest.send_weekly_summary(session, [MANAGER_ID], monday_morning, PARIS, at)
    assert await digest.send_weekly_summary(
        session, [MANAGER_ID], monday_morning + timedelta(hours=1), PARIS, at
    )
    assert not await digest.send_weekly_summary(
        session, [MANAGER_ID], monday_morning + timedelta(days=2), PARIS, at
    )
    message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "weekly"))
    assert message is not None and (message.payload["from"], message.payload["to"]) == (
        "2030-03-04",
        "2030-03-10",
    )


async def test_no_weekly_summary_of_a_week_before_the_lab_existed(session: AsyncSession) -> None:
    at = time(8, 30)
    thursday = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # a new database, first start
    assert await digest.lab_started_at(session) is None
    assert not await digest.send_weekly_summary(session, [MANAGER_ID], thursday, PARIS, at)
    await register(
        session,
        telegram_id=4242,
        first_name="Inès",
        last_name=None,
        username=None,
        telegram_language="fr",
        manager_ids=[MANAGER_ID],
        now=thursday,
    )
    assert await digest.lab_started_at(session) == thursday
    # The week of 23 November ended before the lab's first member: nothing to sum up.
    later = thursday + timedelta(hours=1)
    assert not await digest.send_weekly_summary(session, [MANAGER_ID], later, PARIS, at)
    # The week of 30 November saw the lab start: its summary goes on Monday 7 December.
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert await digest.send_weekly_summary(session, [MANAGER_ID], monday, PARIS, at)
    sent = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly")))
    assert [(m.payload["from"], m.payload["to"]) for m in sent] == [("2026-11-30", "2026-12-06")]
