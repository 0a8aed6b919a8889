"""The funders' activity report on a real database: exact figures from a fixture of sessions held,
cancelled, not yet held and outside the period, with members (one erased), guests and walk-ins."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models import privacy, session_guests
from models import sessions as lab_sessions
from models.machines import MachineKind
from models.members import Member
from models.privacy import ErasureReason
from models.session_guests import AgeBracket, Situation
from models.session_report import activity_report, report_csv
from models.sessions import LabSession, SessionKind
from tests.factories import NOW, PARIS, make_member, paris


async def _plan(
    session: AsyncSession, manager: Member, kind: SessionKind, start: datetime, hours: int, **more: object
) -> LabSession:
    return await lab_sessions.plan(
        session,
        manager,
        kind=kind,
        title=f"{kind} {start:%d %B}",
        start=start,
        end=start + timedelta(hours=hours),
        seats=10,
        now=NOW,
        **more,  # type: ignore[arg-type]
    )


async def _fixture(session: AsyncSession) -> tuple[Member, list[Member]]:
    """March 2030: two workshops held (5 and 6 March), a training held (7 March), a mediation
    cancelled, a workshop not yet held (20 March, after `now`), a workshop out of the period (2 April)."""
    manager = await make_member(session, "Morgane", manager=True)
    people = [await make_member(session, name) for name in ("Alice", "Bob", "Chloé", "Driss")]
    alice, bob, chloe, driss = people
    first = await _plan(session, manager, SessionKind.WORKSHOP, paris(5, 14), 2, public=True)
    second = await _plan(session, manager, SessionKind.WORKSHOP, paris(6, 14), 3, public=True)
    training = await _plan(
        session, manager, SessionKind.TRAINING, paris(7, 14), 1, machine_kind=MachineKind.LASER_CUTTER
    )
    mediation = await _plan(session, manager, SessionKind.MEDIATION, paris(8, 14), 1)
    later = await _plan(session, manager, SessionKind.WORKSHOP, paris(20, 14), 2, public=True)
    april = await _plan(
        session, manager, SessionKind.WORKSHOP, paris(2, 14, month=4), 2, public=True
    )  # 2 April
    for member in (alice, bob, chloe):
        await lab_sessions.sign_up(session, member, first.id, NOW)
    await lab_sessions.sign_up(session, driss, second.id, NOW)
    for member in (alice, bob):
        await lab_sessions.sign_up(session, member, training.id, NOW)
        await lab_sessions.sign_up(session, member, later.id, NOW)
    await lab_sessions.sign_up(session, alice, mediation.id, NOW)
    await lab_sessions.sign_up(session, alice, april.id, NOW)
    jeanne = await session_guests.add_guest(session, manager, first.id, "Jeanne", "0612345678", NOW)
    await session_guests.set_profile(
        session, manager, jeanne.id, age_bracket=AgeBracket.OVER_65, situation=Situation.RETIRED
    )
    paul = await session_guests.add_guest(session, manager, second.id, "Paul", "paul@example.org", NOW)
    await session_guests.set_profile(session, manager, paul.id, situation=Situation.JOB_SEEKER)
    await session_guests.add_guest(session, manager, later.id, "Lina", "0712345678", NOW)
    await lab_sessions.cancel_session(session, manager, mediation.id, NOW)

    def marks_at(s: LabSession) -> datetime:
        return s.start_at + timedelta(minutes=5)

    for signup in await lab_sessions.participants(session, manager, first.id):
        came = signup.member_id != chloe.id  # Chloé did not come
        await lab_sessions.mark_attendance(session, manager, signup.id, came, marks_at(first))
    await session_guests.mark_guest(session, manager, jeanne.id, True, marks_at(first))
    walk_in = await session_guests.add_walk_in(session, manager, first.id, marks_at(first))
    await session_guests.set_profile(session, manager, walk_in.id, age_bracket=AgeBracket.FROM_18_TO_25)
    await session_guests.add_walk_in(session, manager, second.id, marks_at(second))
    # Driss came to the second workshop, then had his data erased: counted without his name.
    (driss_seat,) = await lab_sessions.participants(session, manager, second.id)
    await lab_sessions.mark_attendance(session, manager, driss_seat.id, True, marks_at(second))
    await privacy.erase_member(session, driss, ErasureReason.REQUEST, paris(10, 9), PARIS)
    (alice_seat, _bob_seat) = await lab_sessions.participants(session, manager, training.id)
    await lab_sessions.mark_attendance(session, manager, alice_seat.id, True, marks_at(training))
    return manager, people


async def test_the_report_counts_the_sessions_held_by_type_with_members_guests_and_walk_ins(
    session: AsyncSession,
) -> None:
    await _fixture(session)
    report = await activity_report(session, paris(1, 0), paris(1, 0, month=4), now=paris(15, 12))
    workshops = report.by_kind[SessionKind.WORKSHOP]
    # 5 March: Alice, Bob (came), Chloé (did not), Jeanne (came), a walk-in; 6 March: Driss (erased,
    # came), Paul (not marked), a walk-in.
    assert (workshops.sessions, workshops.hours) == (2, 5.0)
    assert (workshops.members, workshops.guests, workshops.walk_ins) == (4, 2, 2)
    assert (workshops.members_attended, workshops.guests_attended) == (3, 3)
    assert workshops.participants == 8 and workshops.attended == 6 and workshops.attendance_rate == 0.75
    training = report.by_kind[SessionKind.TRAINING]
    assert (training.sessions, training.hours, training.participants, training.attended) == (1, 1.0, 2, 1)
    assert SessionKind.MEDIATION not in report.by_kind and report.cancelled == 1
    assert set(report.by_kind) == {SessionKind.WORKSHOP, SessionKind.TRAINING}  # 20 March: not held yet
    total = report.total
    assert (total.sessions, total.hours, total.participants, total.attended) == (3, 6.0, 10, 7)
    assert dict(report.ages) == {AgeBracket.OVER_65: 1, AgeBracket.FROM_18_TO_25: 1}
    assert dict(report.situations) == {Situation.RETIRED: 1, Situation.JOB_SEEKER: 1}

    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert rows[1][:4] == ["type", "sessions", "hours", "participants"]
    assert rows[2] == ["training", "1", "1.00", "2", "2", "0", "0", "1", "1", "0", "0.500"]
    assert rows[3] == ["workshop", "2", "5.00", "8", "4", "2", "2", "6", "3", "3", "0.750"]
    assert rows[4] == ["total", "3", "6.00", "10", "6", "2", "2", "7", "4", "3", "0.700"]
    assert ["65plus", "1"] in rows and ["jobseeker", "1"] in rows and ["under18", "0"] in rows
    text = report_csv(report).decode("utf-8-sig")
    assert "Jeanne" not in text and "Driss" not in text and "0612345678" not in text


async def test_an_empty_period_is_all_zeros(session: AsyncSession) -> None:
    await _fixture(session)
    report = await activity_report(session, paris(1, 0, month=5), paris(31, 0, month=5), now=paris(15, 12))
    assert report.by_kind == {} and report.cancelled == 0 and report.total.attendance_rate is None
    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert rows[2] == ["total", "0", "0.00", "0", "0", "0", "0", "0", "0", "0", ""]
