"""Regression tests for the review of issue 7 (personal data, calendars, statistics, waitlist)."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.stats import charts
from bot.web import ical
from models import bookings, digest, feeds, maintenance, privacy, projects, stats, stock, waitlist
from models.maintenance import Severity
from models.members import Member
from models.outbox import OutboxMessage
from models.projects import BotRights, MembershipStatus, ProjectMember, ProjectStatus, Visibility
from models.stock import Consumable
from models.waitlist import WaitlistEntry
from tests.factories import NOW, PARIS, RULES, fill_day, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi
from tests.harness import ALICE, Clock, press_data, running_bot, say, tap
from tests.harness import test_settings as bot_settings
from tests.test_calendar_feeds import URL, fetch, free_port

GROUP = -100_555
FULL = BotRights(admin=True, can_invite=True, can_restrict=True)
LATER = NOW + timedelta(hours=1)


async def new_project(
    session: AsyncSession, owner: Member, name: str = "Drone club", visibility: Visibility = Visibility.OPEN
) -> projects.Project:
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, name, NOW)
    await projects.draft_answer(session, owner, "We build things.", NOW)
    await projects.draft_choose(session, owner, NOW, visibility=visibility)
    await projects.draft_choose(session, owner, NOW, skip=True)
    await projects.draft_choose(session, owner, NOW, skip=True)
    return await projects.create_project(session, owner, NOW)


async def payloads(session: AsyncSession) -> list[dict[str, object]]:
    return [m.payload for m in await session.scalars(select(OutboxMessage))]


async def test_erasure_drops_the_pending_group_actions_on_the_member(session: AsyncSession) -> None:
    owner = await make_member(session, "Lea", telegram_id=7001)
    bob = await make_member(session, "Bob", telegram_id=7_000_002)
    project = await new_project(session, owner)
    await projects.link_chat(session, owner, project.id, GROUP, "G", FULL, NOW)
    await projects.handle_join_request(session, GROUP, bob.telegram_id, "Bob", NOW)
    await projects.join(session, bob, project.id, NOW)
    assert any("7000002" in repr(p) for p in await payloads(session))
    await privacy.erase_member(session, bob, privacy.ErasureReason.REQUEST, LATER)
    assert [p for p in await payloads(session) if "7000002" in repr(p)] == []


async def test_erasure_scrubs_the_titles_of_their_meetings(session: AsyncSession) -> None:
    owner = await make_member(session, "Gwendoline", telegram_id=7101)
    project = await new_project(session, owner)
    starts = NOW + timedelta(days=2)
    await projects.ask_project_input(
        session, owner, project.id, "meeting", NOW, starts_at=starts, remote=False
    )
    await projects.give_project_input(session, owner, "Gwendoline's kickoff: bring your laptops", NOW)
    await privacy.erase_member(session, owner, privacy.ErasureReason.REQUEST, LATER)
    titles = [m.title for m in await session.scalars(select(projects.Meeting))]
    assert titles == ["—'s kickoff: bring your laptops"]


async def test_erasure_leaves_no_line_of_their_report_in_messages(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    alice = await make_member(session, "Alice", telegram_id=7201)
    await maintenance.start_report(session, alice, printer.id, NOW)
    await maintenance.describe(session, alice, "My own words about the nozzle\nand some detail", NOW)
    await maintenance.submit_report(session, alice, Severity.MINOR, [900], NOW)
    await digest.send_daily_digest(session, [900], NOW + timedelta(hours=3), PARIS, time(0, 0))
    assert any("My own words" in repr(p) for p in await payloads(session))
    await privacy.erase_member(session, alice, privacy.ErasureReason.REQUEST, NOW + timedelta(hours=4))
    assert [p for p in await payloads(session) if "My own words" in repr(p)] == []


async def test_erasure_scrubs_whole_words_only(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    eva = await make_member(session, "Eva", telegram_id=7501)
    bob = await make_member(session, "Bob", telegram_id=7502)
    await maintenance.start_report(session, bob, printer.id, NOW)
    await maintenance.describe(session, bob, "Evaluate the heater: Eva saw it overheat", NOW)
    await maintenance.submit_report(session, bob, Severity.MINOR, [900], NOW)
    project = await new_project(session, eva, name="Evaluation bench")
    await privacy.erase_member(session, eva, privacy.ErasureReason.REQUEST, LATER)
    alert = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "ticket_alert"))
    assert alert is not None
    await session.refresh(project)
    assert alert.payload["description"] == "Evaluate the heater: — saw it overheat"
    assert project.name == "Evaluation bench"


async def test_nothing_is_sent_to_an_erased_member(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    session.add(
        Consumable(
            name="PLA",
            unit="g",
            quantity_milli=10**6,
            minimum_milli=0,
            active=True,
            created_at=NOW,
            machines=[printer],
        )
    )
    await session.flush()
    alice = await make_member(session, "Alice", telegram_id=7301)
    await bookings.book(session, alice, printer.id, paris(4, 10), 60, RULES, NOW)
    await privacy.erase_member(session, alice, privacy.ErasureReason.REQUEST, paris(4, 10, 30))  # during it
    assert await stock.ask_about_usage(session, paris(4, 12)) == 0
    assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_the_waitlist_compares_with_the_local_day_not_a_day_around(session: AsyncSession) -> None:
    await open_every_day(session, "10:00", "20:00")
    printer = await make_machine(session, "Prusa MK4", slot_minutes=60, max_booking_minutes=60)
    alice = await make_member(session, "Alice")
    bob = await make_member(session, "Bob")
    await bookings.book(session, bob, printer.id, paris(5, 18), 60, RULES, NOW)  # Tuesday evening
    freed = await bookings.book(session, alice, printer.id, paris(6, 10), 60, RULES, NOW)
    await fill_day(session, printer, date(2030, 3, 6))
    await waitlist.join(session, bob, printer.id, date(2030, 3, 6), RULES, NOW)  # he waits for Wednesday
    await waitlist.cancel_booking(session, alice, freed.id, NOW, RULES)
    offers = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed")))
    assert [o.member_id for o in offers] == [bob.id]


async def test_the_export_has_meetings_drafts_and_group_requests(session: AsyncSession) -> None:
    owner = await make_member(session, "Lea", telegram_id=7401)
    bob = await make_member(session, "Bob", telegram_id=7402)
    project = await new_project(session, owner)
    await projects.link_chat(session, owner, project.id, GROUP, "G", FULL, NOW)
    await projects.handle_join_request(session, GROUP, bob.telegram_id, "Bob Realname", NOW)
    starts = NOW + timedelta(days=2)
    await projects.ask_project_input(
        session, owner, project.id, "meeting", NOW, starts_at=starts, remote=False
    )
    await projects.give_project_input(session, owner, "Lea's kickoff meeting text", NOW)
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, "Draft project name", NOW)
    lea = await privacy.export_member_data(session, owner)
    bob_data = await privacy.export_member_data(session, bob)
    assert [m["title"] for m in lea["meetings_created"]] == ["Lea's kickoff meeting text"]
    assert lea["in_progress"]["project_draft"]["name"] == "Draft project name"
    assert [p["project"] for p in lea["projects_created"]] == ["Drone club"]
    assert [r["name_in_telegram"] for r in bob_data["group_join_requests"]] == ["Bob Realname"]
    assert "Bob Realname" not in repr(lea) and "Lea's kickoff" not in repr(bob_data)


async def test_erasing_the_last_owner_declines_the_waiting_requests(session: AsyncSession) -> None:
    lea = await make_member(session, "Lea")
    bob = await make_member(session, "Bob")
    project = await new_project(session, lea, visibility=Visibility.ON_REQUEST)
    await projects.join(session, bob, project.id, NOW)
    await privacy.erase_member(session, lea, privacy.ErasureReason.REQUEST, LATER)
    await session.refresh(project)
    mine = await session.scalar(select(ProjectMember).where(ProjectMember.member_id == bob.id))
    assert project.status is ProjectStatus.ARCHIVED
    assert mine is not None and mine.status is MembershipStatus.DECLINED and mine.decided_by_id is None
    told = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == bob.id)))
    assert [t.kind for t in told] == ["project_archived"]


async def test_erasure_offers_the_freed_slots_to_the_waitlist(session: AsyncSession) -> None:
    await open_every_day(session, "10:00", "11:00")
    printer = await make_machine(session, "Prusa MK4", slot_minutes=60, max_booking_minutes=60)
    alice = await make_member(session, "Alice")
    bob = await make_member(session, "Bob")
    await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
    await waitlist.join(session, bob, printer.id, date(2030, 3, 5), RULES, NOW)
    done = await privacy.erase_member(session, alice, privacy.ErasureReason.REQUEST, NOW, PARIS)
    assert done.bookings_cancelled == 1
    offers = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed")))
    assert [o.member_id for o in offers] == [bob.id]


async def test_every_waiting_member_gets_a_turn(session: AsyncSession) -> None:
    await open_every_day(session, "10:00", "12:00")
    printer = await make_machine(session, "Prusa MK4", slot_minutes=60, max_booking_minutes=60)
    a = await make_member(session, "A")
    waiters = [await make_member(session, f"W{i}") for i in range(4)]
    first = await bookings.book(session, a, printer.id, paris(5, 10), 60, RULES, NOW)
    second = await bookings.book(session, a, printer.id, paris(5, 11), 60, RULES, NOW)
    for waiter in waiters:
        await waitlist.join(session, waiter, printer.id, date(2030, 3, 5), RULES, NOW)
    await waitlist.cancel_booking(session, a, first.id, NOW, RULES)
    told_first = {
        m.member_id
        for m in await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed"))
    }
    assert told_first == {w.id for w in waiters[:3]}
    await waitlist.cancel_booking(session, a, second.id, NOW + timedelta(hours=1), RULES)
    told = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_freed")))
    assert waiters[3].id in {m.member_id for m in told[3:]}  # the fourth is first in line for the next


async def test_a_machine_back_after_local_midnight_does_not_announce_yesterday(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    alice = await make_member(session, "Alice")
    await fill_day(session, printer, date(2030, 3, 5))
    await waitlist.join(session, alice, printer.id, date(2030, 3, 5), RULES, NOW)
    # 00:30 in Paris on 6 March is 23:30 UTC on 5 March: the 5th is over in the lab.
    assert await waitlist.machine_back(session, printer, datetime(2030, 3, 5, 23, 30, tzinfo=UTC), PARIS) == 0
    assert await waitlist.machine_back(session, printer, datetime(2030, 3, 5, 22, 30, tzinfo=UTC), PARIS) == 1


async def test_the_csv_does_not_carry_formulas_and_opens_with_accents(session: AsyncSession) -> None:
    await open_every_day(session)
    machine = await make_machine(session, '=HYPERLINK("http://evil.example","x")')
    other = await make_machine(session, "Découpeuse")
    alice = await make_member(session, "Alice")
    await bookings.book(session, alice, machine.id, paris(5, 10), 60, RULES, NOW)
    await bookings.book(session, alice, other.id, paris(5, 12), 60, RULES, NOW)
    content = await stats.bookings_csv(session, paris(4, 0), paris(11, 0), PARIS)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","x")' and rows[2][1] == "Découpeuse"


@pytest.mark.parametrize(
    "names",
    [
        {"Laser $5/h": 2.0, "CNC $10/h": 1.0},
        {"A $^$ B": 1.0, "Tool $\\foo$": 2.0, "Découpe_laser $$": 3.0},
        {"x" * 100: 1.0, "x" * 101: 2.0},
    ],
)
def test_the_chart_draws_any_machine_name(names: dict[str, float]) -> None:
    assert charts.hours_chart("Hours $", names, "hours").startswith(b"\x89PNG")


async def test_calendar_ids_carry_the_labs_name(session: AsyncSession) -> None:
    await open_every_day(session)
    printer = await make_machine(session, "Prusa MK4")
    alice = await make_member(session, "Alice")
    booking = await bookings.book(session, alice, printer.id, paris(5, 10), 60, RULES, NOW)
    booking.machine = printer
    content = ical.bookings_calendar([booking], name="x", now=NOW, domain="fablab_bot.fabdesk")
    (event,) = [c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT"]
    assert str(event["UID"]) == f"booking-{booking.id}@fablab_bot.fabdesk"


async def test_the_digest_counts_erasures_since_the_previous_digest(session: AsyncSession) -> None:
    old = await make_member(session, "Old")
    old.last_seen_at = NOW - timedelta(days=1000)
    await digest.send_daily_digest(session, [900], paris(4, 9), PARIS, time(8, 30))
    # The next two digests are missed (the bot was down); an erasure happens meanwhile.
    assert await privacy.anonymise_inactive(session, 24, paris(5, 3)) == 1
    await digest.send_daily_digest(session, [900], paris(7, 9), PARIS, time(8, 30))
    latest = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()))).first()
    assert latest is not None and latest.kind == "digest" and latest.payload["anonymised"] == 1


async def test_retention_erases_in_batches(session: AsyncSession) -> None:
    for i in range(privacy.RETENTION_BATCH + 3):
        member = await make_member(session, f"Old{i}")
        member.last_seen_at = NOW - timedelta(days=1000)
    assert await privacy.anonymise_inactive(session, 24, NOW) == privacy.RETENTION_BATCH
    assert await privacy.anonymise_inactive(session, 24, NOW) == 3
    assert await privacy.anonymise_inactive(session, 24, NOW) == 0


async def test_a_failing_feed_request_does_not_log_the_token(
    fake: FakeBotApi,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    lab: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    settings = bot_settings(fake, database_url, default_language="en", http_port=port)
    caplog.set_level(logging.INFO)
    async with running_bot(settings, Clock()):
        await say(fake, ALICE, "/mybookings")
        await tap(fake, ALICE, "Calendar link")
        link = URL.findall((await tap(fake, ALICE, "Create my link")).text or "")[0]
        token = link.rsplit("/", 1)[1].removesuffix(".ics")

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError(f"database went away while reading {token}")

        monkeypatch.setattr(feeds, "member_bookings", broken)
        status, _kind, body = await fetch(link)
        assert status == 500 and token.encode() not in body
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "database went away" in logged and token not in logged


async def test_a_day_with_nothing_ahead_offers_no_waiting(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session, "05:00", "06:00")  # 04:00–05:00 UTC; the clock says 06:00 UTC
        await make_machine(session, "Ultimaker", slot_minutes=60, max_booking_minutes=60)
    async with running_bot(bot_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/start")
        await tap(fake, ALICE, "Book a machine")
        await tap(fake, ALICE, "Ultimaker")
        today = await tap(fake, ALICE, "Mon 4 Mar")
        assert "No slot left that day" in (today.text or "")
        assert not any("frees up" in label for label, _d in today.buttons())
        # A forged (or stale) "wait for this day" press is refused by the waitlist itself.
        machine_id = next(d for label, d in today.buttons() if d and d.startswith("bk:m:")).split(":")[2]
        refused = await press_data(fake, ALICE, f"wl:{machine_id}:20300304")
        assert refused.params.get("show_alert") is True
        assert "No slot left that day" in str(refused.params.get("text"))
    async with sessions.begin() as session:
        assert (await session.scalars(select(WaitlistEntry))).all() == []
