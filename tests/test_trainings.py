"""Trainings that expire (valid N months, lapse after N months unused), the warnings before, and
withdrawing with a reason, on a real database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import authorizations, bookings, machines, privacy, trainings, waitlist
from models import sessions as lab_sessions
from models.errors import AlreadyAuthorized, TrainingLapsed, TrainingRequired
from models.machines import RENEWED, Authorization, Machine, MachineKind, add_months
from models.members import Member
from models.outbox import OutboxMessage
from models.waitlist import WaitlistBack, WaitlistFreed
from tests.factories import NOW, PARIS, RULES, fill_day, make_machine, make_member, open_every_day, paris
from tests.races import race


async def _laser(session: AsyncSession, *, valid: int | None = None, lapse: int | None = None) -> Machine:
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    laser.training_valid_months, laser.training_lapse_months = valid, lapse
    await session.flush()
    return laser


async def _trained(session: AsyncSession, laser: Machine, at: datetime = NOW) -> tuple[Member, Member]:
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    assert await machines.authorize(session, manager, bob, machine=laser, now=at)
    return manager, bob


async def _warnings(session: AsyncSession) -> list[dict[str, object]]:
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "training_lapsing").order_by(OutboxMessage.id)
    )
    return [row.payload for row in rows]


def test_months_are_added_on_the_calendar() -> None:
    assert add_months(datetime(2030, 1, 31, 9), 1) == datetime(2030, 2, 28, 9)
    assert add_months(datetime(2030, 11, 15), 3) == datetime(2031, 2, 15)
    assert add_months(datetime(2030, 3, 4), 12) == datetime(2031, 3, 4)


async def test_a_training_valid_12_months_stops_letting_its_member_book_after(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    laser = await _laser(session, valid=12)
    manager, bob = await _trained(session, laser)
    expiry = add_months(NOW, 12)
    assert await machines.is_authorized(session, bob, laser, now=expiry - timedelta(minutes=1))
    assert not await machines.is_authorized(session, bob, laser, now=expiry)

    later = expiry + timedelta(days=1)
    start = datetime(2031, 3, 10, 9, tzinfo=RULES.tz)
    with pytest.raises(TrainingLapsed) as refused:
        await bookings.book(session, bob, laser.id, start, 60, RULES, later)
    assert refused.value.on == expiry and isinstance(refused.value, TrainingRequired)
    seen = await trainings.member_trainings(session, bob, later)
    assert [(t.expires, t.lapsed) for t in seen] == [(expiry, True)]

    # A refresher: the lapsed authorization ends (kept as the record) and a new one lets Bob book.
    assert await machines.authorize(session, manager, bob, machine=laser, now=later)
    rows = list(await session.scalars(select(Authorization).order_by(Authorization.id)))
    assert [(r.revoked_at, r.revoke_reason) for r in rows] == [(later, RENEWED), (None, None)]
    await bookings.book(session, bob, laser.id, start, 60, RULES, later)
    # Another refresher press while the new one is valid: nothing new.
    assert not await machines.authorize(session, manager, bob, machine=laser, now=later)


async def test_a_training_lapses_after_months_without_a_booking_and_a_booking_renews_it(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    laser = await _laser(session, lapse=6)
    _manager, bob = await _trained(session, laser)
    used = await bookings.book(session, bob, laser.id, paris(5, 9), 60, RULES, NOW)
    cancelled = await bookings.book(session, bob, laser.id, paris(6, 9), 60, RULES, NOW)
    await bookings.cancel(session, bob, cancelled.id, NOW)
    # Six months after the grant, the booking that took place (not the cancelled one) renewed it.
    after_six = add_months(NOW, 6) + timedelta(hours=1)
    assert await trainings.record_uses(session, after_six) == 1
    assert await trainings.record_uses(session, after_six) == 0
    grant = await session.scalar(select(Authorization))
    assert grant is not None and grant.last_used_at == used.start_at
    assert await machines.is_authorized(session, bob, laser, now=after_six)
    lapse = add_months(used.start_at, 6)
    assert not await machines.is_authorized(session, bob, laser, now=lapse)
    with pytest.raises(TrainingLapsed) as refused:
        await machines.check_bookable(session, bob, laser, now=lapse)
    assert refused.value.on == lapse


async def test_a_kind_authorization_lapses_with_the_strictest_of_its_machines(session: AsyncSession) -> None:
    laser = await _laser(session, valid=24)
    other = await make_machine(session, "Epilog", kind=MachineKind.LASER_CUTTER, requires_training=True)
    other.training_valid_months = 12
    printer = await make_machine(session, "Prusa")
    printer.training_valid_months = 1  # needs no training: its months do not count
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    await machines.authorize(session, manager, bob, kind=MachineKind.LASER_CUTTER, now=NOW)
    assert await machines.authorized_machines(
        session, bob, [laser, other], now=add_months(NOW, 12) - timedelta(seconds=1)
    ) == {laser.id, other.id}
    assert await machines.authorized_machines(session, bob, [laser, other], now=add_months(NOW, 12)) == set()


async def test_warnings_go_30_and_7_days_before_each_once_and_never_for_a_lapsed_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await open_every_day(session)
        laser = await _laser(session, valid=12)
        _manager, bob = await _trained(session, laser)
        booked = await bookings.book(session, bob, laser.id, paris(10, 9), 60, RULES, NOW)
    expiry = add_months(NOW, 12)
    # Pretend Bob's booking lies after the expiry: kept, and the warnings name it.
    async with sessions.begin() as session:
        row = await session.get(bookings.Booking, booked.id)
        assert row is not None
        row.start_at, row.end_at = expiry + timedelta(days=2), expiry + timedelta(days=2, hours=1)

    async def warn(at: datetime) -> int:
        async with sessions.begin() as session:  # one transaction a run: as after a restart
            return await trainings.warn_lapsing(session, at)

    assert await warn(expiry - timedelta(days=31)) == 0
    assert await warn(expiry - timedelta(days=30)) == 1
    assert await warn(expiry - timedelta(days=30)) == 0
    assert await warn(expiry - timedelta(days=8)) == 0
    assert await warn(expiry - timedelta(days=7)) == 1
    assert await warn(expiry - timedelta(days=3)) == 0
    assert await warn(expiry + timedelta(days=1)) == 0  # lapsed: no warning after the fact
    async with sessions() as session:
        sent = await _warnings(session)
    assert [(p["days"], p["machine"], p["expires"]) for p in sent] == [
        (30, "Trotec", expiry.isoformat()),
        (7, "Trotec", expiry.isoformat()),
    ]
    assert sent[0]["machine_id"] == laser.id and len(sent[0]["later"]) == 1  # type: ignore[arg-type]


async def test_a_training_first_seen_within_7_days_gets_the_7_day_warning_only_and_a_renewal_is_warned_again(
    session: AsyncSession,
) -> None:
    laser = await _laser(session)
    manager, bob = await _trained(session, laser)
    expiry = add_months(NOW, 12)
    laser.training_valid_months = 12  # set late: the 30-day lead is already past
    await session.flush()
    at = expiry - timedelta(days=5)
    # Alice's training lapsed before the months were set: never warned after the fact.
    alice = await make_member(session, "Alice")
    await machines.authorize(session, manager, alice, machine=laser, now=NOW - timedelta(days=366))
    assert await trainings.warn_lapsing(session, at) == 1
    assert await trainings.warn_lapsing(session, at + timedelta(days=1)) == 0
    assert [p["days"] for p in await _warnings(session)] == [7]
    assert {m.chat_id for m in await session.scalars(select(OutboxMessage))} >= {bob.telegram_id}
    assert alice.telegram_id not in {
        m.chat_id
        for m in await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "training_lapsing"))
    }
    # Lapsed, then refreshed: the new expiry is warned about again, in its own time.
    renewed = expiry + timedelta(days=1)
    await machines.authorize(session, manager, bob, machine=laser, now=renewed)
    assert await trainings.warn_lapsing(session, add_months(renewed, 12) - timedelta(days=30)) == 1
    assert [p["days"] for p in await _warnings(session)] == [7, 30]


async def test_two_processes_warning_at_once_send_once(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async with sessions.begin() as session:
        laser = await _laser(session, valid=12)
        await _trained(session, laser)
    at = add_months(NOW, 12) - timedelta(days=29)

    async def warn(session: AsyncSession) -> int:
        return await trainings.warn_lapsing(session, at)

    assert await race(sessions, engine, warn, warn) == 0
    async with sessions() as session:
        assert len(await _warnings(session)) == 1


async def test_withdrawing_with_a_reason_records_it_and_tells_the_member(session: AsyncSession) -> None:
    laser = await _laser(session)
    manager, _bob = await _trained(session, laser)
    grant = await session.scalar(select(Authorization))
    assert grant is not None
    for bad in ("", "   ", "x" * 201, "ok\u200b"):
        with pytest.raises(authorizations.BadReason):
            await authorizations.revoke(session, manager, grant.id, NOW, reason=bad)
    assert grant.revoked_at is None
    await authorizations.revoke(session, manager, grant.id, NOW, reason="  Left the   nozzle hot ")
    assert grant.revoke_reason == "Left the nozzle hot"
    message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "authorization_revoked"))
    assert message is not None and message.payload["reason"] == "Left the nozzle hot"


async def test_a_typed_reason_is_awaited_by_managers_only_and_forgotten_after_a_while(
    session: AsyncSession,
) -> None:
    laser = await _laser(session)
    manager, bob = await _trained(session, laser)
    grant = await session.scalar(select(Authorization))
    assert grant is not None
    await authorizations.ask_reason(session, manager, grant.id, NOW)
    asked = await authorizations.pending_reason(session, manager, NOW + timedelta(minutes=5))
    assert asked is not None and asked.authorization_id == grant.id
    assert await authorizations.pending_reason(session, manager, NOW + timedelta(hours=2)) is None
    assert await authorizations.pending_reason(session, bob, NOW) is None


async def test_a_refresher_can_be_asked_for_within_30_days_of_the_expiry_and_replaces_the_training(
    session: AsyncSession,
) -> None:
    laser = await _laser(session, valid=12)
    manager, bob = await _trained(session, laser)
    expiry = add_months(NOW, 12)
    with pytest.raises(AlreadyAuthorized):
        await machines.request_training(session, bob, laser, manager_ids=[], now=expiry - timedelta(days=31))
    soon = expiry - timedelta(days=29)
    _request, created = await machines.request_training(session, bob, laser, manager_ids=[], now=soon)
    assert created
    assert await machines.authorize(session, manager, bob, machine=laser, now=soon)
    seen = await trainings.member_trainings(session, bob, soon)
    assert [t.expires for t in seen] == [add_months(soon, 12)]


async def test_mydata_holds_each_training_with_its_expiry_and_the_reason_it_was_withdrawn(
    session: AsyncSession,
) -> None:
    laser = await _laser(session, valid=12)
    manager, bob = await _trained(session, laser)
    grant = await session.scalar(select(Authorization))
    assert grant is not None
    await authorizations.revoke(session, manager, grant.id, NOW, reason="rules")
    await machines.authorize(session, manager, bob, machine=laser, now=NOW)
    exported = (await privacy.export_member_data(session, bob))["authorizations"]
    assert [(a["expires_at"], a["revoke_reason"]) for a in exported] == [
        (add_months(NOW, 12).isoformat(), "rules"),
        (add_months(NOW, 12).isoformat(), None),
    ]


async def test_a_booking_of_any_machine_of_its_kind_renews_a_kind_authorization(
    session: AsyncSession,
) -> None:
    await open_every_day(session)
    laser = await _laser(session, lapse=6)
    other = await make_machine(session, "Epilog", kind=MachineKind.LASER_CUTTER, requires_training=True)
    printer = await make_machine(session, "Prusa")
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    await machines.authorize(session, manager, bob, kind=MachineKind.LASER_CUTTER, now=NOW)
    await bookings.book(session, bob, printer.id, paris(5, 9), 60, RULES, NOW)  # another kind: no use
    assert await trainings.record_uses(session, paris(6, 9)) == 0
    used = await bookings.book(session, bob, other.id, paris(7, 9), 60, RULES, NOW)
    assert await trainings.record_uses(session, paris(6, 9)) == 0  # not begun yet
    assert await trainings.record_uses(session, paris(8, 9)) == 1
    assert await machines.is_authorized(
        session, bob, laser, now=add_months(used.start_at, 6) - timedelta(minutes=1)
    )
    assert not await machines.is_authorized(session, bob, laser, now=add_months(used.start_at, 6))


async def test_a_member_whose_training_lapsed_is_among_those_to_authorize_again(
    session: AsyncSession,
) -> None:
    laser = await _laser(session, valid=12)
    _manager, bob = await _trained(session, laser)
    expiry = add_months(NOW, 12)
    before, _total = await machines.members_to_authorize(session, laser, now=expiry - timedelta(days=1))
    after, total = await machines.members_to_authorize(session, laser, now=expiry)
    assert bob not in before and bob in after and total == len(after)


async def test_a_freed_slot_is_offered_to_those_waiting_who_may_still_book_it(session: AsyncSession) -> None:
    """Alice's training lapsed while she waited for a day of the laser: the freed slot's offers (three)
    go to three members who can book it, and she is not told the machine is back either."""
    await open_every_day(session)
    manager = await make_member(session, "Morgane", manager=True)
    laser = await make_machine(session, "Trotec Speedy", kind=MachineKind.LASER_CUTTER)
    day = paris(5, 10).astimezone(PARIS).date()
    await fill_day(session, laser, day)
    laser.requires_training, laser.training_valid_months = True, 12
    waiting = [await make_member(session, name) for name in ("Alice", "Bob", "Carol", "Dave")]
    for member in waiting:
        await machines.authorize(session, manager, member, machine=laser, now=NOW - timedelta(days=1))
        await waitlist.join(session, member, laser.id, day, RULES, NOW)
    grant = await session.scalar(select(Authorization).where(Authorization.member_id == waiting[0].id))
    assert grant is not None
    grant.granted_at = add_months(NOW, -12) - timedelta(days=1)  # Alice's training has lapsed by now
    await session.flush()

    told = await waitlist.slot_freed(session, laser, paris(5, 10), paris(5, 11), NOW, PARIS)

    offered = select(OutboxMessage.member_id).where(OutboxMessage.kind == WaitlistFreed.kind)
    assert told == 3 and sorted(await session.scalars(offered)) == sorted(m.id for m in waiting[1:])
    assert await waitlist.machine_back(session, laser, NOW, PARIS) == 3
    back = select(OutboxMessage.member_id).where(OutboxMessage.kind == WaitlistBack.kind)
    assert waiting[0].id not in set(await session.scalars(back))


async def test_the_warning_offers_the_next_training_session_before_or_soon_after_the_lapse(
    session: AsyncSession,
) -> None:
    laser = await _laser(session, valid=12)
    other = await make_machine(session, "Epilog", kind=MachineKind.LASER_CUTTER, requires_training=True)
    manager, _bob = await _trained(session, laser)
    expiry = add_months(NOW, 12)
    at = expiry - timedelta(days=30)

    async def training(start: datetime, **on: object) -> lab_sessions.LabSession:
        target: dict[str, object] = on or {"machine_id": laser.id}
        return await lab_sessions.plan(
            session,
            manager,
            kind=lab_sessions.SessionKind.TRAINING,
            title="Formation laser",
            start=start,
            end=start + timedelta(hours=2),
            seats=4,
            now=NOW,
            **target,  # type: ignore[arg-type]
        )

    # Too late after the lapse, on another machine, or cancelled: none is offered.
    await training(expiry + trainings.SESSION_AFTER_LAPSE + timedelta(days=1))
    await training(expiry - timedelta(days=20), machine_id=other.id)
    cancelled = await training(expiry - timedelta(days=15))
    await lab_sessions.cancel_session(session, manager, cancelled.id, NOW)
    assert await trainings.warn_lapsing(session, at) == 1
    (first,) = await _warnings(session)
    assert first["session_id"] is None and first["machine_id"] == laser.id

    # The 7-day warning: the next one on its kind, ten days after the lapse, is offered.
    kind_wide = await training(expiry + timedelta(days=10), machine_kind=MachineKind.LASER_CUTTER)
    assert await trainings.warn_lapsing(session, expiry - timedelta(days=7)) == 1
    second = (await _warnings(session))[1]
    assert (second["session_id"], second["session_title"]) == (kind_wide.id, "Formation laser")
    assert second["session_start"] == kind_wide.start_at.isoformat()
