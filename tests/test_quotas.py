"""Quotas and notice on a real database: each limit hit and just under it, when it frees up, the
kind's value against the machine's, managers exempt, cancelled bookings not counted, the late
cancellation recorded as a no-show, and two bookings at once that cannot both pass a daily quota."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import Texts
from bot.features.refusals import refusal_text
from models import bookings, quotas, stats, waitlist
from models.bookings import Booking, BookingStatus
from models.machines import Machine, MachineKind
from models.members import Member
from models.outbox import OutboxMessage
from models.quotas import (
    BadQuota,
    DailyQuotaReached,
    LateCancellation,
    QuotaValues,
    Scope,
    TooShortNotice,
    UpcomingLimitReached,
    WeeklyQuotaReached,
)
from models.waitlist import WaitlistFreed
from tests.factories import NOW, PARIS, RULES, fill_day, make_machine, make_member, open_every_day, paris

# NOW is Monday 4 March 2030, 07:00 in Paris; the lab opens 09:00–19:00 every day.
KIND = MachineKind.PRINTER_3D


async def _two_printers(session: AsyncSession) -> tuple[int, int]:
    await open_every_day(session)
    first = await make_machine(session, "Prusa MK4 #1")
    second = await make_machine(session, "Prusa MK4 #2")
    return first.id, second.id


async def test_a_daily_quota_of_the_kind_counts_every_machine_of_the_kind(session: AsyncSession) -> None:
    one, two = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=240), kind=KIND)
    alice = await make_member(session)
    await bookings.book(session, alice, one, paris(5, 9), 120, RULES, NOW)
    await bookings.book(session, alice, two, paris(5, 12), 90, RULES, NOW)
    # Just under: 3 h 30 booked, 30 min more reach 4 h exactly.
    await bookings.book(session, alice, one, paris(5, 15), 30, RULES, NOW)

    with pytest.raises(DailyQuotaReached) as over:
        await bookings.book(session, alice, two, paris(5, 17), 30, RULES, NOW)
    assert (over.value.used, over.value.limit) == (240, 240)
    assert over.value.scope == Scope(None, KIND)
    assert (over.value.day, over.value.frees_on) == (date(2030, 3, 5), date(2030, 3, 6))
    # The next day is free again, and another member has a quota of their own.
    await bookings.book(session, alice, two, paris(6, 9), 240, RULES, NOW)
    await bookings.book(session, await make_member(session, "Bob"), two, paris(5, 17), 60, RULES, NOW)


async def test_a_booking_taking_the_day_over_its_quota_is_refused_with_what_is_left(
    session: AsyncSession,
) -> None:
    one, _ = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=120), machine_id=one)
    alice = await make_member(session)
    await bookings.book(session, alice, one, paris(5, 9), 90, RULES, NOW)
    with pytest.raises(DailyQuotaReached) as over:
        await bookings.book(session, alice, one, paris(5, 14), 60, RULES, NOW)
    assert (over.value.used, over.value.limit) == (90, 120)
    assert over.value.scope == Scope("Prusa MK4 #1", KIND)
    fr = Texts("fr", PARIS)
    assert refusal_text(fr, over.value) == (
        "Vous avez déjà réservé 1 h 30 sur Prusa MK4 #1 le mardi 5 mars (maximum 2 h) : il ne vous reste "
        "que 30 min. Vous pouvez réserver un autre jour. Rien n'a été réservé."
    )
    assert not over.value.today  # Tuesday, booked on Monday: Monday and Wednesday are bookable
    assert refusal_text(Texts("en", PARIS), over.value).endswith(
        "only 30 min left. You can book on another day. Nothing was booked."
    )
    # Today's hours, though, free up tomorrow.
    await bookings.book(session, alice, one, paris(4, 9), 90, RULES, NOW)
    with pytest.raises(DailyQuotaReached) as today:
        await bookings.book(session, alice, one, paris(4, 14), 60, RULES, NOW)
    assert today.value.today
    assert refusal_text(fr, today.value) == (
        "Vous avez déjà réservé 1 h 30 sur Prusa MK4 #1 le lundi 4 mars (maximum 2 h) : il ne vous reste "
        "que 30 min. Vous pourrez réserver davantage à partir du mardi 5 mars. Rien n'a été réservé."
    )


async def test_a_weekly_quota_frees_up_on_the_next_monday_in_the_labs_time(session: AsyncSession) -> None:
    one, two = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_minutes_per_week=240), kind=KIND)
    alice = await make_member(session)
    await bookings.book(session, alice, one, paris(5, 9), 120, RULES, NOW)
    await bookings.book(session, alice, two, paris(10, 17), 120, RULES, NOW)  # Sunday, same week
    with pytest.raises(WeeklyQuotaReached) as over:
        await bookings.book(session, alice, one, paris(8, 10), 30, RULES, NOW)
    assert (over.value.monday, over.value.frees_on, over.value.this_week) == (
        date(2030, 3, 4),
        date(2030, 3, 11),
        True,
    )
    fr = Texts("fr", PARIS)
    assert refusal_text(fr, over.value) == (
        "Vous avez déjà réservé 4 h sur les imprimantes 3D cette semaine (maximum 4 h). "
        "Vous pourrez réserver à nouveau à partir du lundi 11 mars. Rien n'a été réservé."
    )
    # Monday 11 March, 09:00 in Paris, is the next week.
    await bookings.book(session, alice, one, paris(11, 9), 240, RULES, NOW)
    with pytest.raises(WeeklyQuotaReached) as next_week:
        await bookings.book(session, alice, two, paris(12, 9), 30, RULES, NOW)
    assert (next_week.value.monday, next_week.value.this_week) == (date(2030, 3, 11), False)
    # Not this week: that week is full for Alice, another one is not (nothing frees up on the 18th).
    assert refusal_text(fr, next_week.value) == (
        "Vous avez déjà réservé 4 h sur les imprimantes 3D la semaine du lundi 11 mars "
        "(maximum 4 h). Vous pouvez réserver une autre semaine. Rien n'a été réservé."
    )


async def test_the_machines_own_value_comes_before_its_kinds(session: AsyncSession) -> None:
    one, two = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=60, notice_minutes=60), kind=KIND)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=180), machine_id=one)
    limits = await quotas.limits_for(session, await session.get_one(Machine, one))
    assert limits.max_minutes_per_day == quotas.Limit(180, of_kind=False)
    assert limits.notice_minutes == quotas.Limit(60, of_kind=True)  # field by field
    alice = await make_member(session)
    await bookings.book(session, alice, one, paris(5, 9), 180, RULES, NOW)  # 3 h on its own quota
    with pytest.raises(DailyQuotaReached) as over:  # the kind's hour counts #1's bookings too
        await bookings.book(session, alice, two, paris(5, 15), 30, RULES, NOW)
    assert over.value.scope == Scope(None, KIND) and over.value.limit == 60


async def test_cancelled_bookings_are_not_counted(session: AsyncSession) -> None:
    one, _ = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=120, max_upcoming=1), machine_id=one)
    alice = await make_member(session)
    first = await bookings.book(session, alice, one, paris(5, 9), 120, RULES, NOW)
    with pytest.raises(UpcomingLimitReached):
        await bookings.book(session, alice, one, paris(6, 9), 60, RULES, NOW)
    await bookings.cancel(session, alice, first.id, NOW)
    await bookings.book(session, alice, one, paris(5, 13), 120, RULES, NOW)


async def test_upcoming_bookings_free_up_when_the_first_one_is_over(session: AsyncSession) -> None:
    one, two = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(max_upcoming=2), kind=KIND)
    alice = await make_member(session)
    await bookings.book(session, alice, one, paris(6, 9), 60, RULES, NOW)
    await bookings.book(session, alice, two, paris(5, 9), 60, RULES, NOW)
    with pytest.raises(UpcomingLimitReached) as over:
        await bookings.book(session, alice, one, paris(7, 9), 60, RULES, NOW)
    assert (over.value.used, over.value.limit, over.value.frees_at) == (2, 2, paris(5, 10))
    # Once Tuesday's is over, Alice holds one upcoming booking: she may make another.
    await bookings.book(session, alice, one, paris(7, 9), 60, RULES, paris(5, 10))


async def test_a_booking_needs_the_machines_notice_and_is_told_the_first_possible_slot(
    session: AsyncSession,
) -> None:
    one, _ = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(notice_minutes=120), machine_id=one)
    alice = await make_member(session)
    now = paris(5, 14, 10)
    with pytest.raises(TooShortNotice) as short:
        await bookings.book(session, alice, one, paris(5, 16), 60, RULES, now)
    assert (short.value.minutes, short.value.first_start, short.value.today) == (120, paris(5, 16, 30), True)
    fr = Texts("fr", PARIS)
    assert refusal_text(fr, short.value) == (
        "Cette machine se réserve au moins 2 h à l'avance. Premier créneau possible : 16:30."
    )
    await bookings.book(session, alice, one, paris(5, 16, 30), 60, RULES, now)  # just enough notice
    # Late in the day, the first possible slot is the next morning: said with its day.
    with pytest.raises(TooShortNotice) as tomorrow:
        await bookings.book(session, alice, one, paris(5, 18), 30, RULES, paris(5, 17, 30))
    assert tomorrow.value.first_start == paris(6, 9) and not tomorrow.value.today
    assert refusal_text(fr, tomorrow.value).endswith("Premier créneau possible : mercredi 6 mars 09:00.")


async def test_managers_are_exempt(session: AsyncSession) -> None:
    one, _ = await _two_printers(session)
    await quotas.set_values(
        session,
        QuotaValues(max_minutes_per_day=30, max_upcoming=1, notice_minutes=600, cancel_deadline_minutes=600),
        kind=KIND,
    )
    manager = await make_member(session, "Fabienne", manager=True)
    first = await bookings.book(session, manager, one, paris(4, 9), 120, RULES, NOW)
    await bookings.book(session, manager, one, paris(4, 12), 120, RULES, NOW)
    cancelled = await bookings.cancel(session, manager, first.id, paris(4, 8))
    assert cancelled.no_show_at is None


async def test_cancelling_after_the_deadline_asks_then_counts_as_a_no_show(session: AsyncSession) -> None:
    one, _ = await _two_printers(session)
    await quotas.set_values(session, QuotaValues(cancel_deadline_minutes=24 * 60), machine_id=one)
    alice = await make_member(session)
    early = await bookings.book(session, alice, one, paris(7, 9), 60, RULES, NOW)
    late = await bookings.book(session, alice, one, paris(5, 9), 60, RULES, NOW)
    assert await bookings.late_cancellation(session, alice, early, NOW) is None
    assert await bookings.late_cancellation(session, alice, late, paris(4, 9, 1)) == 24 * 60

    await bookings.cancel(session, alice, early.id, NOW)  # two days ahead: a plain cancellation
    assert early.no_show_at is None
    with pytest.raises(LateCancellation) as asked:
        await bookings.cancel(session, alice, late.id, paris(4, 9, 1))
    assert late.status is BookingStatus.CONFIRMED  # nothing done until the member accepts
    assert refusal_text(Texts("fr", PARIS), asked.value) == (
        "Les réservations de cette machine s'annulent au moins 24 h avant le début : annuler "
        "maintenant compte comme une absence. Confirmez pour annuler quand même."
    )
    done = await bookings.cancel(session, alice, late.id, paris(4, 9, 1), no_show_accepted=True)
    assert (done.status, done.no_show_at) == (BookingStatus.CANCELLED, paris(4, 9, 1))
    # The statistics count it with the no-shows; the early cancellation is a cancellation.
    usage = await stats.usage(session, paris(4, 0), paris(11, 0), PARIS)
    assert (usage.no_shows_by_machine, usage.cancelled) == ({"Prusa MK4 #1": 1}, 1)


async def test_a_limit_out_of_range_is_refused_and_clearing_every_field_leaves_no_limit(
    session: AsyncSession,
) -> None:
    one, _ = await _two_printers(session)
    for wrong in (
        QuotaValues(max_upcoming=0),
        QuotaValues(max_minutes_per_day=-30),
        QuotaValues(max_upcoming=101),
    ):
        with pytest.raises(BadQuota):
            await quotas.set_values(session, wrong, machine_id=one)
    changed = await quotas.set_values(session, QuotaValues(max_upcoming=3), machine_id=one)
    assert changed == {"max_upcoming": 3}
    assert await quotas.set_values(session, QuotaValues(max_upcoming=3), machine_id=one) == {}
    assert await quotas.set_values(session, QuotaValues(), machine_id=one) == {"max_upcoming": None}
    assert not (await quotas.limits_for(session, await session.get_one(Machine, one))).any


async def test_two_bookings_at_once_cannot_both_pass_a_daily_quota(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two presses of one member on two printers at the same instant: each alone fits the day's
    quota, both together do not. The member's row lock makes the second wait, then count the first."""
    async with sessions.begin() as session:
        one, two = await _two_printers(session)
        await quotas.set_values(session, QuotaValues(max_minutes_per_day=120), kind=KIND)
        member_id = (await make_member(session)).id
    started = asyncio.Event()

    async def attempt(machine_id: int, hour: int) -> str:
        async with sessions.begin() as session:
            member = await session.get_one(Member, member_id)
            try:
                await bookings.book(session, member, machine_id, paris(5, hour), 90, RULES, NOW)
            except DailyQuotaReached:
                return "refused"
            started.set()
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            return "booked"

    outcomes = await asyncio.gather(attempt(one, 9), attempt(two, 14))
    assert sorted(outcomes) == ["booked", "refused"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1


def test_the_labs_week_starts_on_monday() -> None:
    assert quotas.week_of(date(2030, 3, 10)) == date(2030, 3, 4)
    assert quotas.week_of(date(2030, 3, 11)) == date(2030, 3, 11)
    start, end = quotas.day_window(date(2030, 3, 31), PARIS)  # the clocks go forward that night
    assert end - start == timedelta(hours=23)


async def test_the_lengths_offered_stop_at_what_the_member_may_still_book(session: AsyncSession) -> None:
    # 3D printers: 4 h a day; a Prusa running unattended up to 24 h, chosen from 18:00 on Tuesday.
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa XL", unattended_max_minutes=24 * 60)
    await quotas.set_values(session, QuotaValues(max_minutes_per_day=240), kind=KIND)
    alice, manager = await make_member(session), await make_member(session, "Fab", manager=True)
    start = paris(5, 18)
    free = await bookings.free_lengths(session, prusa, start, RULES, NOW)
    assert free[-1] == 24 * 60
    # 18:00–22:00 is 4 h on Tuesday; a longer run would spill hours onto Wednesday too, but
    # Tuesday's 4 h are already over: only up to 4 h is offered. Managers see every length.
    assert await bookings.lengths_within_limits(session, alice, prusa, start, free, RULES, NOW) == [
        30 * n for n in range(1, 9)
    ]
    assert await bookings.lengths_within_limits(session, manager, prusa, start, free, RULES, NOW) == free
    # 3 h booked that day: 1 h left; every length offered is accepted at Confirm.
    await bookings.book(session, alice, prusa.id, paris(5, 9), 180, RULES, NOW)
    offered = await bookings.lengths_within_limits(session, alice, prusa, start, free, RULES, NOW)
    assert offered == [30, 60]
    # The day's 4 h all booked: none fits, and the refusal says which limit and when it frees up.
    await bookings.book(session, alice, prusa.id, paris(5, 12), 60, RULES, NOW)
    with pytest.raises(DailyQuotaReached) as over:
        await bookings.lengths_within_limits(session, alice, prusa, start, free, RULES, NOW)
    assert (over.value.used, over.value.day) == (240, date(2030, 3, 5))


async def test_a_slot_freed_within_the_notice_is_offered_only_to_who_may_still_book_it(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa MK4")
    await quotas.set_values(session, QuotaValues(notice_minutes=60), machine_id=prusa.id)
    tuesday = date(2030, 3, 5)
    await fill_day(session, prusa, tuesday)
    alice, manager = await make_member(session), await make_member(session, "Fab", manager=True)
    for member in (alice, manager):
        await waitlist.join(session, member, prusa.id, tuesday, RULES, NOW)
    offered = select(OutboxMessage.member_id).where(OutboxMessage.kind == WaitlistFreed.kind)
    # « I can't come » at 9:45 for 10:00–11:00: no half hour of it past the hour's notice, only the
    # manager may book it (at 9:30, 10:30–11:00 would be offered: the test below).
    at_a_quarter_to_ten = paris(5, 9, 45)
    told = await waitlist.slot_freed(session, prusa, paris(5, 10), paris(5, 11), at_a_quarter_to_ten, PARIS)
    assert told == 1 and list(await session.scalars(offered)) == [manager.id]
    # Freed two hours ahead: offered to both.
    later = await waitlist.slot_freed(session, prusa, paris(5, 12), paris(5, 13), at_a_quarter_to_ten, PARIS)
    assert later == 2


async def test_a_slot_freed_partly_within_the_notice_offers_its_part_past_the_notice(
    session: AsyncSession,
) -> None:
    """10:00–13:00 freed at 9:30 with an hour's notice: the member waiting is offered 10:30–13:00
    (what Book it accepts), not skipped as if none of it could be booked."""
    await open_every_day(session)
    prusa = await make_machine(session, "Prusa MK4")
    await quotas.set_values(session, QuotaValues(notice_minutes=60), machine_id=prusa.id)
    tuesday = date(2030, 3, 5)
    await fill_day(session, prusa, tuesday)
    alice = await make_member(session)
    await waitlist.join(session, alice, prusa.id, tuesday, RULES, NOW)
    now = paris(5, 9, 30)
    for freed in await session.scalars(
        select(Booking).where(Booking.start_at < paris(5, 13), Booking.end_at > paris(5, 10))
    ):
        freed.status = BookingStatus.CANCELLED
    told = await waitlist.slot_freed(session, prusa, paris(5, 10), paris(5, 13), now, PARIS)
    assert told == 1
    offer = select(OutboxMessage.payload).where(OutboxMessage.kind == WaitlistFreed.kind)
    payload = await session.scalar(offer)
    assert payload is not None
    assert (payload["start"], payload["minutes"]) == (paris(5, 10, 30).isoformat(), 150)
    # Book it, as the offer's button presses it, is accepted.
    await bookings.book(session, alice, prusa.id, paris(5, 10, 30), payload["minutes"], RULES, now)
