"""Instructors' rules on a real database: who gives the roles, who plans what, who runs which
session (participants, attendance, cancelling), who is recorded as granting the training, the
export and the erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import instructors, privacy
from models import sessions as lab_sessions
from models.errors import NotAllowed
from models.instructors import InstructorRole, NotAnInstructor, NotYourMachine, NotYourSession
from models.machines import Authorization, Machine, MachineKind
from models.members import Member
from models.outbox import OutboxMessage
from models.privacy import ErasureReason
from models.sessions import LabSession, SessionKind, SignUp
from tests.factories import NOW, PARIS, make_machine, make_member, paris

START, END = paris(8, 18), paris(8, 20)  # Friday 8 March 2030, 18:00–20:00


async def _lab(session: AsyncSession) -> tuple[Member, Member, Machine, Machine, Machine]:
    """Morgane the manager, Lucas promoted on the laser, the laser, another laser, the CNC."""
    manager = await make_member(session, "Morgane", manager=True)
    lucas = await make_member(session, "Lucas")
    laser = await make_machine(
        session, "Trotec Speedy 100", kind=MachineKind.LASER_CUTTER, requires_training=True
    )
    other_laser = await make_machine(
        session, "Epilog Zing", kind=MachineKind.LASER_CUTTER, requires_training=True
    )
    cnc = await make_machine(session, "Shapeoko", kind=MachineKind.CNC, requires_training=True)
    assert await instructors.toggle_role(session, manager, lucas.id, machine_id=laser.id, now=NOW)
    return manager, lucas, laser, other_laser, cnc


async def _training(session: AsyncSession, who: Member, **target: object) -> LabSession:
    return await lab_sessions.plan(
        session,
        who,
        kind=SessionKind.TRAINING,
        title="Formation laser",
        start=START,
        end=END,
        seats=4,
        now=NOW,
        **target,  # type: ignore[arg-type]
    )


async def _count(session: AsyncSession, model: type[object]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


async def test_only_managers_give_and_withdraw_roles_and_a_toggle_takes_one_back(
    session: AsyncSession,
) -> None:
    manager, lucas, laser, _other, _cnc = await _lab(session)
    alice = await make_member(session, "Alice")
    with pytest.raises(NotAllowed):
        await instructors.toggle_role(session, lucas, alice.id, machine_id=laser.id, now=NOW)
    with pytest.raises(NotAllowed):
        await instructors.withdraw(session, lucas, lucas.id, NOW)
    assert await _count(session, InstructorRole) == 1
    assert await instructors.toggle_role(session, manager, lucas.id, kind=MachineKind.CNC, now=NOW)
    roles = await instructors.roles_of(session, lucas.id)
    assert [(r.machine_id, r.machine_kind, r.granted_by_id) for r in roles] == [
        (None, MachineKind.CNC, manager.id),
        (laser.id, None, manager.id),
    ]
    assert not await instructors.toggle_role(session, manager, lucas.id, kind=MachineKind.CNC, now=NOW)
    assert [r.machine_id for r in await instructors.roles_of(session, lucas.id)] == [laser.id]
    assert await instructors.is_instructor(session, lucas)
    assert await instructors.withdraw(session, manager, lucas.id, NOW) == 1
    assert not await instructors.is_instructor(session, lucas)
    assert await instructors.withdraw(session, manager, lucas.id, NOW) == 0  # nothing left: nobody told
    told = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "instructor_role").order_by(OutboxMessage.id)
    )
    assert [(m.chat_id, m.payload) for m in told] == [
        (lucas.telegram_id, {"given": True, "machine": "Trotec Speedy 100", "kind": None}),
        (lucas.telegram_id, {"given": True, "machine": None, "kind": "cnc"}),
        (lucas.telegram_id, {"given": False, "machine": None, "kind": "cnc"}),
        (lucas.telegram_id, {"given": False, "machine": None, "kind": None}),
    ]


async def test_a_role_on_a_kind_covers_its_machines_and_one_on_a_machine_only_that_one(
    session: AsyncSession,
) -> None:
    manager, lucas, laser, other_laser, cnc = await _lab(session)
    assert await instructors.instructs(session, lucas, machine_id=laser.id, machine_kind=None)
    assert not await instructors.instructs(session, lucas, machine_id=other_laser.id, machine_kind=None)
    assert not await instructors.instructs(
        session, lucas, machine_id=None, machine_kind=MachineKind.LASER_CUTTER
    )
    await instructors.toggle_role(session, manager, lucas.id, kind=MachineKind.LASER_CUTTER, now=NOW)
    assert await instructors.instructs(session, lucas, machine_id=other_laser.id, machine_kind=None)
    assert await instructors.instructs(session, lucas, machine_id=None, machine_kind=MachineKind.LASER_CUTTER)
    assert not await instructors.instructs(session, lucas, machine_id=cnc.id, machine_kind=None)


async def test_an_instructor_plans_only_trainings_on_their_machines(session: AsyncSession) -> None:
    _manager, lucas, laser, other_laser, cnc = await _lab(session)
    alice = await make_member(session, "Alice")
    with pytest.raises(NotAllowed):  # not an instructor: no session at all
        await _training(session, alice, machine_id=laser.id)
    for target in (
        {"machine_id": other_laser.id},
        {"machine_id": cnc.id},
        {"machine_kind": MachineKind.LASER_CUTTER},
    ):
        with pytest.raises(NotYourMachine):
            await _training(session, lucas, **target)
    with pytest.raises(NotYourMachine):
        await lab_sessions.plan(
            session, lucas, kind=SessionKind.WORKSHOP, title="Atelier", start=START, end=END, seats=4, now=NOW
        )
    with pytest.raises(NotYourMachine):
        await lab_sessions.start_draft(session, lucas, SessionKind.WORKSHOP, NOW)
    assert await _count(session, LabSession) == 0
    planned = await _training(session, lucas, machine_id=laser.id)
    assert (planned.created_by_id, planned.instructor_id) == (lucas.id, lucas.id)
    # Planning in the chat: a draft on another machine is refused at the choice, not at the end.
    await lab_sessions.start_draft(session, lucas, SessionKind.TRAINING, NOW)
    with pytest.raises(NotYourMachine):
        await lab_sessions.set_draft(session, lucas, NOW, machine_id=cnc.id, machine_kind=None)
    draft = await lab_sessions.set_draft(session, lucas, NOW, machine_id=laser.id, machine_kind=None)
    assert draft.machine_id == laser.id


async def test_an_instructor_runs_only_the_sessions_they_instruct(session: AsyncSession) -> None:
    manager, lucas, laser, _other, _cnc = await _lab(session)
    alice = await make_member(session, "Alice")
    theirs = await _training(session, lucas, machine_id=laser.id)
    managers = await _training(session, manager, machine_id=laser.id)
    for lab_session in (theirs, managers):
        await lab_sessions.sign_up(session, alice, lab_session.id, NOW)
    assert [s.member_id for s in await lab_sessions.participants(session, lucas, theirs.id)] == [alice.id]
    assert await lab_sessions.may_run(session, lucas, theirs)
    assert not await lab_sessions.may_run(session, lucas, managers)
    with pytest.raises(NotYourSession):
        await lab_sessions.participants(session, lucas, managers.id)
    with pytest.raises(NotYourSession):
        await lab_sessions.cancel_session(session, lucas, managers.id, NOW)
    with pytest.raises(NotYourSession):
        await lab_sessions.repeat_weekly(session, lucas, managers.id, 2, PARIS, NOW)
    seat = await session.scalar(select(SignUp).where(SignUp.session_id == managers.id))
    assert seat is not None
    with pytest.raises(NotYourSession):
        await lab_sessions.mark_attendance(session, lucas, seat.id, True, START)
    with pytest.raises(NotYourSession):  # a member who is no instructor learns nothing from the id
        await lab_sessions.mark_attendance(session, alice, seat.id, True, START)
    with pytest.raises(NotYourSession):  # not even whether such a sign-up exists
        await lab_sessions.mark_attendance(session, alice, seat.id + 1000, True, START)
    await session.refresh(seat)
    assert seat.attended is None
    assert await _count(session, Authorization) == 0
    assert managers.cancelled_at is None
    # A manager assigns Lucas to their session: he runs it from then on.
    await lab_sessions.assign_instructor(session, manager, managers.id, lucas.id)
    assert await lab_sessions.may_run(session, lucas, managers)
    assert await lab_sessions.cancel_session(session, lucas, theirs.id, NOW) == 1
    # His role withdrawn, he runs none of them any more.
    await instructors.withdraw(session, manager, lucas.id, NOW)
    assert not await lab_sessions.may_run(session, lucas, managers)


async def test_only_a_manager_assigns_and_only_an_instructor_of_its_machine(session: AsyncSession) -> None:
    manager, lucas, laser, other_laser, _cnc = await _lab(session)
    alice = await make_member(session, "Alice")
    training = await _training(session, manager, machine_id=other_laser.id)
    workshop = await lab_sessions.plan(
        session, manager, kind=SessionKind.WORKSHOP, title="Atelier", start=START, end=END, seats=4, now=NOW
    )
    with pytest.raises(NotAllowed):
        await lab_sessions.assign_instructor(session, lucas, training.id, lucas.id)
    for lab_session, who in ((training, lucas), (training, alice), (workshop, lucas)):
        with pytest.raises(NotAnInstructor):
            await lab_sessions.assign_instructor(session, manager, lab_session.id, who.id)
    assert (training.instructor_id, workshop.instructor_id) == (manager.id, manager.id)
    other_manager = await make_member(session, "Karim", manager=True)
    await lab_sessions.assign_instructor(session, manager, workshop.id, other_manager.id)
    assert workshop.instructor_id == other_manager.id
    assert [
        p.id for p in await instructors.instructors_for(session, machine_id=laser.id, machine_kind=None)
    ] == [lucas.id]


async def test_attendance_at_their_training_grants_it_recorded_as_given_by_the_instructor(
    session: AsyncSession,
) -> None:
    manager, lucas, laser, _other, _cnc = await _lab(session)
    alice = await make_member(session, "Alice")
    bob = await make_member(session, "Bob")
    training = await _training(session, lucas, machine_id=laser.id)
    alice_seat = (await lab_sessions.sign_up(session, alice, training.id, NOW)).signup
    bob_seat = (await lab_sessions.sign_up(session, bob, training.id, NOW)).signup
    with pytest.raises(lab_sessions.SessionNotStarted):
        await lab_sessions.mark_attendance(session, lucas, alice_seat.id, True, NOW)
    marked = await lab_sessions.mark_attendance(session, lucas, alice_seat.id, True, START)
    assert (marked.attended, marked.attendance_marked_by_id) == (True, lucas.id)
    granted = await session.scalar(select(Authorization).where(Authorization.member_id == alice.id))
    assert granted is not None
    assert (granted.machine_id, granted.granted_by_id, granted.granted_at) == (laser.id, lucas.id, START)
    # A manager marking it for him: the training is still recorded as Lucas's.
    await lab_sessions.mark_attendance(session, manager, bob_seat.id, True, START + timedelta(minutes=5))
    bobs = await session.scalar(select(Authorization).where(Authorization.member_id == bob.id))
    assert bobs is not None and bobs.granted_by_id == lucas.id


async def test_the_export_lists_the_roles_and_erasure_removes_them(session: AsyncSession) -> None:
    manager, lucas, _laser, _other, _cnc = await _lab(session)
    await instructors.toggle_role(session, manager, lucas.id, kind=MachineKind.CNC, now=NOW)
    data = await privacy.export_member_data(session, lucas)
    assert data["instructor_roles"] == [
        {"machine": None, "machine_kind": "cnc", "since": NOW.isoformat()},
        {"machine": "Trotec Speedy 100", "machine_kind": None, "since": NOW.isoformat()},
    ]
    given = (await privacy.export_member_data(session, manager))["instructor_roles_you_gave"]
    assert [g["machine_kind"] for g in given] == [None, "cnc"]
    await privacy.erase_member(session, lucas, ErasureReason.REQUEST, NOW)
    assert await _count(session, InstructorRole) == 0
    assert not await instructors.is_instructor(session, lucas)


async def test_an_instructor_reserves_only_the_machines_they_instruct(session: AsyncSession) -> None:
    _manager, lucas, laser, other_laser, cnc = await _lab(session)
    for machine in (other_laser, cnc):  # the rest of the lab is the managers' to block (a downtime)
        with pytest.raises(NotYourMachine):
            await _training(session, lucas, machine_id=laser.id, reserve=[laser.id, machine.id])
    assert await _count(session, LabSession) == 0
    await lab_sessions.start_draft(session, lucas, SessionKind.TRAINING, NOW)
    await lab_sessions.set_draft(session, lucas, NOW, machine_id=laser.id, machine_kind=None)
    with pytest.raises(NotYourMachine):  # a forged toggle in the chat: refused at once
        await lab_sessions.set_draft(session, lucas, NOW, reserved=f"{laser.id},{cnc.id}")
    planned = await _training(session, lucas, machine_id=laser.id, reserve=[laser.id])
    assert [m.id for m in await lab_sessions.reserved_machines(session, planned.id)] == [laser.id]


async def test_the_instructor_repeats_a_session_a_manager_planned_with_its_reserves(
    session: AsyncSession,
) -> None:
    manager, lucas, laser, _other_laser, cnc = await _lab(session)
    planned = await _training(session, manager, machine_id=laser.id, reserve=[laser.id, cnc.id])
    await lab_sessions.assign_instructor(session, manager, planned.id, lucas.id)
    (copy,) = (await lab_sessions.repeat_weekly(session, lucas, planned.id, 1, PARIS, NOW)).planned
    reserved = await lab_sessions.reserved_machines(session, copy.id)
    assert sorted(m.id for m in reserved) == sorted([laser.id, cnc.id])
    assert copy.instructor_id == lucas.id
