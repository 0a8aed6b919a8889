"""Training requests answered with a session or a reason, on a real database: only an upcoming
training of the request's machine or kind may be proposed, once told; a decline closes the request
(with a common reason or a typed one) and the member may ask again; an answered request takes no
other answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import machines, session_requests
from models import sessions as lab_sessions
from models.errors import NotAllowed
from models.machines import MachineKind, TrainingRequest
from models.members import Member
from models.outbox import OutboxMessage
from models.session_requests import NotATrainingOfIt, RequestAnswered
from models.sessions import LabSession, SessionKind
from tests.factories import NOW, make_machine, make_member, paris


async def _training(session: AsyncSession, manager: Member, **overrides: object) -> LabSession:
    values: dict[str, object] = {
        "kind": SessionKind.TRAINING,
        "title": "Formation laser",
        "start": paris(8, 18),
        "end": paris(8, 20),
        "seats": 4,
        "now": NOW,
        "machine_kind": MachineKind.LASER_CUTTER,
    }
    values.update(overrides)
    return await lab_sessions.plan(session, manager, **values)  # type: ignore[arg-type]


async def _told(session: AsyncSession, kind: str) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


async def test_only_an_upcoming_training_of_the_machine_or_its_kind_is_offered_and_proposed(
    session: AsyncSession,
) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    cnc = await make_machine(session, "Shapeoko", kind=MachineKind.CNC, requires_training=True)
    by_kind = await _training(session, manager)
    by_machine = await _training(
        session,
        manager,
        title="Trotec seule",
        machine_kind=None,
        machine_id=laser.id,
        start=paris(9, 10),
        end=paris(9, 12),
    )
    other = await _training(session, manager, title="CNC", machine_kind=MachineKind.CNC)
    workshop = await _training(
        session, manager, kind=SessionKind.WORKSHOP, title="Atelier", machine_kind=None
    )
    cancelled = await _training(session, manager, title="Annulée")
    await lab_sessions.cancel_session(session, manager, cancelled.id, NOW)

    offered = await lab_sessions.upcoming_trainings(session, bob, laser, NOW)
    assert [u.session.id for u in offered] == [by_kind.id, by_machine.id]
    assert [u.session.id for u in await lab_sessions.upcoming_trainings(session, bob, cnc, NOW)] == [other.id]
    # Once started, a session is no longer offered.
    assert await lab_sessions.upcoming_trainings(session, bob, laser, paris(9, 11)) == []

    request, _created = await machines.request_training(session, bob, laser, manager_ids=[], now=NOW)
    for wrong in (other, workshop, cancelled):
        with pytest.raises(NotATrainingOfIt):
            await session_requests.propose(session, manager, request.id, wrong.id, NOW)
    with pytest.raises(NotATrainingOfIt):  # started
        await session_requests.propose(session, manager, request.id, by_kind.id, paris(8, 18, 30))
    with pytest.raises(NotAllowed):
        await session_requests.propose(session, bob, request.id, by_kind.id, NOW)
    assert await _told(session, "training_session_proposed") == []

    seen, _s = await session_requests.propose(session, manager, request.id, by_kind.id, NOW)
    assert seen.newly
    again, _s = await session_requests.propose(session, manager, request.id, by_kind.id, NOW)
    assert not again.newly
    told = await _told(session, "training_session_proposed")
    assert [(m.chat_id, m.payload["session_id"]) for m in told] == [(bob.telegram_id, by_kind.id)]
    assert told[0].expires_at == by_kind.start_at
    # Another session may still be proposed: the request stays open until the member is authorized.
    await session_requests.propose(session, manager, request.id, by_machine.id, NOW)
    assert len(await _told(session, "training_session_proposed")) == 2
    await machines.authorize(session, manager, bob, machine=laser, now=NOW)
    with pytest.raises(RequestAnswered):
        await session_requests.propose(session, manager, request.id, by_kind.id, NOW)
    with pytest.raises(RequestAnswered):
        await session_requests.decline(session, manager, request.id, NOW, code=session_requests.STAFF_ONLY)


async def test_a_decline_tells_the_reason_once_and_the_member_may_ask_again(session: AsyncSession) -> None:
    manager = await make_member(session, "Morgane", manager=True)
    bob = await make_member(session, "Bob")
    laser = await make_machine(session, "Trotec", kind=MachineKind.LASER_CUTTER, requires_training=True)
    request, _created = await machines.request_training(session, bob, laser, manager_ids=[], now=NOW)

    for bad in ("", "   ", "x" * 201):
        with pytest.raises(session_requests.BadDeclineReason):
            await session_requests.decline(session, manager, request.id, NOW, reason=bad)
    await session_requests.ask_reason(session, manager, request.id, NOW)
    assert await session_requests.pending_reason(session, manager, NOW) is not None
    assert await session_requests.pending_reason(session, manager, NOW + timedelta(hours=3)) is None
    await session_requests.ask_reason(session, manager, request.id, NOW)

    await session_requests.decline(session, manager, request.id, NOW, code=session_requests.NO_SESSION_SOON)
    assert await session_requests.pending_reason(session, manager, NOW) is None  # the question is gone
    with pytest.raises(RequestAnswered):
        await session_requests.decline(session, manager, request.id, NOW, reason="Encore")
    told = await _told(session, "training_declined")
    assert [m.payload for m in told] == [{"machine": "Trotec", "reason": "", "code": 0}]
    row = await session.get(TrainingRequest, request.id)
    assert row is not None and row.declined_at == NOW and row.answered_by_id == manager.id

    # A declined request is closed: asking again makes a new one, told to the managers.
    second, created = await machines.request_training(session, bob, laser, manager_ids=[], now=NOW)
    assert created and second.id != request.id
    await session_requests.decline(session, manager, second.id, NOW, reason="  Le laser   est en panne. ")
    told = await _told(session, "training_declined")
    assert told[-1].payload["reason"] == "Le laser est en panne."
