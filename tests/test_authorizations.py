"""Finding members and withdrawing authorizations, on a real database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import authorizations, bookings, machines, members, privacy
from models.authorizations import AlreadyRevoked
from models.bookings import BookingStatus
from models.errors import NotAllowed, TrainingRequired
from models.machines import Authorization, MachineKind
from models.members import Member
from models.outbox import OutboxMessage
from tests.factories import NOW, RULES, make_machine, make_member, open_every_day, paris
from tests.races import race


async def test_search_ignores_case_and_accents_and_wants_every_word(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    elodie = await make_member(session, "Élodie")
    elodie.last_name, elodie.username = "Lefèvre", "elo_77"
    bob = await make_member(session, "Bob")
    bob.last_name = "Lefebvre"
    gone = await make_member(session, "Eloise")
    await privacy.erase_member(session, gone, privacy.ErasureReason.REQUEST, NOW)

    async def names(words: str) -> list[str]:
        found, total = await authorizations.search(session, manager, words)
        assert total == len(found)
        return [m.first_name for m in found]

    assert await names("ELODIE") == ["Élodie"]
    assert await names("lefevre") == ["Élodie"]
    assert await names("@ELO_7") == ["Élodie"]
    assert await names("lefe") == ["Bob", "Élodie"]
    assert await names("bob lefebvre") == ["Bob"]
    assert await names("bob lefèvre") == []
    assert await names("eloi") == []  # erased members are nobody any more
    with pytest.raises(NotAllowed):
        await authorizations.search(session, bob, "elodie")


async def test_search_counts_every_match_and_shows_a_page(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    for number in range(12):
        await make_member(session, f"Dupont {number:02d}")
    found, total = await authorizations.search(session, manager, "dupont", limit=8)
    assert total == 12 and len(found) == 8


async def test_withdrawing_cancels_only_the_upcoming_bookings_that_need_it_and_tells_the_member(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    cnc = await make_machine(session, "Shaper", kind=MachineKind.CNC, requires_training=True)
    printer = await make_machine(session, "Prusa")
    await machines.authorize(session, manager, bob, machine=laser, now=NOW)
    await machines.authorize(session, manager, bob, machine=cnc, now=NOW)
    started = await bookings.book(session, bob, laser.id, paris(4, 9), 60, RULES, NOW)
    ahead = await bookings.book(session, bob, laser.id, paris(5, 9), 60, RULES, NOW)
    other = await bookings.book(session, bob, cnc.id, paris(5, 11), 60, RULES, NOW)
    free = await bookings.book(session, bob, printer.id, paris(5, 14), 60, RULES, NOW)
    later = paris(4, 9, 30)
    grant = await session.scalar(select(Authorization).where(Authorization.machine_id == laser.id))
    assert grant is not None

    with pytest.raises(NotAllowed):
        await authorizations.revoke(session, bob, grant.id, later)
    done = await authorizations.revoke(session, manager, grant.id, later, RULES.tz)

    assert [b.id for b in done.cancelled] == [ahead.id]
    for booking, status in [
        (started, BookingStatus.CONFIRMED),  # under way: left alone
        (ahead, BookingStatus.CANCELLED),
        (other, BookingStatus.CONFIRMED),  # another machine
        (free, BookingStatus.CONFIRMED),  # needs no training
    ]:
        await session.refresh(booking)
        assert booking.status is status
    assert grant.revoked_at == later and grant.revoked_by_id == manager.id
    assert not await machines.is_authorized(session, bob, laser)
    assert await machines.is_authorized(session, bob, cnc)
    message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "authorization_revoked"))
    assert message is not None and message.chat_id == bob.telegram_id
    assert [b["start"] for b in message.payload["cancelled"]] == [ahead.start_at.isoformat()]
    with pytest.raises(TrainingRequired):
        await bookings.book(session, bob, laser.id, paris(6, 9), 60, RULES, later)

    # Pressed again: refused. Authorized again: a new row, and Bob books again.
    with pytest.raises(AlreadyRevoked):
        await authorizations.revoke(session, manager, grant.id, later)
    assert await machines.authorize(session, manager, bob, machine=laser, now=later + timedelta(minutes=1))
    assert await machines.is_authorized(session, bob, laser)
    await bookings.book(session, bob, laser.id, paris(6, 9), 60, RULES, later)
    rows = list(await session.scalars(select(Authorization).where(Authorization.machine_id == laser.id)))
    assert len(rows) == 2


async def test_withdrawing_a_machine_still_covered_by_its_kind_cancels_nothing(session: AsyncSession) -> None:
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    await machines.authorize(session, manager, bob, machine=laser, now=NOW)
    await machines.authorize(session, manager, bob, kind=MachineKind.LASER_CUTTER, now=NOW)
    booking = await bookings.book(session, bob, laser.id, paris(5, 9), 60, RULES, NOW)
    seen = await authorizations.member_trainings(session, manager, bob.id)
    assert len(seen.authorizations) == 2 and seen.to_authorize == []
    one = next(a for a in seen.authorizations if a.machine_id == laser.id)
    done = await authorizations.revoke(session, manager, one.id, NOW)
    assert done.cancelled == []
    await session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED
    # The kind's authorization withdrawn too: now the booking goes.
    kind = next(a for a in seen.authorizations if a.machine_kind is MachineKind.LASER_CUTTER)
    done = await authorizations.revoke(session, manager, kind.id, NOW)
    assert [b.id for b in done.cancelled] == [booking.id]
    seen = await authorizations.member_trainings(session, manager, bob.id)
    assert seen.authorizations == [] and [m.id for m in seen.to_authorize] == [laser.id]


async def test_a_search_is_forgotten_after_a_while_and_never_kept_for_members(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    await authorizations.ask_search(session, manager, NOW)
    assert await authorizations.pending_search(session, manager, NOW + timedelta(minutes=5)) is not None
    assert await authorizations.pending_search(session, manager, NOW + timedelta(hours=2)) is None
    assert await authorizations.pending_search(session, manager, NOW) is None  # it was dropped
    member = await make_member(session, "Bob")
    with pytest.raises(NotAllowed):
        await authorizations.ask_search(session, member, NOW)
    assert members.folded("Élodie LEFÈVRE") == "elodie lefevre"


async def test_two_managers_withdrawing_at_once_withdraw_once_and_tell_the_member_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        morgane = await make_member(session, "Morgane", manager=True)
        yann = await make_member(session, "Yann", manager=True)
        bob = await make_member(session, "Bob")
        laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
        await machines.authorize(session, morgane, bob, machine=laser, now=NOW)
        await bookings.book(session, bob, laser.id, paris(5, 9), 60, RULES, NOW)
        grant = await session.scalar(select(Authorization))
        assert grant is not None

    def withdraw(manager_id: int) -> Callable[[AsyncSession], Awaitable[authorizations.Revoked]]:
        async def run(session: AsyncSession) -> authorizations.Revoked:
            manager = await session.get(Member, manager_id)
            assert manager is not None
            return await authorizations.revoke(session, manager, grant.id, NOW, RULES.tz)

        return run

    second = await race(sessions, engine, withdraw(morgane.id), withdraw(yann.id))
    assert isinstance(second, AlreadyRevoked)
    async with sessions() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
        row = await session.get(Authorization, grant.id)
    assert kinds == ["authorized", "authorization_revoked"]
    assert row is not None and row.revoked_by_id == morgane.id
