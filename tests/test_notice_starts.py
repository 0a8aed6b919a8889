"""The minimum notice in what is offered: the chat's start times, the QR page's next free slot and the
Mini App's week grid and time search offer no start within a machine's notice to a member (managers
are exempt), so the first start offered is the first one possible; a forged press is still refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.booking import routes
from models import bookings, quotas, waitlist
from models.bookings import Booking
from models.machines import Machine, MachineKind
from models.quotas import QuotaValues, TooShortNotice
from tests.factories import RULES, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import ALICE, MANAGER, Clock, press_data, running_bot, say, tap, test_settings
from tests.test_miniapp_api import running_app

# The lab opens 09:00–19:00 every day; Tuesday 5 March 2030, 14:10 in Paris.
AFTERNOON = paris(5, 14, 10)


async def test_the_free_starts_begin_after_the_notice_for_members_not_managers(session: AsyncSession) -> None:
    await open_every_day(session)
    one = await make_machine(session, "Prusa MK4 #1")
    two = await make_machine(session, "Prusa MK4 #2")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER)
    await quotas.set_values(session, QuotaValues(notice_minutes=120), machine_id=one.id)
    await quotas.set_values(session, QuotaValues(notice_minutes=60 * 24), kind=MachineKind.LASER_CUTTER)
    alice = await make_member(session)
    manager = await make_member(session, "Fabienne", manager=True)
    earliest = await quotas.earliest_starts(session, alice, [one, two, laser], AFTERNOON)
    assert earliest == {
        one.id: AFTERNOON + timedelta(hours=2),  # its own notice
        two.id: AFTERNOON,  # none of its own nor of its kind
        laser.id: AFTERNOON + timedelta(days=1),  # its kind's
    }
    assert await bookings.earliest_start(session, manager, one, AFTERNOON) == AFTERNOON

    today = AFTERNOON.astimezone(RULES.tz).date()
    offered = await bookings.day_availability(
        session, one, today, RULES, AFTERNOON, not_before=earliest[one.id]
    )
    assert offered.free_starts[0] == paris(5, 16, 30)  # the first grid start 2 h ahead
    await bookings.book(session, alice, one.id, offered.free_starts[0], 30, RULES, AFTERNOON)
    with pytest.raises(TooShortNotice):  # one before it, pressed all the same, is still refused
        await bookings.book(session, alice, one.id, paris(5, 16), 30, RULES, AFTERNOON)
    for_manager = await bookings.day_availability(session, one, today, RULES, AFTERNOON, not_before=AFTERNOON)
    assert for_manager.free_starts[0] == paris(5, 14, 30)
    # The laser's whole day is within its notice: nothing offered, and nothing worth waiting for.
    (laser_today, laser_tomorrow) = await bookings.availability(
        session, laser, RULES, AFTERNOON, [today, today + timedelta(days=1)], not_before=earliest[laser.id]
    )
    assert laser_today.free_starts == [] and not laser_today.worth_waiting
    assert laser_tomorrow.free_starts[0] == paris(6, 14, 30)


async def test_a_day_full_after_the_notice_can_be_waited_for(session: AsyncSession) -> None:
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa MK4")
    await quotas.set_values(session, QuotaValues(notice_minutes=120), machine_id=prusa.id)
    filler = await make_member(session, "Filler")
    for start in (paris(5, 16, 30), paris(5, 18)):  # taken from 16:30 on; 14:30–16:30 free, too soon
        await bookings.book(session, filler, prusa.id, start, 90 if start.minute else 60, RULES, paris(5, 8))
    alice = await make_member(session)
    first = await bookings.earliest_start(session, alice, prusa, AFTERNOON)
    today = await bookings.day_availability(
        session, prusa, AFTERNOON.astimezone(RULES.tz).date(), RULES, AFTERNOON, not_before=first
    )
    assert today.free_starts == [] and today.worth_waiting  # the chat offers to wait
    entry, added = await waitlist.join(session, alice, prusa.id, today.day, RULES, AFTERNOON)
    assert added and entry.day == today.day


async def _notice_on_the_prusa(sessions: async_sessionmaker[AsyncSession], minutes: int) -> int:
    async with sessions.begin() as session:
        prusa = await session.scalar(select(Machine.id).where(Machine.name == "Prusa MK4"))
        assert prusa is not None
        await quotas.set_values(session, QuotaValues(notice_minutes=minutes), machine_id=prusa)
        return prusa


async def _start_times(fake: FakeBotApi, user: FakeUser, book: str, day: str) -> list[str]:
    """The start times the chat shows the user for the Prusa on the day (a part of its label)."""
    await say(fake, user, "/start")
    await tap(fake, user, book)
    days = await tap(fake, user, "Prusa MK4")
    starts = await tap(fake, user, next(label for label, _ in days.buttons() if day in label))
    return [label for label, _ in starts.buttons() if label[:2].isdigit()]


async def test_the_first_start_the_chat_offers_is_the_first_possible_one(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _notice_on_the_prusa(sessions, 120)
    async with running_bot(test_settings(fake, database_url), Clock(AFTERNOON)):
        times = await _start_times(fake, ALICE, "Book a machine", "5 Mar")
        assert times[0] == "16:30", times
        await tap(fake, ALICE, "16:30")
        await tap(fake, ALICE, "30 min → 17:00")
        booked = await tap(fake, ALICE, "Confirm")
        assert "confirmed" in (booked.text or "")
        # A press on a start within the notice (an old screen, or forged) is still refused.
        forged = await press_data(fake, ALICE, routes.Confirmed(prusa, paris(5, 15), 30).data())
        assert forged.params.get("text") == "Not booked: a booking limit."
        # A manager is offered the next start, notice or not.
        assert (await _start_times(fake, MANAGER, "Réserver une machine", "5 mars"))[0] == "14:30"
    async with sessions() as session:
        assert [b.start_at for b in await session.scalars(select(Booking))] == [paris(5, 16, 30)]


async def test_the_machines_qr_page_offers_the_first_slot_after_the_notice(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _notice_on_the_prusa(sessions, 120)
    async with running_bot(test_settings(fake, database_url), Clock(AFTERNOON)):
        page = await say(fake, ALICE, f"/start m{prusa}")
        assert "Next free slot: Tue 5 Mar 16:30." in (page.text or "")


async def test_the_mini_app_offers_no_start_within_the_notice(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    prusa = await _notice_on_the_prusa(sessions, 120)
    async with running_app(fake, database_url) as app:
        app.clock.now = AFTERNOON
        status, week = await app(ALICE, "week?start=2030-03-04")
        assert status == 200
        shown = {m["id"]: m["earliest"] for m in week["machines"]}
        assert shown[prusa] == "2030-03-05T16:10:00+01:00"  # the grid greys the slots before it
        status, manager_week = await app(MANAGER, "week?start=2030-03-04")
        exempt = {m["id"]: m["earliest"] for m in manager_week["machines"]}
        assert exempt[prusa] == "2030-03-05T14:10:00+01:00"
        # The time search finds the Prusa from 16:30, not at 15:00.
        for start, found in (("2030-03-05T15:00:00%2B01:00", False), ("2030-03-05T16:30:00%2B01:00", True)):
            status, free = await app(ALICE, f"free?start={start}&minutes=30")
            assert status == 200
            assert (prusa in [m["id"] for m in free["machines"]]) is found, start
        # Booked anyway within the notice: refused, with the first possible start.
        body = {"machine": prusa, "start": "2030-03-05T15:00:00+01:00", "minutes": 30}
        status, refused = await app(ALICE, "book", body)
        assert (status, refused["error"]) == (409, "TooShortNotice")
        assert refused["message"].endswith("16:30.")
