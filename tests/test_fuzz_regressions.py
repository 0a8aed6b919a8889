"""Regressions found by the fuzz test (tests/test_fuzz.py): each test failed before its fix.

The docstring of each test says what a member or fab manager saw and what they should see.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.stats import charts
from models import bookings, machines, maintenance, projects, stock, updates
from models.bookings import Booking, BookingStatus
from models.errors import DomainError, NotFound, SlotTaken
from models.machines import Authorization, Machine
from models.maintenance import ReportDraft
from models.members import Member
from models.projects import ProjectDraft, Visibility
from models.stock import Consumable, MovementReason, StockMovement
from models.updates import UpdateItem, VersionInput
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
from tests.fakebot import FakeBotApi
from tests.harness import ALICE, MANAGER, Clock, press_data, running_bot, say, tap, test_settings

# --------------------------------------------------------------------------- buttons


async def test_a_group_link_button_pressed_in_a_private_chat_is_answered(
    fake: FakeBotApi, database_url: str
) -> None:
    """A member presses a /link chooser button ("lk:<project>") outside a group: stale or forged data.

    Saw (before the fix): nothing - the press was never answered, so the button kept spinning until
    Telegram gave up (the /link handler took the press and dropped it outside groups).
    Should see: the usual "This button is no longer valid." alert, and nothing changes.
    """
    async with running_bot(test_settings(fake, database_url, default_language="en"), Clock()):
        await say(fake, ALICE, "/start")
        for data in ("lk:1", "lk", "lk:1:2"):
            answer = await press_data(fake, ALICE, data)
            assert answer.params.get("text") == "This button is no longer valid."
            assert answer.params.get("show_alert") is True


# --------------------------------------------------------------------------- trainings


async def test_an_old_authorize_button_does_not_authorize_a_member_who_erased_their_data(
    fake: FakeBotApi, database_url: str, sessions: async_sessionmaker[AsyncSession], lab: None
) -> None:
    """Alice asks for a training, then erases her data; a manager later taps Authorize on her request.

    Saw (before the fix): "— is now authorized on Trotec Speedy." - an authorization recorded for the
    anonymised row of someone who asked for everything about them to go, and "—" offered in the
    /authorize list of people to authorize.
    Should see: a refusal (nobody is there any more), no authorization, and no "—" in the list.
    """
    settings = test_settings(fake, database_url, default_language="en")
    async with running_bot(settings, Clock()):
        await say(fake, MANAGER, "/start")
        await say(fake, ALICE, "/book")
        await tap(fake, ALICE, "Trotec Speedy")
        mark = fake.mark()
        await tap(fake, ALICE, "Ask for a training")
        request = await fake.wait_for_call("sendMessage", MANAGER.id, text_contains="Trotec", after=mark)
        await say(fake, ALICE, "/forgetme")
        await tap(fake, ALICE, "Yes, erase my data")

        mark = fake.mark()
        fake.press_button(MANAGER, request, "Alice")
        answer = await fake.wait_for_call("answerCallbackQuery", after=mark)
        assert answer.params.get("show_alert") is True
        assert not [c for c in fake.calls_of("editMessageText", MANAGER.id) if fake.calls.index(c) > mark]

        await say(fake, MANAGER, "/authorize")
        people = await tap(fake, MANAGER, "Trotec Speedy")
        assert not any(label.startswith("—") for label, _data in people.buttons())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Authorization)) == 0
        laser = await session.scalar(select(Machine).where(Machine.name == "Trotec Speedy"))
        assert laser is not None
        assert (await machines.members_to_authorize(session, laser))[1] == 1  # the manager only


# --------------------------------------------------------------------------- double taps


async def _ask_version(session: AsyncSession, member: Member) -> None:
    item = await session.scalar(select(UpdateItem))
    assert item is not None
    await updates.ask_version(session, member, item.id, NOW)


async def _start_report(session: AsyncSession, member: Member) -> None:
    machine = await session.scalar(select(Machine))
    assert machine is not None
    await maintenance.start_report(session, member, machine.id, NOW)


async def _start_project(session: AsyncSession, member: Member) -> None:
    await projects.start_project(session, member, NOW)


@pytest.mark.parametrize(
    ("ask", "table"),
    [(_ask_version, VersionInput), (_start_report, ReportDraft), (_start_project, ProjectDraft)],
)
async def test_a_question_asked_twice_at_once_is_asked_once(
    sessions: async_sessionmaker[AsyncSession],
    ask: Callable[[AsyncSession, Member], Awaitable[None]],
    table: type[VersionInput | ReportDraft | ProjectDraft],
) -> None:
    """A manager double-taps Updated (or a member Report a problem, New project): two presses at once.

    Saw (before the fix, on PostgreSQL): the second press failed on the unique key of the question
    ("duplicate key value violates unique constraint pk_version_inputs"); the manager got the
    apology "Something went wrong" and every manager an error report.
    Should see: the question asked once; both presses answered normally.
    """
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        await make_machine(session)
        session.add(UpdateItem(name="PrusaSlicer", check_every_days=30, last_checked_at=NOW, created_at=NOW))
    async with sessions() as first, sessions() as second:

        async def second_press() -> None:
            async with second.begin():
                await ask(second, await second.get(Member, manager.id) or manager)

        async with first.begin():
            await ask(first, await first.get(Member, manager.id) or manager)
            # The second press reads "no question yet" and waits on its insert behind this transaction.
            pressed = asyncio.create_task(second_press())
            await asyncio.sleep(0.3)
        await pressed
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(table)) == 1


# --------------------------------------------------------------------------- races


async def test_members_confirming_the_same_slot_at_once_get_one_booking_and_clear_refusals(
    sessions: async_sessionmaker[AsyncSession], database_backend: str
) -> None:
    """Five members press Confirm on the same slot of the same machine at the same instant.

    Saw (before the fix, on PostgreSQL, a few times in a hundred such races): "deadlock detected" - the
    inserts met in the exclusion constraint, each waiting on another's; the members whose transaction
    PostgreSQL aborted got "Something went wrong" and the managers an error report, instead of "that
    slot was just taken".
    Should see: exactly one booking each time; everyone else told the slot was taken (SlotTaken).
    """
    async with sessions.begin() as session:
        await open_every_day(session)
        machine = await make_machine(session, "Prusa MK4", slot_minutes=30, max_booking_minutes=120)
        people = [await make_member(session, f"Member{n}") for n in range(5)]

    async def confirm(member: Member) -> str:
        async with sessions() as session:
            try:
                async with session.begin():
                    await bookings.book(session, member, machine.id, paris(5, 10), 60, RULES, NOW)
            except SlotTaken:
                return "taken"
        return "booked"

    # SQLite runs one writer at a time: the deadlock is PostgreSQL's, where the races are repeated.
    for _race in range(120 if database_backend == "postgresql" else 5):
        outcomes = await asyncio.gather(*(confirm(m) for m in people))
        assert sorted(outcomes) == ["booked"] + ["taken"] * (len(people) - 1)
        async with sessions.begin() as session:
            await session.execute(update(Booking).values(status=BookingStatus.CANCELLED))


# --------------------------------------------------------------------------- statistics


def test_a_machine_named_with_an_emoji_is_charted_without_empty_boxes() -> None:
    """The lab calls its resin printer "Form 3 résine 🧪"; a manager asks for /stats.

    Saw (before the fix): the bar's label ended in an empty box (the chart's font has no emoji), and
    every chart printed "UserWarning: Glyph 129514 (TEST TUBE) missing from font(s) DejaVu Sans".
    Should see: "Form 3 résine" as the label, and no warning.
    """
    assert charts._plain("Form 3 résine 🧪") == "Form 3 résine"
    assert charts._plain("👩\u200d👩\u200d👧") == "?"  # nothing drawable left: still a label
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = charts.hours_chart("Hours", {"Form 3 résine 🧪": 2.0, "🤖": 1.0}, "hours")
    assert png.startswith(b"\x89PNG")


async def _twice_at_once(
    sessions: async_sessionmaker[AsyncSession], act: Callable[[AsyncSession], Awaitable[object]]
) -> list[object]:
    """Run `act` in two transactions, the second starting while the first is still open; return what
    each gave (or the domain refusal it raised)."""

    async def attempt(session: AsyncSession) -> object:
        try:
            async with session.begin():
                return await act(session)
        except DomainError as refusal:
            return refusal

    async with sessions() as first, sessions() as second:
        async with first.begin():
            outcome = await act(first)
            later = asyncio.create_task(attempt(second))
            await asyncio.sleep(0.3)  # the second transaction reads, and waits behind this one
        return [outcome, await later]


async def test_an_amount_sent_twice_at_once_is_recorded_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A manager asked "How much arrived?" sends "250" and, the network being slow, the same message
    again: the two arrive together.

    Saw (before the fix, on PostgreSQL): two restocks of 250 g recorded, the stock counted 250 g too high.
    Should see: one restock; the second message finds the question answered ("no longer available").
    """
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        session.add(Consumable(name="PLA", unit="g", quantity_milli=0, minimum_milli=0, created_at=NOW))
        await session.flush()
        pla = await session.scalar(select(Consumable))
        assert pla is not None
        await stock.ask_amount(session, manager, pla.id, MovementReason.RESTOCK, NOW)

    async def answer(session: AsyncSession) -> object:
        member = await session.get(Member, manager.id)
        assert member is not None
        return await stock.give_amount(session, member, "250", [manager.telegram_id], NOW)

    outcomes = await _twice_at_once(sessions, answer)
    assert isinstance(outcomes[1], NotFound)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StockMovement)) == 1
        assert (await session.scalar(select(Consumable.quantity_milli))) == 250_000


async def test_a_report_cancelled_twice_at_once_is_dropped_quietly(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A member double-taps "Cancel" under the report they were writing.

    Saw (before the fix, on PostgreSQL): "SAWarning: DELETE statement on table 'report_drafts' expected
    to delete 1 row(s); 0 were matched" in the bot's output, the second press deleting a draft the
    first had just deleted (any question dropped by two presses at once did the same).
    Should see: the draft gone, both presses answered, nothing in the logs.
    """
    async with sessions.begin() as session:
        member = await make_member(session, "Alice")
        machine = await make_machine(session)
        await maintenance.start_report(session, member, machine.id, NOW)

    async def cancel(session: AsyncSession) -> object:
        return await maintenance.cancel_report(session, member)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcomes = await _twice_at_once(sessions, cancel)
    assert outcomes[0] is True
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0


# --------------------------------------------------------------------------- projects


@pytest.mark.parametrize("visibility", [Visibility.OPEN, Visibility.ON_REQUEST])
async def test_an_owner_who_left_comes_back_as_a_member(
    session: AsyncSession, visibility: Visibility
) -> None:
    """Léa makes Tom a co-owner of her project and leaves it; later she presses Join again.

    Saw (before the fix): Léa an owner again at once (or as soon as Tom approved her request to join):
    leaving kept her owner role, and joining brought it back - nobody had made her an owner.
    Should see: Léa back as a member; ownership is given by an owner (Co-owner).
    """
    lea = await make_member(session, "Léa")
    tom = await make_member(session, "Tom")
    project = await _project(session, lea, visibility)
    outcome = await projects.join(session, tom, project.id, NOW)
    if outcome.needs_owner:
        await projects.decide(session, lea, outcome.membership.id, True, NOW)
    await projects.make_owner(session, lea, outcome.membership.id, NOW)
    await projects.leave(session, lea, project.id, NOW)

    again = await projects.join(session, lea, project.id, NOW)
    if again.needs_owner:
        await projects.decide(session, tom, again.membership.id, True, NOW)
    project = await projects.get_project(session, project.id)
    assert not projects.is_owner(project, lea)
    assert projects.membership_of(project, lea) is not None
    assert [o.id for o in projects.owners(project)] == [tom.id]
    with pytest.raises(projects.OwnersOnly):
        await projects.make_owner(session, lea, again.membership.id, NOW)


async def _project(session: AsyncSession, owner: Member, visibility: Visibility) -> projects.Project:
    await projects.start_project(session, owner, NOW)
    await projects.draft_answer(session, owner, f"Club {visibility.value}", NOW)
    await projects.draft_answer(session, owner, "On se retrouve le samedi.", NOW)
    await projects.draft_choose(session, owner, NOW, visibility=visibility)
    await projects.draft_choose(session, owner, NOW, skip=True)
    await projects.draft_choose(session, owner, NOW, skip=True)
    return await projects.create_project(session, owner, NOW)


# --------------------------------------------------------------------------- odd text


async def test_text_holding_a_nul_character_is_taken_on_postgresql(session: AsyncSession) -> None:
    """A member searches "/projects a<NUL>b", types tags or a folder link with a NUL in them; a manager
    types a version with one.

    Saw (before the fix, on PostgreSQL): "Something went wrong" and an error report each time
    (PostgreSQL refuses NUL in text: "invalid byte sequence for encoding UTF8: 0x00").
    Should see: the search done, the tags and version kept without the NUL, the link refused.
    """
    owner = await make_member(session, "Léa")
    await _project(session, owner, Visibility.OPEN)
    found, total = await projects.find_projects(session, search="club\x00 open\x00")
    assert total == 1 and found[0].name == "Club open"
    assert projects.parse_tags("dro\x00nes, électro\x00nique") == "drones,électronique"
    with pytest.raises(projects.BadProjectText):
        projects.check_url("https://cloud.example.org/\x00drones")
    manager = await make_member(session, "Morgane", manager=True)
    session.add(UpdateItem(name="PrusaSlicer", check_every_days=30, last_checked_at=NOW, created_at=NOW))
    await session.flush()
    item = await session.scalar(select(UpdateItem))
    assert item is not None
    await updates.mark_done(session, manager, item.id, "2.9\x00.1", NOW)
    assert item.current_version == "2.9.1"


def test_fuzz_past_start_is_before_now_even_for_a_slot_days_ahead() -> None:
    """The fuzz's "in the past" press once landed later today (seed 154657689): the open slot was
    days ahead and going back one day from it stayed in the future, so a legitimate booking was
    judged forged. Every draw must now be before now."""
    from datetime import timedelta
    from random import Random

    from tests.test_fuzz import minutes_of, start_in_the_past

    rng = Random(154657689)
    for days_ahead in range(0, 15):
        for rounding in (0, 30, 90):
            start = minutes_of(NOW + timedelta(days=days_ahead, minutes=rounding))
            for _draw in range(50):
                past = start_in_the_past(start, NOW, rng)
                assert past < minutes_of(NOW)
                assert (start - past) % (60 * 24) == 0  # same time of day: on the machine's grid


def test_fuzz_seed_is_fixed_unless_asked() -> None:
    from tests.test_fuzz import DEFAULT_SEED, fuzz_seed

    assert fuzz_seed(None) == fuzz_seed("") == DEFAULT_SEED
    assert fuzz_seed("154657689") == 154657689
    assert {fuzz_seed("random") for _ in range(3)} != {DEFAULT_SEED}
