"""Guests of public sessions on a real database: seats shared with members, refusals that write
nothing, walk-ins at attendance, the optional profile, and retention erasing names but not counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import session_guests
from models import sessions as lab_sessions
from models.errors import NotAllowed
from models.members import Member
from models.outbox import OutboxMessage
from models.session_guests import AgeBracket, GuestInput, Situation
from models.sessions import LabSession, SessionGuest, SessionKind, SignUpStatus
from tests.factories import NOW, make_member, paris

START, END = paris(8, 18), paris(8, 20)


async def _plan(session: AsyncSession, manager: Member, *, public: bool = True, seats: int = 2) -> LabSession:
    return await lab_sessions.plan(
        session,
        manager,
        kind=SessionKind.WORKSHOP,
        title="Atelier numérique",
        start=START,
        end=END,
        seats=seats,
        now=NOW,
        public=public,
    )


async def _guests(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(SessionGuest)) or 0


async def test_a_guest_takes_a_seat_like_a_member_and_the_next_member_waits(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice, bob = await make_member(session, "Alice"), await make_member(session, "Bob")
    workshop = await _plan(session, manager)
    await lab_sessions.sign_up(session, alice, workshop.id, NOW)
    guest = await session_guests.add_guest(
        session, manager, workshop.id, "  Jeanne   Martin ", "06 12 34 56 78", NOW
    )
    assert (guest.name, guest.contact, guest.walk_in) == ("Jeanne Martin", "06 12 34 56 78", False)
    assert await lab_sessions.seats_taken(session, workshop.id) == 2
    (seen,) = await lab_sessions.upcoming(session, bob, NOW)
    assert seen.seats_left == 0
    waiting = await lab_sessions.sign_up(session, bob, workshop.id, NOW)
    assert waiting.signup.status is SignUpStatus.WAITLISTED
    with pytest.raises(session_guests.SessionFull):
        await session_guests.add_guest(session, manager, workshop.id, "Paul", "paul@example.org", NOW)
    assert await _guests(session) == 1
    # The guest cancels: her seat goes to Bob, first on the waitlist, who is told.
    await session_guests.remove_guest(session, manager, guest.id, NOW)
    assert await _guests(session) == 0
    await session.refresh(waiting.signup)
    assert waiting.signup.status is SignUpStatus.SIGNED_UP and waiting.signup.promoted_at == NOW
    told = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "session_seat_given"))
    assert [m.chat_id for m in told] == [bob.telegram_id]
    with pytest.raises(lab_sessions.SessionStarted):
        await session_guests.remove_guest(
            session,
            manager,
            (await session_guests.add_walk_in(session, manager, workshop.id, START)).id,
            START,
        )


async def test_guests_are_refused_with_a_reason_and_nothing_written(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    alice = await make_member(session, "Alice")
    public = await _plan(session, manager)
    members_only = await _plan(session, manager, public=False)
    refusals: list[tuple[type[Exception], int, str, str]] = [
        (session_guests.NotPublic, members_only.id, "Jeanne", "0612345678"),
        (session_guests.BadGuestName, public.id, "   ", "0612345678"),
        (session_guests.BadGuestName, public.id, "J" * 81, "0612345678"),
        (session_guests.BadGuestName, public.id, "1234", "0612345678"),
        (session_guests.BadGuestName, public.id, "Jea\u200bnne", "0612345678"),
        (session_guests.BadGuestContact, public.id, "Jeanne", ""),
        (session_guests.BadGuestContact, public.id, "Jeanne", "demain"),
        (session_guests.BadGuestContact, public.id, "Jeanne", "12 34"),
        (session_guests.BadGuestContact, public.id, "Jeanne", "x@y"),
        (session_guests.BadGuestContact, public.id, "Jeanne", "a" * 110 + "@example.org"),
    ]
    for refusal, session_id, name, contact in refusals:
        with pytest.raises(refusal):
            await session_guests.add_guest(session, manager, session_id, name, contact, NOW)
    with pytest.raises(NotAllowed):
        await session_guests.add_guest(session, alice, public.id, "Jeanne", "0612345678", NOW)
    with pytest.raises(lab_sessions.SessionStarted):
        await session_guests.add_guest(session, manager, public.id, "Jeanne", "0612345678", START)
    assert await _guests(session) == 0
    ok = await session_guests.add_guest(session, manager, public.id, "Jeanne", "+33 6 12 34 56 78", NOW)
    assert ok.contact == "+33 6 12 34 56 78"


async def test_a_guest_typed_in_two_messages_and_the_optional_profile(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    workshop = await _plan(session, manager)
    await session_guests.ask_guest(session, manager, workshop.id, NOW)
    with pytest.raises(session_guests.BadGuestName):
        await session_guests.took_guest_text(session, manager, "\x07", NOW)
    assert await session_guests.took_guest_text(session, manager, "Jeanne Martin", NOW) is None
    with pytest.raises(session_guests.BadGuestContact):
        await session_guests.took_guest_text(session, manager, "pas de téléphone", NOW)
    guest = await session_guests.took_guest_text(session, manager, "jeanne@example.org", NOW)
    assert guest is not None and guest.name == "Jeanne Martin"
    assert await session.get(GuestInput, manager.id) is None
    await session_guests.set_profile(session, manager, guest.id, age_bracket=AgeBracket.OVER_65)
    await session_guests.set_profile(session, manager, guest.id)  # skipped: nothing changes
    assert (guest.age_bracket, guest.situation) == ("65plus", None)
    await session_guests.set_profile(session, manager, guest.id, situation=Situation.RETIRED)
    assert guest.situation == "retired"
    # A question left too long is dropped.
    await session_guests.ask_guest(session, manager, workshop.id, NOW)
    assert await session_guests.pending_guest(session, manager, NOW + timedelta(hours=2)) is None


async def test_walk_ins_are_counted_once_the_session_started_and_guests_marked(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    workshop = await _plan(session, manager, public=False, seats=1)
    with pytest.raises(lab_sessions.SessionNotStarted):
        await session_guests.add_walk_in(session, manager, workshop.id, NOW)
    later = START + timedelta(minutes=10)
    first = await session_guests.add_walk_in(session, manager, workshop.id, later)
    second = await session_guests.add_walk_in(session, manager, workshop.id, later, name="Léa")
    assert (first.name, first.attended, second.name) == (None, True, "Léa")
    await session_guests.mark_guest(session, manager, first.id, False, later)
    figures = await session_guests.guest_figures(session, workshop.id)
    assert (figures.seated, figures.walk_ins, figures.attended) == (0, 2, 1)


async def test_retention_erases_guests_names_after_the_session_and_keeps_the_counts(
    session: AsyncSession,
) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    workshop = await _plan(session, manager)
    guest = await session_guests.add_guest(session, manager, workshop.id, "Jeanne", "0612345678", NOW)
    await session_guests.set_profile(session, manager, guest.id, age_bracket=AgeBracket.UNDER_18)
    assert await session_guests.erase_past_guests(session, 24, END + timedelta(days=700)) == 0
    assert await session_guests.erase_past_guests(session, 0, END + timedelta(days=9000)) == 0  # off
    erased_at = END + timedelta(days=740)
    assert await session_guests.erase_past_guests(session, 24, erased_at) == 1
    assert await session_guests.erase_past_guests(session, 24, erased_at) == 0  # once
    row = (
        await session.execute(select(SessionGuest.name, SessionGuest.contact, SessionGuest.age_bracket))
    ).one()
    assert tuple(row) == (None, None, "under18")
    assert await lab_sessions.seats_taken(session, workshop.id) == 1


async def test_a_guest_taking_the_last_seat_marks_the_announcement_full(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    workshop = await _plan(session, manager, seats=1)
    assert await lab_sessions.announce(session, workshop, "-1001234567890", NOW)
    await session_guests.add_guest(session, manager, workshop.id, "Jeanne", "0612345678", NOW)
    (post,) = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "session_announced"))
    assert post.payload["seats_left"] == 0
