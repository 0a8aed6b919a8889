"""Sessions' rules on a real database: planning, sign-up and waitlist, cancelling, the last seat
under a rush, reminders and the minimum's deadline claimed once, attendance granting a training."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import bookings, machines, privacy
from models import sessions as lab_sessions
from models.authorizations import ATTENDANCE_UNDONE
from models.bookings import BookingStatus
from models.errors import InThePast, NotAllowed, NotFound
from models.machines import Authorization, MachineKind, add_months
from models.members import Member
from models.opening import Closure
from models.outbox import OutboxMessage
from models.privacy import ErasureReason
from models.sessions import (
    LabSession,
    SessionKind,
    SessionRules,
    SignUp,
    SignUpStatus,
)
from tests.factories import NOW, PARIS, make_machine, make_member, open_every_day, paris
from tests.factories import RULES as BOOKING_RULES

RULES = SessionRules(
    cancel_before=timedelta(hours=2), reminder_lead=timedelta(minutes=120), minimum_before=timedelta(hours=24)
)
START, END = paris(8, 18), paris(8, 20)  # Friday 8 March 2030, 18:00–20:00


async def _plan(session: AsyncSession, manager: Member, **overrides: object) -> LabSession:
    values: dict[str, object] = {
        "kind": SessionKind.WORKSHOP,
        "title": "Initiation à l'impression 3D",
        "start": START,
        "end": END,
        "seats": 2,
        "now": NOW,
    }
    values.update(overrides)
    return await lab_sessions.plan(session, manager, **values)  # type: ignore[arg-type]


async def _kinds(session: AsyncSession, kind: str) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


async def test_planning_refuses_what_breaks_a_rule_and_writes_nothing(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    refusals: list[tuple[type[Exception], dict[str, object]]] = [
        (lab_sessions.BadSessionTimes, {"end": START}),
        (lab_sessions.BadSessionTimes, {"end": START - timedelta(hours=1)}),
        (lab_sessions.BadSessionTimes, {"end": START + timedelta(days=2)}),
        (InThePast, {"start": NOW - timedelta(hours=1), "end": NOW + timedelta(hours=1)}),
        (lab_sessions.BadSeats, {"seats": 0}),
        (lab_sessions.BadMinimum, {"seats": 3, "minimum": 4}),
        (lab_sessions.BadMinimum, {"minimum": -1}),
        (lab_sessions.BadSessionTitle, {"title": "   "}),
        (lab_sessions.BadSessionTitle, {"title": "x" * 101}),
        (lab_sessions.SessionHiddenCharacters, {"title": "Laser\u200b101"}),
        (lab_sessions.SessionHiddenCharacters, {"place": "Salle\x00B"}),
        (lab_sessions.TrainingNeedsMachine, {"kind": SessionKind.TRAINING}),
        (lab_sessions.TrainingNeedsMachine, {"machine_kind": MachineKind.CNC}),
    ]
    for error, overrides in refusals:
        with pytest.raises(error):
            await _plan(session, manager, **overrides)
    with pytest.raises(NotAllowed):
        await _plan(session, alice)
    assert await session.scalar(select(func.count()).select_from(LabSession)) == 0
    planned = await _plan(session, manager, title="  Atelier   soudure ", minimum=1, place="Salle B")
    assert (planned.title, planned.place, planned.created_by_id) == ("Atelier soudure", "Salle B", manager.id)


async def test_full_means_waitlist_and_a_freed_seat_goes_to_the_first_waiting_once(
    session: AsyncSession,
) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob, carol, dan = [await make_member(session, n) for n in ("Alice", "Bob", "Carol", "Dan")]
    workshop = await _plan(session, manager)
    assert (
        await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    ).signup.status is SignUpStatus.SIGNED_UP
    again = await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    assert not again.newly and again.signup.status is SignUpStatus.SIGNED_UP
    await lab_sessions.sign_up(session, bob, workshop.id, NOW)
    later = NOW + timedelta(minutes=1)
    assert (
        await lab_sessions.sign_up(session, carol, workshop.id, later)
    ).signup.status is SignUpStatus.WAITLISTED
    await lab_sessions.sign_up(session, dan, workshop.id, later + timedelta(minutes=1))
    (listed,) = await lab_sessions.upcoming(session, carol, NOW)
    assert (listed.seats_left, listed.waiting, listed.mine) == (0, 2, SignUpStatus.WAITLISTED)

    cancelled, promoted = await lab_sessions.cancel_signup(session, alice, workshop.id, RULES, NOW)
    assert cancelled.status is SignUpStatus.CANCELLED
    assert promoted is not None and promoted.member_id == carol.id and promoted.promoted_at == NOW
    (told,) = await _kinds(session, "session_seat_given")
    assert told.member_id == carol.id and told.payload["session_id"] == workshop.id
    # Cancelling again is refused; the seat is not given a second time.
    with pytest.raises(lab_sessions.NotSignedUp):
        await lab_sessions.cancel_signup(session, alice, workshop.id, RULES, NOW)
    assert len(await _kinds(session, "session_seat_given")) == 1
    # Carol declines the seat she was given: it passes on to Dan.
    _, next_one = await lab_sessions.cancel_signup(session, carol, workshop.id, RULES, NOW)
    assert next_one is not None and next_one.member_id == dan.id
    # Leaving the waitlist frees no seat; Alice signing up again waits at the end.
    assert (
        await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    ).signup.status is SignUpStatus.WAITLISTED
    _, nobody = await lab_sessions.cancel_signup(session, alice, workshop.id, RULES, NOW)
    assert nobody is None
    assert await lab_sessions.seats_taken(session, workshop.id) == 2


async def test_cancelling_a_seat_closes_at_the_deadline_but_a_given_seat_can_be_declined(
    session: AsyncSession,
) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob, carol = [await make_member(session, n) for n in ("Alice", "Bob", "Carol")]
    workshop = await _plan(session, manager, seats=1)
    await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    await lab_sessions.sign_up(session, bob, workshop.id, NOW)
    late = START - timedelta(hours=1)
    with pytest.raises(lab_sessions.CancelTooLate) as too_late:
        await lab_sessions.cancel_signup(session, alice, workshop.id, RULES, late)
    assert too_late.value.deadline == START - timedelta(hours=2)
    await lab_sessions.cancel_signup(session, alice, workshop.id, RULES, START - timedelta(hours=2))
    # Bob was given the seat: he may decline it even past the deadline; it was Carol's to take then.
    await lab_sessions.sign_up(session, carol, workshop.id, late)
    _, promoted = await lab_sessions.cancel_signup(session, bob, workshop.id, RULES, late)
    assert promoted is not None and promoted.member_id == carol.id
    with pytest.raises(lab_sessions.SessionStarted):
        await lab_sessions.sign_up(session, alice, workshop.id, START)
    with pytest.raises(lab_sessions.SessionStarted):
        await lab_sessions.cancel_signup(session, carol, workshop.id, RULES, START)
    with pytest.raises(NotFound):
        await lab_sessions.sign_up(session, alice, 999_999, NOW)


async def test_a_manager_cancels_a_session_and_everyone_is_told_once(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    workshop = await _plan(session, manager, seats=1)
    await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    await lab_sessions.sign_up(session, bob, workshop.id, NOW)
    with pytest.raises(NotAllowed):
        await lab_sessions.cancel_session(session, alice, workshop.id, NOW)
    assert await lab_sessions.cancel_session(session, manager, workshop.id, NOW, "Formateur malade") == 2
    with pytest.raises(lab_sessions.SessionCancelled):
        await lab_sessions.cancel_session(session, manager, workshop.id, NOW)
    told = await _kinds(session, "session_cancelled")
    assert sorted(m.member_id for m in told) == sorted([alice.id, bob.id])
    assert told[0].payload["reason"] == "Formateur malade" and told[0].payload["automatic"] is False
    with pytest.raises(lab_sessions.SessionCancelled):
        await lab_sessions.sign_up(session, manager, workshop.id, NOW)
    assert await lab_sessions.upcoming(session, alice, NOW) == []


@pytest.mark.parametrize("racers", [50])
async def test_the_last_seat_goes_to_exactly_one_of_fifty_members_signing_up_at_once(
    sessions: async_sessionmaker[AsyncSession], racers: int
) -> None:
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        workshop = await _plan(session, manager, seats=3)
        early = [await make_member(session, f"Early {i}") for i in range(2)]
        for member in early:
            await lab_sessions.sign_up(session, member, workshop.id, NOW)
        member_ids = [(await make_member(session, f"Member {i}")).id for i in range(racers)]

    async def attempt(member_id: int) -> SignUpStatus:
        async with sessions.begin() as session:
            member = await session.get(Member, member_id)
            assert member is not None
            return (await lab_sessions.sign_up(session, member, workshop.id, NOW)).signup.status

    outcomes = await asyncio.gather(*(attempt(m) for m in member_ids))

    assert outcomes.count(SignUpStatus.SIGNED_UP) == 1
    assert outcomes.count(SignUpStatus.WAITLISTED) == racers - 1
    async with sessions() as session:
        assert await lab_sessions.seats_taken(session, workshop.id) == 3
        waiting = await session.scalar(
            select(func.count()).select_from(SignUp).where(SignUp.status == SignUpStatus.WAITLISTED)
        )
        assert waiting == racers - 1


async def test_the_same_seat_freed_twice_at_once_is_given_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two cancellations of the same sign-up at the same instant: one frees the seat, one is refused."""
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        alice, bob, carol = [await make_member(session, n) for n in ("Alice", "Bob", "Carol")]
        workshop = await _plan(session, manager, seats=1)
        for member in (alice, bob, carol):
            await lab_sessions.sign_up(session, member, workshop.id, NOW)

    async def cancel() -> str:
        async with sessions.begin() as session:
            member = await session.get(Member, alice.id)
            assert member is not None
            try:
                await lab_sessions.cancel_signup(session, member, workshop.id, RULES, NOW)
            except lab_sessions.NotSignedUp:
                return "refused"
            return "cancelled"

    assert sorted(await asyncio.gather(cancel(), cancel())) == ["cancelled", "refused"]
    async with sessions() as session:
        given = await _kinds(session, "session_seat_given")
        assert [m.member_id for m in given] == [bob.id]
        assert await lab_sessions.seats_taken(session, workshop.id) == 1


async def test_reminders_are_queued_once_per_seat_and_not_for_late_or_waiting_members(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        alice, bob, carol = [await make_member(session, n) for n in ("Alice", "Bob", "Carol")]
        workshop = await _plan(session, manager, seats=2, place="Salle B")
        await lab_sessions.sign_up(session, alice, workshop.id, NOW)
        await lab_sessions.sign_up(session, carol, workshop.id, NOW)
        await lab_sessions.cancel_signup(session, carol, workshop.id, RULES, NOW)
        await lab_sessions.sign_up(
            session, bob, workshop.id, START - timedelta(minutes=60)
        )  # after it fell due
    due = START - timedelta(minutes=90)
    async with sessions.begin() as session:
        early = await lab_sessions.queue_due_reminders(session, RULES, START - timedelta(minutes=121))
        assert early.queued == 0
    results = []
    for _ in range(2):  # two processes, one after the other: the second finds them claimed
        async with sessions.begin() as session:
            results.append((await lab_sessions.queue_due_reminders(session, RULES, due)).queued)
    assert results == [1, 0]
    async with sessions() as session:
        (reminder,) = await _kinds(session, "session_reminder")
        assert reminder.member_id == alice.id and reminder.expires_at == START
        assert reminder.payload["minutes_left"] == 90 and reminder.payload["place"] == "Salle B"
    async with sessions.begin() as session:
        off = SessionRules(reminder_lead=timedelta(0))
        assert (await lab_sessions.queue_due_reminders(session, off, due)).queued == 0


async def test_a_cancelled_sign_up_withdraws_its_queued_reminder(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    workshop = await _plan(session, manager)
    await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    rules = SessionRules(cancel_before=timedelta(0), reminder_lead=timedelta(minutes=120))
    await lab_sessions.queue_due_reminders(session, rules, START - timedelta(minutes=100))
    assert len(await _kinds(session, "session_reminder")) == 1
    await lab_sessions.cancel_signup(session, alice, workshop.id, rules, START - timedelta(minutes=90))
    assert await _kinds(session, "session_reminder") == []


async def test_below_its_minimum_at_the_deadline_a_session_is_cancelled_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        manager = await make_member(session, "Morgane", manager=True)
        alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
        short = await _plan(session, manager, seats=4, minimum=2)
        enough = await _plan(session, manager, title="Repair café", seats=4, minimum=1)
        # Planned after its deadline: planned knowing the numbers, never cancelled for them.
        late = await _plan(session, manager, title="Late", seats=4, minimum=3, now=START - timedelta(hours=5))
        await lab_sessions.sign_up(session, alice, short.id, NOW)
        await lab_sessions.sign_up(session, bob, enough.id, NOW)
    before = START - timedelta(hours=25)
    async with sessions.begin() as session:
        assert (await lab_sessions.cancel_below_minimum(session, RULES, before)).done == 0
    deadline = START - timedelta(hours=24)
    done = []
    for _ in range(2):
        async with sessions.begin() as session:
            done.append(
                [s.id for s in (await lab_sessions.cancel_below_minimum(session, RULES, deadline)).cancelled]
            )
    assert done == [[short.id], []]
    async with sessions() as session:
        cancelled = await session.get(LabSession, short.id)
        assert (
            cancelled is not None and cancelled.cancelled_at == deadline and cancelled.cancelled_automatically
        )
        kept = await session.get(LabSession, enough.id)
        assert kept is not None and kept.cancelled_at is None
        still = await session.get(LabSession, late.id)
        assert still is not None and still.cancelled_at is None
        (told,) = await _kinds(session, "session_cancelled")
        assert (
            told.member_id == alice.id and told.payload["automatic"] is True and told.payload["minimum"] == 2
        )


async def test_attendance_is_marked_after_the_start_and_grants_the_training(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    laser = await make_machine(
        session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER, requires_training=True
    )
    training = await _plan(
        session, manager, kind=SessionKind.TRAINING, machine_id=laser.id, title="Laser 101"
    )
    by_kind = await _plan(
        session, manager, kind=SessionKind.TRAINING, machine_kind=MachineKind.CNC, title="CNC", seats=3
    )
    alice_seat = (await lab_sessions.sign_up(session, alice, training.id, NOW)).signup
    bob_seat = (await lab_sessions.sign_up(session, bob, training.id, NOW)).signup
    cnc_seat = (await lab_sessions.sign_up(session, bob, by_kind.id, NOW)).signup
    with pytest.raises(lab_sessions.SessionNotStarted):
        await lab_sessions.mark_attendance(session, manager, alice_seat.id, True, NOW)
    with pytest.raises(NotAllowed):
        await lab_sessions.mark_attendance(session, alice, alice_seat.id, True, START)
    assert [s.member_id for s in await lab_sessions.participants(session, manager, training.id)] == [
        alice.id,
        bob.id,
    ]
    marked = await lab_sessions.mark_attendance(
        session, manager, alice_seat.id, True, START + timedelta(minutes=5)
    )
    assert marked.attended is True and marked.attendance_marked_by_id == manager.id
    await lab_sessions.mark_attendance(session, manager, bob_seat.id, False, START)
    await lab_sessions.mark_attendance(session, manager, cnc_seat.id, True, START)
    assert await machines.is_authorized(session, alice, laser)
    assert not await machines.is_authorized(session, bob, laser)
    grants = list(await session.scalars(select(Authorization).order_by(Authorization.id)))
    assert [(g.member_id, g.machine_id, g.machine_kind, g.granted_by_id) for g in grants] == [
        (alice.id, laser.id, None, manager.id),
        (bob.id, None, MachineKind.CNC, manager.id),
    ]
    # Marking again changes the record, grants nothing twice.
    await lab_sessions.mark_attendance(session, manager, alice_seat.id, True, START)
    assert await session.scalar(select(func.count()).select_from(Authorization)) == 2


async def test_undoing_a_mistaken_present_withdraws_only_what_that_tap_granted(session: AsyncSession) -> None:
    """Alice marked present by mistake: her new authorization goes, and the laser booking she made with
    it; Bob, already trained, keeps his; Carol's lapsing training that the tap renewed is back as it was."""
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob, carol = [await make_member(session, n) for n in ("Alice", "Bob", "Carol")]
    laser = await make_machine(
        session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER, requires_training=True
    )
    laser.training_valid_months = 12
    assert await machines.authorize(session, manager, bob, machine=laser, now=NOW)
    long_ago = add_months(NOW, -12) + timedelta(days=10)  # lapses 10 days after NOW: refreshable
    assert await machines.authorize(session, manager, carol, machine=laser, now=long_ago)
    training = await _plan(
        session, manager, kind=SessionKind.TRAINING, machine_id=laser.id, title="Laser 101", seats=3
    )
    seats = {
        m.id: (await lab_sessions.sign_up(session, m, training.id, NOW)).signup for m in (alice, bob, carol)
    }
    for seat in seats.values():
        await lab_sessions.mark_attendance(session, manager, seat.id, True, START, PARIS)
    assert await machines.is_authorized(session, alice, laser, now=END)
    booking = await bookings.book(session, alice, laser.id, paris(12, 10), 60, BOOKING_RULES, END)

    for seat in seats.values():
        await lab_sessions.mark_attendance(session, manager, seat.id, False, END, PARIS)
        # Tapped twice: nothing more is withdrawn.
        await lab_sessions.mark_attendance(session, manager, seat.id, False, END, PARIS)

    assert not await machines.is_authorized(session, alice, laser, now=END)
    assert booking.status is BookingStatus.CANCELLED
    assert await machines.is_authorized(session, bob, laser, now=END)
    assert await machines.is_authorized(session, carol, laser, now=END)
    rows = list(await session.scalars(select(Authorization).order_by(Authorization.id)))
    assert [(r.member_id, r.revoked_at is None, r.revoke_reason) for r in rows] == [
        (bob.id, True, None),
        (carol.id, True, None),  # her own, in force again until it lapses
        (alice.id, False, ATTENDANCE_UNDONE),
        (carol.id, False, ATTENDANCE_UNDONE),  # the refresher the tap gave
    ]
    (told,) = await _kinds(session, "authorization_revoked")
    assert told.member_id == alice.id and told.payload["reason"] == ATTENDANCE_UNDONE
    assert len(told.payload["cancelled"]) == 1
    # Present again: a training given after all authorizes her anew.
    await lab_sessions.mark_attendance(session, manager, seats[alice.id].id, True, END, PARIS)
    assert await machines.is_authorized(session, alice, laser, now=END)


async def test_forgetting_a_member_deletes_her_sign_ups_and_frees_her_seat(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    workshop = await _plan(session, manager, seats=1)
    await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    await lab_sessions.sign_up(session, bob, workshop.id, NOW)
    await privacy.erase_member(session, alice, ErasureReason.REQUEST, NOW, PARIS)
    assert list(await session.scalars(select(SignUp.member_id))) == [bob.id]
    assert await lab_sessions.seats_taken(session, workshop.id) == 1
    (given,) = await _kinds(session, "session_seat_given")
    assert given.member_id == bob.id


async def test_a_draft_is_a_managers_one_question_and_lapses(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    with pytest.raises(NotAllowed):
        await lab_sessions.start_draft(session, alice, SessionKind.WORKSHOP, NOW)
    await lab_sessions.start_draft(session, manager, SessionKind.WORKSHOP, NOW)
    assert await lab_sessions.pending_text(session, manager, NOW) is None  # a button is awaited
    with pytest.raises(NotFound):  # not finished: no day yet
        await lab_sessions.plan_draft(session, manager, PARIS, NOW, place="")
    with pytest.raises(ValueError):
        await lab_sessions.set_draft(session, manager, NOW, created_by_id=alice.id)
    await lab_sessions.set_draft(
        session,
        manager,
        NOW,
        day=START.astimezone(PARIS).date(),
        start_minute=18 * 60,
        minutes=120,
        seats=6,
        minimum=2,
        title=lab_sessions.clean_title(" Fresque   du numérique "),
        description=lab_sessions.clean_description("  Venez nombreux.  "),
        stage=lab_sessions.DraftStage.PLACE,
    )
    assert await lab_sessions.pending_text(session, manager, NOW) is not None
    # Left for longer than its lifetime: forgotten, the next message is not taken for it.
    later = NOW + lab_sessions.DRAFT_LIFETIME + timedelta(minutes=1)
    assert await lab_sessions.pending_text(session, manager, later) is None
    with pytest.raises(NotFound):
        await lab_sessions.get_draft(session, manager, later)
    await lab_sessions.start_draft(session, manager, SessionKind.EVENT, NOW)
    await lab_sessions.set_draft(
        session, manager, NOW, day=START.astimezone(PARIS).date(), start_minute=18 * 60, minutes=120, seats=6
    )
    await lab_sessions.set_draft(session, manager, NOW, title="Portes ouvertes")
    planned = await lab_sessions.plan_draft(session, manager, PARIS, NOW, place="Hall")
    assert (planned.kind, planned.start_at, planned.end_at, planned.place) == (
        SessionKind.EVENT,
        START,
        END,
        "Hall",
    )
    with pytest.raises(NotFound):  # the draft is gone with the planning
        await lab_sessions.get_draft(session, manager, NOW)


async def test_erasure_keeps_a_past_sessions_attendance_as_anonymous_counts(session: AsyncSession) -> None:
    """/forgetme and the retention job delete the member's sign-ups, but a session that took place
    keeps how many came, did not, or were not marked; a future seat goes to the waitlist."""
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob, carol, dan = [await make_member(session, n) for n in ("Alice", "Bob", "Carol", "Dan")]
    past = await _plan(session, manager, seats=4)
    future = await _plan(
        session, manager, seats=1, start=START + timedelta(days=7), end=END + timedelta(days=7)
    )
    for member in (alice, bob, carol, dan):
        await lab_sessions.sign_up(session, member, past.id, NOW)
    await lab_sessions.sign_up(session, alice, future.id, NOW)
    await lab_sessions.sign_up(session, dan, future.id, NOW)  # waitlisted
    seats = {s.member_id: s for s in await lab_sessions.participants(session, manager, past.id)}
    await lab_sessions.mark_attendance(session, manager, seats[alice.id].id, True, END)
    await lab_sessions.mark_attendance(session, manager, seats[bob.id].id, False, END)
    await lab_sessions.mark_attendance(session, manager, seats[dan.id].id, True, END)
    before = await lab_sessions.attendance_of(session, past.id)
    assert (before.attended, before.absent, before.unmarked) == (2, 1, 1)

    later = END + timedelta(hours=1)
    await privacy.erase_member(session, alice, ErasureReason.REQUEST, later, PARIS)  # came
    await privacy.erase_member(session, bob, ErasureReason.REQUEST, later, PARIS)  # did not come
    carol.last_seen_at = later - timedelta(days=1000)
    await session.flush()
    assert await privacy.anonymise_inactive(session, 24, later, PARIS) == 1  # not marked
    after = await lab_sessions.attendance_of(session, past.id)
    assert after == before
    # No name is left: only Dan's sign-up holds a member.
    assert list(await session.scalars(select(SignUp.member_id).where(SignUp.session_id == past.id))) == [
        dan.id
    ]
    # Alice's future seat was removed and went to Dan, who was waiting.
    (seat,) = await lab_sessions.participants(session, manager, future.id)
    assert seat.member_id == dan.id
    assert (await lab_sessions.attendance_of(session, future.id)).participants == 1
    # Erasing Dan too leaves the past session's figures whole.
    await privacy.erase_member(session, dan, ErasureReason.REQUEST, later, PARIS)
    assert await lab_sessions.attendance_of(session, past.id) == before
    assert await lab_sessions.participants(session, manager, past.id) == []


async def test_a_weekly_repeat_plans_each_week_as_its_own_session_and_lists_what_it_skips(
    session: AsyncSession,
) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    session.add(Closure(day=(START + timedelta(weeks=2)).astimezone(PARIS).date(), reason=""))
    training = await _plan(
        session, manager, kind=SessionKind.TRAINING, title="Formation laser", machine_id=laser.id, minimum=1
    )
    for bad in (0, 13):
        with pytest.raises(lab_sessions.BadRepeat):
            await lab_sessions.repeat_weekly(session, manager, training.id, bad, PARIS, NOW)
    with pytest.raises(NotAllowed):
        await lab_sessions.repeat_weekly(session, alice, training.id, 2, PARIS, NOW)
    # Planned late: the first repeat's start is already past by then (it cannot be planned).
    late = START + timedelta(weeks=1, minutes=1)
    done = await lab_sessions.repeat_weekly(session, manager, training.id, 4, PARIS, late)
    assert [s.start_at for s in done.planned] == [paris(29, 18), paris(5, 18, month=4)]
    assert [(s.day.isoformat(), s.closed) for s in done.skipped] == [
        ("2030-03-15", False),
        ("2030-03-22", True),
    ]
    for copy in done.planned:
        assert (copy.kind, copy.machine_id, copy.seats, copy.minimum, copy.repeats_id) == (
            SessionKind.TRAINING,
            laser.id,
            2,
            1,
            training.id,
        )
        assert copy.end_at - copy.start_at == END - START
    # Each is a session of its own: signing up to one takes no seat of another.
    await lab_sessions.sign_up(session, alice, done.planned[0].id, late)
    assert await lab_sessions.seats_taken(session, training.id) == 0
    with pytest.raises(lab_sessions.AlreadyRepeated):
        await lab_sessions.repeat_weekly(session, manager, training.id, 2, PARIS, late)
    with pytest.raises(lab_sessions.AlreadyRepeated):  # a repeat does not repeat in turn
        await lab_sessions.repeat_weekly(session, manager, done.planned[0].id, 2, PARIS, late)


async def test_a_weekly_repeat_keeps_the_local_time_across_the_clocks_change(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    workshop = await _plan(session, manager, start=paris(22, 18), end=paris(22, 20))  # before 31 March
    done = await lab_sessions.repeat_weekly(session, manager, workshop.id, 2, PARIS, NOW)
    assert [s.start_at.astimezone(PARIS).strftime("%d %H:%M") for s in done.planned] == [
        "29 18:00",
        "05 18:00",
    ]


def test_a_title_with_an_emoji_drawn_from_several_is_kept_and_a_hidden_joiner_refused() -> None:
    # 🏳️‍🌈 and ❤️‍🔥: the symbol's emoji selector (U+FE0F) comes before the joiner; one picture.
    for title in ("🏳️\u200d🌈 Soirée des fiertés", "❤️\u200d🔥 Atelier braséro", "👩🏽\u200d🔧 Repair café"):
        assert lab_sessions.clean_title(title) == title
    for hidden in ("Laser\ufe0f\u200d101", "\ufe0f\u200d🔥 Atelier", "Laser\u200d101"):
        with pytest.raises(lab_sessions.SessionHiddenCharacters):
            lab_sessions.clean_title(hidden)
